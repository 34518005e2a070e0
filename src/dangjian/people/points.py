"""党员积分 and 评星定级 — optional, off by default.

Derived only from records already kept: meetings attended, study (training) hours, months
of dues paid on time (paid by the end of the month paid for), the year's 民主评议 outcome.
Never from daily check-ins. The weights and star thresholds are the pack's
(`member_points`, its reading of danyang-2020 七 党员积分管理 / henan-2015 (十六) 评星定级);
a work committee switches them on for its tree (`PackAssignment.member_points`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from dangjian.orgs.models import Organization
from dangjian.people import dues
from dangjian.people.models import Due, MemberReview, Person, ReviewOutcome
from dangjian.policy.models import PackAssignment
from dangjian.policy.packs import Pack, load_pack
from dangjian.records.models import Attendance, Training


@dataclass(frozen=True)
class PointsConfig:
    attendance: Decimal
    study_hours: Decimal
    dues_month: Decimal
    review: Mapping[str, Decimal]
    stars: tuple[Decimal, ...]  # points needed for 1..5 stars, ascending
    note: str = ""


def pack_config(pack: Pack) -> PointsConfig | None:
    """The pack's `member_points`, or its base pack's; None when neither has one."""
    p: Pack | None = pack
    while p is not None:
        raw = p.raw.get("member_points")
        if raw:
            return PointsConfig(
                attendance=Decimal(str(raw["attendance"])),
                study_hours=Decimal(str(raw["study_hours"])),
                dues_month=Decimal(str(raw["dues_month"])),
                review={k: Decimal(str(v)) for k, v in raw["review"].items()},
                stars=tuple(sorted(Decimal(str(s)) for s in raw["stars"])),
                note=str(raw.get("note", "")),
            )
        p = p.base
    return None


def points_config(org: Organization) -> PointsConfig | None:
    """The weights in force for `org`: only when the nearest work committee above switched
    points on and its pack defines them (one query)."""
    ancestors = [int(pk) for pk in org.path.strip("/").split("/") if pk]
    found = (
        PackAssignment.objects.filter(org_id__in=ancestors)
        .order_by("-org__depth")
        .values_list("pack_id", "member_points")
        .first()
    )
    if not found or not found[1]:
        return None
    return pack_config(load_pack(found[0]))


@dataclass
class PointsRow:
    person: Person
    meetings: int
    hours: Decimal
    dues_months: int
    outcome: str  # "" when not reviewed
    points: Decimal
    stars: int

    @property
    def outcome_label(self) -> str:
        return ReviewOutcome(self.outcome).label if self.outcome else ""


def _score(
    c: PointsConfig, meetings: int, hours: Decimal, months: int, outcome: str
) -> tuple[Decimal, int]:
    points = (
        c.attendance * meetings
        + c.study_hours * hours
        + c.dues_month * months
        + c.review.get(outcome, Decimal("0"))
    ).quantize(Decimal("0.01"))
    return points, sum(1 for s in c.stars if points >= s)


def member_points(config: PointsConfig, people: Iterable[Person], year: int) -> list[PointsRow]:
    """Points and stars of each person for `year` (four grouped queries)."""
    people = list(people)
    ids = [p.pk for p in people]
    meetings = dict(
        Attendance.objects.filter(person_id__in=ids, activity__date__year=year)
        .values("person_id")
        .annotate(n=Count("activity_id", distinct=True))
        .values_list("person_id", "n")
    )
    hours = dict(
        Training.objects.filter(person_id__in=ids, date__year=year)
        .values("person_id")
        .annotate(h=Sum("hours"))
        .values_list("person_id", "h")
    )
    # On time: paid no later than the last day of the month paid for (one query; at most
    # twelve rows a person).
    on_time: dict[int, int] = {}
    for pid, month, paid_on in Due.objects.filter(person_id__in=ids, month__year=year).values_list(
        "person_id", "month", "paid_on"
    ):
        if paid_on < dues.add_months(month, 1):
            on_time[pid] = on_time.get(pid, 0) + 1
    outcomes = dict(
        MemberReview.objects.filter(person_id__in=ids, year=year).values_list(
            "person_id", "outcome"
        )
    )
    rows = []
    for p in people:
        m, h = meetings.get(p.pk, 0), hours.get(p.pk) or Decimal("0")
        d, o = on_time.get(p.pk, 0), outcomes.get(p.pk, "")
        points, stars = _score(config, m, h, d, o)
        rows.append(PointsRow(p, m, h, d, o, points, stars))
    return rows
