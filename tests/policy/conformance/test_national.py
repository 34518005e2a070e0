"""Every national rule, firing and not firing at its boundaries."""

import pytest

from policy.builders import (
    activity,
    due,
    members,
    only,
    org,
    person,
    position,
    run,
    severities,
    term,
    training,
    transfer,
)

pytestmark = pytest.mark.django_db


def subjects(report, rule):
    return sorted((f.subject["id"], f.period, f.severity) for f in only(report, rule))


def test_branch_assembly_quarterly_on_quarter_edges():
    br = org("B1", "branch")
    activity(br, "branch_assembly", "2022-03-31")  # last day of Q1 counts for Q1
    activity(br, "branch_assembly", "2022-07-01")  # first day of Q3
    activity(br, "branch_assembly", "2022-10-15")
    assert subjects(run("national", 2022), "branch-assembly-quarterly") == [
        ("B1", "2022-Q2", "violation")
    ]


def test_committee_meeting_only_with_seven_full_members():
    big = org("B7", "branch")
    small = org("B6", "branch")
    members(big, 7)
    members(small, 6)
    person(small, "PP", status="probationary", joined_on="2022-01-01")  # not a full member
    for m in range(1, 12):
        activity(big, "committee_meeting", f"2022-{m:02d}-10")
    assert subjects(run("national", 2022), "committee-meeting-monthly") == [
        ("B7", "2022-12", "violation")
    ]


def test_cell_meeting_monthly():
    cell = org("C1", "party_cell")
    for m in range(2, 13):
        activity(cell, "cell_meeting", f"2022-{m:02d}-01")
    assert subjects(run("national", 2022), "cell-meeting-monthly") == [
        ("C1", "2022-01", "violation")
    ]


def test_theme_day_on_the_last_day_of_the_month():
    br = org("B1", "branch")
    for m in range(1, 13):
        if m != 2:
            activity(br, "theme_day", f"2022-{m:02d}-28")
    activity(br, "theme_day", "2022-01-31")
    activity(br, "theme_day", "2022-03-01")  # the day after February: does not count for it
    report = run("national", 2022)
    assert subjects(report, "theme-day-monthly") == [("B1", "2022-02", "violation")]
    # February's only theme day on its last day: nothing missing
    activity(br, "theme_day", "2022-02-28")
    assert subjects(run("national", 2022), "theme-day-monthly") == []


@pytest.mark.parametrize(
    ("rule", "kind", "window"),
    [
        ("org-life-meeting-yearly", "org_life_meeting", 92),
        ("member-review-yearly", "member_review", 30),
    ],
)
def test_yearly_branch_meetings_warning_window(rule, kind, window):
    from datetime import date, timedelta

    br = org("B1", "branch")
    end = date(2022, 12, 31)
    assert severities(run("national", 2022), rule) == ["violation"]
    assert severities(run("national", 2022, end - timedelta(days=window)), rule) == ["warning"]
    assert severities(run("national", 2022, end - timedelta(days=window + 1)), rule) == []
    activity(br, kind, "2022-12-31")
    assert severities(run("national", 2022), rule) == []


def test_talk_every_member_counts_attending_speaking_or_being_talked_to():
    br = org("B1", "branch")
    a, b, c, _d = (person(br, f"P{i}") for i in range(1, 5))
    activity(br, "talk", "2022-05-01", attendees=[a], speaker=b)
    activity(br, "talk", "2022-06-01", subject=c)
    assert subjects(run("national", 2022), "talk-every-member") == [("P4", "2022", "violation")]


@pytest.mark.parametrize(
    ("full", "probationary", "have", "expected"),
    [
        (100, 0, "organ_committee", None),
        # 第五条 "机关党员100人以上的": probationary members count toward 100 and 50
        (95, 5, "organ_committee", None),
        (94, 5, "general_branch", None),
        (95, 5, "general_branch", ("organ_committee", "violation")),
        (45, 5, "general_branch", None),
        (44, 5, "branch", None),
        (45, 5, "branch", ("general_branch", "violation")),
        # 第七条 "机关正式党员3人以上的": only full members count toward 3
        (3, 0, "branch", None),
        # a larger type than the size calls for: allowed with the higher organisation's
        # approval, a warning asking for it
        (99, 0, "organ_committee", ("general_branch", "warning")),
        (49, 0, "general_branch", ("branch", "warning")),
    ],
)
def test_org_type_by_size(full, probationary, have, expected):
    dept = org("D1", "party_group")
    organ = org("O1", have, parent=dept)
    members(organ, full)
    members(organ, probationary, status="probationary")
    found = only(run("national", 2022), "org-type-by-size")
    if expected is None:
        assert found == []
    else:
        assert [(f.subject["id"], f.required, f.actual, f.severity) for f in found] == [
            ("D1", expected[0], have, expected[1])
        ]
        assert found[0].source["quote"] == "机关党员100人以上的，设立党的基层委员会"
        if expected[1] == "warning":
            assert "批准" in found[0].message


def test_org_type_by_size_branch_counts_full_members_only():
    dept = org("D1", "party_group")
    # 2 full + 5 probationary: fewer than 3 full members, no organisation is required
    members(dept, 2)
    members(dept, 5, status="probationary")
    assert only(run("national", 2022), "org-type-by-size") == []
    members(dept, 1)  # 3 full members: a branch is required
    found = only(run("national", 2022), "org-type-by-size")
    assert [(f.required, f.actual, f.severity) for f in found] == [("branch", "none", "violation")]


def test_branch_committee_and_discipline_member():
    seven = org("B7", "branch")
    six = org("B6", "branch")
    ok = org("BOK", "branch")
    ppl7 = members(seven, 7)
    members(six, 6)
    ppl_ok = members(ok, 7)
    position(ppl7[0], seven, "secretary")
    position(ppl7[1], seven, "committee_member")
    for p, role in zip(
        ppl_ok, ["secretary", "committee_member", "discipline_member"], strict=False
    ):
        position(p, ok, role)
    report = run("national", 2022)
    assert subjects(report, "branch-committee") == [("B7", "2022", "violation")]
    assert only(report, "branch-committee")[0].actual == 2
    assert subjects(report, "discipline-member") == [("B7", "2022", "violation")]
    # a discipline member whose post ended before the check day does not count
    position(ppl7[2], seven, "discipline_member", start="2020-01-01", end="2022-12-30")
    assert subjects(run("national", 2022), "discipline-member") == [("B7", "2022", "violation")]


def test_discipline_committee_beside_organ_committee():
    d1 = org("D1", "party_group")
    org("OC1", "organ_committee", parent=d1)
    org("DC1", "discipline_committee", parent=d1)
    d2 = org("D2", "party_group")
    org("OC2", "organ_committee", parent=d2)
    assert subjects(run("national", 2022), "discipline-committee") == [("OC2", "2022", "violation")]


@pytest.mark.parametrize(
    ("elected", "expected"),
    [
        ("2020-01-01", ["warning"]),  # due 2023-01-01, the day after as_of: a warning
        ("2019-12-31", ["violation"]),  # due 2022-12-31 = as_of: overdue
        ("2020-07-01", ["warning"]),  # due 2023-07-01: 182 days ahead, inside 183
        ("2020-07-03", []),  # due 2023-07-03: 184 days ahead
    ],
)
def test_term_election_due(elected, expected):
    br = org("B1", "branch")
    term(br, elected, 3)
    assert severities(run("national", 2022), "term-election") == expected


@pytest.mark.parametrize(
    ("type_", "elected", "expected"),
    [
        ("branch", "2019-12-31", ["violation", "warning"]),  # 3 years (第七条) ended 2022-12-31
        ("branch", "2020-01-02", ["warning", "warning"]),  # due 2023-01-02, and recorded 5
        ("organ_committee", "2017-12-31", ["violation"]),  # 5 years (第五条) ended 2022-12-31
        ("organ_committee", "2018-01-02", ["warning"]),  # due 2023-01-02: a reminder
    ],
)
def test_term_due_by_the_regulation_not_the_recorded_years(type_, elected, expected):
    """第五条/第七条 "每届任期一般为5年"/"每届任期一般为3年": a branch recorded with a
    five-year term is due at three, and the longer recorded term is itself reported."""
    o = org("O1", type_)
    term(o, elected, 5)
    found = only(run("national", 2022), "term-election")
    assert sorted(f.severity for f in found) == expected
    longer = [f for f in found if f.period == "2022"]
    assert bool(longer) is (type_ == "branch")
    if longer:
        assert (longer[0].required, longer[0].actual) == (3, 5)
    assert all(f.source["quote"] == "按期换届" for f in found)


def test_term_election_later_term_replaces_overdue_one():
    br = org("B1", "branch")
    term(br, "2019-03-01", 3)
    term(br, "2022-02-15", 3)
    assert severities(run("national", 2022), "term-election") == []
    # before the new election, the old term (due 2022-03-01) was coming due
    assert severities(run("national", 2022, "2022-02-10"), "term-election") == ["warning"]


def test_member_congress_yearly():
    org("OC", "organ_committee")
    oc2 = org("OC2", "organ_committee")
    activity(oc2, "member_congress", "2022-06-30")
    assert subjects(run("national", 2022), "member-congress-yearly") == [
        ("OC", "2022", "violation")
    ]


@pytest.mark.parametrize(("hours", "fires"), [(31.5, True), (32, False), (32.5, False)])
def test_training_hours_32(hours, fires):
    br = org("B1", "branch")
    p = person(br, "P1")
    training(p, "2022-12-31", hours)
    assert bool(only(run("national", 2022), "training-hours-member")) is fires


@pytest.mark.parametrize(
    ("last_paid", "expected", "run_len"),
    [
        ("2022-06", "violation", 6),
        ("2022-07", "warning", 5),
        ("2022-09", "warning", 3),
        ("2022-10", None, 2),
    ],
)
def test_dues_arrears(last_paid, expected, run_len):
    br = org("B1", "branch")
    p = person(br, "P1", employment="retired")
    due(p, last_paid, 1)
    found = only(run("national", 2022), "dues-arrears")
    if expected is None:
        assert found == []
    else:
        assert [(f.severity, f.actual) for f in found] == [(expected, run_len)]


def test_dues_arrears_counts_from_joining_when_never_paid():
    br = org("B1", "branch")
    person(br, "P1", status="probationary", joined_on="2022-08-15")  # Aug..Dec = 5 months
    assert [(f.severity, f.actual) for f in only(run("national", 2022), "dues-arrears")] == [
        ("warning", 5)
    ]


@pytest.mark.parametrize(
    ("income", "paid", "fires"),
    [
        (3000, 15, False),
        (3000, 14.99, True),
        (3000.01, 15, True),
        (3000.01, 30, False),
        (12000, 240, False),
    ],
)
def test_dues_rate(income, paid, fires):
    br = org("B1", "branch")
    p = person(br, "P1", monthly_income=income)
    due(p, "2022-03", paid)
    found = only(run("national", 2022), "dues-rate")
    assert bool(found) is fires


@pytest.mark.parametrize(
    ("talk_on", "as_of", "expected"),
    [
        ("2022-04-10", None, []),
        ("2022-04-11", None, ["violation"]),
        (None, "2022-04-05", ["warning"]),
        (None, "2022-04-02", []),
        (None, "2022-04-11", ["violation"]),
    ],
)
def test_applicant_talk_within_a_month(talk_on, as_of, expected):
    br = org("B1", "branch")
    a = person(br, "A1", status="applicant", applied_on="2022-03-10")
    if talk_on:
        activity(br, "talk", talk_on, subject=a)
    assert severities(run("national", 2022, as_of), "applicant-talk") == expected


@pytest.mark.parametrize(("candidate_on", "fires"), [("2022-05-01", False), ("2022-04-30", True)])
def test_activist_period(candidate_on, fires):
    br = org("B1", "branch")
    person(br, "C1", status="candidate", activist_on="2021-05-01", candidate_on=candidate_on)
    assert bool(only(run("national", 2022), "activist-period")) is fires


def test_probation_period():
    br = org("B1", "branch")
    person(br, "LATE", status="probationary", joined_on="2021-06-01")  # due 2022-06-01
    person(br, "EDGE", status="probationary", joined_on="2021-12-31")  # due 2022-12-31 = as_of
    person(
        br, "EXT", status="probationary", joined_on="2021-06-01", probation_extended_to="2023-05-01"
    )
    person(
        br,
        "TOOLONG",
        status="probationary",
        joined_on="2021-01-01",
        probation_extended_to="2023-03-01",
    )
    person(br, "DONE", status="full", joined_on="2021-03-01", full_on="2022-03-01")
    person(br, "SLOW", status="full", joined_on="2021-03-01", full_on="2022-03-02")
    report = run("national", 2022)
    assert subjects(report, "probation-period") == [
        ("EDGE", "2021-12-31/2022-12-31", "warning"),
        ("LATE", "2021-06-01/2022-06-01", "violation"),
        ("SLOW", "2021-03-01/2022-03-01", "violation"),
        ("TOOLONG", "2021-01-01/2023-01-01", "violation"),
    ]


def test_dues_rate_cites_the_clauses_that_set_the_rates():
    from dangjian.policy.packs import load_pack

    rule = load_pack("national").rule("national/dues-rate")
    assert rule is not None
    assert rule.citation["clause"] == "第二条、第五条、第六条"
    assert rule.citation["quote"].startswith("在职党员: ≤3000 元 0.5%")


@pytest.mark.parametrize(("present", "expected"), [(5, []), (4, ["warning"])])
def test_branch_assembly_quorum(present, expected):
    """第十一条 "半数以上有表决权的党员到会": of 10 full members (probationary members have
    no vote), 5 present is half (以上 includes it); 4 is short — a warning, as the records
    do not show whether a vote was taken."""
    br = org("B1", "branch")
    voters = members(br, 10)
    prob = members(br, 3, status="probationary")
    activity(br, "branch_assembly", "2022-03-15", attendees=voters[:present] + prob, ext_id="BA1")
    found = only(run("national", 2022), "branch-assembly-quorum")
    assert [f.severity for f in found] == expected
    if found:
        assert (found[0].required, found[0].actual, found[0].evidence) == (5, 4, ["BA1"])
        assert found[0].source["quote"] == "半数以上有表决权的党员到会"


def test_branch_assembly_quorum_follows_transfers():
    """Voters and those present are the org's full members on the meeting's day: one moved
    in on 2022-06-01 counts from then, one moved out counts until then."""
    br, other = org("B1", "branch"), org("B2", "branch")
    s1, s2, _, _ = members(br, 4)
    moved_in = person(other, "IN")
    moved_out = person(br, "OUT")
    transfer(moved_in, other, br, "2022-06-01")
    transfer(moved_out, br, other, "2022-06-01")
    activity(br, "branch_assembly", "2022-03-15", attendees=[s1, s2, moved_in], ext_id="A1")
    activity(br, "branch_assembly", "2022-09-15", attendees=[s1, moved_in, moved_out], ext_id="A2")
    activity(br, "branch_assembly", "2022-10-15", attendees=[s1, s2, moved_in], ext_id="A3")
    found = only(run("national", 2022), "branch-assembly-quorum")
    assert sorted((f.period, f.required, f.actual, f.evidence[0]) for f in found) == [
        ("2022-03-15", 2.5, 2, "A1"),
        ("2022-09-15", 2.5, 2, "A2"),
    ]


def test_branch_has_a_secretary():
    br = org("B1", "branch")
    ppl = members(br, 3)
    found = only(run("national", 2022), "branch-secretary")
    assert [(f.subject["id"], f.severity) for f in found] == [("B1", "violation")]
    assert found[0].source["quote"] == "党支部书记原则上由本单位党员主要负责人担任"
    position(ppl[0], br, "secretary", "2020-01-01")
    assert only(run("national", 2022), "branch-secretary") == []


@pytest.mark.parametrize(("n", "expected"), [(50, []), (51, ["warning"])])
def test_branch_at_most_50_members(n, expected):
    """ "党支部党员人数一般不超过50人" (S): probationary members count; "一般" → a warning."""
    br = org("B1", "branch")
    members(br, n - 1)
    members(br, 1, status="probationary")
    found = only(run("national", 2022), "branch-size-max")
    assert [f.severity for f in found] == expected
    if found:
        assert (found[0].required, found[0].actual) == (50, 51)
        assert found[0].source["quote"] == "党支部党员人数一般不超过50人"


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        ("2022-07-01", ["warning"]),  # six months come only on 2023-01-01
        ("2022-06-30", ["violation"]),  # 6 months on 2022-12-30: six months running
        ("2022-09-30", ["warning"]),  # 3 months
        ("2022-10-01", []),
    ],
)
def test_six_months_without_organisational_life(last, expected):
    """第三十一条 "连续6个月不参加党的组织生活"."""
    br = org("B1", "branch")
    m = person(br, "P1")
    other = person(br, "P2")
    activity(br, "branch_assembly", last, attendees=[m])
    activity(br, "theme_day", "2022-12-20", attendees=[other])
    found = only(run("national", 2022), "org-life-absence")
    assert [(f.subject["id"], f.severity) for f in found] == [("P1", s) for s in expected]
    if found:
        assert found[0].source["quote"] == "连续6个月不参加党的组织生活"


def test_absence_counts_from_joining_and_speaking_counts():
    br = org("B1", "branch")
    person(br, "P1", joined_on="2022-06-01")  # joined 7 months before, never took part
    person(br, "P3", joined_on="2022-08-01")  # 5 months: a reminder only
    lecturer = person(br, "P2")
    activity(br, "party_lesson", "2022-11-01", speaker=lecturer)  # speaking counts
    found = only(run("national", 2022), "org-life-absence")
    assert [(f.subject["id"], f.severity) for f in found] == [
        ("P1", "violation"),
        ("P3", "warning"),
    ]


@pytest.mark.parametrize(
    ("born", "applied", "fires"),
    [("2004-03-01", "2022-03-01", False), ("2004-03-02", "2022-03-01", True)],
)
def test_admission_at_eighteen_or_older(born, applied, fires):
    """ "年满十八岁" (S): age on the day of application."""
    br = org("B1", "branch")
    person(br, "A1", status="applicant", birth_date=born, applied_on=applied)
    found = only(run("national", 2022), "admission-age")
    assert bool(found) is fires
    if found:
        assert (found[0].required, found[0].actual) == (18, 17)
        assert found[0].source["quote"] == "年满十八岁"
    # not the year of application: not checked
    assert only(run("national", 2023), "admission-age") == []


@pytest.mark.parametrize(
    ("month", "paid_on", "fires"),
    [
        ("2021-09", "2022-03-15", False),
        ("2021-08", "2022-03-15", True),
        # by the month, not the days: the first and the last day of March
        ("2021-08", "2022-03-01", True),
        ("2021-09", "2022-03-31", False),
    ],
)
def test_back_payment_at_most_six_months(month, paid_on, fires):
    """第十二条 "补交党费的时间一般不得超过6个月": paid in March 2022 for September 2021
    is six months back; for August 2021, seven."""
    br = org("B1", "branch")
    m = person(br, "P1")
    due(m, month, 50, paid_on=paid_on)
    found = only(run("national", 2022), "dues-back-payment")
    assert bool(found) is fires
    if found:
        assert (found[0].required, found[0].actual) == (6, 7)
        assert found[0].evidence == ["P1/2021-08"]
        assert found[0].source["quote"] == "补交党费的时间一般不得超过6个月"


@pytest.mark.parametrize("beside", [True, False])
def test_discipline_secretary_is_organ_deputy_secretary(beside):
    """第九条 "书记由机关党委副书记担任": the discipline committee beside or under it."""
    pg = org("D1", "party_group")
    oc = org("OC1", "organ_committee", parent=pg)
    dc = org("DC1", "discipline_committee", parent=pg if beside else oc)
    s = person(oc, "S1")
    position(s, dc, "secretary", "2020-01-01")
    found = only(run("national", 2022), "discipline-secretary-is-deputy")
    assert [(f.subject["id"], f.evidence) for f in found] == [("DC1", ["S1"])]
    assert found[0].source["quote"] == "书记由机关党委副书记担任"
    position(s, oc, "deputy_secretary", "2020-01-01")
    assert only(run("national", 2022), "discipline-secretary-is-deputy") == []


def test_party_committee_secretary_gives_a_lesson():
    """ "党委（党组）书记每年至少讲1次党课" (S)."""
    pg = org("D1", "party_group")
    br = org("B1", "branch", parent=pg)
    s, plain = person(br, "S1"), person(br, "S2")
    position(s, pg, "secretary", "2020-01-01")
    position(plain, br, "secretary", "2020-01-01")  # a branch secretary: not this rule
    found = only(run("national", 2022), "party-committee-secretary-lesson")
    assert [(f.subject["id"], f.severity) for f in found] == [("S1", "violation")]
    assert found[0].source["quote"] == "党委（党组）书记每年至少讲1次党课"
    activity(br, "party_lesson", "2022-12-31", speaker=s)
    assert only(run("national", 2022), "party-committee-secretary-lesson") == []
