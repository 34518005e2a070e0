"""Reads on records: same-day duplicates, attendance figures (应到 / 实到)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from dangjian.orgs.models import Organization
from dangjian.records.models import Absence, Activity, Attendance


def same_day_activities(
    *, org: Organization, kind: str, date: datetime.date, exclude_pk: int | None = None
) -> QuerySet[Activity]:
    """Activities of the same kind held by `org` on `date` (a second one is usually a slip)."""
    qs = Activity.objects.filter(org=org, kind=kind, date=date)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.order_by("ext_id")


@dataclass(frozen=True)
class AttendanceFigures:
    """应到 = present + absent; 实到 = present; 补学 = absent members who made up."""

    expected: int
    present: int
    absent: int
    made_up: int


def attendance_figures(activity: Activity) -> AttendanceFigures:
    present = Attendance.objects.filter(activity=activity).count()
    absences = Absence.objects.filter(activity=activity)
    absent = absences.count()
    made_up = absences.filter(made_up_on__isnull=False).count()
    return AttendanceFigures(present + absent, present, absent, made_up)
