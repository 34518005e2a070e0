"""党费 rows of a workbook, recorded through the dues service (`dues_record_month`).

Rows are grouped by branch, month and payment date, one service call a group, so
the service's rules hold for a sheet as for the ledger form: at most six months
paid late, no month recorded twice, only the branch's own members. At upload the
rows are tried in a transaction that is rolled back (the preview names each refused
row and column); at import they are recorded for real, and a refusal then rolls the
whole import back.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.interchange.errors import DatasetError, Problem
from dangjian.people.dues_services import DuePayment, amount_field, dues_record_month
from dangjian.people.models import Due, Person
from dangjian.spreadsheets.analysis import Row, SheetResult
from dangjian.spreadsheets.columns import DUES


class _Rollback(Exception):
    """Undoes the trial run."""


def _day(value: Any) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))


def _month(value: Any) -> datetime.date:
    return datetime.date.fromisoformat(f"{value}-01")


def _fail(row: Row, field: str, message: str) -> None:
    column = DUES.column(field)
    if column is None:
        row.fail("", message)
    else:
        row.fail(column, message)


def _record(rows: list[Row], actor: Actor) -> int:
    """Record the rows, failing the refused ones; how many were new. A row repeating a
    payment already recorded (same amount, same day) is left as it is."""
    ids = {r.record["person"] for r in rows if r.record}
    people = {p.ext_id: p for p in Person.objects.filter(ext_id__in=ids).select_related("org")}
    recorded = {
        (ext_id, month): (amount, paid_on)
        for ext_id, month, amount, paid_on in Due.objects.filter(
            person__ext_id__in=ids
        ).values_list("person__ext_id", "month", "amount", "paid_on")
    }
    groups: dict[tuple[int, datetime.date, datetime.date], list[tuple[Row, Person]]] = defaultdict(
        list
    )
    for row in rows:
        record: dict[str, Any] = row.record or {}
        person = people.get(record["person"])
        if person is None:
            _fail(row, "person", "该党员尚未导入，请先导入党员名册再登记党费")
            continue
        month, paid_on = _month(record["month"]), _day(record["paid_on"])
        amount = Decimal(str(record["amount"]))
        if recorded.get((person.ext_id, month)) == (amount, paid_on):
            continue
        groups[(person.org_id, month, paid_on)].append((row, person))
    written = 0
    for (_, month, paid_on), lines in groups.items():
        while lines:
            org = lines[0][1].org
            try:
                written += len(
                    dues_record_month(
                        org=org,
                        month=month,
                        paid_on=paid_on,
                        payments=[
                            DuePayment(person=p, amount=Decimal(str(r.record["amount"])))  # type: ignore[index]
                            for r, p in lines
                        ],
                        actor=actor,
                    )
                )
                break
            except PermissionDenied as exc:
                for row, _ in lines:
                    _fail(row, "person", str(exc) or "没有管理该党员的权限")
                break
            except ValidationError as exc:
                by_key = {amount_field(p): r for r, p in lines}
                for key, messages in exc.message_dict.items():
                    targets = [by_key[key]] if key in by_key else [r for r, _ in lines]
                    field = "paid_on" if key == "paid_on" else "month"
                    for row in targets:
                        for message in messages:
                            _fail(row, "amount" if "金额" in message else field, message)
                # The other lines of the group are tried again without the refused ones.
                lines = [(r, p) for r, p in lines if r.ok]
    return written


def _valid(sheets: Iterable[SheetResult]) -> list[Row]:
    return [r for s in sheets if s.spec is DUES for r in s.rows if r.ok and r.record is not None]


def payments_check(sheet: SheetResult, *, user: Any) -> None:
    """Fail the rows the dues service would refuse; nothing is kept."""
    rows = _valid([sheet])
    if not rows:
        return
    try:
        with transaction.atomic():
            _record(rows, Actor(user=user, source="web"))
            raise _Rollback
    except _Rollback:
        pass


def payments_record(sheets: list[SheetResult], *, actor: Actor) -> int:
    """Record every valid row's payment; raises `DatasetError` naming each refused row
    and column (the caller's transaction then writes nothing)."""
    rows = _valid(sheets)
    if not rows:
        return 0
    written = _record(rows, actor)
    refused = [r for r in rows if not r.ok]
    if refused:
        raise DatasetError(
            Problem("", "", "", f"“{DUES.title}”第 {r.number} 行 {r.error_text()}") for r in refused
        )
    return written
