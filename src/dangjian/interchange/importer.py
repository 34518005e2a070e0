"""Import of a `dangjian/1` dataset: validate everything, then write it all in one transaction.

Set-based: each list is one pass that sorts its records into inserts and
updates (by ext_id, or by natural key for lists without ids) and writes them
with `executemany` (or COPY on PostgreSQL) in batches; the ext_id → pk maps
are loaded once per list. No query runs per record.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
from django.db import connections, models, transaction
from django.utils import timezone

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.models import AuditEntry
from dangjian.interchange.errors import DatasetError, Problem
from dangjian.interchange.validation import LISTS, ParsedDataset, Record, validate_dataset
from dangjian.orgs.models import Organization, Position, Term
from dangjian.orgs.paths import compute_paths
from dangjian.oversight.models import Assessment, Rectification
from dangjian.people.models import Due, Person, Transfer
from dangjian.records.models import Absence, Activity, Attendance, Filing, Training

BATCH = 5000
# From this many new rows on (and more than the table holds), a load sets aside
# per-row costs: SQLite's secondary indexes, PostgreSQL's foreign-key triggers.
BULK_LOAD_ROWS = 100_000

log = logging.getLogger("dangjian.interchange")

Source = str | os.PathLike[str] | IO[bytes] | IO[str] | Mapping[str, Any]


@dataclass(frozen=True)
class ListCount:
    created: int = 0
    updated: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated


@dataclass
class ImportSummary:
    counts: dict[str, ListCount] = field(default_factory=dict)
    attendance: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": {
                ln: {"created": c.created, "updated": c.updated} for ln, c in self.counts.items()
            },
            "attendance": self.attendance,
        }

    def lines(self) -> list[str]:
        out = []
        for ln, c in self.counts.items():
            if c.total:
                out.append(f"{LIST_TITLES[ln]} {ln}: 新增 {c.created}，更新 {c.updated}")
        out.append(f"参加记录 attendance: {self.attendance}")
        return out


LIST_TITLES = {
    "organizations": "党组织",
    "people": "人员",
    "transfers": "组织关系转接",
    "positions": "职务",
    "terms": "任期",
    "activities": "组织生活/活动",
    "trainings": "学习培训",
    "filings": "报告/清单/述职",
    "dues": "党费",
    "assessments": "考核评定",
    "rectifications": "问题整改",
}


# ---------------------------------------------------------------- reading


def load_source(source: Source) -> Mapping[str, Any]:
    """A path, a binary or text stream, or an already-parsed mapping → the parsed JSON.

    Numbers with a fraction come back as float; validation turns them into exact
    Decimals (through their shortest repr), so 12.75 stays 12.75.
    """
    if isinstance(source, Mapping):
        return source
    try:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as fh:
                raw: bytes | str = fh.read()
        else:
            raw = source.read()
    except OSError as exc:
        raise DatasetError([Problem("", "", "", f"无法读取文件：{exc} (cannot read)")]) from exc
    try:
        with _gc_paused():
            data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        where = f"第 {exc.lineno} 行第 {exc.colno} 列"
        raise DatasetError(
            [
                Problem(
                    "",
                    "",
                    "",
                    f"JSON 格式错误：{where}：{exc.msg} "
                    f"(malformed JSON at line {exc.lineno} column {exc.colno})",
                )
            ]
        ) from exc
    finally:
        del raw
    return data  # type: ignore[no-any-return]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Millions of small containers, none cyclic: the cycle collector only slows the load."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------- raw writes


class _Writer:
    """Batched raw INSERT/UPDATE on one connection; dates and Decimals adapt by themselves."""

    def __init__(self, using: str) -> None:
        self.using = using
        self.connection = connections[using]
        self.postgres = self.connection.vendor == "postgresql"

    def insert(
        self,
        model: type[models.Model],
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        integers: bool = False,
    ) -> int:
        """INSERT rows; `integers` says every value is a non-null int (faster COPY)."""
        table = model._meta.db_table
        qn = self.connection.ops.quote_name
        cols = ", ".join(qn(c) for c in columns)
        count = 0
        with self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                    if integers:
                        # Rows of plain ints: COPY text in blocks, not a call per row.
                        for batch in _batches(rows, BATCH * 4):
                            copy.write("".join("\t".join(map(str, r)) + "\n" for r in batch))
                            count += len(batch)
                    else:
                        for row in rows:
                            copy.write_row(row)
                            count += 1
                return count
            sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
            for batch in _batches(rows, BATCH):
                cursor.executemany(sql, batch)
                count += len(batch)
        return count

    @contextmanager
    def bulk_load(self, model: type[models.Model], expected: int) -> Iterator[None]:
        """Loading more rows than the table holds: set aside what costs per row.

        SQLite: drop the table's secondary indexes and rebuild them afterwards (one
        sort instead of millions of random index inserts). PostgreSQL: drop the
        table's foreign keys and add them back afterwards (one join to validate
        instead of a trigger per row at commit). Same transaction, so a failed
        import gets them back by rollback.
        """
        restore: list[str] = []
        if expected >= BULK_LOAD_ROWS:
            qn = self.connection.ops.quote_name
            table = model._meta.db_table
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {qn(table)} LIMIT %s) t", [expected]
                )
                if cursor.fetchone()[0] < expected:
                    restore = self._set_aside(cursor, table)
        yield
        if restore:
            with self.connection.cursor() as cursor:
                for sql in restore:
                    cursor.execute(sql)

    def _set_aside(self, cursor: Any, table: str) -> list[str]:
        qn = self.connection.ops.quote_name
        if self.postgres:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            keys = list(cursor.fetchall())
            # ALTER TABLE refuses while checks deferred to commit are pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name, _ in keys:
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return [
                "SET CONSTRAINTS ALL IMMEDIATE",
                *(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(n)} {d}" for n, d in keys),
                "SET CONSTRAINTS ALL DEFERRED",
            ]
        cursor.execute(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
        indexes = list(cursor.fetchall())
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {qn(name)}")
        return [sql for _, sql in indexes]

    def update(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """rows: (*values, pk)."""
        qn = self.connection.ops.quote_name
        table = qn(model._meta.db_table)
        pk = qn(model._meta.pk.column)  # type: ignore[union-attr]
        if self.postgres:
            return self._update_by_copy(table, pk, [qn(c) for c in columns], rows)
        sets = ", ".join(f"{qn(c)} = %s" for c in columns)
        sql = f"UPDATE {table} SET {sets} WHERE {pk} = %s"
        count = 0
        with self.connection.cursor() as cursor:
            for batch in _batches(rows, BATCH):
                cursor.executemany(sql, batch)
                count += len(batch)
        return count

    def delete_in(self, model: type[models.Model], column: str, values: list[int]) -> int:
        """DELETE the rows whose `column` is one of `values`."""
        qn = self.connection.ops.quote_name
        table = qn(model._meta.db_table)
        count = 0
        with self.connection.cursor() as cursor:
            for chunk in _batches(values, BATCH):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {table} WHERE {qn(column)} IN ({marks})", chunk)
                count += cursor.rowcount
        return count

    def _update_by_copy(
        self, table: str, pk: str, columns: list[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """PostgreSQL: COPY the new values into a scratch table, then one UPDATE … FROM."""
        cols = ", ".join(columns)
        count = 0
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE dj_import_scratch AS SELECT {cols}, {pk} FROM {table} "
                "WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY dj_import_scratch ({cols}, {pk}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            sets = ", ".join(f"{c} = s.{c}" for c in columns)
            old = ", ".join(f"t.{c}" for c in columns)
            new = ", ".join(f"s.{c}" for c in columns)
            # Rows whose values did not change are not rewritten (no dead tuples, no index churn).
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} FROM dj_import_scratch AS s "
                f"WHERE t.{pk} = s.{pk} AND ROW({old}) IS DISTINCT FROM ROW({new})"
            )
            cursor.execute("DROP TABLE dj_import_scratch")
        return count


def _json(extra: dict[str, Any] | None) -> str:
    """`extra` as the JSON text the column holds (dates and Decimals adapt by themselves)."""
    return json.dumps(extra, ensure_ascii=False) if extra else "{}"


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _columns(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return [str(model._meta.get_field(n).column) for n in names]  # type: ignore[union-attr]


def _upsert(
    writer: _Writer,
    model: type[models.Model],
    key_fields: Sequence[str],
    value_fields: Sequence[str],
    records: Iterable[tuple[tuple[Any, ...], tuple[Any, ...]]],
    existing: Mapping[tuple[Any, ...], int],
    expected: int = 0,
) -> ListCount:
    """Insert records whose key is new, update the others. records: (key, values)."""
    updates: list[tuple[Any, ...]] = []

    def inserts() -> Iterator[tuple[Any, ...]]:
        # New rows stream straight to the database; updates are set aside.
        for key, values in records:
            pk = existing.get(key)
            if pk is None:
                yield key + values
            else:
                updates.append((*values, pk))

    value_cols = _columns(model, value_fields)
    started = time.perf_counter()
    with writer.bulk_load(model, expected):
        created = writer.insert(model, _columns(model, key_fields) + value_cols, inserts())
    updated = writer.update(model, value_cols, updates)
    log.info(
        "import %s: %d inserted, %d updated in %.1fs",
        model._meta.db_table,
        created,
        updated,
        time.perf_counter() - started,
    )
    return ListCount(created, updated)


def _ext_map(model: type[models.Model], using: str) -> dict[str, int]:
    return dict(model._default_manager.using(using).values_list("ext_id", "pk"))  # type: ignore[arg-type]


def _existing(
    model: type[models.Model], using: str, fields: Sequence[str], owner: str, owners: set[int]
) -> dict[tuple[Any, ...], int]:
    """Natural key → pk of the stored rows; filtered by owner when the file touches few."""
    qs = model._default_manager.using(using)
    if len(owners) <= BATCH:
        qs = qs.filter(**{f"{owner}__in": list(owners)})
    return {tuple(row[:-1]): row[-1] for row in qs.values_list(*fields, "pk")}


def refresh_org_paths(*, using: str = "default") -> int:
    """Recompute every organisation's materialised path; write only the changed ones."""
    rows = list(Organization.objects.using(using).values_list("pk", "parent_id", "path", "depth"))
    computed = compute_paths({pk: parent for pk, parent, _, _ in rows})
    changed = [(*computed[pk], pk) for pk, _, path, depth in rows if computed[pk] != (path, depth)]
    return _Writer(using).update(Organization, ["path", "depth"], changed)


# ---------------------------------------------------------------- per list


def _write(parsed: ParsedDataset, using: str) -> ImportSummary:
    writer = _Writer(using)
    counts: dict[str, ListCount] = {}

    orgs = parsed.records("organizations")
    org_map = parsed.db_orgs
    if orgs:
        started = time.perf_counter()
        fresh = [r for r in orgs if r["id"] not in org_map]
        writer.insert(
            Organization,
            ["ext_id", "name", "type", "path", "depth", "extra"],
            ((r["id"], r["name"], r["type"], "", 0, "{}") for r in fresh),
        )
        org_map = _ext_map(Organization, using)
        fields = ["name", "type", "parent", "staff_count", "established", "dissolved", "extra"]
        writer.update(
            Organization,
            _columns(Organization, fields),
            (
                (
                    r["name"],
                    r["type"],
                    org_map.get(r["parent"]) if r["parent"] else None,
                    r["staff_count"],
                    r["established"],
                    r["dissolved"],
                    _json(r["extra"]),
                    org_map[r["id"]],
                )
                for r in orgs
            ),
        )
        refresh_org_paths(using=using)
        log.info("import dj_organization: %d in %.1fs", len(orgs), time.perf_counter() - started)
        counts["organizations"] = ListCount(len(fresh), len(orgs) - len(fresh))

    def org(ext: str | None) -> int | None:
        return org_map[ext] if ext is not None else None

    people = parsed.records("people")
    person_map = parsed.db_people
    if people:
        fields = [
            "name",
            "org",
            "status",
            "applied_on",
            "activist_on",
            "candidate_on",
            "joined_on",
            "full_on",
            "birth_date",
            "leading_cadre",
            "party_worker",
            "employment",
            "monthly_income",
            "probation_extended_to",
            "mobile",
            "hosted_by",
            "left_on",
            "extra",
        ]
        counts["people"] = _upsert(
            writer,
            Person,
            ["ext_id"],
            fields,
            (
                (
                    (r["id"],),
                    (
                        *(org(r[f]) if f in ("org", "hosted_by") else r[f] for f in fields[:-1]),
                        _json(r["extra"]),
                    ),
                )
                for r in people
            ),
            {(k,): v for k, v in person_map.items()},
            len(people),
        )
        person_map = _ext_map(Person, using)

    def person(ext: str | None) -> int | None:
        return person_map[ext] if ext is not None else None

    def subject(r: Record) -> tuple[int | None, int | None]:
        ext = r["subject"]
        if ext is None:
            return None, None
        if r["subject_kind"] == "org":
            return org_map[ext], None
        return None, person_map[ext]

    def natural(
        ln: str,
        model: type[models.Model],
        key_fields: list[str],
        value_fields: list[str],
        owner: str,
        row: Callable[[Record], tuple[tuple[Any, ...], tuple[Any, ...]]],
    ) -> None:
        records = [row(r) for r in parsed.records(ln)]
        if not records:
            return
        owners = {key[0] for key, _ in records}
        existing = _existing(model, using, _attnames(model, key_fields), owner, owners)
        counts[ln] = _upsert(
            writer, model, key_fields, value_fields, records, existing, len(records)
        )

    natural(
        "transfers",
        Transfer,
        ["person", "date"],
        ["from_org", "to_org", "letter", "extra"],
        "person",
        lambda r: (
            (person(r["person"]), r["date"]),
            (org(r["from"]), org(r["to"]), r["letter"] or "", _json(r["extra"])),
        ),
    )
    natural(
        "positions",
        Position,
        ["person", "org", "role", "start"],
        ["end", "extra"],
        "person",
        lambda r: (
            (person(r["person"]), org(r["org"]), r["role"], r["start"]),
            (r["end"], _json(r["extra"])),
        ),
    )
    natural(
        "terms",
        Term,
        ["org", "elected_on"],
        ["years", "extra"],
        "org",
        lambda r: ((org(r["org"]), r["elected_on"]), (r["years"], _json(r["extra"]))),
    )

    activities = parsed.records("activities")
    attendance = 0
    if activities:
        act_map = _ext_map(Activity, using)
        updated_pks = [act_map[r["id"]] for r in activities if r["id"] in act_map]
        fields = [
            "org",
            "kind",
            "date",
            "title",
            "hours",
            "speaker",
            "subject_org",
            "subject_person",
            "extra",
        ]

        def activity_row(r: Record) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
            return (
                (r["id"],),
                (
                    org(r["org"]),
                    r["kind"],
                    r["date"],
                    r["title"] or "",
                    r["hours"],
                    person(r["speaker"]),
                    *subject(r),
                    _json(r["extra"]),
                ),
            )

        counts["activities"] = _upsert(
            writer,
            Activity,
            ["ext_id"],
            fields,
            (activity_row(r) for r in activities),
            {(k,): v for k, v in act_map.items()},
            len(activities),
        )
        # Attendance of an updated activity is replaced by the file's list.
        started = time.perf_counter()
        dropped = writer.delete_in(Attendance, "activity_id", updated_pks)
        log.info(
            "import dj_attendance: %d replaced in %.1fs", dropped, time.perf_counter() - started
        )
        act_map = _ext_map(Activity, using)
        started = time.perf_counter()
        with writer.bulk_load(Attendance, sum(len(r["attendees"]) for r in activities)):
            attendance = writer.insert(
                Attendance,
                ["activity_id", "person_id"],
                ((act_map[r["id"]], person_map[p]) for r in activities for p in r["attendees"]),
                integers=True,
            )
        log.info("import dj_attendance: %d in %.1fs", attendance, time.perf_counter() - started)
        # Absences (extension): replaced like attendance for an updated activity.
        writer.delete_in(Absence, "activity_id", updated_pks)
        with writer.bulk_load(Absence, sum(len(r["absentees"]) for r in activities)):
            writer.insert(
                Absence,
                ["activity_id", "person_id", "reason", "note", "made_up_on", "made_up_how"],
                (
                    (
                        act_map[r["id"]],
                        person_map[a["person"]],
                        a["reason"],
                        a["note"] or "",
                        a["made_up_on"],
                        a["made_up_how"] or "",
                    )
                    for r in activities
                    for a in r["absentees"]
                ),
            )

    def by_id(
        ln: str,
        model: type[models.Model],
        value_fields: list[str],
        row: Callable[[Record], tuple[Any, ...]],
    ) -> None:
        records = parsed.records(ln)
        if not records:
            return
        existing = {(k,): v for k, v in _ext_map(model, using).items()}
        counts[ln] = _upsert(
            writer,
            model,
            ["ext_id"],
            value_fields,
            (((r["id"],), row(r)) for r in records),
            existing,
            len(records),
        )

    by_id(
        "trainings",
        Training,
        ["person", "date", "hours", "kind", "title", "extra"],
        lambda r: (
            person(r["person"]),
            r["date"],
            r["hours"],
            r["kind"],
            r["title"] or "",
            _json(r["extra"]),
        ),
    )
    by_id(
        "filings",
        Filing,
        ["org", "kind", "date", "period", "by", "extra"],
        lambda r: (
            org(r["org"]),
            r["kind"],
            r["date"],
            r["period"],
            person(r["by"]),
            _json(r["extra"]),
        ),
    )
    natural(
        "dues",
        Due,
        ["person", "month"],
        ["amount", "paid_on", "extra"],
        "person",
        lambda r: (
            (person(r["person"]), r["month"]),
            (r["amount"], r["paid_on"], _json(r["extra"])),
        ),
    )

    def assessment_row(r: Record) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        return (
            (*subject(r), r["year"], r["kind"]),
            (str(r["grade"]), r["rank"], r["out_of"], _json(r["extra"])),
        )

    assessments = [assessment_row(r) for r in parsed.records("assessments")]
    if assessments:
        key_fields = ["subject_org", "subject_person", "year", "kind"]
        existing = {
            tuple(row[:-1]): row[-1]
            for row in Assessment.objects.using(using).values_list(
                "subject_org_id", "subject_person_id", "year", "kind", "pk"
            )
        }
        counts["assessments"] = _upsert(
            writer,
            Assessment,
            key_fields,
            ["grade", "rank", "out_of", "extra"],
            assessments,
            existing,
            len(assessments),
        )
    rectifications = parsed.records("rectifications")
    if rectifications:
        counts["rectifications"] = _write_rectifications(
            writer, rectifications, org, _ext_map(Activity, using)
        )
    ordered = {ln: counts[ln] for ln in LISTS if ln in counts}
    return ImportSummary(counts=ordered, attendance=attendance)


_RECTIFICATION_FIELDS = [
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
    "extra",
]


def _write_rectifications(
    writer: _Writer,
    records: list[Record],
    org: Callable[[str | None], int | None],
    act_map: Mapping[str, int],
) -> ListCount:
    """Upsert by id; a new row also gets `created_at` (the raw insert bypasses auto_now_add)."""
    existing = _ext_map(Rectification, writer.using)

    def values(r: Record) -> tuple[Any, ...]:
        return (
            org(r["org"]),
            r["title"],
            r["rule"] or "",
            r["period"] or "",
            r["subject"] or "",
            act_map[r["inspection"]] if r["inspection"] is not None else None,
            r["found_on"],
            r["assigned_on"],
            r["verified_on"],
            r["due_on"],
            r["rectified_on"],
            r["accountability"],
            r["accountability_on"],
            r["revisit_on"],
            r["closed_on"],
            _json(r["extra"]),
        )

    now = writer.connection.ops.adapt_datetimefield_value(timezone.now())
    value_cols = _columns(Rectification, _RECTIFICATION_FIELDS)
    created = writer.insert(
        Rectification,
        ["ext_id", *value_cols, "created_at"],
        ((r["id"], *values(r), now) for r in records if r["id"] not in existing),
    )
    updated = writer.update(
        Rectification,
        value_cols,
        ((*values(r), existing[r["id"]]) for r in records if r["id"] in existing),
    )
    return ListCount(created, updated)


def _attnames(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(n).attname for n in names]  # type: ignore[union-attr]


# ---------------------------------------------------------------- entry point


def dataset_import(source: Source, *, actor: Actor, using: str = "default") -> ImportSummary:
    """Load a `dangjian/1` dataset, all or nothing.

    Raises DatasetError (nothing written) when any record is invalid. Re-importing
    the same ids (or natural keys) updates in place. Writes one audit entry.
    """
    started = time.perf_counter()
    data = load_source(source)
    log.info("import: parsed JSON in %.1fs", time.perf_counter() - started)
    with transaction.atomic(using=using):
        started = time.perf_counter()
        with _gc_paused():
            # A file we parsed ourselves is ours to consume; a caller's mapping is not.
            parsed = validate_dataset(data, using=using, consume=not isinstance(source, Mapping))
        del data
        log.info("import: validated in %.1fs", time.perf_counter() - started)
        summary = _write(parsed, using)
        changes = {"format": "dangjian/1", **summary.as_dict()}
        if using == "default":
            audit_record(actor=actor, action="import", object_type="dataset", changes=changes)
        else:
            # A throwaway database (e.g. `check FILE`): keep the entry beside the data.
            AuditEntry.objects.using(using).create(
                actor=None,
                actor_label=actor.label,
                action="import",
                object_type="dataset",
                source=actor.source,
                ip=actor.ip,
                changes=changes,
            )
    _refresh_statistics(summary, using)
    return summary


# Below this many new rows the planner's statistics are left to the database's own upkeep.
STATISTICS_THRESHOLD = 10_000


def _refresh_statistics(summary: ImportSummary, using: str) -> None:
    """Refresh the query planner's statistics after a large load.

    Without them both databases pick poor plans for the rule engine's aggregates
    (seen: a party-lesson quota over 200k members, 355 s before ANALYZE, about 1 s after).
    """
    created = summary.attendance + sum(c.created for c in summary.counts.values())
    if created < STATISTICS_THRESHOLD:
        return
    started = time.perf_counter()
    with connections[using].cursor() as cursor:
        cursor.execute("ANALYZE")
    log.info("import: refreshed planner statistics in %.1fs", time.perf_counter() - started)


__all__ = [
    "ImportSummary",
    "ListCount",
    "dataset_import",
    "load_source",
    "refresh_org_paths",
]
