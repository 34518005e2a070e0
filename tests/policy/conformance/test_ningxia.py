"""ningxia-2018 ("三强九严"工程): every rule firing and not firing at its boundaries."""

import pytest

from dangjian.policy.packs import load_pack
from policy.builders import (
    activity,
    assessment,
    filing,
    members,
    only,
    org,
    person,
    position,
    run,
    severities,
    term,
)

pytestmark = pytest.mark.django_db

PACK = "ningxia-2018"


def dept(pg_id="D1", oc_id="OC1", parent=None):
    pg = org(pg_id, "party_group", parent=parent)
    oc = org(oc_id, "organ_committee", parent=pg)
    return pg, oc


def test_pack_shape():
    pack = load_pack(PACK)
    rules = {r.qualified_id: r for r in pack.rules}
    # identical local rules cite the local words instead of the national ones
    for rid in ("theme-day-monthly", "member-congress-yearly"):
        assert f"national/{rid}" not in rules
        assert f"ningxia-2018/{rid}" in rules
    # the 九项 systems are the national rules, inherited
    assert "national/branch-assembly-quarterly" in rules
    assert "national/dues-arrears" in rules
    clauses = {c["clause"] for c in pack.coverage}
    assert clauses == {"强化“三个责任”", "严格落实“九项”制度", "4项工作要求"}
    assert any("专题组织生活会" in c["obligation"] and "not_encoded" in c for c in pack.coverage)


def test_party_group_duty_report_yearly():
    pg, _ = dept()
    found = only(run(PACK, 2023), "party-group-duty-report", "D1")
    assert [(f.severity, f.due) for f in found] == [("violation", "2023-01-30")]
    assert severities(run(PACK, 2023, "2023-01-10"), "party-group-duty-report", "D1") == ["warning"]
    filing(pg, "duty_report", "2022-12-31", "2022")
    assert only(run(PACK, 2023), "party-group-duty-report") == []


def test_member_congress_yearly_replaces_national():
    _, oc = dept()
    found = only(run(PACK, 2022), "member-congress-yearly", "OC1")
    assert [f.rule for f in found] == ["ningxia-2018/member-congress-yearly"]
    assert found[0].source["quote"] == "每年主持召开1次机关党员大会"
    activity(oc, "member_congress", "2022-12-31")
    assert only(run(PACK, 2022), "member-congress-yearly") == []


def test_organ_committee_meeting_each_quarter():
    _, oc = dept()
    activity(oc, "committee_meeting", "2022-03-31")  # Q1's only meeting, on its last day
    activity(oc, "committee_meeting", "2022-04-01")
    activity(oc, "committee_meeting", "2022-10-15")
    found = only(run(PACK, 2022), "organ-committee-meeting-quarterly", "OC1")
    assert [(f.period, f.severity) for f in found] == [("2022-Q3", "violation")]
    # 2022-09-20: Q3 ends within 15 days -> a warning; Q4 not begun -> nothing
    found = only(run(PACK, 2022, "2022-09-20"), "organ-committee-meeting-quarterly", "OC1")
    assert [(f.period, f.severity) for f in found] == [("2022-Q3", "warning")]


def test_organ_committee_inspection_every_half_year():
    _, oc = dept()
    activity(oc, "inspection", "2022-06-30")
    found = only(run(PACK, 2022), "organ-committee-inspection-half", "OC1")
    assert [(f.period, f.actual) for f in found] == [("2022-H2", 0)]
    activity(oc, "inspection", "2022-07-01")
    assert only(run(PACK, 2022), "organ-committee-inspection-half") == []


def test_talk_with_head_of_each_branch():
    _, oc = dept()
    b1 = org("B1", "branch", parent=oc)
    gb = org("G1", "general_branch", parent=oc)
    b2 = org("B2", "branch", parent=gb)  # a descendant, not a child
    heads = {}
    for o in (b1, gb, b2):
        heads[o.ext_id] = person(o, f"H{o.ext_id}")
        position(heads[o.ext_id], o, "secretary", "2020-01-01")
    activity(oc, "talk", "2022-12-31", subject=heads["B1"])
    activity(oc, "talk", "2022-05-01", subject=heads["B2"])
    activity(
        b1, "talk", "2022-05-01", subject=heads["G1"]
    )  # held by a branch, not the organ committee
    found = only(run(PACK, 2022), "organ-committee-talk-heads", "OC1")
    assert [(f.evidence[0], f.actual) for f in found] == [("G1", 0)]
    activity(oc, "talk", "2022-11-01", subject=heads["G1"])
    assert only(run(PACK, 2022), "organ-committee-talk-heads") == []


def test_branch_secretary_gives_a_lesson_in_own_branch():
    br = org("B1", "branch")
    other = org("B2", "branch")
    sec = person(br, "S1")
    position(sec, br, "secretary", "2020-01-01")
    plain = person(br, "M1")  # not a secretary: not checked
    activity(other, "party_lesson", "2022-04-01", speaker=sec)  # not for own branch's members
    activity(br, "party_lesson", "2022-04-01", speaker=plain)
    found = only(run(PACK, 2022), "branch-secretary-lesson")
    assert [(f.subject["id"], f.actual) for f in found] == [("S1", 0)]
    activity(br, "party_lesson", "2022-12-31", speaker=sec)
    assert only(run(PACK, 2022), "branch-secretary-lesson") == []


def test_theme_day_monthly_last_day_counts():
    br = org("B1", "branch")
    members(br, 3)
    for m in range(1, 13):
        if m != 7:
            activity(br, "theme_day", f"2022-{m:02d}-01")
    activity(br, "theme_day", "2022-06-30")  # a second one in June does not fill July
    found = only(run(PACK, 2022), "theme-day-monthly", "B1")
    assert [(f.rule, f.period) for f in found] == [("ningxia-2018/theme-day-monthly", "2022-07")]
    activity(br, "theme_day", "2022-07-31")
    assert only(run(PACK, 2022), "theme-day-monthly") == []


def test_branch_work_report_each_quarter():
    br = org("B1", "branch")
    filing(br, "work_report", "2022-03-31", "2022-Q1")
    filing(br, "work_report", "2022-10-30", "2022-Q3")  # 30 days after the quarter: on time
    filing(br, "work_report", "2022-12-01", "2022-Q4")
    filing(
        br, "work_report", "2022-06-01", "2022-Q1"
    )  # a filing for another quarter does not count
    filing(br, "work_report", "2022-01-10", "2021-Q4")
    found = only(run(PACK, 2022), "branch-work-report-quarterly", "B1")
    assert [(f.period, f.severity) for f in found] == [("2022-Q2", "violation")]
    assert found[0].due == "2022-07-30"
    found = only(run(PACK, 2022, "2022-07-20"), "branch-work-report-quarterly", "B1")
    assert [(f.period, f.severity) for f in found] == [("2022-Q2", "warning")]


Q_QUOTE = "各级党委(党组)和区直机关工委要建立“季度督查、半年讲评、全年考核”制度"


def test_work_committee_one_inspection_round_each_quarter():
    """季度督查: at least one inspection round a quarter (by sampling), not every department."""
    wc = org("W1", "work_committee")
    d1, _ = dept("D1", "OC1", parent=wc)
    dept("D2", "OC2", parent=wc)
    for q_end in ("2022-03-31", "2022-06-30", "2022-12-31"):  # only D1 sampled
        activity(wc, "inspection", q_end, subject=d1)
    found = only(run(PACK, 2022), "work-committee-quarterly-inspection", "W1")
    assert [(f.period, f.actual, f.severity) for f in found] == [("2022-Q3", 0, "violation")]
    assert found[0].source["quote"] == Q_QUOTE
    activity(wc, "inspection", "2022-07-01")  # Q3's first day
    assert only(run(PACK, 2022), "work-committee-quarterly-inspection") == []


def test_party_group_inspection_each_quarter_by_it_or_its_organ_committee():
    """The 党委(党组) half of 季度督查."""
    pg, oc = dept()
    activity(pg, "inspection", "2022-02-01")
    activity(oc, "inspection", "2022-05-01")  # by its organ committee: counts
    activity(pg, "inspection", "2022-12-31")
    found = only(run(PACK, 2022), "party-group-quarterly-inspection", "D1")
    assert [(f.period, f.severity) for f in found] == [("2022-Q3", "violation")]
    assert found[0].source["quote"] == Q_QUOTE
    activity(oc, "inspection", "2022-09-30")
    assert only(run(PACK, 2022), "party-group-quarterly-inspection") == []


def test_yearly_assessment_of_each_department():
    """全年考核: each department has a party-building assessment for the year."""
    pg, _ = dept()
    assert severities(run(PACK, 2022), "work-committee-yearly-assessment", "D1") == ["violation"]
    assert severities(run(PACK, 2022, "2022-12-01"), "work-committee-yearly-assessment") == [
        "warning"
    ]
    assert severities(run(PACK, 2022, "2022-11-30"), "work-committee-yearly-assessment") == []
    assessment(pg, 2022, "party_building", "fair")
    assert only(run(PACK, 2022), "work-committee-yearly-assessment") == []


def test_committee_hears_organ_party_building_twice_a_year_as_a_reminder():
    wc = org("W1", "work_committee")
    filing(wc, "work_report", "2022-06-30", "2022")
    # Two hearings within the year itself (the rule's window_days: 0): 2022's schedule.
    found = only(run(PACK, 2022), "work-committee-report-to-committee", "W1")
    assert [(f.required, f.actual, f.severity) for f in found] == [(2, 1, "warning")]
    assert "每年至少2次听取机关党建工作情况的汇报" in found[0].source["quote"]
    filing(wc, "work_report", "2022-12-20", "2022")
    assert only(run(PACK, 2022), "work-committee-report-to-committee") == []


def test_secretary_not_excellent_when_branch_not_excellent():
    b1 = org("B1", "branch")
    b2 = org("B2", "branch")
    s1, s2 = person(b1, "S1"), person(b2, "S2")
    position(s1, b1, "secretary", "2020-01-01")
    position(s2, b2, "secretary", "2020-01-01")
    assessment(b1, 2022, "party_building", "good")
    assessment(s1, 2022, "performance", "excellent")
    assessment(b2, 2022, "party_building", "excellent")
    assessment(s2, 2022, "performance", "excellent")
    found = only(run(PACK, 2022), "secretary-grade-cap")
    assert [(f.subject["id"], f.actual, f.severity) for f in found] == [
        ("S1", "excellent", "violation")
    ]
    # the same grades in another year are another year's business
    assert only(run(PACK, 2023), "secretary-grade-cap") == []


def test_secretary_rated_good_is_fine():
    b1 = org("B1", "branch")
    s1 = person(b1, "S1")
    position(s1, b1, "secretary", "2020-01-01")
    assessment(b1, 2022, "party_building", "fair")
    assessment(s1, 2022, "performance", "good")
    assert only(run(PACK, 2022), "secretary-grade-cap") == []


@pytest.mark.parametrize(
    ("rank_2021", "rank_2022", "out_of", "fires"),
    [
        (91, 100, 100, True),
        (90, 100, 100, False),  # 90th of 100 is not in the bottom 10%
        (100, 90, 100, False),
        (95, 91, 100, True),
        (3, 3, 12, False),  # third of twelve is not "bottom"
        (11, 12, 12, True),  # 12 × 0.9 = 10.8: 11th and 12th are
        (10, 12, 12, False),
    ],
)
def test_two_years_in_the_bottom_share(rank_2021, rank_2022, out_of, fires):
    """连续两年排名靠后…严肃问责: bottom 10% (the pack's stated share), and a warning
    asking for a decision (履责不实、落实不力、问题突出 are not in the records)."""
    pg, _ = dept()
    assessment(pg, 2021, "party_building", "fair", rank=rank_2021, out_of=out_of)
    assessment(pg, 2022, "party_building", "fair", rank=rank_2022, out_of=out_of)
    found = only(run(PACK, 2022), "party-group-ranking-accountability", "D1")
    assert [f.severity for f in found] == (["warning"] if fires else [])
    if found:
        assert "决定是否问责" in found[0].message
        assert found[0].source["quote"].startswith("对在机关党建考核中连续两年排名靠后")


def test_overdue_election_blocks_award():
    """凡不按期换届的,不能评先评优: even when the election was held late in the year."""
    br = org("B1", "branch")
    term(br, "2019-06-30", 3)  # due 2022-06-30
    assessment(br, 2022, "party_building", "excellent")
    found = only(run(PACK, 2022), "overdue-election-no-award", "B1")
    assert [(f.actual, f.severity) for f in found] == [("excellent", "violation")]
    assert found[0].source["quote"] == "明确基层党组织凡不按期换届的,不能评先评优"
    term(br, "2022-07-15", 3)  # elected, but late: still barred that year
    found = only(run(PACK, 2022), "overdue-election-no-award", "B1")
    assert [f.severity for f in found] == ["violation"]
    assert "2022-07-15" in found[0].message
    # and not the next year, when it was never overdue
    assessment(br, 2023, "party_building", "excellent")
    assert only(run(PACK, 2023), "overdue-election-no-award") == []


@pytest.mark.parametrize(("elected", "fires"), [("2022-06-30", False), ("2022-07-01", True)])
def test_election_on_the_due_day_is_on_time(elected, fires):
    br = org("B1", "branch")
    term(br, "2019-06-30", 3)  # due 2022-06-30
    term(br, elected, 3)
    assessment(br, 2022, "party_building", "excellent")
    assert bool(only(run(PACK, 2022), "overdue-election-no-award")) is fires


def test_overdue_from_last_year_until_january_bars_this_year():
    br = org("B1", "branch")
    term(br, "2018-10-01", 3)  # due 2021-10-01
    term(br, "2022-01-10", 3)  # overdue through 2022-01-09
    assessment(br, 2022, "party_building", "excellent")
    assert bool(only(run(PACK, 2022), "overdue-election-no-award")) is True


def test_overdue_election_without_award_is_not_this_rule():
    br = org("B1", "branch")
    term(br, "2019-06-30", 3)
    assessment(br, 2022, "party_building", "good")
    assert only(run(PACK, 2022), "overdue-election-no-award") == []
    # the overdue election itself is the national term rule
    assert severities(run(PACK, 2022), "term-election", "B1") == ["violation"]


def test_term_due_next_year_does_not_block_award():
    br = org("B1", "branch")
    term(br, "2020-01-01", 3)  # due 2023-01-01, the day after the year's end
    assessment(br, 2022, "party_building", "excellent")
    assert only(run(PACK, 2022), "overdue-election-no-award") == []


def test_queries_do_not_grow_with_data():
    from policy.test_query_count import build, count_queries

    build(1, 3)
    small = count_queries(PACK)
    build(5, 10)
    large = count_queries(PACK)
    assert small == large
    assert large <= 4 * len(load_pack(PACK).rules)
