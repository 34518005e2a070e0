"""Reads behind the pages. Each function is a fixed number of queries, whatever the data size."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Organization, Position, Term
from dangjian.people.models import MEMBER_STATUSES, Person
from dangjian.policy.days import term_end, term_overdue
from dangjian.records.models import Absence, Activity, Attendance, Filing, Training


def members_q(prefix: str = "") -> Q:
    """People who count as members: full or probationary and not left."""
    return Q(**{f"{prefix}status__in": MEMBER_STATUSES, f"{prefix}left_on__isnull": True})


def subtree_members(org: Organization) -> QuerySet[Person]:
    return Person.objects.filter(members_q(), org__path__startswith=org.path)


def org_members(org: Organization) -> QuerySet[Person]:
    """Members of the organisation itself (a branch's own roll), or of its subtree if none."""
    return Person.objects.filter(members_q(), org__path__startswith=org.path).select_related("org")


def ancestors(org: Organization) -> list[Organization]:
    pks = [int(p) for p in org.path.strip("/").split("/") if p][:-1]
    by_pk = {o.pk: o for o in Organization.objects.filter(pk__in=pks)}
    return [by_pk[pk] for pk in pks if pk in by_pk]


def children_with_counts(org: Organization) -> list[Organization]:
    """Direct sub-organisations, each with `member_count` over its own subtree (2 queries)."""
    children = list(Organization.objects.filter(parent=org).order_by("type", "name"))
    if not children:
        return []
    # Count members per top-level child by the path segment after this org's path.
    rows = (
        Person.objects.filter(members_q(), org__path__startswith=org.path)
        .exclude(org=org)
        .values("org__path")
        .annotate(n=Count("id"))
    )
    counts: dict[int, int] = {}
    depth_index = len([p for p in org.path.split("/") if p])
    for row in rows:
        parts = [p for p in row["org__path"].split("/") if p]
        if len(parts) > depth_index:
            child_pk = int(parts[depth_index])
            counts[child_pk] = counts.get(child_pk, 0) + row["n"]
    for child in children:
        child.member_count = counts.get(child.pk, 0)  # type: ignore[attr-defined]
    return children


def current_positions(org: Organization, on: datetime.date) -> QuerySet[Position]:
    return (
        Position.objects.filter(org=org, start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .select_related("person")
        .order_by("role", "start")
    )


@dataclass
class TermInfo:
    term: Term
    ends_on: datetime.date

    @property
    def overdue(self) -> bool:
        return term_overdue(self.ends_on, datetime.date.today())


def add_years(d: datetime.date, years: int) -> datetime.date:
    """A term's end: policy.days.term_end (one rule for pages, API and engine)."""
    return term_end(d, years)


def current_term(org: Organization) -> TermInfo | None:
    term = Term.objects.filter(org=org).order_by("-elected_on").first()
    if term is None:
        return None
    return TermInfo(term=term, ends_on=add_years(term.elected_on, term.years))


def latest_terms(orgs: QuerySet[Organization]) -> list[TermInfo]:
    """The latest term of each organisation in `orgs` (one query)."""
    terms = Term.objects.filter(org__in=orgs).select_related("org").order_by("org_id", "elected_on")
    latest: dict[int, Term] = {}
    for term in terms:
        latest[term.org_id] = term
    return [TermInfo(term=t, ends_on=add_years(t.elected_on, t.years)) for t in latest.values()]


def term_deadlines(
    orgs: QuerySet[Organization], today: datetime.date, *, overdue: int, soon: int
) -> tuple[list[TermInfo], int, list[TermInfo]]:
    """Latest terms overdue (`days.term_overdue`: the first `overdue`, and how many) and those
    ending within half a year (the first `soon`): one query over plain values, one for
    the few shown."""
    latest: dict[int, tuple[int, datetime.date, int]] = {}
    for pk, org_id, elected_on, years in (
        Term.objects.filter(org__in=orgs)
        .order_by("org_id", "elected_on", "pk")
        .values_list("pk", "org_id", "elected_on", "years")
    ):
        latest[org_id] = (pk, elected_on, years)
    ends = [(add_years(e, y), pk) for pk, e, y in latest.values()]
    late = sorted((end, pk) for end, pk in ends if term_overdue(end, today))
    horizon = today + datetime.timedelta(days=183)
    coming = sorted((end, pk) for end, pk in ends if today < end <= horizon)
    shown = [pk for _, pk in late[:overdue] + coming[:soon]]
    terms = Term.objects.filter(pk__in=shown).select_related("org").in_bulk()
    return (
        [TermInfo(term=terms[pk], ends_on=end) for end, pk in late[:overdue]],
        len(late),
        [TermInfo(term=terms[pk], ends_on=end) for end, pk in coming[:soon]],
    )


def subtree_org_ids(org: Organization) -> QuerySet[Organization, Any]:
    """The ids of the organisation's subtree, as a subquery. Records are filtered by
    `org_id IN (…)`, not by a join on the path: with the join, SQLite drives from the
    records (every activity of the year at a province: half a second for one branch)
    instead of from the few organisations and their (org, …) indexes."""
    return Organization.objects.filter(path__startswith=org.path).values("pk")


def ledger(
    org: Organization, *, kind: str = "", month: str = "", year: int | None = None
) -> QuerySet[Activity]:
    """Activities held in the organisation's subtree, newest first, with attendee counts."""
    qs = Activity.objects.filter(org_id__in=subtree_org_ids(org))
    if kind:
        qs = qs.filter(kind=kind)
    if month:
        try:
            y, m = (int(x) for x in month.split("-"))
            qs = qs.filter(date__year=y, date__month=m)
        except ValueError:
            qs = qs.none()
    elif year:
        qs = qs.filter(date__year=year)
    # Attendee counts are added per page (attach_attendee_counts): counting the whole
    # subtree's attendance just to paginate would scan every row.
    return qs.select_related("org", "speaker").order_by("-date", "-id")


def attach_attendee_counts(activities: list[Activity]) -> None:
    """Set `attendee_count` on each activity of a page, in one grouped query."""
    counts = dict(
        Attendance.objects.filter(activity__in=[a.pk for a in activities])
        .values("activity")
        .annotate(n=Count("id"))
        .values_list("activity", "n")
    )
    absent = dict(
        Absence.objects.filter(activity__in=[a.pk for a in activities])
        .values("activity")
        .annotate(n=Count("id"))
        .values_list("activity", "n")
    )
    for a in activities:
        a.attendee_count = counts.get(a.pk, 0)  # type: ignore[attr-defined]
        # 应到 = present + absent (with a reason)
        a.expected_count = a.attendee_count + absent.get(a.pk, 0)  # type: ignore[attr-defined]


def hours_per_member(org: Organization, year: int) -> QuerySet[Person]:
    """Members of the subtree, each with `hours` (training hours in `year`) and `lessons`."""
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=8, decimal_places=2))
    return (
        subtree_members(org)
        .select_related("org")
        .annotate(
            hours=Coalesce(
                Sum("trainings__hours", filter=Q(trainings__date__year=year)),
                zero,
            )
        )
        .order_by("hours", "org__path", "name")
    )


def person_hours(person: Person, year: int) -> Decimal:
    total = Training.objects.filter(person=person, date__year=year).aggregate(s=Sum("hours"))["s"]
    return total or Decimal("0")


def person_trainings(person: Person, year: int) -> QuerySet[Training]:
    return Training.objects.filter(person=person, date__year=year).order_by("-date")


def person_attendance(person: Person) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(attendance__person=person)
        .select_related("org")
        .order_by("-date", "-id")
    )


def person_absences(person: Person, year: int) -> QuerySet[Absence]:
    """The year's meetings the person missed, with the reason and any make-up (补学)."""
    return (
        Absence.objects.filter(person=person, activity__date__year=year)
        .select_related("activity")
        .order_by("-activity__date", "-activity_id")
    )


def lessons_given(person: Person) -> QuerySet[Activity]:
    return Activity.objects.filter(speaker=person).select_related("org").order_by("-date")


def person_positions(person: Person) -> QuerySet[Position]:
    return Position.objects.filter(person=person).select_related("org").order_by("-start")


def activity_detail(pk: int, orgs: QuerySet[Organization]) -> Activity:
    return (
        Activity.objects.filter(org__in=orgs)
        .select_related("org", "speaker", "subject_org", "subject_person", "minutes")
        .prefetch_related("attendance__person", "attachments")
        .get(pk=pk)
    )


def history(object_type: str, object_id: Any) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id)).order_by(
            "-at", "-id"
        )
    )


def org_filings(org: Organization, year: int) -> QuerySet[Filing]:
    return (
        Filing.objects.filter(org_id__in=subtree_org_ids(org), date__year=year)
        .select_related("org", "by")
        .order_by("-date")
    )


def attendance_count(person: Person, year: int) -> int:
    return Attendance.objects.filter(person=person, activity__date__year=year).count()


def month_counts(org: Organization, year: int) -> list[int]:
    """Activities held in the subtree per month of `year` (one grouped query)."""
    counts = [0] * 12
    held = Activity.objects.filter(date__year=year)
    if not _holds_every_org(org):
        held = held.filter(org_id__in=subtree_org_ids(org))
    # per day, summed here: the month is not computed for every row (a function call
    # each on SQLite: seconds at a province)
    for day, n in held.values_list("date").annotate(n=Count("id")).order_by():
        counts[day.month - 1] += n
    return counts


def _holds_every_org(org: Organization) -> bool:
    """A lone tree's top: its subtree is every organisation (no filter needed)."""
    return org.depth == 0 and not Organization.objects.filter(depth=0).exclude(pk=org.pk).exists()


def org_subtree(org: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(path__startswith=org.path)


def current_positions_of(person: Person, on: datetime.date) -> QuerySet[Position]:
    return (
        Position.objects.filter(person=person, start__lte=on)
        .filter(Q(end__isnull=True) | Q(end__gte=on))
        .select_related("org")
    )
