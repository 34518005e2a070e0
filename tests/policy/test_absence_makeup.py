"""Absences and make-ups (补学) in the rules that count attendance.

Reading (docs/rule-engine.md): a member absent from a meeting does not count as
having attended it; once a make-up is recorded (补学, with its date), the member
counts as having attended that meeting, in the meeting's period and for the
organisation that held it.
"""

from datetime import date

import pytest

from dangjian.records.models import Absence
from policy.builders import activity, only, org, person, run, transfer

pytestmark = pytest.mark.django_db


def absent(a, p, made_up_on=None, reason="sick"):  # type: ignore[no-untyped-def]
    return Absence.objects.create(
        activity=a,
        person=p,
        reason=reason,
        made_up_on=made_up_on and date.fromisoformat(made_up_on),
        made_up_how="自学会议材料" if made_up_on else "",
    )


def subjects(report, rule):  # type: ignore[no-untyped-def]
    return sorted(f.subject["id"] for f in only(report, rule))


def test_absent_without_make_up_is_not_attended():
    br = org("B1", "branch")
    there = person(br, "L1", leading_cadre=True)
    away = person(br, "L2", leading_cadre=True)
    meeting = activity(br, "org_life_meeting", "2022-11-20", attendees=[there])
    absent(meeting, away)
    assert subjects(run("yunnan-2019", 2022), "dual-org-life") == ["L2"]


def test_make_up_counts_as_attended():
    br = org("B1", "branch")
    there = person(br, "L1", leading_cadre=True)
    away = person(br, "L2", leading_cadre=True)
    meeting = activity(br, "org_life_meeting", "2022-11-20", attendees=[there])
    absent(meeting, away, made_up_on="2022-11-25")
    report = run("yunnan-2019", 2022)
    assert subjects(report, "dual-org-life") == []


def test_make_up_counts_in_the_meetings_period_and_organisation():
    """A make-up in January for a December meeting counts for the meeting's year; a
    member who moved away after the meeting still counts for the branch that held it."""
    b1, b2 = org("B1", "branch"), org("B2", "branch")
    away = person(b1, "L1", leading_cadre=True)
    meeting = activity(b1, "org_life_meeting", "2022-12-20")
    absent(meeting, away, made_up_on="2023-01-05")
    transfer(away, b1, b2, "2022-12-28")
    assert subjects(run("yunnan-2019", 2022), "dual-org-life") == []
    # The next year's quota is not met by last year's meeting.
    assert subjects(run("yunnan-2019", 2023), "dual-org-life") == ["L1"]


def test_participated_counts_make_ups_once():
    br = org("B1", "branch")
    a, b, c = person(br, "P1"), person(br, "P2"), person(br, "P3")
    talk = activity(br, "talk", "2022-05-01", attendees=[a])
    absent(talk, b, made_up_on="2022-05-03")
    absent(talk, c)
    findings = only(run("national", 2022), "talk-every-member")
    assert sorted(f.subject["id"] for f in findings) == ["P3"]
    # the made-up talk is the evidence for P2 only when P2 is short: P3 has none
    assert findings[0].evidence == []


def test_a_department_counts_attendance_as_the_whole_database_does():
    """Over the whole database PostgreSQL reads each activity's attendance and absences by
    index (Context.with_activity); for a department, from its people. Talks, party lessons
    and 双重组织生活 come out the same either way, make-ups and speakers included."""
    root = org("W", "work_committee")
    depts = [org(f"D{i}", "party_group", parent=root) for i in (1, 2)]
    for i, dept in enumerate(depts, 1):
        br = org(f"B{i}", "branch", parent=dept)
        there, away, spoke, talked_to, idle = (
            person(br, f"P{i}{n}", leading_cadre=True) for n in range(5)
        )
        lesson = activity(br, "party_lesson", "2022-06-10", attendees=[there], speaker=spoke)
        absent(lesson, away, made_up_on="2022-06-20")
        meeting = activity(br, "org_life_meeting", "2022-11-20", attendees=[there])
        absent(meeting, away, made_up_on="2022-11-25")
        absent(meeting, idle)
        activity(br, "talk", "2022-05-01", attendees=[there], speaker=spoke, subject=talked_to)
    whole = run("yunnan-2019", 2022)  # national's rules and Yunnan's
    for rule in ("talk-every-member", "party-lesson-member", "dual-org-life"):
        assert only(whole, rule)
        for dept in depts:
            alone = run("yunnan-2019", 2022, org_ext_id=dept.ext_id)
            expected = [f for f in only(whole, rule) if f.subject["id"][1] == dept.ext_id[1]]
            assert [f.as_dict() for f in only(alone, rule)] == [f.as_dict() for f in expected]
    # made up or present: counted; absent, spoke or talked to: not (the 2nd, 3rd, 4th)
    assert subjects(whole, "dual-org-life") == ["P12", "P13", "P14", "P22", "P23", "P24"]
