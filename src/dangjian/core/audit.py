from typing import Any

from django.db import models, router, transaction
from django.db.models.deletion import Collector
from django.dispatch import Signal

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry

# Sent after every audited write, inside its transaction (policy bumps its data version).
record_written = Signal()


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str = "",
    changes: dict[str, Any] | None = None,
    notify: bool = True,
) -> AuditEntry:
    """Write an audit entry; must run inside the write's transaction.

    `notify=False` for entries that change no record (sign-in, tokens, duties), so no
    stored findings are marked stale (`policy.store.mark_for_entry`).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the write's transaction")
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    entry = AuditEntry.objects.create(
        actor=user,  # type: ignore[misc]
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        source=actor.source,
        ip=actor.ip,
        changes=changes or {},
    )
    if notify:
        record_written.send(sender=AuditEntry, entry=entry)
    return entry


CASCADE_IDS_KEPT = 500


def cascade_summary(objs: list[models.Model]) -> dict[str, list[str]]:
    """What deleting `objs` takes with it (cascades), as {model label: [ids]}.

    At most CASCADE_IDS_KEPT ids per model; past that the list ends with the total.
    """
    if not objs:
        return {}
    collector = Collector(using=router.db_for_write(type(objs[0])))
    collector.collect(objs)
    own = {(type(o)._meta.label_lower, o.pk) for o in objs}
    found: dict[str, list[str]] = {}
    for model, instances in collector.data.items():
        label = model._meta.label_lower
        ids = [str(o.pk) for o in instances if (label, o.pk) not in own]
        if ids:
            found.setdefault(label, []).extend(ids)
    for qs in collector.fast_deletes:
        ids = [str(pk) for pk in qs.values_list("pk", flat=True)]
        if ids:
            found.setdefault(qs.model._meta.label_lower, []).extend(ids)
    out: dict[str, list[str]] = {}
    for label, ids in found.items():
        ids = sorted(ids, key=lambda v: (len(v), v))
        if len(ids) > CASCADE_IDS_KEPT:
            ids = [*ids[:CASCADE_IDS_KEPT], f"……共 {len(ids)} 条"]
        out[label] = ids
    return out
