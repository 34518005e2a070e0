"""The schedule (policy.schedule), the check day and term end (policy.days), and filings
counted for the period they report on with the pack's reporting window."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.policy.days import BadYear, check_day, parse_year, term_end
from dangjian.policy.packs import load_pack
from dangjian.policy.schedule import build_schedule
from policy.builders import filing, only, org, run, term

pytestmark = pytest.mark.django_db
PACK = "ningxia-2018"  # branch-work-report-quarterly: a work_report each quarter
RULE = "branch-work-report-quarterly"


def line(schedule, rule: str, subject: str, period: str):
    found = [
        i
        for i in schedule.items
        if i.rule.id == rule and i.subject_id == subject and i.period == period
    ]
    assert len(found) == 1, found
    return found[0]


def test_check_day_is_today_this_year_and_the_end_of_a_past_year():
    today = date(2026, 11, 30)
    assert check_day(2026, today) == today
    assert check_day(2025, today) == date(2025, 12, 31)
    assert check_day(2027, today) == today  # not begun: every line is upcoming


@pytest.mark.parametrize("bad", ["0", "-5", "9999", "10000", "abc", ""])
def test_years_outside_the_range_are_refused(bad):
    with pytest.raises(BadYear):
        parse_year(bad)
    assert parse_year(" 2026 ") == 2026


def test_the_pack_states_the_filing_window():
    rule = load_pack(PACK).rule(f"{PACK}/{RULE}")
    assert rule is not None and rule.params["window_days"] == 30
    assert load_pack(PACK).raw["filing_window_days"] == 30


def test_filing_inside_the_window_is_on_time():
    br = org("B1", "branch", established="2022-01-01")
    filing(br, "work_report", "2022-04-30", "2022-Q1")  # 30 days after 31 March: on time
    assert only(run(PACK, 2022, "2022-06-01"), RULE, "B1") == []
    s = build_schedule(pack=PACK, year=2022, as_of=date(2022, 6, 1))
    q1 = line(s, RULE, "B1", "2022-Q1")
    assert (q1.status, q1.due, q1.actual, q1.finding) == ("done", date(2022, 4, 30), 1, None)
    assert q1.evidence  # the filing that satisfies it
    assert line(s, RULE, "B1", "2022-Q2").status == "due"  # open quarter, not filed yet
    assert line(s, RULE, "B1", "2022-Q3").status == "upcoming"


def test_filing_after_the_window_is_a_late_finding_naming_the_day():
    br = org("B1", "branch", established="2022-01-01")
    made = filing(br, "work_report", "2022-05-03", "2022-Q1")
    found = only(run(PACK, 2022, "2022-06-01"), RULE, "B1")
    assert [(f.period, f.severity, f.due) for f in found] == [
        ("2022-Q1", "violation", "2022-04-30")
    ]
    assert "逾期报送" in found[0].message and "2022-05-03" in found[0].message
    assert found[0].evidence == [made.ext_id]
    q1 = line(build_schedule(pack=PACK, year=2022, as_of=date(2022, 6, 1)), RULE, "B1", "2022-Q1")
    assert (q1.status, q1.made_on, q1.status_label) == ("overdue", date(2022, 5, 3), "逾期报送")


def test_no_filing_is_missing():
    org("B1", "branch", established="2022-01-01")
    found = only(run(PACK, 2022, "2022-05-01"), RULE, "B1")
    assert [(f.period, f.severity) for f in found] == [("2022-Q1", "violation")]
    assert "未报送" in found[0].message
    # On the deadline itself it is not yet missing: a reminder.
    assert only(run(PACK, 2022, "2022-04-29"), RULE, "B1")[0].severity == "warning"


def test_filing_counts_for_the_period_it_reports_on_not_when_made():
    br = org("B1", "branch", established="2022-01-01")
    filing(br, "work_report", "2022-07-10", "2022-Q2")  # made in Q3, reports on Q2
    report = run(PACK, 2022, "2022-10-15")
    assert "2022-Q2" not in {f.period for f in only(report, RULE, "B1")}


def test_a_29_february_election_ends_on_28_february_everywhere():
    from dangjian.api.serializers import TermSerializer
    from dangjian.web import selectors as web_sel

    # An organ committee: its five-year term is the regulation's (a branch's is three, and
    # a longer recorded one is counted by the regulation: see the readings' term rules).
    br = org("B1", "organ_committee")
    t = term(br, "2024-02-29", 5)
    assert term_end(date(2024, 2, 29), 5) == date(2029, 2, 28)
    assert web_sel.current_term(br).ends_on == date(2029, 2, 28)
    assert TermSerializer(t).data["next_election"] == "2029-02-28"
    found = only(run("national", 2029, "2029-02-28"), "term-election", "B1")
    assert [(f.severity, f.due) for f in found] == [("violation", "2029-02-28")]
    assert web_sel.current_term(br).ends_on <= date(2029, 2, 28)


def test_term_due_uses_the_reports_check_day():
    br = org("B1", "branch")
    term(br, "2021-06-01", 3)  # ends 2024-06-01
    # A 2022 report run in 2025 judges the term as it stood at the end of 2022.
    assert only(run("national", 2022, "2025-03-01"), "term-election", "B1") == []
    assert [
        f.severity for f in only(run("national", 2024, "2025-03-01"), "term-election", "B1")
    ] == ["violation"]


@pytest.mark.parametrize("pack", ["yunnan-2019", "danyang-2020", "hubei-2022", "national"])
def test_the_schedule_holds_every_line_and_the_same_findings(pack):
    from dangjian.policy.engine import evaluate
    from dangjian.web.testing import build_tree

    tree = build_tree(year=2022)
    day = date(2022, 8, 15)
    plain = evaluate(pack=pack, year=2022, as_of=day)
    s = build_schedule(pack=pack, year=2022, as_of=day)
    # Asking for the schedule changes no finding.
    assert [f.as_dict() for f in s.findings] == [f.as_dict() for f in plain.findings]
    # Every finding is a line that is not done; every person of a quota rule has a line.
    keyed = {i.key: i for i in s.items}
    for f in s.findings:
        line = keyed[(f.rule, f.subject["type"], f.subject["id"], f.period)]
        assert line.finding is f and line.status in ("due", "overdue")
    quota = {i.subject_id for i in s.items if i.rule.kind == "person_quota"}
    assert {m.ext_id for m in tree.members1} <= quota
    assert {i.status for i in s.items} >= {"done", "upcoming"}
