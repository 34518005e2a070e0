"""hubei-2022 (2022年省直机关党建工作要点, in force for 2022 only): every rule at its boundaries."""

import pytest

from dangjian.policy.packs import load_pack
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
)

pytestmark = pytest.mark.django_db

PACK = "hubei-2022"


def test_pack_shape():
    pack = load_pack(PACK)
    assert pack.document["effective"] == "2022-01-01"
    assert pack.document["expires"] == "2022-12-31"
    rules = {r.qualified_id for r in pack.rules}
    for rid in ("theme-day-monthly", "term-election", "member-congress-yearly"):
        assert f"national/{rid}" not in rules
        assert f"hubei-2022/{rid}" in rules
    entry = next(c for c in pack.coverage if c["clause"] == "5")
    assert "not_encoded" in entry


def test_political_ecology_report_yearly():
    # The report on a year is due within 30 days after it: the 2021 report on 2022's
    # schedule (the pack expires at the end of 2022, so its 2022 report, due in 2023, is
    # not checked: see docs/policy-packs.md).
    pg = org("D1", "party_group")
    found = only(run(PACK, 2022), "political-ecology-report", "D1")
    assert [(f.severity, f.source["clause"], f.period) for f in found] == [
        ("violation", "2", "2021")
    ]
    assert "未报送" in found[0].message
    assert severities(run(PACK, 2022, "2022-01-20"), "political-ecology-report", "D1") == [
        "warning"
    ]
    filing(pg, "political_ecology_report", "2022-01-10", "2021")
    assert only(run(PACK, 2022), "political-ecology-report") == []


def test_theme_day_monthly_only_on_last_day():
    br = org("B1", "branch")
    members(br, 3)
    for m in range(1, 13):
        if m != 2:
            activity(br, "theme_day", f"2022-{m:02d}-10")
    activity(br, "theme_day", "2022-02-28")  # February's only theme day, on its last day
    assert only(run(PACK, 2022), "theme-day-monthly") == []
    from dangjian.records.models import Activity

    Activity.objects.filter(org=br, date="2022-02-28").update(date="2022-03-01")
    found = only(run(PACK, 2022), "theme-day-monthly", "B1")
    assert [(f.rule, f.period) for f in found] == [("hubei-2022/theme-day-monthly", "2022-02")]


def test_leading_cadres_and_secretaries_give_a_lesson():
    pg = org("D1", "party_group")
    br = org("B1", "branch", parent=pg)
    cadre = person(br, "L1", leading_cadre=True)
    sec = person(br, "S1")
    position(sec, br, "secretary", "2020-01-01")
    pg_sec = person(br, "S2", leading_cadre=True)
    position(pg_sec, pg, "secretary", "2020-01-01")
    person(br, "M1")  # neither: not checked
    activity(pg, "party_lesson", "2022-06-01", speaker=pg_sec)  # counts for both rules
    report = run(PACK, 2022)
    assert [f.subject["id"] for f in only(report, "leading-cadre-lesson")] == ["L1"]
    assert [f.subject["id"] for f in only(report, "secretary-lesson")] == ["S1"]
    # anywhere counts (not only in the own branch)
    activity(org("B9", "branch"), "party_lesson", "2022-12-31", speaker=cadre)
    activity(br, "party_lesson", "2022-12-31", speaker=sec)
    report = run(PACK, 2022)
    assert only(report, "leading-cadre-lesson") == []
    assert only(report, "secretary-lesson") == []


def test_secretary_who_left_office_before_the_year_is_not_checked():
    br = org("B1", "branch")
    old = person(br, "S1")
    position(old, br, "secretary", "2018-01-01", "2021-12-31")
    assert only(run(PACK, 2022), "secretary-lesson") == []


def test_thought_report_every_half_year():
    pg = org("D1", "party_group")
    filing(pg, "thought_report", "2022-01-20", "2021-H2")
    found = only(run(PACK, 2022, "2022-08-01"), "thought-report-half", "D1")
    assert [(f.period, f.severity, f.due) for f in found] == [
        ("2022-H1", "violation", "2022-07-30")
    ]
    assert only(run(PACK, 2022, "2022-07-29"), "thought-report-half", "D1")[0].severity == (
        "warning"
    )
    filing(pg, "thought_report", "2022-07-20", "2022-H1")  # in the month after: on time
    assert only(run(PACK, 2022, "2022-08-01"), "thought-report-half") == []


def test_term_election_reminder_and_overdue():
    br = org("B1", "branch")
    term(br, "2019-09-01", 3)  # due 2022-09-01
    assert severities(run(PACK, 2022, "2022-08-31"), "term-election", "B1") == ["warning"]
    assert severities(run(PACK, 2022, "2022-09-01"), "term-election", "B1") == ["violation"]
    assert severities(run(PACK, 2022, "2022-02-28"), "term-election", "B1") == []  # 185 days ahead
    found = only(run(PACK, 2022, "2022-09-01"), "term-election", "B1")
    assert found[0].rule == "hubei-2022/term-election"


def test_member_congress_by_unit_or_its_organ_committee():
    d1 = org("D1", "party_group")
    oc = org("OC1", "organ_committee", parent=d1)
    d2 = org("D2", "party_group")
    d3 = org("D3", "party_group")
    activity(oc, "member_congress", "2022-12-31")  # held by the organ committee: counts for D1
    activity(d2, "member_congress", "2022-03-01")  # held by the department itself
    found = only(run(PACK, 2022), "member-congress-yearly")
    assert [(f.subject["id"], f.severity) for f in found] == [("D3", "violation")]
    assert d3  # the national per-organ-committee rule is replaced: OC1 is not a subject


@pytest.mark.parametrize(
    ("next_start", "expected"),
    [("2022-09-01", []), ("2022-09-02", ["violation"])],
)
def test_head_vacancy_filled_within_6_months(next_start, expected):
    pg = org("D1", "party_group")
    dc = org("DC1", "discipline_committee", parent=pg)
    position(person(dc, "S1"), dc, "secretary", "2018-01-01", "2022-02-28")  # vacant from 03-01
    position(person(dc, "S2"), dc, "secretary", next_start)
    found = only(run(PACK, 2022), "vacancy-filled", "DC1")
    assert [f.severity for f in found] == expected
    if found:
        assert found[0].required == 6 and found[0].due == "2022-09-01"


def test_vacancy_open_at_as_of():
    oc = org("OC1", "organ_committee")
    position(person(oc, "S1"), oc, "secretary", "2018-01-01", "2022-05-31")  # due 2022-12-01
    assert severities(run(PACK, 2022, "2022-11-15"), "vacancy-filled", "OC1") == ["warning"]
    assert severities(run(PACK, 2022, "2022-12-02"), "vacancy-filled", "OC1") == ["violation"]


@pytest.mark.parametrize(("months_open", "expected"), [(6, []), (11, ["violation"])])
def test_deputy_secretary_is_a_head(months_open, expected):
    """19 "机关党委、机关纪委负责人出缺,应在6个月内补齐": 负责人 are the secretary and the
    deputy secretaries (as yunnan-2019 §17 reads the same words)."""
    oc = org("OC1", "organ_committee")
    position(person(oc, "S1"), oc, "deputy_secretary", "2018-01-01", "2022-01-31")
    if months_open == 6:
        position(person(oc, "S2"), oc, "deputy_secretary", "2022-08-01")  # exactly 6 months
    found = only(run(PACK, 2022), "vacancy-filled", "OC1")
    assert [f.severity for f in found] == expected
    if found:
        assert found[0].source["quote"] == "机关党委、机关纪委负责人出缺,应在6个月内补齐"


def test_in_force_for_2022_only():
    pg = org("D1", "party_group")
    br = org("B1", "branch", parent=pg)
    members(br, 3)
    # nothing filed or held in any year: 2022 gets hubei's findings; 2021 and 2023 fall
    # back to the national base, including the national rules hubei replaces in 2022
    report = run(PACK, 2022)
    assert only(report, "political-ecology-report", "D1")
    assert {f.rule for f in only(report, "theme-day-monthly")} == {"hubei-2022/theme-day-monthly"}
    for year in (2021, 2023):
        report = run(PACK, year)
        assert [f for f in report.findings if f.rule.startswith("hubei-2022/")] == []
        assert {f.rule for f in only(report, "theme-day-monthly")} == {"national/theme-day-monthly"}
        assert report.rules == len(load_pack("national").rules)


def test_queries_do_not_grow_with_data():
    from policy.test_query_count import build, count_queries

    build(1, 3)
    small = count_queries(PACK)
    build(5, 10)
    large = count_queries(PACK)
    assert small == large
    assert large <= 4 * len(load_pack(PACK).rules)


def test_dual_org_life_of_leading_cadres():
    """3 "党员领导干部带头过好双重组织生活"."""
    br = org("B1", "branch")
    cadre = person(br, "M1", leading_cadre=True)
    found = only(run(PACK, 2022), "dual-org-life")
    assert [(f.subject["id"], f.severity) for f in found] == [("M1", "violation")]
    assert found[0].source["quote"] == "党员领导干部带头过好双重组织生活"
    activity(br, "org_life_meeting", "2022-12-31", attendees=[cadre])
    assert only(run(PACK, 2022), "dual-org-life") == []


def test_organ_committee_member_attends_branch_org_life_meeting():
    """3 "机关党委委员列席指导支部组织生活会"."""
    pg = org("D1", "party_group")
    oc = org("OC1", "organ_committee", parent=pg)
    br = org("B1", "branch", parent=oc)
    lone = org("B2", "branch", parent=pg)  # not under an organ committee: not checked
    plain = person(br, "M1")
    committee = person(oc, "M2")
    position(committee, oc, "committee_member", "2020-01-01")
    activity(br, "org_life_meeting", "2022-11-01", attendees=[plain], ext_id="OL1")
    activity(lone, "org_life_meeting", "2022-11-01", attendees=[])
    found = only(run(PACK, 2022), "organ-committee-attends-org-life")
    assert [(f.subject["id"], f.actual, f.evidence) for f in found] == [("B1", 0, ["OL1"])]
    assert found[0].source["quote"] == "机关党委委员列席指导支部组织生活会"
    activity(br, "org_life_meeting", "2022-12-20", attendees=[plain, committee])
    assert only(run(PACK, 2022), "organ-committee-attends-org-life") == []


def test_no_org_life_meeting_is_the_national_rule_not_this_one():
    pg = org("D1", "party_group")
    oc = org("OC1", "organ_committee", parent=pg)
    org("B1", "branch", parent=oc)
    report = run(PACK, 2022)
    assert only(report, "organ-committee-attends-org-life") == []
    assert [f.subject["id"] for f in only(report, "org-life-meeting-yearly")] == ["B1"]


def test_party_group_secretary_lesson_one_finding_beside_national():
    pg = org("D1", "party_group")
    s = person(pg, "S1")
    position(s, pg, "secretary", "2020-01-01")
    report = run(PACK, 2022)
    found = only(report, "secretary-lesson") + only(report, "party-committee-secretary-lesson")
    assert [f.subject["id"] for f in found] == ["S1"]
    assert "同时未达到" in found[0].message
