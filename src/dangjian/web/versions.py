"""The versions of records the web forms edit (core.concurrency optimistic locking).

A snapshot is what the form's page shows of the record; a save is refused when the
record's snapshot changed since the page was loaded. Snapshots keyed by Chinese
names are shown as is in the conflict message.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Model

from dangjian.core.concurrency import display_snapshot, snapshot_values
from dangjian.orgs.models import Organization, Position
from dangjian.oversight.models import AssessmentAdjustment, Inspection, Rectification
from dangjian.people.dues_selectors import Ledger
from dangjian.people.models import Person
from dangjian.people.pipeline import PipelineRow
from dangjian.records.models import Absence
from dangjian.web import selectors as sel
from dangjian.web import selectors_keeping as keep

M = TypeVar("M", bound=Model)

PERSON_FORM_FIELDS = [
    "name",
    "status",
    "birth_date",
    "applied_on",
    "activist_on",
    "candidate_on",
    "joined_on",
    "full_on",
    "probation_extended_to",
    "leading_cadre",
    "party_worker",
    "employment",
    "monthly_income",
    "mobile",
    "hosted_by",
]


def locked(model: type[M], pk: int) -> M:
    """The record, locked until the transaction ends (from the version check to the write)."""
    return model._default_manager.select_for_update().get(pk=pk)


def absence_snapshot(absence: Absence) -> dict[str, Any]:
    return display_snapshot(absence, ["made_up_on", "made_up_how"])


def person_initial(person: Person) -> dict[str, Any]:
    initial = {name: getattr(person, name) for name in PERSON_FORM_FIELDS}
    initial["party_worker"] = person.party_worker or ""
    initial["hosted_by"] = person.hosted_by_id
    return initial


def person_snapshot(person: Person) -> dict[str, Any]:
    """The member form's fields (by field name: the form shows their labels and choices)."""
    return snapshot_values(person_initial(person).items())


def person_left_snapshot(person: Person) -> dict[str, Any]:
    return display_snapshot(person, ["name", "status", "left_on", "left_reason"])


def position_snapshot(position: Position) -> dict[str, Any]:
    return display_snapshot(position, ["person", "role", "start", "end"])


def org_snapshot(org: Organization) -> dict[str, Any]:
    return display_snapshot(org, ["name", "parent", "dissolved"])


def leadership_snapshot(org: Organization, today: datetime.date) -> dict[str, Any]:
    """The latest election and the team in office: what an election form starts from."""
    term = sel.current_term(org)
    team = "、".join(
        f"{p.person.name}（{p.get_role_display()}）" for p in keep.leadership(org, today)
    )
    return snapshot_values(
        [
            ("上次换届日期", term.term.elected_on if term else None),
            ("现任班子", team or None),
        ]
    )


def rectification_snapshot(rect: Rectification) -> dict[str, Any]:
    return display_snapshot(
        rect,
        [
            "title",
            "assigned_on",
            "verified_on",
            "due_on",
            "rectified_on",
            "accountability",
            "accountability_on",
            "revisit_on",
            "closed_on",
        ],
    )


def inspection_snapshot(inspection: Inspection) -> dict[str, Any]:
    """What the record form starts from: the plan, and whether it was carried out."""
    out = display_snapshot(inspection, ["title", "inspector_names"])
    out["被督查组织"] = "、".join(t.name for t in inspection.targets.order_by("path"))
    out["开展情况"] = (
        f"已于 {inspection.activity.date:%Y-%m-%d} 登记" if inspection.activity else "未登记"
    )
    return snapshot_values(out.items())


def adjustments_snapshot(
    assessor: Organization, subject: Organization, year: int
) -> dict[str, Any]:
    """The assessor's adjustments of a subject's year, as the breakdown page lists them."""
    rows = AssessmentAdjustment.objects.filter(
        assessor=assessor, subject=subject, year=year
    ).order_by("pk")
    shown = "；".join(f"{a.points:+}分（{a.reason}）" for a in rows)
    return snapshot_values([("加减分", shown or None)])


def _keys(people: Iterable[Person]) -> dict[int, str]:
    """A readable key per person: the name, with the number only when names repeat."""
    people = list(people)
    seen: dict[str, int] = {}
    for p in people:
        seen[p.name] = seen.get(p.name, 0) + 1
    return {p.pk: p.name if seen[p.name] == 1 else f"{p.name}（{p.ext_id}）" for p in people}


def ledger_snapshot(ledger: Ledger) -> dict[str, Any]:
    """Each member's line of a month's dues ledger (paid or not, and how much is due)."""
    keys = _keys(row.person for row in ledger.rows)
    out = {}
    for row in ledger.rows:
        due = f"应交 {row.expected} 元" if row.expected is not None else "应交金额未定"
        paid = f"已交 {row.paid} 元（{row.paid_on:%Y-%m-%d}）" if row.paid_on else "未交"
        out[keys[row.person.pk]] = f"{due}，{paid}"
    return snapshot_values(out.items())


def ledger_key(ledger: Ledger, person: Person) -> str:
    return _keys(row.person for row in ledger.rows).get(person.pk, person.name)


def pipeline_snapshot(rows: list[PipelineRow]) -> dict[str, Any]:
    """Each person's stage in the admission pipeline and the steps open to them."""
    keys = _keys(row.person for row in rows)
    out = {}
    for row in rows:
        since = f"（自 {row.since:%Y-%m-%d}）" if row.since else ""
        out[keys[row.person.pk]] = f"{row.stage}{since}；下一步：{row.next_labels or '无'}"
    return snapshot_values(out.items())


def pipeline_key(rows: list[PipelineRow], person: Person) -> str:
    return _keys(row.person for row in rows).get(person.pk, person.name)
