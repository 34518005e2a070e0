"""danyang-2020/rectification-loop (七): each step of the loop on time, at its boundaries."""

from datetime import date, timedelta

import pytest

from dangjian.oversight.models import Rectification
from dangjian.policy.packs import load_pack
from policy.builders import only, org, run, severities

pytestmark = pytest.mark.django_db

PACK = "danyang-2020"
RULE = "rectification-loop"
FOUND = date(2022, 3, 1)
ASSIGN_BY = FOUND + timedelta(days=15)  # 2022-03-16


def rect(o, **dates):
    return Rectification.objects.create(
        org=o,
        title=dates.pop("title", "三会一课记录不全"),
        found_on=dates.pop("found_on", FOUND),
        **dates,
    )


def test_rule_cites_section_seven_and_covers_it():
    pack = load_pack(PACK)
    rule = next(r for r in pack.rules if r.qualified_id == f"{PACK}/{RULE}")
    assert rule.kind == "rectification_loop"
    assert rule.citation["clause"] == "七"
    assert "完整闭环" in rule.citation["quote"]
    assert "默认值" in rule.note  # the day counts are the pack's choice, not the document's
    entry = next(c for c in pack.coverage if c["clause"] == "七")
    assert entry["rules"] == [RULE] and "not_encoded" not in entry


def test_assigned_on_the_deadline_is_on_time_a_day_late_is_a_reminder():
    b1, b2 = org("B1", "branch"), org("B2", "branch")
    rect(b1, assigned_on=ASSIGN_BY)
    late = rect(b2, assigned_on=ASSIGN_BY + timedelta(days=1))
    report = run(PACK, 2022, "2022-03-20")
    assert only(report, RULE, "B1") == []
    [f] = only(report, RULE, "B2")
    # 七 gives no day limits: a step late against the pack's 15 days is a reminder
    assert (f.severity, f.required, f.actual) == ("warning", 15, 16)
    late.refresh_from_db()
    assert f.evidence == [f"rectification:{late.ext_id}"]
    assert f.period == "2022-03-01/2022-03-16"
    assert f.due == "2022-03-16"
    assert f.source["clause"] == "七"


def test_unassigned_warning_inside_reminder_window_and_after():
    b1 = org("B1", "branch")
    rect(b1)
    # reminder_days 7: nothing 8 days before the deadline, a warning 7 days before and on it
    assert severities(run(PACK, 2022, ASSIGN_BY - timedelta(days=8)), RULE) == []
    assert severities(run(PACK, 2022, ASSIGN_BY - timedelta(days=7)), RULE) == ["warning"]
    assert severities(run(PACK, 2022, ASSIGN_BY), RULE) == ["warning"]
    assert severities(run(PACK, 2022, ASSIGN_BY + timedelta(days=1)), RULE) == ["warning"]
    # later steps are not judged before the step they count from is recorded
    [f] = only(run(PACK, 2022), RULE)
    assert "交办" in f.message and f.due == ASSIGN_BY.isoformat()


def test_step_recorded_after_as_of_is_not_yet_done():
    b1 = org("B1", "branch")
    rect(b1, assigned_on=date(2022, 3, 10))
    # as_of 2022-03-09: the 交办 recorded on 03-10 does not count yet; due 03-16 -> warning
    assert severities(run(PACK, 2022, "2022-03-09"), RULE) == ["warning"]
    assert severities(run(PACK, 2022, "2022-03-10"), RULE) == []


def test_verification_within_days_of_assignment():
    b1, b2 = org("B1", "branch"), org("B2", "branch")
    assigned = date(2022, 3, 10)
    rect(b1, assigned_on=assigned, verified_on=assigned + timedelta(days=15))
    rect(b2, assigned_on=assigned)
    report = run(PACK, 2022, "2022-03-26")
    assert only(report, RULE, "B1") == []
    [f] = only(report, RULE, "B2")
    assert f.severity == "warning" and "核实" in f.message


def test_rectified_by_due_day_vs_a_day_late():
    b1, b2, b3 = (org(f"B{i}", "branch") for i in (1, 2, 3))
    due = date(2022, 6, 30)
    common = {"assigned_on": date(2022, 3, 10), "verified_on": date(2022, 3, 20), "due_on": due}
    rect(b1, rectified_on=due, revisit_on=date(2022, 7, 10), **common)
    rect(b2, rectified_on=due + timedelta(days=1), revisit_on=date(2022, 7, 10), **common)
    rect(b3, **common)
    report = run(PACK, 2022, "2022-07-15")
    assert only(report, RULE, "B1") == []
    [late] = only(report, RULE, "B2")
    assert late.severity == "violation" and "整改完成" in late.message
    assert late.due == "2022-06-30"
    [open_] = only(report, RULE, "B3")
    assert open_.severity == "violation" and "尚未登记" in open_.message
    # inside the window before the due day: a warning
    assert severities(run(PACK, 2022, "2022-06-25"), RULE, "B3") == ["warning"]


def test_revisit_within_days_of_rectification():
    b1, b2 = org("B1", "branch"), org("B2", "branch")
    done = date(2022, 6, 1)
    common = {
        "assigned_on": date(2022, 3, 10),
        "verified_on": date(2022, 3, 20),
        "due_on": date(2022, 6, 30),
        "rectified_on": done,
    }
    rect(b1, revisit_on=done + timedelta(days=30), **common)
    rect(b2, revisit_on=done + timedelta(days=31), **common)
    report = run(PACK, 2022)
    assert only(report, RULE, "B1") == []
    [f] = only(report, RULE, "B2")
    assert (f.severity, f.required, f.actual) == ("warning", 30, 31)


def test_closed_before_the_year_is_not_reported_and_subtree_is_honoured():
    pg = org("PG", "party_group")
    b1 = org("B1", "branch", parent=pg)
    b2 = org("B2", "branch")
    rect(
        b1,
        found_on=date(2021, 1, 4),
        assigned_on=date(2021, 2, 1),  # late in 2021: not a 2022 finding
        verified_on=date(2021, 2, 2),
        rectified_on=date(2021, 3, 1),
        revisit_on=date(2021, 3, 2),
        closed_on=date(2021, 3, 3),
    )
    rect(b2)
    assert only(run(PACK, 2022), RULE, "B1") == []
    assert [f.subject["id"] for f in only(run(PACK, 2022), RULE)] == ["B2"]
    assert only(run(PACK, 2022, org_ext_id="PG"), RULE) == []


def test_open_from_an_earlier_year_still_reported():
    b1 = org("B1", "branch")
    rect(b1, found_on=date(2021, 12, 1))
    [f] = only(run(PACK, 2022), RULE)
    assert f.severity == "warning" and f.due == "2021-12-16"


@pytest.mark.parametrize(
    ("rectified", "expected"),
    [
        (date(2022, 6, 30), []),  # by the recorded 整改期限: the slow 核实 is moot
        (date(2022, 7, 1), ["violation", "warning"]),  # a day after it: late, and 核实 late
    ],
)
def test_judged_against_the_deadline_recorded_at_assignment(rectified, expected):
    """七 "形成“发现问题、交办核实、问责整改、回访反馈”的“完整闭环”" sets no day limits:
    an item rectified by the deadline recorded when it was assigned is not a violation."""
    b1 = org("B1", "branch")
    rect(
        b1,
        assigned_on=date(2022, 3, 10),
        verified_on=date(2022, 4, 30),  # 51 days after 交办, past the pack's 15
        due_on=date(2022, 6, 30),
        rectified_on=rectified,
        revisit_on=rectified + timedelta(days=5),
    )
    found = only(run(PACK, 2022), RULE, "B1")
    assert sorted(f.severity for f in found) == expected
    violations = [f for f in found if f.severity == "violation"]
    assert all("整改完成" in f.message and f.due == "2022-06-30" for f in violations)
