"""Reading dues: a branch's monthly ledger and a member's own dues."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Q, QuerySet

from dangjian.orgs.models import Organization
from dangjian.people import dues
from dangjian.people.models import MEMBER_STATUSES, Due, Person

SEVERITY_LABELS = {"warning": "预警", "violation": "违规"}


@dataclass
class LedgerRow:
    person: Person
    expected: Decimal | None
    paid: Decimal | None
    paid_on: datetime.date | None
    run: int  # months unpaid in a row, as of today
    severity: str | None

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity or "", "")

    @property
    def short(self) -> bool:
        return self.paid is not None and self.expected is not None and self.paid < self.expected


@dataclass
class Ledger:
    org: Organization
    month: datetime.date
    today: datetime.date
    rows: list[LedgerRow] = field(default_factory=list)

    @property
    def expected_total(self) -> Decimal:
        return sum((r.expected for r in self.rows if r.expected is not None), Decimal("0.00"))

    @property
    def paid_total(self) -> Decimal:
        return sum((r.paid for r in self.rows if r.paid is not None), Decimal("0.00"))

    @property
    def paid_count(self) -> int:
        return sum(1 for r in self.rows if r.paid is not None)

    @property
    def unpaid(self) -> list[LedgerRow]:
        return [r for r in self.rows if r.paid is None]


def ledger_members(org: Organization, month: datetime.date) -> QuerySet[Person]:
    """Members of `org` who owe dues for `month`: admitted by its end, not left before it."""
    first = dues.month_start(month)
    last = dues.add_months(first, 1) - datetime.timedelta(days=1)
    return (
        Person.objects.filter(org=org, status__in=MEMBER_STATUSES)
        .filter(Q(joined_on__isnull=True) | Q(joined_on__lte=last))
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=first))
        .order_by("name", "pk")
    )


def branch_ledger(
    org: Organization, month: datetime.date, today: datetime.date | None = None
) -> Ledger:
    """Expected against paid for each member of `org` in `month` (three queries)."""
    today = today or datetime.date.today()
    first = dues.month_start(month)
    people = list(ledger_members(org, first))
    ids = [p.pk for p in people]
    paid = {
        d.person_id: d
        for d in Due.objects.filter(person_id__in=ids, month=first).only(
            "person_id", "amount", "paid_on"
        )
    }
    last_paid = dict(
        Due.objects.filter(person_id__in=ids, paid_on__lte=today)
        .values("person_id")
        .annotate(last=Max("month"))
        .values_list("person_id", "last")
    )
    ledger = Ledger(org=org, month=first, today=today)
    for p in people:
        _, run = dues.unpaid_run(last_paid.get(p.pk), p.joined_on, today, first)
        due = paid.get(p.pk)
        ledger.rows.append(
            LedgerRow(
                person=p,
                expected=dues.monthly_dues(p.employment, p.monthly_income),
                paid=due.amount if due else None,
                paid_on=due.paid_on if due else None,
                run=run,
                severity=dues.arrears_severity(run),
            )
        )
    return ledger


@dataclass
class PersonDues:
    expected: Decimal | None
    run: int
    severity: str | None
    history: list[Due]

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS.get(self.severity or "", "")


def person_dues(person: Person, today: datetime.date | None = None, limit: int = 24) -> PersonDues:
    """A member's monthly amount, unpaid run and the latest months paid (newest first)."""
    today = today or datetime.date.today()
    history = list(Due.objects.filter(person=person).order_by("-month")[:limit])
    last = max((d.month for d in history if d.paid_on <= today), default=None)
    _, run = dues.unpaid_run(last, person.joined_on, today, today)
    return PersonDues(
        expected=dues.monthly_dues(person.employment, person.monthly_income),
        run=run,
        severity=dues.arrears_severity(run),
        history=history,
    )
