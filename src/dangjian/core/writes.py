"""The shared write helpers every service uses: snapshots, diffs, audited saves and
deletes, new external ids, and the administrator check.

`core` is the bottom of the app graph: it imports no domain app. The check of who may
administer an organisation belongs to `access`, which registers it here when the apps
are ready (`set_admin_check`); until then a signed-in actor is refused.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record, cascade_summary


class _Unset:
    """Marks a keyword the caller did not pass (None is a real value)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def new_ext_id(prefix: str) -> str:
    """An external id for a record created in the app (imports bring their own)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def json_value(value: Any) -> Any:
    """A value as it goes into an audit entry's JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date):  # datetime too
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_value(v) for v in value]
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The named fields of a record (all concrete fields but the key when None) as
    JSON-safe values; foreign keys by primary key."""
    if fields is None:
        fields = [f.name for f in obj._meta.concrete_fields if not f.primary_key]
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


def apply_changes(obj: models.Model, changes: dict[str, Any]) -> None:
    """Set the attributes the caller passed (UNSET ones are left alone)."""
    for name, value in changes.items():
        if value is not UNSET:
            setattr(obj, name, value)


def audited_create(
    *, obj: models.Model, fields: list[str], object_type: str, actor: Actor
) -> models.Model:
    """Validate and save a new record and audit what it holds, in the caller's transaction."""
    obj.full_clean()
    obj.save()
    audit_record(
        actor=actor,
        action="create",
        object_type=object_type,
        object_id=str(obj.pk),
        changes={"after": snapshot(obj, fields)},
    )
    return obj


def audited_save(
    *,
    obj: models.Model,
    before: dict[str, Any],
    fields: list[str],
    object_type: str,
    actor: Actor,
    action: str = "update",
    extra: dict[str, Any] | None = None,
) -> models.Model:
    """Validate and save a changed record and audit the fields that changed.

    `before` is `snapshot(obj, fields)` taken before the caller changed it.
    """
    obj.full_clean()
    obj.save()
    changes = diff(before, snapshot(obj, fields))
    if extra:
        changes.update(extra)
    audit_record(
        actor=actor, action=action, object_type=object_type, object_id=str(obj.pk), changes=changes
    )
    return obj


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


# ---------------------------------------------------------------- who may administer

AdminCheck = Callable[[Any, Any], bool]
_admin_check: list[AdminCheck] = []


def set_admin_check(check: AdminCheck) -> None:
    """Register the function (user, org) -> bool deciding who administers an org."""
    _admin_check[:] = [check]


def ensure_can_administer(actor: Actor, org: Any) -> None:
    """Refuse a signed-in user without a grant over `org`; system actors pass."""
    user = actor.user
    if user is not None and getattr(user, "is_authenticated", False):
        if not _admin_check or not _admin_check[0](user, org):
            raise PermissionDenied("没有管理该党组织的权限")
    elif actor.source in ("web", "api"):
        raise PermissionDenied("请先登录")
