"""`dangjian backup FILE` / `dangjian restore FILE`: everything, into an empty database.

A backup is one zip file:

- `manifest.json` — format `dangjian-backup/1`, when, the rows per table and the
  SHA-256 of `data.json`;
- `data.json` — every row of every table the app keeps (records, people,
  organisations, users with their password hashes, groups, grants, member
  accounts, API tokens, the audit trail, minutes, attachment records, the
  admin's own history), in Django's serialisation with natural keys for users,
  groups, content types and permissions;
- `media/…` — the attachment files the records point to.

Left out on purpose: sessions (everyone signs in again), content types and
permissions (a migrated database has them), unimported Excel uploads.

`restore` runs on a migrated database holding no records and no users (it
refuses otherwise), in one transaction; files are written after the rows load.
`docs/backup.md` also gives PostgreSQL's own route (pg_dump).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.db import models, transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record

FORMAT = "dangjian-backup/1"
_MS_ZERO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000(Z|[+-]\d\d:\d\d)?$")
# Rebuilt by `migrate` (content types, permissions) or not worth keeping (sessions).
EXCLUDED = ("contenttypes", "auth.permission", "sessions")
# Rows a new database may already have, which the backup's overwrite: groups a
# migration creates (matched by name) and the cache counter (bumped by the restore).
MAY_EXIST = ("auth.group", "policy.dataversion")


class BackupError(Exception):
    """A backup that cannot be written or restored; the message is Chinese."""


@dataclass
class BackupSummary:
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    missing_files: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{label}: {count}" for label, count in sorted(self.rows.items()) if count]
        out.append(f"附件文件: {self.files}")
        if self.missing_files:
            out.append(f"缺失的附件文件（记录保留）: {len(self.missing_files)}")
        return out


def _models() -> list[type[models.Model]]:
    out = []
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in EXCLUDED or label in EXCLUDED:
            continue
        if model._meta.proxy or not model._meta.managed:
            continue
        out.append(model)
    return out


def _attachment_model() -> type[models.Model]:
    return apps.get_model("records", "Attachment")


def backup_write(path: Path, *, using: str = "default") -> BackupSummary:
    """Write everything in the database (and the attachment files) to `path`."""
    summary = BackupSummary()
    with transaction.atomic(using=using):  # one consistent view of every table
        buffer = io.StringIO()
        call_command(
            "dumpdata",
            *[m._meta.label for m in _models()],
            database=using,
            natural_foreign=True,
            natural_primary=True,
            format="json",
            stdout=buffer,
            verbosity=0,
        )
        data = buffer.getvalue().encode()
        for model in _models():
            summary.rows[model._meta.label_lower] = model._default_manager.using(using).count()
        names = list(
            _attachment_model()._default_manager.using(using).values_list("file", flat=True)
        )
    media = Path(settings.MEDIA_ROOT)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.UTC).isoformat(),
        "rows": summary.rows,
        "data_sha256": hashlib.sha256(data).hexdigest(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", data)
        for name in names:
            source = media / name
            if source.is_file():
                archive.write(source, f"media/{name}")
                summary.files += 1
            else:
                summary.missing_files.append(name)
        manifest["files"] = summary.files
        manifest["missing_files"] = summary.missing_files
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return summary


def _nonempty(using: str) -> list[str]:
    """Tables that hold rows a restore would collide with (records and accounts)."""
    out = []
    for model in _models():
        if model._meta.label_lower in MAY_EXIST:
            continue
        if model._default_manager.using(using).exists():
            out.append(str(model._meta.verbose_name))
    return out


def backup_restore(path: Path, *, using: str = "default", actor: Actor) -> BackupSummary:
    """Load a backup into an empty, migrated database; all rows or none."""
    try:
        archive = zipfile.ZipFile(path)
        manifest = json.loads(archive.read("manifest.json"))
        data = archive.read("data.json")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError) as exc:
        raise BackupError(f"无法读取备份文件“{path}”：{type(exc).__name__}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不是 dangjian 备份文件（格式应为 {FORMAT}）")
    if hashlib.sha256(data).hexdigest() != manifest.get("data_sha256"):
        raise BackupError("备份文件已损坏（数据校验不符）")
    busy = _nonempty(using)
    if busy:
        raise BackupError(
            "目标数据库不是空的（已有" + "、".join(busy[:5]) + "等数据）；"
            "恢复只能在新建并执行过 migrate 的空数据库中进行"
        )
    media = Path(settings.MEDIA_ROOT).resolve()
    members = [m for m in archive.namelist() if m.startswith("media/") and not m.endswith("/")]
    for member in members:
        target = (media / member.removeprefix("media/")).resolve()
        if not target.is_relative_to(media):
            raise BackupError(f"备份中的文件路径不安全：{member}")
    summary = BackupSummary(rows=dict(manifest.get("rows", {})))
    with tempfile.TemporaryDirectory() as tmp:
        fixture = Path(tmp) / "data.json"
        fixture.write_bytes(data)
        with transaction.atomic(using=using):
            call_command("loaddata", str(fixture), database=using, verbosity=0)
            audit_record(
                actor=actor,
                action="restore",
                object_type="backup",
                object_id=path.name[:64],
                changes={"file": str(path), "created": manifest.get("created"), **summary.rows},
            )
    for member in members:
        target = media / member.removeprefix("media/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(member))
        summary.files += 1
    return summary


def rows_as_data(using: str = "default") -> dict[str, list[dict[str, Any]]]:
    """Every kept row in serialisable form, by model (to compare two databases)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for model in _models():
        rows = model._default_manager.using(using).order_by("pk")
        text = serializers.serialize(
            "json", rows, use_natural_foreign_keys=True, use_natural_primary_keys=True
        )
        rows_data = json.loads(text)
        for row in rows_data:
            fields = row["fields"]
            for name, value in fields.items():
                # A backup keeps milliseconds: a time whose sub-millisecond part was all
                # that made it ".000" reads back without it; both mean the same instant.
                if isinstance(value, str) and _MS_ZERO.match(value):
                    fields[name] = value.replace(".000", "", 1)
        out[model._meta.label_lower] = rows_data
    return out
