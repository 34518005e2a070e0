"""发展党员 rows of a workbook, taken one by one through the pipeline service.

The admission steps are never written around `people.pipeline.admission_step_take`:
its order, role, one-year-as-activist, age and probation rules hold for a sheet as
for the page. At upload the rows are tried in a transaction that is rolled back (the
preview names each refused row and column); at import they are taken for real, and
a refusal then rolls the whole import back.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.interchange.errors import DatasetError, Problem
from dangjian.people.models import AdmissionStep, AdmissionStepKind, Person
from dangjian.people.pipeline import ORDER, admission_step_take
from dangjian.spreadsheets.analysis import Row, SheetResult
from dangjian.spreadsheets.columns import ADMISSION

_RANK = {str(step): i for i, step in enumerate(ORDER)}


class _Rollback(Exception):
    """Undoes the trial run."""


def _ordered(rows: Iterable[Row]) -> list[Row]:
    """Each person's steps in the pipeline's order, whatever the sheet's order."""
    return sorted(
        (r for r in rows if r.ok and r.record is not None),
        key=lambda r: (r.record["person"], _RANK.get(r.record["step"], 99), r.number),  # type: ignore[index]
    )


def _day(value: Any) -> datetime.date:
    """A record's date (the validator has passed it: text YYYY-MM-DD or a date)."""
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _refuse(row: Row, field: str, message: str) -> None:
    column = ADMISSION.column(field) or ADMISSION.column("step")
    assert column is not None
    row.fail(column, message)


def _take(rows: list[Row], actor: Actor) -> int:
    """Take the rows' steps in order, failing the refused rows; how many were new.

    A row repeating a step already recorded on the same date is left as it is (an
    exported sheet imports again unchanged)."""
    ids = {r.record["person"] for r in rows if r.record}
    people = {p.ext_id: p for p in Person.objects.filter(ext_id__in=ids).select_related("org")}
    recorded = {
        (ext_id, step): date
        for ext_id, step, date in AdmissionStep.objects.filter(person__ext_id__in=ids).values_list(
            "person__ext_id", "step", "date"
        )
    }
    taken = 0
    for row in rows:
        record: dict[str, Any] = row.record or {}
        person = people.get(record["person"])
        if person is None:
            _refuse(row, "person", "该党员尚未导入，请先导入党员名册再登记发展步骤")
            continue
        step, date = record["step"], _day(record["date"])
        label = AdmissionStepKind(step).label
        done_on = recorded.get((person.ext_id, step))
        if done_on is not None:
            if done_on != date:
                again = f"{person.name} 已于 {done_on:%Y-%m-%d} 登记“{label}”，不能重复登记"
                _refuse(row, "step", again)
            continue
        try:
            admission_step_take(
                person=person,
                step=step,
                date=date,
                evidence=record.get("evidence") or "",
                until=_day(record["until"]) if record.get("until") else None,
                actor=actor,
            )
        except PermissionDenied as exc:
            _refuse(row, "step", str(exc) or "没有管理该党员的权限")
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    _refuse(row, field, message)
        else:
            taken += 1
            recorded[(person.ext_id, step)] = date
    return taken


def steps_check(sheet: SheetResult, *, user: Any) -> None:
    """Fail the rows the pipeline would refuse; nothing is kept."""
    rows = _ordered(sheet.rows)
    if not rows:
        return
    try:
        with transaction.atomic():
            _take(rows, Actor(user=user, source="web"))
            raise _Rollback
    except _Rollback:
        pass


def _admission_rows(sheets: Iterable[SheetResult]) -> list[Row]:
    return [r for s in sheets if s.spec is ADMISSION for r in s.rows]


def _refused(rows: Iterable[Row]) -> DatasetError:
    return DatasetError(
        Problem("", "", "", f"“{ADMISSION.title}”第 {r.number} 行 {r.error_text()}") for r in rows
    )


def steps_take(sheets: Iterable[SheetResult], *, actor: Actor) -> int:
    """Take every valid row's step; raises `DatasetError` naming each refused row and
    column (the caller's transaction then writes nothing)."""
    rows = _ordered(_admission_rows(sheets))
    if not rows:
        return 0
    taken = _take(rows, actor)
    refused = [r for r in rows if not r.ok]
    if refused:
        raise _refused(refused)
    return taken
