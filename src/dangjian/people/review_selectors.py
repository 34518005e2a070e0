"""Reading 民主评议党员 outcomes and 到社区报到 / community service, set-based."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from dangjian.orgs.models import Organization
from dangjian.people.models import (
    MEMBER_STATUSES,
    CommunityRegistration,
    CommunityService,
    MemberReview,
    Person,
)


def year_members(org: Organization, year: int) -> QuerySet[Person]:
    """Members of `org` during `year`: admitted by its end, not left before it."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return (
        Person.objects.filter(org=org, status__in=MEMBER_STATUSES)
        .filter(Q(joined_on__isnull=True) | Q(joined_on__lte=end))
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=start))
        .order_by("name", "pk")
    )


@dataclass
class ReviewRow:
    person: Person
    review: MemberReview | None


def branch_reviews(org: Organization, year: int) -> list[ReviewRow]:
    """Each member of the year with their outcome, if recorded (two queries)."""
    people = list(year_members(org, year))
    reviews = {r.person_id: r for r in MemberReview.objects.filter(person__in=people, year=year)}
    return [ReviewRow(p, reviews.get(p.pk)) for p in people]


def person_reviews(person: Person) -> list[MemberReview]:
    return list(MemberReview.objects.filter(person=person).order_by("-year")[:10])


@dataclass
class CommunityRow:
    person: Person
    registration: CommunityRegistration | None  # the one in force today
    hours: Decimal
    services: int


@dataclass
class OrgSummary:
    org: Organization
    members: int = 0
    registered: int = 0
    hours: Decimal = Decimal("0")

    @property
    def unregistered(self) -> int:
        return self.members - self.registered


@dataclass
class Community:
    rows: list[CommunityRow] = field(default_factory=list)
    summaries: list[OrgSummary] = field(default_factory=list)


def _in_force(day: datetime.date) -> Q:
    return Q(registered_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))


def branch_community(org: Organization, year: int, today: datetime.date) -> list[CommunityRow]:
    """The members of `org` with their registration in force today and the year's hours."""
    people = list(year_members(org, year).filter(left_on__isnull=True))
    regs: dict[int, CommunityRegistration] = {}
    for r in CommunityRegistration.objects.filter(_in_force(today), person__in=people).order_by(
        "registered_on"
    ):
        regs[r.person_id] = r
    totals = {
        row["person_id"]: row
        for row in CommunityService.objects.filter(person__in=people, date__year=year)
        .values("person_id")
        .annotate(hours=Sum("hours"), n=Count("id"))
    }
    return [
        CommunityRow(
            person=p,
            registration=regs.get(p.pk),
            hours=totals.get(p.pk, {}).get("hours") or Decimal("0"),
            services=totals.get(p.pk, {}).get("n") or 0,
        )
        for p in people
    ]


def department_summaries(org: Organization, year: int, today: datetime.date) -> list[OrgSummary]:
    """Per child organisation (department) of `org` — or `org` itself when it has none:
    serving members, how many are registered with a community today, and the year's hours.
    Three queries whatever the size of the subtree."""
    children = list(Organization.objects.filter(parent=org).order_by("name", "pk"))
    roots = children or [org]
    by_path = {o.path: OrgSummary(o) for o in roots}

    def owner(path: str) -> OrgSummary | None:
        for p, s in by_path.items():
            if path.startswith(p):
                return s
        return None

    serving = (
        Person.objects.filter(
            org__path__startswith=org.path, status__in=MEMBER_STATUSES, left_on__isnull=True
        )
        .exclude(employment="retired")
        .values("org__path")
        .annotate(
            n=Count("id", distinct=True),
            reg=Count(
                "id",
                filter=Q(
                    community_registrations__registered_on__lte=today,
                )
                & (
                    Q(community_registrations__ended_on__isnull=True)
                    | Q(community_registrations__ended_on__gt=today)
                ),
                distinct=True,
            ),
        )
    )
    for row in serving:
        s = owner(row["org__path"])
        if s is not None:
            s.members += row["n"]
            s.registered += row["reg"]
    hours = (
        CommunityService.objects.filter(person__org__path__startswith=org.path, date__year=year)
        .values("person__org__path")
        .annotate(h=Sum("hours"))
    )
    for row in hours:
        s = owner(row["person__org__path"])
        if s is not None:
            s.hours += row["h"] or Decimal("0")
    return list(by_path.values())


@dataclass
class PersonCommunity:
    registrations: list[CommunityRegistration]
    services: list[CommunityService]
    hours: Decimal


def person_community(person: Person, year: int) -> PersonCommunity:
    regs = list(CommunityRegistration.objects.filter(person=person).order_by("-registered_on")[:5])
    services = list(
        CommunityService.objects.filter(person=person, date__year=year).order_by("-date")
    )
    return PersonCommunity(regs, services, sum((s.hours for s in services), Decimal("0")))
