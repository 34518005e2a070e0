"""Every yunnan-2019 rule, firing and not firing at its boundaries."""

import pytest

from policy.builders import (
    activity,
    filing,
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
Y = "yunnan-2019"


def subjects(report, rule):
    return sorted((f.subject["id"], f.period, f.severity) for f in only(report, rule))


def test_dual_org_life_in_own_branch():
    b1 = org("B1", "branch")
    b2 = org("B2", "branch")
    own = person(b1, "L1", leading_cadre=True)
    other = person(b1, "L2", leading_cadre=True)
    moved = person(b1, "L3", leading_cadre=True)
    person(b1, "M1")  # not a leading cadre: not checked
    activity(b1, "org_life_meeting", "2022-03-01", attendees=[own, moved])
    activity(b2, "org_life_meeting", "2022-03-01", attendees=[other])  # not own branch
    transfer(moved, b1, b2, "2022-06-01")  # attended B1's while belonging to B1: counts
    assert subjects(run(Y, 2022), "dual-org-life") == [("L2", "2022", "violation")]


@pytest.mark.parametrize(
    ("held", "as_of", "expected"),
    [
        (8, None, []),
        (7, None, ["violation"]),
        (3, "2022-07-01", []),
        (2, "2022-07-01", ["warning"]),
    ],
)
def test_central_group_study_eight_a_year(held, as_of, expected):
    dept = org("D1", "party_group")
    for i in range(held):
        activity(dept, "central_group_study", f"2022-{i + 1:02d}-20")
    # pace on 07-01: floor(8 * 182 / 365) = 3
    assert severities(run(Y, 2022, as_of), "central-group-study") == expected


def test_party_lesson_every_member():
    br = org("B1", "branch")
    a, b = person(br, "P1"), person(br, "P2")
    activity(br, "party_lesson", "2022-12-31", speaker=a, attendees=[b])
    assert subjects(run(Y, 2022), "party-lesson-member") == [("P2", "2022", "violation")]


@pytest.mark.parametrize(("employment", "fires"), [("retired", False), ("in_service", True)])
def test_party_lesson_every_serving_member_not_retired(employment, fires):
    """§5 "每名党员干部每年至少讲1次以上党课": every member in service (in an organ every
    member is a cadre), not retired members (离退休党员 are not 党员干部 in service)."""
    br = org("B1", "branch")
    person(br, "P1", employment=employment)
    found = only(run(Y, 2022), "party-lesson-member")
    assert [f.subject["id"] for f in found] == (["P1"] if fires else [])
    if found:
        assert found[0].source["quote"] == "每名党员干部每年至少讲1次以上党课"


def test_term_election_replaces_national():
    br = org("B1", "branch")
    term(br, "2020-01-01", 3)  # ends the day after as_of
    report = run(Y, 2022)
    assert [f.rule for f in only(report, "term-election")] == ["yunnan-2019/term-election"]
    assert severities(report, "term-election") == ["warning"]
    assert only(report, "term-election")[0].source["clause"] == "8"


@pytest.mark.parametrize(
    ("trained", "as_of", "expected"),
    [
        ("2022-09-15", None, []),
        ("2022-09-16", None, ["violation"]),
        (None, "2022-09-01", ["warning"]),
        (None, "2022-08-15", []),
        (None, "2022-09-16", ["violation"]),
    ],
)
def test_secretary_induction_within_six_months(trained, as_of, expected):
    br = org("B1", "branch")
    s = person(br, "S1")
    position(s, br, "secretary", start="2022-03-15")  # deadline 2022-09-15
    if trained:
        training(s, trained, 8, kind="secretary_induction")
    training(s, "2022-04-01", 6, kind="general")  # the wrong kind does not count
    assert severities(run(Y, 2022, as_of), "secretary-induction") == expected


@pytest.mark.parametrize(("hours", "fires"), [(31.5, True), (32, False), (32.5, False)])
def test_training_hours_member_32(hours, fires):
    br = org("B1", "branch")
    training(person(br, "P1"), "2022-06-01", hours)
    found = only(run(Y, 2022), "training-hours-member")
    assert bool(found) is fires
    assert all(f.rule == "yunnan-2019/training-hours-member" for f in found)


@pytest.mark.parametrize(("hours", "fires"), [(55.5, True), (56, False), (56.5, False)])
def test_training_hours_leadership_56(hours, fires):
    br = org("B1", "branch")
    lead = person(br, "L1")
    position(
        lead, br, "committee_member", start="2021-01-01", end="2022-02-01"
    )  # held during the year
    training(lead, "2022-06-01", hours)
    assert bool(only(run(Y, 2022), "training-hours-leadership")) is fires


@pytest.mark.parametrize(("role", "fires"), [("cell_leader", False), ("committee_member", True)])
def test_training_hours_leadership_excludes_cell_leaders(role, fires):
    """§10 "其中党组织领导班子成员一般不少于56学时": a 党小组组长 is not in a party
    organisation's leadership team (the 32 hours of every member still apply)."""
    br = org("B1", "branch")
    cell = org("C1", "party_cell", parent=br)
    lead = person(cell, "L1")
    position(lead, cell if role == "cell_leader" else br, role, start="2021-01-01")
    training(lead, "2022-06-01", 40)
    found = only(run(Y, 2022), "training-hours-leadership")
    assert [(f.subject["id"], f.required, f.actual) for f in found] == (
        [("L1", 56, 40)] if fires else []
    )
    if fires:
        assert found[0].source["quote"] == "其中党组织领导班子成员一般不少于56学时"


@pytest.mark.parametrize(
    ("second_start", "expected"),
    [
        ("2022-03-15", []),  # back-to-back (re-elected at the change of term): not new
        ("2022-03-14", []),  # overlapping by a day: not new either
        ("2022-03-16", ["violation"]),  # a day's gap: a new secretary again
    ],
)
def test_secretary_induction_not_for_a_re_elected_secretary(second_start, expected):
    """§9 "新任党支部书记须在6个月内接受集中培训": an incumbent re-elected is not new."""
    br = org("B1", "branch")
    s = person(br, "S1")
    position(s, br, "secretary", start="2019-03-15", end="2022-03-14")
    training(s, "2019-05-01", 8, kind="secretary_induction")  # trained three years earlier
    position(s, br, "secretary", start=second_start)
    found = only(run(Y, 2022), "secretary-induction")
    assert [f.severity for f in found] == expected
    if found:
        assert found[0].source["quote"] == "新任党支部书记须在6个月内接受集中培训"


def test_term_limit_counts_deputy_secretaries():
    """§17 "连续任职一般不超过两届": 负责人 are the secretary and deputy secretaries."""
    oc = org("OC1", "organ_committee")
    d = person(oc, "S1")
    position(d, oc, "deputy_secretary", start="2012-05-01")
    term(oc, "2012-05-01", 5)
    term(oc, "2017-05-01", 5)
    assert only(run(Y, 2022), "term-limit") == []
    term(oc, "2022-05-01", 5)
    found = only(run(Y, 2022), "term-limit")
    assert [(f.subject["id"], f.required, f.actual) for f in found] == [("OC1", 2, 3)]


def test_report_hearing_every_half_year():
    dept = org("D1", "party_group")
    activity(dept, "report_hearing", "2022-06-30")
    assert subjects(run(Y, 2022), "report-hearing") == [("D1", "2022-H2", "violation")]
    assert subjects(run(Y, 2022, "2022-06-30"), "report-hearing") == []


def test_duty_reports():
    dept = org("D1", "party_group")
    oc = org("OC1", "organ_committee", parent=dept)
    filing(dept, "duty_report", "2022-12-20", "2022")
    filing(oc, "duty_report", "2022-01-20", "2021")  # last year's does not count
    report = run(Y, 2023)
    assert subjects(report, "duty-report-party-group") == []
    assert subjects(report, "duty-report-organ") == [("OC1", "2022", "violation")]


@pytest.mark.parametrize(
    ("staff", "workers", "actual"), [(100, 2, None), (100, 1, 1), (150, 2, 1.33)]
)
def test_party_worker_share(staff, workers, actual):
    dept = org("D1", "party_group", staff_count=staff)
    br = org("B1", "branch", parent=dept)
    members(br, workers, party_worker="full_time")
    person(br, "PT", party_worker="part_time")
    found = only(run(Y, 2022), "party-worker-share")
    assert [f.actual for f in found] == ([] if actual is None else [actual])


def test_discipline_committee_replaces_national():
    dept = org("D1", "party_group")
    org("OC1", "organ_committee", parent=dept)
    found = only(run(Y, 2022), "discipline-committee")
    assert [f.rule for f in found] == ["yunnan-2019/discipline-committee"]


def test_organ_secretary_holds_party_group_post():
    dept = org("D1", "party_group")
    oc = org("OC1", "organ_committee", parent=dept)
    s = person(oc, "S1")
    position(s, oc, "secretary")
    assert subjects(run(Y, 2022), "organ-secretary-in-party-group") == [
        ("OC1", "2022", "violation")
    ]
    position(s, dept, "committee_member")
    assert subjects(run(Y, 2022), "organ-secretary-in-party-group") == []


def test_party_worker_training_twice():
    br = org("B1", "branch")
    a = person(br, "W1", party_worker="part_time")
    b = person(br, "W2", party_worker="full_time")
    person(br, "M1")
    training(a, "2022-03-01", 4, kind="party_worker")
    training(a, "2022-09-01", 4, kind="party_worker")
    training(b, "2022-03-01", 4, kind="party_worker")
    assert subjects(run(Y, 2022), "party-worker-training") == [("W2", "2022", "violation")]


@pytest.mark.parametrize(("school_on", "fires"), [("2020-01-01", False), ("2019-12-31", True)])
def test_party_school_every_three_years(school_on, fires):
    br = org("B1", "branch")
    w = person(br, "W1", party_worker="full_time")
    training(w, school_on, 40, kind="party_school")
    assert bool(only(run(Y, 2022), "party-school-rotation")) is fires


@pytest.mark.parametrize(
    ("elections", "fires"),
    [(["2012-05-01", "2017-05-01"], False), (["2012-05-01", "2017-05-01", "2022-05-01"], True)],
)
def test_term_limit_two_terms(elections, fires):
    oc = org("OC1", "organ_committee")
    s = person(oc, "S1")
    position(s, oc, "secretary", start="2012-05-01", end="2017-04-30")
    position(s, oc, "secretary", start="2017-05-01")  # re-elected: one tenure
    for e in elections:
        term(oc, e, 5)
    assert bool(only(run(Y, 2022), "term-limit")) is fires


@pytest.mark.parametrize(
    ("filled", "as_of", "expected"),
    [
        ("2022-08-01", None, []),
        ("2022-08-02", None, ["violation"]),
        (None, "2022-07-15", ["warning"]),
        (None, "2022-06-15", []),
    ],
)
def test_leader_vacancy_six_months(filled, as_of, expected):
    oc = org("OC1", "organ_committee")
    a, b = person(oc, "S1"), person(oc, "S2")
    position(a, oc, "secretary", start="2018-01-01", end="2022-01-31")  # vacant from 02-01
    if filled:
        position(b, oc, "secretary", start=filled)  # 08-01 = exactly 6 months
    assert severities(run(Y, 2022, as_of), "leader-vacancy") == expected


def test_leader_vacancy_not_counted_when_a_deputy_overlaps():
    oc = org("OC1", "organ_committee")
    a, b = person(oc, "S1"), person(oc, "S2")
    position(a, oc, "deputy_secretary", start="2018-01-01", end="2022-01-31")
    position(b, oc, "deputy_secretary", start="2019-01-01")  # the post stays filled
    assert severities(run(Y, 2022), "leader-vacancy") == []


def test_work_committee_report():
    wc = org("W1", "work_committee")
    assert subjects(run(Y, 2023), "work-committee-report") == [("W1", "2022", "violation")]
    filing(wc, "work_report", "2022-12-01", "2022")
    assert subjects(run(Y, 2023), "work-committee-report") == []


def test_yunnan_and_danyang_figures_differ_on_the_same_records():
    br = org("B1", "branch")
    m = person(br, "P1")
    lead = person(br, "L1")
    position(lead, br, "secretary")
    training(m, "2022-05-01", 20)
    training(lead, "2022-05-01", 30)
    yn = run(Y, 2022)
    dy = run("danyang-2020", 2022)

    def figures(report, rule):
        return sorted((f.subject["id"], f.required, f.actual) for f in only(report, rule))

    assert figures(yn, "training-hours-member") == [("L1", 32, 30), ("P1", 32, 20)]
    assert figures(yn, "training-hours-leadership") == [("L1", 56, 30)]
    # danyang's 24 hours stands beside the national 32 (never lowers it): one finding each
    assert figures(dy, "training-hours-member") == [("L1", 32, 30), ("P1", 32, 20)]
    assert figures(dy, "training-hours-committee") == [("L1", 40, 30)]


def test_branch_secretaries_duty_report_is_a_reminder():
    """§15 "机关基层党组织书记向上一级党组织述职述责并接受评议考核": no frequency in the
    text, so "yearly" is the pack's inference and a missing report is a warning."""
    oc = org("OC1", "organ_committee")
    br = org("B1", "branch", parent=oc)
    gb = org("G1", "general_branch", parent=oc)
    filing(gb, "duty_report", "2022-12-01", "2022")
    # The reports on 2022 fall due in the pack's reporting window after it: 2023's schedule.
    found = only(run(Y, 2023), "duty-report-branch")
    assert [(f.subject["id"], f.severity) for f in found] == [("B1", "warning")]
    assert found[0].source["quote"] == "机关基层党组织书记向上一级党组织述职述责并接受评议考核"
    filing(br, "duty_report", "2022-12-31", "2022")
    assert only(run(Y, 2023), "duty-report-branch") == []
