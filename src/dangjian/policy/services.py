"""Writes on policy settings: which pack a work committee's tree is checked against."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.writes import ensure_can_administer
from dangjian.orgs.models import Organization, OrgType
from dangjian.policy.models import PackAssignment
from dangjian.policy.packs import list_packs


@transaction.atomic
def pack_choose(*, org: Organization, pack_id: str, actor: Actor) -> PackAssignment:
    """A work committee chooses the pack its whole tree is checked against.

    Only a work committee (机关工委) may have one: the rest of the tree inherits it.
    """
    ensure_can_administer(actor, org)
    if org.type != OrgType.WORK_COMMITTEE:
        raise ValidationError({"pack_id": "只有机关工委可以选择适用的规则包"})
    if pack_id not in list_packs():
        raise ValidationError({"pack_id": f"没有规则包 {pack_id}"})
    before = PackAssignment.objects.filter(org=org).values_list("pack_id", flat=True).first()
    assignment, _ = PackAssignment.objects.update_or_create(org=org, defaults={"pack_id": pack_id})
    audit_record(
        actor=actor,
        action="update",
        object_type="organization",
        object_id=str(org.pk),
        changes={"before": {"pack": before}, "after": {"pack": pack_id}},
    )
    return assignment


@transaction.atomic
def member_points_switch(*, org: Organization, enabled: bool, actor: Actor) -> PackAssignment:
    """A work committee switches 党员积分 / 评星定级 on or off for its tree (off by default)."""
    ensure_can_administer(actor, org)
    if org.type != OrgType.WORK_COMMITTEE:
        raise ValidationError({"member_points": "只有机关工委可以启用党员积分与评星定级"})
    assignment, _ = PackAssignment.objects.get_or_create(org=org)
    if assignment.member_points != enabled:
        assignment.member_points = enabled
        assignment.save(update_fields=["member_points"])
        audit_record(
            actor=actor,
            action="update",
            object_type="organization",
            object_id=str(org.pk),
            changes={"before": {"member_points": not enabled}, "after": {"member_points": enabled}},
        )
    return assignment
