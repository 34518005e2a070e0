"""A throwaway SQLite database, registered under a fresh alias for the length of a `with`.

`check FILE` loads the dataset here through the importer and evaluates it with
the same engine as `check --db`: one code path. The schema comes from a
migrated template file cached in the temp directory (keyed by the migrations).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import load_backend

import dangjian


def _config(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Nothing here outlives the command: trade durability for speed.
        "OPTIONS": {"init_command": "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;"},
    }


@contextmanager
def _alias(path: Path) -> Iterator[str]:
    alias = f"throwaway_{uuid.uuid4().hex[:10]}"
    conf = _config(path)
    # configure_settings fills in Django's defaults (it needs a "default" beside).
    connections.configure_settings({"default": {"ENGINE": "django.db.backends.dummy"}, alias: conf})
    # A dynamically created connection: set on the handler (this thread), not in
    # settings, so `connections[alias]` and `.using(alias)` find it and nothing else does.
    wrapper = load_backend(conf["ENGINE"]).DatabaseWrapper(conf, alias)
    connections[alias] = wrapper
    try:
        yield alias
    finally:
        wrapper.close()
        del connections[alias]


def _migrations_digest() -> str:
    digest = hashlib.sha256()
    root = Path(dangjian.__file__).resolve().parent
    for f in sorted(root.glob("*/migrations/*.py")):
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def _template() -> Path:
    path = Path(tempfile.gettempdir()) / f"dangjian-schema-{_migrations_digest()}.sqlite3"
    if not path.exists():
        work = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
        with _alias(work) as alias:
            executor = MigrationExecutor(connections[alias])
            executor.migrate(executor.loader.graph.leaf_nodes())
        os.replace(work, path)  # atomic: a concurrent builder just wins or loses
    return path


@contextmanager
def throwaway_database() -> Iterator[str]:
    """Yield the alias of a fresh, migrated, empty SQLite database; delete it afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="dangjian-check-"))
    try:
        db = tmp / "check.sqlite3"
        shutil.copyfile(_template(), db)
        with _alias(db) as alias:
            yield alias
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
