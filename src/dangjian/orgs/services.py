"""Writes on the organisation tree, posts and terms.

Every service runs in one transaction with its audit entry. Callers from the web
or the API pass `actor`; the service refuses a logged-in actor who may not
administer the organisation concerned (views check first, this is the backstop).
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record, cascade_summary
from dangjian.orgs.models import Organization, Position, Term
from dangjian.people.models import Person


class _Unset:
    """Marks a keyword the caller did not pass (None is a real value)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def new_ext_id(prefix: str) -> str:
    """An external id for a record created in the app (imports bring their own)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def json_value(value: Any) -> Any:
    """A value as it goes into an audit entry."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The named fields of a record as JSON-safe values (FKs by primary key)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            out[name] = getattr(obj, field.attname)
        else:
            out[name] = json_value(getattr(obj, name))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Only what changed, as {"before": {...}, "after": {...}}."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {"before": {k: before.get(k) for k in keys}, "after": {k: after[k] for k in keys}}


def audited_delete(*, obj: models.Model, fields: list[str], object_type: str, actor: Actor) -> None:
    """Delete a record and audit what it held, in the caller's transaction."""
    before = snapshot(obj, fields)
    pk = obj.pk
    cascade = cascade_summary([obj])
    obj.delete()
    changes: dict[str, Any] = {"before": before}
    if cascade:
        changes["cascade"] = cascade
    audit_record(
        actor=actor,
        action="delete",
        object_type=object_type,
        object_id=str(pk),
        changes=changes,
    )


def ensure_can_administer(actor: Actor, org: Organization) -> None:
    """Refuse a signed-in user without a grant over `org`; system actors pass."""
    from dangjian.access.selectors import can_administer

    user = actor.user
    if user is not None and getattr(user, "is_authenticated", False):
        if not can_administer(user, org):
            raise PermissionDenied("没有管理该党组织的权限")
    elif actor.source in ("web", "api"):
        raise PermissionDenied("请先登录")


def _apply(obj: models.Model, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        if value is not UNSET:
            setattr(obj, name, value)


ORG_FIELDS = ["ext_id", "name", "type", "parent", "staff_count", "established", "dissolved"]


@transaction.atomic
def organization_create(
    *,
    name: str,
    type: str,
    parent: Organization | None,
    ext_id: str | None = None,
    staff_count: int | None = None,
    established: datetime.date | None = None,
    dissolved: datetime.date | None = None,
    actor: Actor,
) -> Organization:
    """Create an organisation under `parent` (a root when None) and set its path."""
    if parent is not None:
        ensure_can_administer(actor, parent)
    elif actor.user is not None and not getattr(actor.user, "is_superuser", False):
        raise PermissionDenied("只有超级管理员可以创建顶层党组织")
    org = Organization(
        ext_id=ext_id or new_ext_id("org"),
        name=name,
        type=type,
        parent=parent,
        staff_count=staff_count,
        established=established,
        dissolved=dissolved,
    )
    org.full_clean(exclude=["path", "depth"])
    org.save()
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    org.depth = parent.depth + 1 if parent else 0
    org.save(update_fields=["path", "depth"])
    audit_record(
        actor=actor,
        action="create",
        object_type="organization",
        object_id=str(org.pk),
        changes={"after": snapshot(org, ORG_FIELDS)},
    )
    return org


@transaction.atomic
def organization_update(
    *,
    org: Organization,
    name: str = UNSET,
    type: str = UNSET,
    parent: Organization | None = UNSET,
    staff_count: int | None = UNSET,
    established: datetime.date | None = UNSET,
    dissolved: datetime.date | None = UNSET,
    actor: Actor,
) -> Organization:
    """Change an organisation; moving it re-roots its whole subtree in one UPDATE."""
    ensure_can_administer(actor, org)
    before = snapshot(org, ORG_FIELDS)
    old_path, old_depth = org.path, org.depth
    _apply(
        org,
        {
            "name": name,
            "type": type,
            "parent": parent,
            "staff_count": staff_count,
            "established": established,
            "dissolved": dissolved,
        },
    )
    if parent is not UNSET and parent is not None:
        ensure_can_administer(actor, parent)
        if parent.path.startswith(old_path):
            raise ValidationError({"parent": "不能把党组织移到它自己的下级组织之下"})
    org.full_clean(exclude=["path", "depth"])
    if parent is not UNSET:
        new_path = f"{parent.path if parent else '/'}{org.pk}/"
        new_depth = parent.depth + 1 if parent else 0
        if new_path != old_path:
            Organization.objects.filter(path__startswith=old_path).update(
                path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
                depth=F("depth") + (new_depth - old_depth),
            )
            org.path, org.depth = new_path, new_depth
    org.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="organization",
        object_id=str(org.pk),
        changes=diff(before, snapshot(org, ORG_FIELDS)),
    )
    return org


POSITION_FIELDS = ["person", "org", "role", "start", "end"]


@transaction.atomic
def position_create(
    *,
    person: Person,
    org: Organization,
    role: str,
    start: datetime.date,
    end: datetime.date | None = None,
    actor: Actor,
) -> Position:
    """Record that `person` holds `role` in `org` from `start` (to `end`, if over)."""
    ensure_can_administer(actor, org)
    position = Position(person=person, org=org, role=role, start=start, end=end)
    position.full_clean()
    position.save()
    audit_record(
        actor=actor,
        action="create",
        object_type="position",
        object_id=str(position.pk),
        changes={"after": snapshot(position, POSITION_FIELDS)},
    )
    return position


@transaction.atomic
def position_update(
    *,
    position: Position,
    role: str = UNSET,
    start: datetime.date = UNSET,
    end: datetime.date | None = UNSET,
    actor: Actor,
) -> Position:
    """Change a post's dates or role; ending a post is `end=<date>`."""
    ensure_can_administer(actor, position.org)
    before = snapshot(position, POSITION_FIELDS)
    _apply(position, {"role": role, "start": start, "end": end})
    position.full_clean()
    position.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="position",
        object_id=str(position.pk),
        changes=diff(before, snapshot(position, POSITION_FIELDS)),
    )
    return position


@transaction.atomic
def position_delete(*, position: Position, actor: Actor) -> None:
    ensure_can_administer(actor, position.org)
    audited_delete(obj=position, fields=POSITION_FIELDS, object_type="position", actor=actor)


TERM_FIELDS = ["org", "elected_on", "years"]


@transaction.atomic
def term_create(*, org: Organization, elected_on: datetime.date, years: int, actor: Actor) -> Term:
    """Record an election opening a term of `years` years."""
    ensure_can_administer(actor, org)
    term = Term(org=org, elected_on=elected_on, years=years)
    term.full_clean()
    term.save()
    audit_record(
        actor=actor,
        action="create",
        object_type="term",
        object_id=str(term.pk),
        changes={"after": snapshot(term, TERM_FIELDS)},
    )
    return term


@transaction.atomic
def term_update(
    *,
    term: Term,
    elected_on: datetime.date = UNSET,
    years: int = UNSET,
    actor: Actor,
) -> Term:
    ensure_can_administer(actor, term.org)
    before = snapshot(term, TERM_FIELDS)
    _apply(term, {"elected_on": elected_on, "years": years})
    term.full_clean()
    term.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="term",
        object_id=str(term.pk),
        changes=diff(before, snapshot(term, TERM_FIELDS)),
    )
    return term


@transaction.atomic
def term_delete(*, term: Term, actor: Actor) -> None:
    ensure_can_administer(actor, term.org)
    audited_delete(obj=term, fields=TERM_FIELDS, object_type="term", actor=actor)


@transaction.atomic
def organization_pack_set(*, org: Organization, pack_id: str, actor: Actor) -> None:
    """Choose the policy pack a work committee's tree is checked against."""
    from dangjian.policy.models import PackAssignment
    from dangjian.policy.packs import list_packs

    ensure_can_administer(actor, org)
    if pack_id not in list_packs():
        raise ValidationError({"pack_id": f"没有规则包 {pack_id}"})
    before = PackAssignment.objects.filter(org=org).values_list("pack_id", flat=True).first()
    PackAssignment.objects.update_or_create(org=org, defaults={"pack_id": pack_id})
    audit_record(
        actor=actor,
        action="update",
        object_type="organization",
        object_id=str(org.pk),
        changes={"before": {"pack": before}, "after": {"pack": pack_id}},
    )
