"""Named exclusive locks across processes: one import at a time.

On PostgreSQL a session advisory lock; on SQLite (the embedded default) an
`flock` on a file beside the database. Both are taken without waiting: a second
taker gets `Busy` at once, and both are released when the holder ends, even
if it is killed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connections


class Busy(Exception):
    """Someone else holds the lock."""


def _key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks."""
    return int.from_bytes(
        hashlib.sha1(f"dangjian:{name}".encode()).digest()[:8], "big", signed=True
    )


def _lock_path(name: str, using: str) -> Path:
    db_name = str(connections[using].settings_dict["NAME"])
    if db_name.startswith("file:") or db_name == ":memory:" or not os.path.isabs(db_name):
        # An in-memory database lives in this process only.
        digest = hashlib.sha1(f"{db_name}:{os.getpid()}".encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"dangjian-{digest}.{name}.lock"
    return Path(f"{db_name}.{name}.lock")


@contextmanager
def exclusive(name: str, *, using: str = "default") -> Iterator[None]:
    """Hold the lock `name` for the block, or raise `Busy` at once."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        key = _key(name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            if not cursor.fetchone()[0]:
                raise Busy(name)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    path = _lock_path(name, using)
    with open(path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(name) from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
