"""Writes for the rectification loop: open a problem, then record each next step in order."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.writes import ensure_can_administer, snapshot
from dangjian.orgs.models import Organization
from dangjian.oversight.models import (
    RECTIFICATION_STEPS,
    STEP_LABELS,
    Rectification,
    new_rectification_ext_id,
)
from dangjian.records.models import Activity

RECTIFICATION_FIELDS = [
    "ext_id",
    "org",
    "title",
    "source_rule",
    "source_period",
    "source_subject",
    "source_activity",
    "found_on",
    "assigned_on",
    "verified_on",
    "due_on",
    "rectified_on",
    "accountability",
    "accountability_on",
    "revisit_on",
    "closed_on",
]
STEP_FIELDS = {step: field for step, field, _status in RECTIFICATION_STEPS}


@transaction.atomic
def rectification_open(
    *,
    org: Organization,
    title: str,
    found_on: datetime.date,
    due_on: datetime.date | None = None,
    source_rule: str = "",
    source_period: str = "",
    source_subject: str = "",
    source_activity: Activity | None = None,
    actor: Actor,
) -> Rectification:
    """Record a problem found in `org` (发现问题), optionally from a finding or an inspection."""
    ensure_can_administer(actor, org)
    if source_activity is not None and not source_activity.org.path.startswith(org.path):
        # an inspection of another branch cannot be the source of this one's problem
        ensure_can_administer(actor, source_activity.org)
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "请填写问题"
    if due_on is not None and due_on < found_on:
        errors["due_on"] = "整改期限不能早于发现日期"
    if errors:
        raise ValidationError(errors)
    rect = Rectification(
        # the id the interchange format knows it by (export, re-import as update)
        ext_id=new_rectification_ext_id(),
        org=org,
        title=title.strip(),
        found_on=found_on,
        due_on=due_on,
        source_rule=source_rule,
        source_period=source_period,
        source_subject=source_subject,
        source_activity=source_activity,
    )
    rect.full_clean()
    rect.save()
    audit_record(
        actor=actor,
        action="create",
        object_type="rectification",
        object_id=str(rect.pk),
        changes={"after": snapshot(rect, RECTIFICATION_FIELDS)},
    )
    return rect


@transaction.atomic
def rectification_advance(
    *,
    rectification: Rectification,
    step: str,
    on: datetime.date,
    due_on: datetime.date | None = None,
    accountability: bool = False,
    accountability_on: datetime.date | None = None,
    actor: Actor,
) -> Rectification:
    """Record the next step of the loop on `on`.

    Steps go in order (交办 → 核实 → 整改完成 → 回访反馈 → 销号), each dated no earlier
    than the one before. 交办 may set the 整改期限 (due_on); 整改完成 may record 问责.
    """
    # Lock the row so two people recording the same step cannot both pass the order check.
    rect = Rectification.objects.select_for_update().select_related("org").get(pk=rectification.pk)
    ensure_can_administer(actor, rect.org)
    if step not in STEP_FIELDS:
        raise ValidationError({"step": f"未知环节：{step}"})
    expected = rect.next_step
    if expected is None:
        raise ValidationError({"step": "该问题已销号，不能再登记"})
    if step != expected:
        raise ValidationError(
            {"step": f"应先登记“{STEP_LABELS[expected]}”，不能跳到“{STEP_LABELS[step]}”"}
        )
    errors: dict[str, str] = {}
    last = rect.last_date
    if on < last:
        errors["on"] = f"日期不能早于上一环节（{last.isoformat()}）"
    if due_on is not None:
        if step != "assign":
            errors["due_on"] = "整改期限在交办时确定"
        elif due_on < on:
            errors["due_on"] = "整改期限不能早于交办日期"
    if accountability_on is not None and not accountability:
        errors["accountability_on"] = "未问责时不填问责日期"
    if accountability and step != "rectify":
        errors["accountability"] = "问责在“整改完成”环节登记"
    verified = rect.verified_on
    if accountability and accountability_on and verified and accountability_on < verified:
        errors["accountability_on"] = "问责日期不能早于核实日期"
    if errors:
        raise ValidationError(errors)
    before = snapshot(rect, RECTIFICATION_FIELDS)
    setattr(rect, STEP_FIELDS[step], on)
    if due_on is not None:
        rect.due_on = due_on
    if step == "rectify":
        rect.accountability = accountability
        rect.accountability_on = accountability_on if accountability else None
    rect.full_clean()
    rect.save()
    after = snapshot(rect, RECTIFICATION_FIELDS)
    changes: dict[str, Any] = {
        "step": step,
        "before": {k: v for k, v in before.items() if after[k] != v},
        "after": {k: v for k, v in after.items() if before[k] != v},
    }
    audit_record(
        actor=actor,
        action="update",
        object_type="rectification",
        object_id=str(rect.pk),
        changes=changes,
    )
    rectification.refresh_from_db()
    return rect
