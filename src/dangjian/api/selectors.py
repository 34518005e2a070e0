"""What the API shows to whom: built only from `dangjian.access.selectors`.

An administrator sees every record under the organisations they were granted.
A member sees themselves, their branch (its schedule: activities and terms) and
their own trainings and posts; of an activity's attendees they see only
themselves.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from dangjian.access.selectors import (
    orgs_administered,
    orgs_visible,
    people_visible,
    person_of,
)
from dangjian.orgs.models import Organization, Position, Term
from dangjian.people.models import Person, TransferRequest
from dangjian.records.models import Absence, Activity, Attendance, Filing, Training


def api_organizations(user: Any) -> QuerySet[Organization]:
    return orgs_visible(user).select_related("parent").order_by("path")


def api_people(user: Any) -> QuerySet[Person]:
    return people_visible(user).select_related("org", "hosted_by").order_by("ext_id")


def api_positions(user: Any) -> QuerySet[Position]:
    """Posts in administered organisations, plus the member's own posts."""
    q = Q(org__in=orgs_administered(user))
    person = person_of(user)
    if person is not None:
        q |= Q(person=person)
    return (
        Position.objects.filter(q)
        .select_related("person", "org")
        .order_by("org__path", "role", "start", "pk")
    )


def api_terms(user: Any) -> QuerySet[Term]:
    return (
        Term.objects.filter(org__in=orgs_visible(user))
        .select_related("org")
        .order_by("org__path", "elected_on", "pk")
    )


def api_activities(user: Any) -> QuerySet[Activity]:
    """Activities held by visible organisations; attendees limited to visible people.

    The attendance prefetch is one query for the whole page, whatever its size.
    """
    visible = people_visible(user)
    attendance = Attendance.objects.filter(person__in=visible).select_related("person")
    absences = Absence.objects.filter(person__in=visible).select_related("person")

    def count(model: type[Attendance] | type[Absence]) -> Subquery:
        rows = model.objects.filter(activity=OuterRef("pk")).order_by()
        return Subquery(rows.values("activity").annotate(n=Count("*")).values("n")[:1])

    return (
        Activity.objects.filter(org__in=orgs_visible(user))
        .select_related("org", "speaker", "subject_org", "subject_person")
        .annotate(present_count=count(Attendance), absent_count=count(Absence))
        .prefetch_related(
            Prefetch("attendance", queryset=attendance, to_attr="visible_attendance"),
            Prefetch("absences", queryset=absences, to_attr="visible_absences"),
        )
        .order_by("-date", "ext_id")
    )


def api_trainings(user: Any) -> QuerySet[Training]:
    return (
        Training.objects.filter(person__in=people_visible(user))
        .select_related("person")
        .order_by("-date", "ext_id")
    )


def api_filings(user: Any) -> QuerySet[Filing]:
    """Filings of administered organisations, plus those the user filed themselves."""
    q = Q(org__in=orgs_administered(user))
    person = person_of(user)
    if person is not None:
        q |= Q(by=person)
    return Filing.objects.filter(q).select_related("org", "by").order_by("-date", "ext_id")


def api_transfer_requests(user: Any) -> QuerySet[TransferRequest]:
    """Transfers issued from or to an administered organisation (both sides see them
    pending), plus the member's own."""
    administered = orgs_administered(user)
    q = Q(from_org__in=administered) | Q(to_org__in=administered)
    person = person_of(user)
    if person is not None:
        q |= Q(person=person)
    return (
        TransferRequest.objects.filter(q)
        .select_related("person", "from_org", "to_org")
        .order_by("-issued_at", "-pk")
    )
