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
