"""danyang-2020 (丹发〔2020〕38号): every rule firing and not firing at its boundaries."""

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
    training,
)

pytestmark = pytest.mark.django_db

PACK = "danyang-2020"


def dept(pg_id="D1", oc_id="OC1", oc_type="organ_committee"):
    pg = org(pg_id, "party_group")
    oc = org(oc_id, oc_type, parent=pg)
    return pg, oc


def test_pack_replaces_national_figures():
    rules = {r.qualified_id: r for r in load_pack(PACK).rules}
    # 24 hours lowers the national 32: the national minimum stays in force beside it
    assert rules["national/training-hours-member"].params["min"] == 32
    assert rules["danyang-2020/training-hours-member"].params["min"] == 24
    assert rules["danyang-2020/training-hours-member"].adds_to == ["national/training-hours-member"]
    assert rules["danyang-2020/training-hours-committee"].params["min"] == 40
    for gone in ("org-type-by-size", "term-election", "discipline-committee", "discipline-member"):
        assert f"national/{gone}" not in rules
        assert f"danyang-2020/{gone}" in rules
    # national rules without a local counterpart still apply
    assert "national/branch-assembly-quarterly" in rules


def test_member_training_national_32_hours_stays_beside_local_24():
    """一 "机关党员每年参加集中教育培训的时间一般不少于24学时" does not lower
    教育管理条例 第二十条 "党员每年集中学习培训时间一般不少于32学时"."""
    br = org("B1", "branch")
    a, b, c, d = person(br, "M1"), person(br, "M2"), person(br, "M3"), person(br, "M4")
    training(a, "2022-03-01", 23.5, ext_id="TR1")
    training(b, "2022-03-01", 26)
    training(c, "2022-03-01", 31.5)
    training(d, "2022-03-01", 32)
    report = run(PACK, 2022)
    found = only(report, "training-hours-member")
    # one finding per person, under the strictest requirement short of
    assert [(f.subject["id"], f.rule, f.required, f.actual, f.severity) for f in found] == [
        ("M1", "national/training-hours-member", 32, 23.5, "violation"),
        ("M2", "national/training-hours-member", 32, 26, "violation"),
        ("M3", "national/training-hours-member", 32, 31.5, "violation"),
    ]
    assert found[0].evidence == ["TR1"]
    assert found[0].source["clause"] == "第二十条"
    # M1 is short of both: the one finding names the local 24 hours (一) as well
    assert "24" in found[0].message and "一" in found[0].message
    assert "同时未达到" not in found[1].message


def test_member_training_local_24_hours_alone_when_national_met(tmp_path):
    """A local figure above the national one still fires on its own (a pack adding to 32)."""
    from dangjian.policy.engine import evaluate
    from dangjian.policy.packs import load_pack_file

    src = load_pack(PACK).path.read_text(encoding="utf-8").replace("min: 24}", "min: 40}")
    path = tmp_path / f"{PACK}.yaml"
    path.write_text(src, encoding="utf-8")
    (tmp_path / "national.yaml").write_text(
        load_pack("national").path.read_text(encoding="utf-8"), encoding="utf-8"
    )
    br = org("B1", "branch")
    training(person(br, "M1"), "2022-03-01", 36)
    report = evaluate(pack=load_pack_file(path), year=2022)
    found = only(report, "training-hours-member")
    assert [(f.rule, f.required, f.actual) for f in found] == [
        ("danyang-2020/training-hours-member", 40, 36)
    ]


def test_member_training_warning_within_reminder_window():
    br = org("B1", "branch")
    a = person(br, "M1")
    training(a, "2022-03-01", 23.5)
    # 2022-12-15: the year ends within 30 days -> warning, not violation
    assert severities(run(PACK, 2022, "2022-12-15"), "training-hours-member", "M1") == ["warning"]
    assert severities(run(PACK, 2022), "training-hours-member", "M1") == ["violation"]


def test_committee_members_40_hours_boundaries():
    br = org("B1", "branch")
    sec, dep, com, plain = (person(br, f"M{i}") for i in range(1, 5))
    position(sec, br, "secretary", "2020-01-01")
    position(dep, br, "deputy_secretary", "2020-01-01")
    position(com, br, "committee_member", "2022-06-01")  # took office mid-year: still 40
    training(sec, "2022-03-01", 39.5)
    training(dep, "2022-03-01", 40)
    training(com, "2022-03-01", 30)
    training(plain, "2022-03-01", 32)  # not in the leadership team: 32 (national) is enough
    found = only(run(PACK, 2022), "training-hours-committee")
    assert sorted((f.subject["id"], f.required, f.actual) for f in found) == [
        ("M1", 40, 39.5),
        ("M3", 40, 30),
    ]
    assert [f.subject["id"] for f in only(run(PACK, 2022), "training-hours-member")] == ["M3"]


def test_committee_hours_only_for_posts_in_organ_committee_general_branch_branch():
    pg = org("D1", "party_group")
    cell = org("C1", "party_cell", parent=org("B1", "branch", parent=pg))
    leader = person(cell, "M1")
    position(leader, cell, "cell_leader", "2020-01-01")
    training(leader, "2022-03-01", 30)
    assert only(run(PACK, 2022), "training-hours-committee") == []


def test_study_session_monthly_branch_or_its_cells():
    br = org("B1", "branch")
    cell = org("C1", "party_cell", parent=br)
    members(br, 3)
    for m in range(1, 13):
        if m == 5:
            activity(cell, "study_session", "2022-05-31")  # a cell's session counts for the branch
        elif m != 9:
            activity(br, "study_session", f"2022-{m:02d}-28")
    found = only(run(PACK, 2022), "study-session-monthly", "B1")
    assert [(f.period, f.actual, f.severity) for f in found] == [("2022-09", 0, "violation")]
    activity(br, "study_session", "2022-09-30")  # the month's last day
    assert only(run(PACK, 2022), "study-session-monthly", "B1") == []


def test_report_hearing_every_half_year_about_organ_and_discipline_committees():
    """二 "每半年至少听取1次机关党委、机关纪委工作情况汇报": a hearing about a branch
    does not count; each half year one about each of the two committees."""
    pg, oc = dept()
    dc = org("DC1", "discipline_committee", parent=pg)
    br = org("B1", "branch", parent=oc)
    activity(pg, "report_hearing", "2022-06-30", subject=oc)  # last day of H1
    activity(pg, "report_hearing", "2022-06-30", subject=dc)
    activity(pg, "report_hearing", "2022-07-10", subject=br)  # about a branch: not counted
    found = only(run(PACK, 2022), "report-hearing-half", "D1")
    assert sorted((f.period, f.evidence[0], f.severity) for f in found) == [
        ("2022-H2", "DC1", "violation"),
        ("2022-H2", "OC1", "violation"),
    ]
    assert found[0].source["quote"] == "每半年至少听取1次机关党委、机关纪委工作情况汇报"
    assert sorted(
        f.severity for f in only(run(PACK, 2022, "2022-12-15"), "report-hearing-half", "D1")
    ) == ["warning", "warning"]
    activity(pg, "report_hearing", "2022-07-01", subject=oc)
    found = only(run(PACK, 2022), "report-hearing-half", "D1")
    assert [(f.period, f.evidence[0]) for f in found] == [("2022-H2", "DC1")]
    activity(pg, "report_hearing", "2022-12-31", subject=dc)
    assert only(run(PACK, 2022), "report-hearing-half", "D1") == []


def test_responsibility_list_by_end_of_first_quarter():
    pg, oc = dept()
    br = org("B1", "branch", parent=oc)
    filing(pg, "responsibility_list", "2022-03-31", "2022")  # on the due day: in time
    filing(oc, "responsibility_list", "2022-04-01", "2022")  # a day late
    found = only(run(PACK, 2022), "responsibility-list")
    assert sorted((f.subject["id"], f.severity, f.due) for f in found) == [
        ("B1", "violation", "2022-03-31"),
        ("OC1", "violation", "2022-03-31"),
    ]
    # mid-March, with nothing filed yet: a warning (due within 30 days)
    assert severities(run(PACK, 2022, "2022-03-15"), "responsibility-list", "B1") == ["warning"]
    filing(br, "responsibility_list", "2022-01-10", "2022")
    assert only(run(PACK, 2022), "responsibility-list", "B1") == []


def test_party_work_meeting_each_quarter_last_day_counts():
    _, oc = dept()
    activity(oc, "party_work_meeting", "2022-03-31")  # Q1's only meeting, on its last day
    activity(oc, "party_work_meeting", "2022-04-01")
    activity(oc, "party_work_meeting", "2022-12-31")
    found = only(run(PACK, 2022), "party-work-meeting-quarterly", "OC1")
    assert [(f.period, f.actual, f.evidence) for f in found] == [("2022-Q3", 0, ["OC1"])]
    assert severities(run(PACK, 2022, "2022-09-15"), "party-work-meeting-quarterly", "OC1") == [
        "warning"
    ]
    assert severities(run(PACK, 2022, "2022-09-14"), "party-work-meeting-quarterly", "OC1") == []


def test_party_work_meeting_only_for_the_organ_level_organisation():
    _, oc = dept()
    org("B1", "branch", parent=oc)  # led by the organ committee: not the organ party organisation
    small = org("D2", "party_group")
    org("B2", "branch", parent=small)  # a small department's organ-level branch: checked
    for q in ("03", "06", "09", "12"):
        activity(oc, "party_work_meeting", f"2022-{q}-15")
    found = only(run(PACK, 2022), "party-work-meeting-quarterly")
    assert sorted({f.subject["id"] for f in found}) == ["B2"]
    assert len(found) == 4
    # checking B2's subtree alone: its party group lies outside it, B2 is still checked
    assert len(only(run(PACK, 2022, org_ext_id="B2"), "party-work-meeting-quarterly")) == 4


def test_leading_cadre_lesson_in_own_branch():
    br = org("B1", "branch")
    other = org("B2", "branch")
    cadre = person(br, "M1", leading_cadre=True)
    person(br, "M2")  # not a leading cadre: not checked
    activity(other, "party_lesson", "2022-05-10", speaker=cadre)  # not in own branch
    found = only(run(PACK, 2022), "leading-cadre-lesson")
    assert [(f.subject["id"], f.actual) for f in found] == [("M1", 0)]
    activity(br, "party_lesson", "2022-12-31", speaker=cadre)
    assert only(run(PACK, 2022), "leading-cadre-lesson") == []


def test_org_type_by_size_100_and_99():
    _, oc = dept(oc_type="general_branch")
    br = org("B1", "branch", parent=oc)
    members(br, 99)
    assert only(run(PACK, 2022), "org-type-by-size") == []
    person(br, "M100")
    found = only(run(PACK, 2022), "org-type-by-size")
    assert [(f.subject["id"], f.required, f.actual) for f in found] == [
        ("D1", "organ_committee", "general_branch")
    ]
    assert found[0].rule == "danyang-2020/org-type-by-size"
    assert found[0].source["clause"] == "五"


def test_term_election_warning_then_violation():
    _, oc = dept()
    term(oc, "2017-12-31", 5)  # due 2022-12-31
    assert severities(run(PACK, 2022, "2022-12-30"), "term-election", "OC1") == ["warning"]
    assert severities(run(PACK, 2022, "2022-12-31"), "term-election", "OC1") == ["violation"]
    assert severities(run(PACK, 2022, "2022-06-30"), "term-election", "OC1") == []  # 184 days ahead
    term(oc, "2022-12-20", 5)
    assert severities(run(PACK, 2022), "term-election", "OC1") == []


def test_party_group_secretary_is_organ_secretary():
    pg, oc = dept()
    boss = person(oc, "M1")
    other = person(oc, "M2")
    position(boss, pg, "secretary", "2020-01-01")
    position(other, oc, "secretary", "2020-01-01")
    found = only(run(PACK, 2022), "secretary-concurrent")
    assert [(f.subject["id"], f.severity) for f in found] == [("OC1", "violation")]
    assert found[0].evidence == ["M2"]
    position(boss, oc, "secretary", "2020-01-01")
    from dangjian.orgs.models import Position

    Position.objects.filter(person=other, org=oc).update(end="2021-12-31")
    assert only(run(PACK, 2022), "secretary-concurrent") == []


def test_secretary_concurrent_only_under_a_party_group():
    _, oc = dept()
    br = org("B1", "branch", parent=oc)  # led by the organ committee, not the party group
    position(person(br, "M1"), br, "secretary", "2020-01-01")
    assert only(run(PACK, 2022), "secretary-concurrent") == []


def test_discipline_committee_beside_organ_committee():
    pg, _ = dept()
    assert severities(run(PACK, 2022), "discipline-committee", "OC1") == ["violation"]
    org("DC1", "discipline_committee", parent=pg)
    assert only(run(PACK, 2022), "discipline-committee") == []


def test_discipline_member_in_branches_with_a_committee():
    br = org("B1", "branch")
    ppl = members(br, 7)
    small = org("B2", "branch")
    members(small, 6)
    found = only(run(PACK, 2022), "discipline-member")
    assert [f.subject["id"] for f in found] == ["B1"]
    position(ppl[0], br, "discipline_member", "2021-01-01")
    assert only(run(PACK, 2022), "discipline-member") == []


@pytest.mark.parametrize(
    ("next_start", "expected"),
    [("2022-05-01", []), ("2022-05-02", ["violation"])],
)
def test_vacancy_filled_within_3_months(next_start, expected):
    _, oc = dept()
    a, b = person(oc, "M1"), person(oc, "M2")
    position(a, oc, "secretary", "2019-01-01", "2022-01-31")  # vacant from 2022-02-01
    position(b, oc, "secretary", next_start)
    found = only(run(PACK, 2022), "vacancy-filled", "OC1")
    assert [f.severity for f in found] == expected
    if found:
        assert (
            found[0].required == 3 and found[0].actual >= 3
        )  # 3 months and a day: 3.0 to one decimal
        assert found[0].due == "2022-05-01"


def test_vacancy_still_open_warning_then_violation():
    _, oc = dept()
    position(person(oc, "M1"), oc, "deputy_secretary", "2019-01-01", "2022-08-31")  # due 2022-12-01
    assert severities(run(PACK, 2022, "2022-11-05"), "vacancy-filled", "OC1") == ["warning"]
    assert severities(run(PACK, 2022, "2022-10-01"), "vacancy-filled", "OC1") == []
    assert severities(run(PACK, 2022, "2022-12-02"), "vacancy-filled", "OC1") == ["violation"]


def test_vacancy_of_a_committee_seat_counts_while_others_remain():
    # 领导班子成员 include the committee seats: one member leaving empties a seat even
    # though another committee member stays in post.
    _, oc = dept()
    position(person(oc, "M1"), oc, "committee_member", "2019-01-01", "2022-01-31")
    position(person(oc, "M2"), oc, "committee_member", "2019-01-01")
    found = only(run(PACK, 2022), "vacancy-filled", "OC1")
    assert [(f.severity, f.due) for f in found] == [("violation", "2022-05-01")]
    assert "委员" in found[0].message


@pytest.mark.parametrize(
    ("how", "expected"),
    [("new member", []), ("election", []), ("late member", ["violation"])],
)
def test_committee_seat_filled_by_a_new_member_or_an_election(how, expected):
    _, oc = dept()
    position(person(oc, "M1"), oc, "discipline_member", "2019-01-01", "2022-01-31")
    if how == "new member":
        position(person(oc, "M2"), oc, "discipline_member", "2022-04-15")
    elif how == "election":
        term(oc, "2022-03-20", 5)
    else:
        position(person(oc, "M2"), oc, "discipline_member", "2022-05-02")
    assert severities(run(PACK, 2022), "vacancy-filled", "OC1") == expected


def test_ideology_meeting_twice_a_year():
    pg, _ = dept()
    activity(pg, "ideology_meeting", "2022-03-01")
    found = only(run(PACK, 2022), "ideology-meeting", "D1")
    assert [(f.required, f.actual, f.severity) for f in found] == [(2, 1, "violation")]
    activity(pg, "ideology_meeting", "2022-12-31")
    assert only(run(PACK, 2022), "ideology-meeting", "D1") == []


def test_duty_reports_of_organ_committee_and_branch_secretaries():
    # A year's duty report is due within the pack's 30-day window after the year: on the
    # next year's schedule (period "2022", due 2023-01-30).
    _, oc = dept()
    br = org("B1", "branch", parent=oc)
    gb = org("G1", "general_branch", parent=oc)
    filing(br, "duty_report", "2022-12-20", "2022")
    report = run(PACK, 2023)
    assert [f.subject["id"] for f in only(report, "organ-committee-duty-report")] == ["OC1"]
    assert [f.subject["id"] for f in only(report, "branch-duty-report")] == ["G1"]
    filing(oc, "duty_report", "2023-01-30", "2022")  # the window's last day: on time
    filing(gb, "duty_report", "2022-12-31", "2022")
    report = run(PACK, 2023)
    assert only(report, "organ-committee-duty-report") == []
    assert only(report, "branch-duty-report") == []
    assert "2022" not in {f.period for f in only(run(PACK, 2022), "branch-duty-report")}


def test_queries_do_not_grow_with_data():
    from policy.test_query_count import build, count_queries

    build(1, 3)
    small = count_queries(PACK)
    build(5, 10)
    large = count_queries(PACK)
    assert small == large
    assert large <= 4 * len(load_pack(PACK).rules)


def test_dual_org_life_of_leading_cadres():
    """三 "党员领导干部带头落实双重组织生活制度，积极参加所在党支部、党小组的组织生活"."""
    br = org("B1", "branch")
    other = org("B2", "branch")
    cadre = person(br, "M1", leading_cadre=True)
    activity(other, "org_life_meeting", "2022-11-01", attendees=[cadre])  # not own branch
    found = only(run(PACK, 2022), "dual-org-life")
    assert [(f.subject["id"], f.severity) for f in found] == [("M1", "violation")]
    assert found[0].source["clause"] == "三"
    activity(br, "org_life_meeting", "2022-12-31", attendees=[cadre])
    assert only(run(PACK, 2022), "dual-org-life") == []


def test_party_group_deputy_is_organ_deputy():
    """五 "党组（党委）副书记任机关党组织副书记"."""
    pg, oc = dept()
    d = person(oc, "M1")
    position(d, pg, "deputy_secretary", "2020-01-01")
    found = only(run(PACK, 2022), "deputy-concurrent")
    assert [(f.subject["id"], f.evidence) for f in found] == [("D1", ["M1"])]
    assert found[0].source["quote"] == "党组（党委）副书记任机关党组织副书记"
    position(d, oc, "deputy_secretary", "2020-01-01")
    assert only(run(PACK, 2022), "deputy-concurrent") == []


def test_every_obligation_of_section_five_is_listed():
    pack = load_pack(PACK)
    five = [c["obligation"] for c in pack.coverage if c["clause"] == "五"]
    assert any("机关纪委书记由机关党委副书记担任" in o for o in five)
    assert any("副书记任机关党组织副书记" in o for o in five)


def test_yearly_assessment_of_each_department():
    """八 "每年在市委组织部的统筹下，市委市级机关工委开展对部门党组（党委）的机关党建工作考核"."""
    from policy.builders import assessment

    pg, _ = dept()
    found = only(run(PACK, 2022), "yearly-assessment", "D1")
    assert [(f.severity, f.source["clause"]) for f in found] == [("violation", "八")]
    assessment(pg, 2022, "party_building", "good")
    assert only(run(PACK, 2022), "yearly-assessment") == []
