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
    Inspection,
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
    "evidence",
]
STEP_FIELDS = {step: field for step, field, _status in RECTIFICATION_STEPS}
# Steps that check the rectification: done by whoever found the problem (see checker_of).
CHECKER_STEPS = ("revisit", "close")


def inspection_of(rect: Rectification) -> Inspection | None:
    """The inspection whose problem this is (through its 督导检查 activity), if any."""
    if rect.source_activity_id is None:
        return None
    return Inspection.objects.filter(activity_id=rect.source_activity_id).first()


def checker_of(rect: Rectification) -> Organization:
    """Who checks and closes the item: the organisation that held the source inspection
    when it is above the rectifying one (a branch never closes a problem found in it by
    its superiors), else the rectifying organisation itself."""
    source = rect.source_activity
    if source is not None and source.org_id != rect.org_id:
        holder = Organization.objects.get(pk=source.org_id)
        if rect.org.path.startswith(holder.path):
            return holder
    return rect.org


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
    evidence: str = "",
    actor: Actor,
) -> Rectification:
    """Record the next step of the loop on `on`.

    Steps go in order (交办 → 核实 → 整改完成 → 回访反馈 → 销号), each dated no earlier
    than the one before. 交办 may set the 整改期限 (due_on); 整改完成 may record 问责.
    """
    # Lock the row so two people recording the same step cannot both pass the order check.
    rect = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("org", "source_activity__org")
        .get(pk=rectification.pk)
    )
    ensure_can_administer(actor, rect.org)
    if step in CHECKER_STEPS:
        # 回访/销号 of a problem found by a higher organisation: that organisation's admins
        ensure_can_administer(actor, checker_of(rect))
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
    if evidence.strip() and step != "rectify":
        errors["evidence"] = "整改情况在“整改完成”环节填写"
    if step == "rectify" and inspection_of(rect) is not None and not evidence.strip():
        errors["evidence"] = "请填写整改情况及佐证"
    if errors:
        raise ValidationError(errors)
    before = snapshot(rect, RECTIFICATION_FIELDS)
    setattr(rect, STEP_FIELDS[step], on)
    if step == "rectify":
        rect.evidence = evidence.strip()
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


@transaction.atomic
def rectification_send_back(
    *, rectification: Rectification, on: datetime.date, reason: str, actor: Actor
) -> Rectification:
    """The checker finds the rectification not done: back to 整改中 (the 整改完成 and
    回访反馈 dates are cleared; the audit log keeps them and the reason)."""
    rect = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("org", "source_activity__org")
        .get(pk=rectification.pk)
    )
    ensure_can_administer(actor, checker_of(rect))
    errors: dict[str, str] = {}
    if rect.closed_on is not None:
        errors["step"] = "该问题已销号，不能退回"
    elif rect.rectified_on is None:
        errors["step"] = "尚未登记整改完成，无需退回"
    elif on < rect.rectified_on:
        errors["on"] = f"日期不能早于整改完成日期（{rect.rectified_on.isoformat()}）"
    if not reason.strip():
        errors["reason"] = "请填写退回原因（整改中存在的不足）"
    if errors:
        raise ValidationError(errors)
    before = snapshot(rect, RECTIFICATION_FIELDS)
    rect.rectified_on = None
    rect.revisit_on = None
    rect.accountability = False
    rect.accountability_on = None
    rect.full_clean()
    rect.save()
    after = snapshot(rect, RECTIFICATION_FIELDS)
    audit_record(
        actor=actor,
        action="update",
        object_type="rectification",
        object_id=str(rect.pk),
        changes={
            "step": "send_back",
            "on": on.isoformat(),
            "reason": reason.strip()[:500],
            "before": {k: v for k, v in before.items() if after[k] != v},
            "after": {k: v for k, v in after.items() if before[k] != v},
        },
    )
    rectification.refresh_from_db()
    return rect
