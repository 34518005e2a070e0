"""The audit table refuses changes in the database itself, not only in the application.

PostgreSQL: row triggers refuse UPDATE and DELETE, a statement trigger refuses TRUNCATE.
SQLite: triggers refuse UPDATE and DELETE. The DELETE trigger asks the function
`dj_audit_unlocked()`, which this module registers on each SQLite connection of the
application (answering no); any other client lacks the function, so its DELETE fails too.

Maintenance: the test suite empties every table between transactional tests (Django's
flush: TRUNCATE on PostgreSQL, DELETE on SQLite), so it sets `MAINTENANCE` before any
connection opens; PostgreSQL connections then carry `dangjian.audit_unlock = on`, which
lets only TRUNCATE through. The application never sets it. A database role that owns the
table can still drop a trigger: docs/deploy.md gives the application a role without that right.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MAINTENANCE = False


def _unlocked() -> int:
    return 1 if MAINTENANCE else 0


def on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("dj_audit_unlocked", 0, _unlocked)
    elif connection.vendor == "postgresql" and MAINTENANCE:
        with connection.cursor() as cursor:
            cursor.execute("SET dangjian.audit_unlock = 'on'")


@contextmanager
def enforced(connection: Any) -> Iterator[None]:
    """Inside a transaction: the protection as in production (for tests of it)."""
    global MAINTENANCE
    saved = MAINTENANCE
    MAINTENANCE = False
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL dangjian.audit_unlock = 'off'")
        yield
    finally:
        MAINTENANCE = saved
