from typing import Any

from django.db import transaction
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
) -> AuditEntry:
    """Write an audit entry; must run inside the write's transaction."""
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
    record_written.send(sender=AuditEntry, entry=entry)
    return entry
