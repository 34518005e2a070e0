"""Writes for inspections (督查): plan one for a quarter, record it as carried out with the
problems found. Recording creates its 督导检查 activity (what the rules count) and opens a
rectification per problem in the inspected organisation, all in one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.writes import audited_create, audited_save, ensure_can_administer, snapshot
from dangjian.orgs.models import Organization
from dangjian.oversight.models import INSPECTING_TYPES, Inspection, Rectification
from dangjian.oversight.services import rectification_advance, rectification_open
from dangjian.people.models import Person
from dangjian.records.models import ActivityKind
from dangjian.records.services import activity_record

INSPECTION_FIELDS = ["ext_id", "org", "year", "quarter", "title", "inspector_names", "activity"]


@dataclass(frozen=True)
class ProblemInput:
    """A shortfall in an organisation's work found by the inspection (not anyone's views)."""

    org: Organization
    description: str
    due_on: datetime.date | None


def _check_targets(org: Organization, targets: Sequence[Organization], actor: Actor) -> None:
    if not targets:
        raise ValidationError({"targets": "请选择被督查组织"})
    for t in targets:
        if t.pk == org.pk or not t.path.startswith(org.path):
            raise ValidationError({"targets": f"“{t.name}”不是{org.name}的下级组织，不能督查"})
        ensure_can_administer(actor, t)


def _check_org(org: Organization, actor: Actor) -> None:
    ensure_can_administer(actor, org)
    if org.type not in INSPECTING_TYPES:
        raise ValidationError({"org": f"{org.name}（{org.get_type_display()}）不组织督查"})


@transaction.atomic
def inspection_plan(
    *,
    org: Organization,
    year: int,
    quarter: int,
    title: str,
    targets: Sequence[Organization],
    actor: Actor,
) -> Inspection:
    """Plan an inspection by `org` of organisations under it in a quarter (督查计划)."""
    _check_org(org, actor)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "请填写督查事项"
    if quarter not in (1, 2, 3, 4):
        errors["quarter"] = "季度应为1至4"
    if not 2000 <= year <= 2100:
        errors["year"] = "年度不正确"
    if errors:
        raise ValidationError(errors)
    _check_targets(org, targets, actor)
    inspection = Inspection(org=org, year=year, quarter=quarter, title=title.strip())
    audited_create(obj=inspection, fields=INSPECTION_FIELDS, object_type="inspection", actor=actor)
    inspection.targets.set(targets)
    return inspection


@transaction.atomic
def inspection_record(
    *,
    inspection: Inspection,
    held_on: datetime.date,
    targets: Sequence[Organization] | None = None,
    inspectors: Iterable[Person] = (),
    inspector_names: str = "",
    problems: Sequence[ProblemInput] = (),
    actor: Actor,
) -> Inspection:
    """Record that a planned inspection was carried out on `held_on`, by whom, of which
    organisations (default: the planned ones), and the problems found.

    Creates the inspection's 督导检查 activity and one rectification per problem, assigned
    (交办) and verified (核实) on the day to the inspected organisation; it then rectifies,
    and the inspecting organisation checks (回访) and closes (销号) it.
    """
    inspection = Inspection.objects.select_for_update().select_related("org").get(pk=inspection.pk)
    org = inspection.org
    _check_org(org, actor)
    if inspection.activity_id is not None:
        raise ValidationError({"held_on": "该督查已登记开展情况"})
    targets = list(targets) if targets is not None else list(inspection.targets.all())
    _check_targets(org, targets, actor)
    if held_on.year != inspection.year:
        raise ValidationError({"held_on": f"督查日期应在{inspection.year}年内"})
    target_pks = {t.pk for t in targets}
    errors: dict[str, str] = {}
    for n, p in enumerate(problems, start=1):
        if not p.description.strip():
            errors["problems"] = f"问题{n}：请填写存在的问题"
        elif p.org.pk not in target_pks:
            errors["problems"] = f"问题{n}：“{p.org.name}”不在被督查组织中"
        elif p.due_on is not None and p.due_on < held_on:
            errors["problems"] = f"问题{n}：整改期限不能早于督查日期"
        if errors:
            break
    if errors:
        raise ValidationError(errors)
    activity = activity_record(
        org=org,
        kind=ActivityKind.INSPECTION,
        date=held_on,
        title=inspection.title,
        subject_org=targets[0] if len(targets) == 1 else None,
        actor=actor,
    )
    before = snapshot(inspection, INSPECTION_FIELDS)
    inspection.activity = activity
    inspection.inspector_names = inspector_names.strip()
    audited_save(
        obj=inspection,
        before=before,
        fields=INSPECTION_FIELDS,
        object_type="inspection",
        actor=actor,
    )
    inspection.targets.set(targets)
    inspection.inspectors.set(list(inspectors))
    for p in problems:
        rect = rectification_open(
            org=p.org,
            title=p.description.strip(),
            found_on=held_on,
            source_period=inspection.period,
            source_activity=activity,
            actor=actor,
        )
        rectification_advance(
            rectification=rect, step="assign", on=held_on, due_on=p.due_on, actor=actor
        )
        rectification_advance(rectification=rect, step="verify", on=held_on, actor=actor)
    return inspection


@transaction.atomic
def inspection_add_problem(
    *, inspection: Inspection, problem: ProblemInput, actor: Actor
) -> Rectification:
    """One more problem of a recorded inspection (found on its day)."""
    inspection = Inspection.objects.select_related("org", "activity").get(pk=inspection.pk)
    _check_org(inspection.org, actor)
    activity = inspection.activity
    if activity is None:
        raise ValidationError({"problems": "请先登记督查开展情况"})
    if not inspection.targets.filter(pk=problem.org.pk).exists():
        raise ValidationError({"problems": f"“{problem.org.name}”不在被督查组织中"})
    rect = rectification_open(
        org=problem.org,
        title=problem.description,
        found_on=activity.date,
        due_on=None,
        source_period=inspection.period,
        source_activity=activity,
        actor=actor,
    )
    rectification_advance(
        rectification=rect, step="assign", on=activity.date, due_on=problem.due_on, actor=actor
    )
    rectification_advance(rectification=rect, step="verify", on=activity.date, actor=actor)
    return rect


@transaction.atomic
def inspection_create(
    *,
    org: Organization,
    year: int,
    quarter: int,
    title: str,
    targets: Sequence[Organization],
    held_on: datetime.date | None = None,
    inspectors: Iterable[Person] = (),
    inspector_names: str = "",
    problems: Sequence[ProblemInput] = (),
    actor: Actor,
) -> Inspection:
    """Plan an inspection and, when `held_on` is given, record it as carried out at once."""
    inspection = inspection_plan(
        org=org, year=year, quarter=quarter, title=title, targets=targets, actor=actor
    )
    if held_on is None:
        if problems:
            raise ValidationError({"held_on": "登记发现的问题前请填写督查日期"})
        return inspection
    return inspection_record(
        inspection=inspection,
        held_on=held_on,
        targets=targets,
        inspectors=inspectors,
        inspector_names=inspector_names,
        problems=problems,
        actor=actor,
    )
