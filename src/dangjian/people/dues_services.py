"""Recording dues: one month's payments for a whole branch in one write.

A payment covers `months` months from the ledger month (quarterly payment: up to
three at once, 第十二条), each month one `Due` row of the given monthly amount. The
whole batch is refused, with nothing written, when any line is wrong: a month paid
for more than six months late (补交 at most six months), a month already recorded,
a person outside the branch. One audit entry records the batch.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.writes import ensure_can_administer
from dangjian.orgs.models import Organization
from dangjian.people import dues
from dangjian.people.models import Due, Person


@dataclass(frozen=True)
class DuePayment:
    person: Person
    amount: Decimal  # per month, in yuan
    months: int = 1


def amount_field(person: Person) -> str:
    """The form field (and error key) of a person's line."""
    return f"amount_{person.pk}"


@transaction.atomic
def dues_record_month(
    *,
    org: Organization,
    month: datetime.date,
    paid_on: datetime.date,
    payments: Sequence[DuePayment],
    actor: Actor,
    today: datetime.date | None = None,
) -> list[Due]:
    """Record the payments of `org`'s members for `month` (and following months of a
    quarterly payment). All or nothing; errors are keyed `amount_<person pk>`."""
    ensure_can_administer(actor, org)
    today = today or datetime.date.today()
    first = dues.month_start(month)
    errors: dict[str, str] = {}
    if paid_on > today:
        errors["paid_on"] = "交纳日期不能晚于今天"
    if not payments:
        errors["__all__"] = "没有要登记的党费：请至少勾选一名党员"
    wanted: list[tuple[Person, datetime.date, Decimal]] = []
    for p in payments:
        key = amount_field(p.person)
        if p.person.org_id != org.pk:
            errors[key] = f"{p.person.name} 不是{org.name}的党员"
            continue
        if not isinstance(p.amount, Decimal):
            raise TypeError("amounts are Decimals")
        if p.amount <= 0:
            errors[key] = f"{p.person.name} 的每月金额须大于 0 元"
            continue
        if p.amount != p.amount.quantize(dues.CENT):
            errors[key] = f"{p.person.name} 的金额最多到分（两位小数）"
            continue
        refusal = dues.payment_refusal(first, p.months, paid_on, p.person.joined_on)
        if refusal:
            errors[key] = f"{p.person.name}：{refusal}"
            continue
        for i in range(p.months):
            wanted.append((p.person, dues.add_months(first, i), p.amount))
    if wanted:
        taken = set(
            Due.objects.filter(
                person_id__in={person.pk for person, _, _ in wanted},
                month__in={m for _, m, _ in wanted},
            ).values_list("person_id", "month")
        )
        for person, m, _ in wanted:
            if (person.pk, m) in taken:
                errors.setdefault(amount_field(person), f"{person.name} {m:%Y年%m月}的党费已登记")
    if errors:
        raise ValidationError(errors)
    rows = Due.objects.bulk_create(
        [
            Due(person=person, month=m, amount=amount, paid_on=paid_on)
            for person, m, amount in wanted
        ]
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="due_batch",
        object_id=f"{org.pk}/{first:%Y-%m}",
        changes={
            "after": [
                {
                    "person": person.ext_id,
                    "month": f"{m:%Y-%m}",
                    "amount": str(amount),
                    "paid_on": paid_on.isoformat(),
                }
                for person, m, amount in wanted
            ]
        },
    )
    return rows
