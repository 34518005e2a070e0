"""Import of a `dangjian/1` dataset, streamed, all or nothing in one transaction.

The file is read list by list, record by record (`stream.read_dataset`); each
record is checked as it comes (`stream_validation.StreamChecker`) and written
with its batch of BATCH records, sorted into inserts and updates (by ext_id, or
by natural key for lists without ids) with one lookup query per batch and
`executemany` (COPY on PostgreSQL). No query runs per record, and nothing of the
file is held beyond the batch being written. After the first problem nothing
more is written but every record is still checked; any problem rolls back.
"""

from __future__ import annotations

import functools
import gc
import itertools
import json
import logging
import queue
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connections, models, transaction
from django.utils import timezone

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.locks import Busy, exclusive
from dangjian.core.models import AuditEntry
from dangjian.interchange.errors import DatasetError, Problem
from dangjian.interchange.stream import Source, read_dataset
from dangjian.interchange.stream_validation import DEPENDS, StreamChecker
from dangjian.interchange.validation import LISTS, Record
from dangjian.orgs.models import Organization, Position, Term
from dangjian.orgs.paths import compute_paths
from dangjian.oversight.models import Assessment, Rectification
from dangjian.people.models import (
    PERSON_RECORD_FIELDS,
    AdmissionStep,
    CommunityRegistration,
    CommunityService,
    Due,
    MemberReview,
    Person,
    Transfer,
)
from dangjian.records.models import Absence, Activity, Attendance, Filing, Training

BATCH = 5000
# Rows per INSERT statement on SQLite at most (fewer where its parameter limit says so).
SQLITE_ROWS = 500
# From this many new rows on (into a table that held no others), a load sets aside
# per-row costs: SQLite's secondary indexes, PostgreSQL's foreign-key triggers.
BULK_LOAD_ROWS = 100_000
# Batches of INSERTs queued for the writer thread (bounds the memory they hold).
PIPELINE_DEPTH = 4
# The writer thread on SQLite: measured at 200k members it cost more than it saved (the
# two threads contend for the GIL: SQLite's statement execution is a third of the work).
SQLITE_WRITER_THREAD = False
# Primary keys taken from a PostgreSQL sequence at a time for rows written with their key.
PK_BLOCK = 50_000
# PostgreSQL's maintenance_work_mem while the import rebuilds the indexes it set aside.
PG_BUILD_MEMORY = "256MB"

log = logging.getLogger("dangjian.interchange")


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
    "admission_steps": "发展党员步骤",
    "reviews": "民主评议党员",
    "community_registrations": "到社区报到",
    "community_services": "社区服务",
}


# ---------------------------------------------------------------- raw writes


class _Writer:
    """Batched raw INSERT/UPDATE on one connection; dates and Decimals adapt by themselves.

    Inside `pipelined()` on PostgreSQL (on SQLite only with SQLITE_WRITER_THREAD),
    INSERTs run on a second thread, fed by a short queue of batches: the server's
    COPY work overlaps with the reading and checking of the next records. Batches
    for one table in a row go through one COPY, kept open until something else is
    to run (a COPY per batch cost a round trip and a wait for Python's lock each).
    Any other statement, through Django's cursor, first waits until the queued
    INSERTs have run and their COPY has ended (and raises their error, if any): the
    statements run in the order they were issued, on the one connection, in the one
    transaction.
    """

    def __init__(self, using: str) -> None:
        self.using = using
        self.connection = connections[using]
        self.postgres = self.connection.vendor == "postgresql"
        self._queue: queue.Queue[_Job | None] | None = None
        self._error: BaseException | None = None
        self._pks: dict[str, list[int]] = {}
        self._sqlite_next: dict[str, int] = {}

    # ------------------------------------------------------------ the writer thread

    @contextmanager
    def pipelined(self) -> Iterator[None]:
        if not self.postgres:
            with _sqlite_dates():
                if not SQLITE_WRITER_THREAD:
                    yield
                    return
                with self._thread():
                    yield
            return
        with self._thread():
            yield

    @contextmanager
    def _thread(self) -> Iterator[None]:
        self.connection.ensure_connection()
        raw = self.connection.connection
        self._queue = queue.Queue(maxsize=PIPELINE_DEPTH)
        self._error = None
        thread = threading.Thread(target=self._work, args=(raw,), name="import-writer")
        thread.start()
        try:
            with self.connection.execute_wrapper(self._in_order):
                yield
                self.sync()
        finally:
            self._queue.put(None)
            thread.join()
            self._queue = None

    def _work(self, raw: Any) -> None:
        copying = _OpenCopy(raw.cursor())
        assert self._queue is not None
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    copying.abandon()  # open only if the main thread stopped on an error
                    return
                if self._error is None:
                    with self.connection.wrap_database_errors:
                        if isinstance(job, _CopyBatch):
                            copying.write(job)
                        else:
                            copying.end()
                            if job is not _end_copy:
                                job(copying.cursor)
            except BaseException as exc:  # raised again on the main thread
                copying.abandon(exc)
                self._error = exc
            finally:
                self._queue.task_done()

    def sync(self) -> None:
        """Wait for the queued INSERTs and the end of their COPY; raise the first error."""
        if self._queue is not None:
            self._queue.put(_end_copy)
            self._queue.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _in_order(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.sync()
        return execute(sql, params, many, context)

    def _submit(self, job: _Job) -> None:
        if self._queue is None:
            with self.connection.cursor() as cursor, self.connection.wrap_database_errors:
                if isinstance(job, _CopyBatch):
                    with cursor.cursor.copy(job.sql) as copy:
                        job.write(copy)
                else:
                    job(cursor.cursor)
            return
        if self._error is not None:
            self.sync()
        self._queue.put(job)

    # ------------------------------------------------------------ writes

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
        if self.postgres:
            sql = f"COPY {qn(table)} ({cols}) FROM STDIN"
            line = "\t".join(["%d"] * len(columns)) + "\n"
            for batch in _batches(rows, BATCH * 4 if integers else BATCH):
                if integers:
                    # Rows of plain ints: COPY text in one block, formatted in C row by row.
                    text = "".join(map(line.__mod__, map(tuple, batch)))
                    self._submit(_CopyBatch(sql, text=text))
                else:
                    self._submit(_CopyBatch(sql, rows=batch))
                count += len(batch)
            return count
        # Many rows per statement (half the CPU of a statement per row: SQLite's cost
        # is per statement run), straight to sqlite3 with its own placeholders. A batch
        # goes in as few statements as the parameter limit allows (the writer thread, if
        # on, takes the GIL back once per statement): SQLITE_ROWS rows at a time, the
        # rest in statements of 2^k rows (a handful of texts, each prepared once).
        one = f"({', '.join(['?'] * len(columns))})"
        head = f"INSERT INTO {qn(table)} ({cols}) VALUES "
        size = max(1, min(SQLITE_ROWS, self._sqlite_params() // len(columns)))
        for batch in _batches(rows, BATCH):
            self._submit(functools.partial(_sqlite_run, head, one, size, batch))
            count += len(batch)
        return count

    def _sqlite_params(self) -> int:
        """The most parameters one SQLite statement may have (999 before SQLite 3.32)."""
        self.connection.ensure_connection()
        raw = self.connection.connection
        try:
            return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        except AttributeError:  # Python before 3.11
            return 999

    def new_pks(self, model: type[models.Model], n: int) -> list[int]:
        """n primary keys no other row has or will get (the sequence moves past them)."""
        table = model._meta.db_table
        pool = self._pks.setdefault(table, [])
        if len(pool) < n:
            qn = self.connection.ops.quote_name
            pk = model._meta.pk.column  # type: ignore[union-attr]
            with self.connection.cursor() as cursor:
                if self.postgres:
                    # Taken from the sequence in blocks: concurrent inserts get others.
                    cursor.execute(
                        "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                        "FROM generate_series(1, %s)",
                        [table, pk, max(n - len(pool), PK_BLOCK)],
                    )
                    pool.extend(sorted(r[0] for r in cursor.fetchall()))
                else:
                    # The import holds SQLite's write lock: nobody else inserts meanwhile;
                    # past AUTOINCREMENT's high-water mark, which the explicit ids then move.
                    start = self._sqlite_next.get(table)
                    if start is None:
                        cursor.execute(f"SELECT max({qn(pk)}) FROM {qn(table)}")
                        top = cursor.fetchone()[0] or 0
                        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                        seq = cursor.fetchone()
                        start = max(top, seq[0] if seq else 0) + 1
                    end = start + n - len(pool)
                    pool.extend(range(start, end))
                    self._sqlite_next[table] = end
        taken = pool[:n]
        del pool[:n]
        return taken

    def set_aside(self, table: str) -> list[str]:
        """Set aside what costs per row on `table`; the statements that restore it.

        SQLite: drop the table's secondary indexes and rebuild them afterwards (one
        sort instead of millions of random index inserts). PostgreSQL: drop the
        table's foreign keys and add them back afterwards (one join to validate
        instead of a trigger per row at commit). Same transaction, so a failed
        import gets them back by rollback.
        """
        with self.connection.cursor() as cursor:
            return self._set_aside(cursor, table)

    def _set_aside(self, cursor: Any, table: str) -> list[str]:
        qn = self.connection.ops.quote_name
        if self.postgres:
            # Only the table's owner may alter it (docs/deploy.md runs the application as
            # a role that owns nothing): otherwise the rows go in with everything in place.
            cursor.execute(
                "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
                "WHERE oid = %s::regclass",
                [table],
            )
            if not cursor.fetchone()[0]:
                return []
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            keys = list(cursor.fetchall())
            # Unique constraints no foreign key leans on, and plain indexes (not the
            # primary key): built again by one sort each instead of an insert per row.
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c "
                "WHERE conrelid = %s::regclass AND contype = 'u' AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)",
                [table],
            )
            uniques = list(cursor.fetchall())
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
                "WHERE indrelid = %s::regclass AND NOT indisprimary AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [table],
            )
            indexes = list(cursor.fetchall())
            # ALTER TABLE refuses while checks deferred to commit are pending: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name, _ in keys + uniques:
                cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")  # as regclass gives it, quoted if need be
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return [
                # The index builds sort in memory up to this (the import's transaction only).
                f"SET LOCAL maintenance_work_mem = '{PG_BUILD_MEMORY}'",
                *(sql for _, sql in indexes),
                *(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(n)} {d}" for n, d in uniques),
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

    def run(self, statements: Sequence[str]) -> None:
        with self.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def update(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """rows: (*values, pk)."""
        rows = list(rows)
        if not rows:
            return 0  # (on PostgreSQL a scratch table would be made and dropped for nothing)
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


@contextmanager
def _sqlite_dates() -> Iterator[None]:
    """Millions of dates bound: the same text as Django's adapter (`val.isoformat()`),
    without a Python call per value."""
    key = (date, sqlite3.PrepareProtocol)
    adapter = sqlite3.adapters.get(key)
    sqlite3.adapters[key] = date.isoformat
    try:
        yield
    finally:
        if adapter is None:
            sqlite3.adapters.pop(key, None)
        else:
            sqlite3.adapters[key] = adapter


def _sqlite_run(head: str, one: str, size: int, rows: list[Sequence[Any]], cursor: Any) -> None:
    flat = itertools.chain.from_iterable
    start, end = 0, len(rows)
    while start < end:
        n = size if end - start >= size else 1 << ((end - start).bit_length() - 1)
        sql = _sqlite_sql(head, one, n)
        sqlite3.Cursor.execute(cursor, sql, list(flat(rows[start : start + n])))
        start += n


@functools.lru_cache(maxsize=256)
def _sqlite_sql(head: str, one: str, n: int) -> str:
    return head + ", ".join([one] * n)


@dataclass(frozen=True, slots=True)
class _CopyBatch:
    """A batch of rows for the COPY statement `sql`: as tuples, or as COPY text."""

    sql: str
    rows: list[Sequence[Any]] | None = None
    text: str | None = None

    def write(self, copy: Any) -> None:
        if self.text is not None:
            copy.write(self.text)
            return
        for row in self.rows or ():
            copy.write_row(row)


def _end_copy(cursor: Any) -> None:
    """Queued by `sync`: the writer ends its open COPY, if any, and runs nothing else."""


_Job = _CopyBatch | Callable[[Any], None]


class _OpenCopy:
    """The writer thread's COPY, open across the batches of one statement."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self._sql: str | None = None
        self._copy: Any = None
        self._stack = ExitStack()

    def write(self, batch: _CopyBatch) -> None:
        if batch.sql != self._sql:
            self.end()
            self._copy = self._stack.enter_context(self.cursor.copy(batch.sql))
            self._sql = batch.sql
        batch.write(self._copy)

    def end(self) -> None:
        """Finish the COPY: the server has every row written (or raises the first error)."""
        if self._sql is not None:
            self._sql = self._copy = None
            self._stack.close()

    def abandon(self, exc: BaseException | None = None) -> None:
        """End the COPY as failed (the transaction is rolled back after an error)."""
        if self._sql is None:
            return
        self._sql = self._copy = None
        error = exc or RuntimeError("the import stopped while writing")
        # The error the main thread raises already says what failed.
        with suppress(Exception):
            self._stack.__exit__(type(error), error, error.__traceback__)


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


def _ext_map(model: type[models.Model], using: str) -> dict[str, int]:
    return dict(model._default_manager.using(using).values_list("ext_id", "pk"))  # type: ignore[arg-type]


def refresh_org_paths(*, using: str = "default") -> int:
    """Recompute every organisation's materialised path; write only the changed ones."""
    rows = list(Organization.objects.using(using).values_list("pk", "parent_id", "path", "depth"))
    computed = compute_paths({pk: parent for pk, parent, _, _ in rows})
    changed = [(*computed[pk], pk) for pk, _, path, depth in rows if computed[pk] != (path, depth)]
    return _Writer(using).update(Organization, ["path", "depth"], changed)


# ---------------------------------------------------------------- per list


class _Load:
    """One list's inserts into one table, batch by batch.

    `fresh`: the table held no rows when the list began (asked before its first
    insert), so every record of the list is new and no stored rows need looking up.
    Once BULK_LOAD_ROWS rows have gone into a table that held nothing else, what
    costs per row is set aside (indexes on SQLite, foreign keys on PostgreSQL)
    until `close`.
    """

    def __init__(self, writer: _Writer, model: type[models.Model]) -> None:
        self.writer, self.model = writer, model
        self.inserted = 0
        self.checked = False
        self.restore: list[str] | None = None
        self._fresh: bool | None = None

    @property
    def fresh(self) -> bool:
        if self._fresh is None:
            assert self.inserted == 0, "asked before the first insert"
            qn = self.writer.connection.ops.quote_name
            with self.writer.connection.cursor() as cursor:
                cursor.execute(f"SELECT 1 FROM {qn(self.model._meta.db_table)} LIMIT 1")
                self._fresh = cursor.fetchone() is None
        return self._fresh

    @property
    def bulk(self) -> bool:
        return self.restore is not None

    def insert(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], **kw: Any) -> int:
        if not rows:
            return 0
        # Large: BULK_LOAD_ROWS in, or a whole batch at once into a table that was empty.
        large = self.inserted + len(rows) >= BULK_LOAD_ROWS or (
            self._fresh and not self.inserted and len(rows) >= BATCH
        )
        if not self.checked and large:
            self.checked = True
            table = self.model._meta.db_table
            if self._fresh is None:
                qn = self.writer.connection.ops.quote_name
                with self.writer.connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT count(*) FROM (SELECT 1 FROM {qn(table)} LIMIT %s) t",
                        [self.inserted + 1],
                    )
                    alone = cursor.fetchone()[0] == self.inserted
            else:
                alone = self._fresh
            if alone:
                self.restore = self.writer.set_aside(table)
        count = self.writer.insert(self.model, columns, rows, **kw)
        self.inserted += count
        return count

    def new_pks(self, n: int) -> list[int]:
        """Primary keys for n new rows, written with them (no lookup of what was assigned)."""
        return self.writer.new_pks(self.model, n)

    def close(self) -> None:
        if self.restore is not None:
            started = time.perf_counter()
            self.writer.run(self.restore)
            log.info(
                "import %s: indexes and keys back in %.1fs",
                self.model._meta.db_table,
                time.perf_counter() - started,
            )
        self.restore = None


_PERSON_FIELDS = PERSON_RECORD_FIELDS


def _person_value(r: Any, field: str) -> Any:
    if field == "left_reason":
        return r.get(field) or ""  # absent in files written before it existed
    return r[field]


_ACTIVITY_FIELDS = ["org", "kind", "date", "title", "hours", "speaker"]
_ACTIVITY_COLUMNS = [*_ACTIVITY_FIELDS, "subject_org", "subject_person", "extra"]


class _Import:
    """One import: reads the lists as they come, checks each record, writes in batches.

    Nothing is written after the first problem; every record is still checked so
    that all problems are reported at once. The caller's transaction makes it all
    or nothing.
    """

    def __init__(self, using: str) -> None:
        self.using = using
        self.writer = _Writer(using)
        self.counts: dict[str, ListCount] = {}
        self.attendance = 0
        rows = list(Organization.objects.using(using).values_list("ext_id", "pk", "parent__ext_id"))
        self.db_parents: dict[str, str | None] = {ext: parent for ext, _, parent in rows}
        self.check = StreamChecker(
            {ext: pk for ext, pk, _ in rows},
            dict(Person.objects.using(using).values_list("ext_id", "pk")),
            self._lookup_activities,
        )

    def _lookup_activities(self, ext_ids: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _batches(ext_ids, BATCH):
            found.update(
                Activity.objects.using(self.using)
                .filter(ext_id__in=chunk)
                .values_list("ext_id", "pk")
            )
        return found

    def run(self, items: Iterator[tuple[str, Any]]) -> ImportSummary:
        fmt: Any = None
        done: set[str] = set()
        waiting: dict[str, list[Any] | _Spool] = {}
        for key, value in items:
            if key == "format":
                fmt = value
            elif key not in LISTS:
                self.check.unknown_key(key)
            elif value is None:
                continue
            elif not isinstance(value, list | Iterator):
                self.check.not_a_list(key, value)
            elif all(d in done for d in DEPENDS[key]) and not waiting:
                self._list(key, value)
                done.add(key)
            else:
                # Read before the lists it refers to: set aside until they have been read.
                waiting[key] = value if isinstance(value, list) else _Spool(value)
        for ln in LISTS:
            if ln in waiting:
                self._list(ln, waiting.pop(ln))
        self.check.finish(fmt)
        ordered = {ln: self.counts[ln] for ln in LISTS if ln in self.counts}
        return ImportSummary(counts=ordered, attendance=self.attendance)

    def _list(self, ln: str, raws: Iterable[Any]) -> None:
        started = time.perf_counter()
        getattr(self, f"_{ln}")(raws)
        log.info("import %s in %.1fs", ln, time.perf_counter() - started)

    def _count(self, ln: str, created: int, updated: int) -> None:
        before = self.counts.get(ln, ListCount())
        self.counts[ln] = ListCount(before.created + created, before.updated + updated)

    # ------------------------------------------------------------ organisations

    def _organizations(self, raws: Iterable[Any]) -> None:
        raws = list(raws)  # a few thousand: held whole, parents may point forward
        orgs = self.check.orgs
        for raw in raws:
            rid = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(rid, str) and rid not in orgs:
                orgs[rid] = self.check.stand_in()
        records = list(self.check.records("organizations", raws))
        if not self.check.shape:
            self._check_cycles(raws)
        if not self.check.clean or not records:
            return
        writer = self.writer
        fresh = [r for r in records if orgs[r["id"]] < 0]
        writer.insert(
            Organization,
            ["ext_id", "name", "type", "path", "depth", "extra"],
            [(r["id"], r["name"], r["type"], "", 0, "{}") for r in fresh],
        )
        stand_ins = {orgs[r["id"]]: r["id"] for r in fresh}
        orgs.update(_ext_map(Organization, self.using))

        def parent(r: Record) -> int | None:
            pk = r["parent"]
            return orgs[stand_ins[pk]] if pk is not None and pk < 0 else pk

        fields = ["name", "type", "parent", "staff_count", "established", "dissolved", "extra"]
        writer.update(
            Organization,
            _columns(Organization, fields),
            [
                (
                    r["name"],
                    r["type"],
                    parent(r),
                    r["staff_count"],
                    r["established"],
                    r["dissolved"],
                    _json(r["extra"]),
                    orgs[r["id"]],
                )
                for r in records
            ],
        )
        refresh_org_paths(using=self.using)
        self._count("organizations", len(fresh), len(records) - len(fresh))

    def _check_cycles(self, raws: list[Any]) -> None:
        """The file's parents override the database's for the organisations it holds."""
        parents = dict(self.db_parents)
        ids = [raw["id"] for raw in raws]
        for raw in raws:
            parents[raw["id"]] = raw.get("parent")
        state: dict[str, int] = {}  # 1 = on the current chain, 2 = known to reach a root
        for rid in ids:
            chain: list[str] = []
            node: str | None = rid
            while node is not None and node in parents and state.get(node) != 2:
                if state.get(node) == 1:
                    self.check.add_cycle(
                        Problem(
                            "organizations",
                            rid,
                            "parent",
                            f"上级组织形成循环：{' → '.join([*chain, node])} (parent cycle)",
                        )
                    )
                    break
                state[node] = 1
                chain.append(node)
                node = parents[node]
            for visited in chain:
                state[visited] = 2

    # ------------------------------------------------------------ people

    def _people(self, raws: Iterable[Any]) -> None:
        people = self.check.people
        load = _Load(self.writer, Person)
        cols = _columns(Person, [*_PERSON_FIELDS, "extra"])
        created = updated = 0
        for batch in _batches(self.check.records("people", raws), BATCH):
            rows = [
                (*(_person_value(r, f) for f in _PERSON_FIELDS), _json(r["extra"])) for r in batch
            ]
            new = [
                (r["id"], *row) for r, row in zip(batch, rows, strict=True) if people[r["id"]] < 0
            ]
            old = [
                (*row, people[r["id"]])
                for r, row in zip(batch, rows, strict=True)
                if people[r["id"]] > 0
            ]
            if load.fresh:
                # Written with their pks (taken beforehand): no lookup of what was assigned.
                pks = load.new_pks(len(new))
                created += load.insert(
                    ["id", "ext_id", *cols], [(p, *row) for p, row in zip(pks, new, strict=True)]
                )
                people.update(zip([row[0] for row in new], pks, strict=True))
                continue
            created += load.insert(["ext_id", *cols], new)
            updated += self.writer.update(Person, cols, old)
            if new:
                people.update(
                    Person.objects.using(self.using)
                    .filter(ext_id__in=[row[0] for row in new])
                    .values_list("ext_id", "pk")
                )
        load.close()
        self._count("people", created, updated)

    # ------------------------------------------------------------ lists without ids

    def _natural(
        self,
        ln: str,
        raws: Iterable[Any],
        model: type[models.Model],
        key_fields: list[str],
        value_fields: list[str],
        row: Callable[[Record], tuple[tuple[Any, ...], tuple[Any, ...]]],
        *,
        new_only: Sequence[tuple[str, Any]] = (),
    ) -> None:
        """Upsert by natural key; `new_only` columns go into inserts only."""
        load = _Load(self.writer, model)
        key_names = _attnames(model, key_fields)
        key_cols = _columns(model, key_fields)
        value_cols = _columns(model, value_fields)
        extra_cols = [c for c, _ in new_only]
        extra_vals = tuple(v for _, v in new_only)
        created = updated = 0
        for batch in _batches(self.check.records(ln, raws), BATCH):
            rows = [row(r) for r in batch]
            if load.fresh:  # all new: the file's natural keys are unique
                created += load.insert(
                    key_cols + value_cols + extra_cols, [k + v + extra_vals for k, v in rows]
                )
                continue
            existing = self._existing(model, key_names, rows)
            created += load.insert(
                key_cols + value_cols + extra_cols,
                [k + v + extra_vals for k, v in rows if k not in existing],
            )
            updated += self.writer.update(
                model, value_cols, [(*v, existing[k]) for k, v in rows if k in existing]
            )
        load.close()
        self._count(ln, created, updated)

    def _existing(
        self,
        model: type[models.Model],
        names: list[str],
        rows: list[tuple[tuple[Any, ...], tuple[Any, ...]]],
    ) -> dict[tuple[Any, ...], int]:
        """Natural key -> pk of the stored rows a batch may update (by the key's first part)."""
        qs = model._default_manager.using(self.using)
        if names[0] == "subject_org_id":  # assessments: by year
            qs = qs.filter(year__in={k[2] for k, _ in rows})
        else:
            qs = qs.filter(**{f"{names[0]}__in": {k[0] for k, _ in rows}})
        return {tuple(r[:-1]): r[-1] for r in qs.values_list(*names, "pk")}

    def _transfers(self, raws: Iterable[Any]) -> None:
        self._natural(
            "transfers",
            raws,
            Transfer,
            ["person", "date"],
            ["from_org", "to_org", "letter", "extra"],
            lambda r: (
                (r["person"], r["date"]),
                (r["from"], r["to"], r["letter"] or "", _json(r["extra"])),
            ),
        )

    def _positions(self, raws: Iterable[Any]) -> None:
        self._natural(
            "positions",
            raws,
            Position,
            ["person", "org", "role", "start"],
            ["end", "extra"],
            lambda r: (
                (r["person"], r["org"], r["role"], r["start"]),
                (r["end"], _json(r["extra"])),
            ),
        )

    def _terms(self, raws: Iterable[Any]) -> None:
        self._natural(
            "terms",
            raws,
            Term,
            ["org", "elected_on"],
            ["years", "extra"],
            lambda r: ((r["org"], r["elected_on"]), (r["years"], _json(r["extra"]))),
        )

    def _dues(self, raws: Iterable[Any]) -> None:
        self._natural(
            "dues",
            raws,
            Due,
            ["person", "month"],
            ["amount", "paid_on", "extra"],
            lambda r: ((r["person"], r["month"]), (r["amount"], r["paid_on"], _json(r["extra"]))),
        )

    def _assessments(self, raws: Iterable[Any]) -> None:
        self._natural(
            "assessments",
            raws,
            Assessment,
            ["subject_org", "subject_person", "year", "kind"],
            ["grade", "rank", "out_of", "extra"],
            lambda r: (
                (r["subject_org"], r["subject_person"], r["year"], r["kind"]),
                (str(r["grade"]), r["rank"], r["out_of"], _json(r["extra"])),
            ),
        )

    def _reviews(self, raws: Iterable[Any]) -> None:
        self._natural(
            "reviews",
            raws,
            MemberReview,
            ["person", "year"],
            ["outcome", "reviewed_on", "correction_due", "decision", "decided_on", "extra"],
            lambda r: (
                (r["person"], r["year"]),
                (
                    r["outcome"],
                    r["reviewed_on"],
                    r["correction_due"],
                    r["decision"] or "",
                    r["decided_on"],
                    _json(r["extra"]),
                ),
            ),
        )

    def _community_registrations(self, raws: Iterable[Any]) -> None:
        self._natural(
            "community_registrations",
            raws,
            CommunityRegistration,
            ["person", "registered_on"],
            ["community", "ended_on", "extra"],
            lambda r: (
                (r["person"], r["registered_on"]),
                (r["community"], r["ended_on"], _json(r["extra"])),
            ),
        )

    def _community_services(self, raws: Iterable[Any]) -> None:
        self._natural(
            "community_services",
            raws,
            CommunityService,
            ["person", "date"],
            ["hours", "community", "extra"],
            lambda r: (
                (r["person"], r["date"]),
                (r["hours"], r["community"] or "", _json(r["extra"])),
            ),
        )

    def _admission_steps(self, raws: Iterable[Any]) -> None:
        now = self.writer.connection.ops.adapt_datetimefield_value(timezone.now())
        self._natural(
            "admission_steps",
            raws,
            AdmissionStep,
            ["person", "step"],
            ["date", "evidence", "until", "extra"],
            lambda r: (
                (r["person"], r["step"]),
                (r["date"], r["evidence"], r["until"], _json(r["extra"])),
            ),
            # A new row also gets `recorded_at` (the raw insert bypasses auto_now_add).
            new_only=[("recorded_at", now)],
        )

    # ------------------------------------------------------------ lists with ids

    def _by_id(
        self,
        ln: str,
        raws: Iterable[Any],
        model: type[models.Model],
        value_cols: list[str],
        values: Callable[[Record], tuple[Any, ...]],
        *,
        new_only: Sequence[tuple[str, Any]] = (),
        after: Callable[[list[Record], dict[str, int], list[int]], None] | None = None,
    ) -> None:
        """Upsert by ext_id; `new_only` columns go into inserts only.

        `after(batch, ext_id -> pk, updated pks)` runs after each batch is written.
        """
        load = _Load(self.writer, model)
        extra_cols = [c for c, _ in new_only]
        extra_vals = tuple(v for _, v in new_only)
        created = updated = 0
        pk = model._meta.pk.column  # type: ignore[union-attr]
        for batch in _batches(self.check.records(ln, raws), BATCH):
            ids = [r["id"] for r in batch]
            if load.fresh:
                # All new (the file's ids are unique): no lookups; where the pks are
                # needed (`after`), the rows are written with pks taken beforehand.
                if after is None:
                    created += load.insert(
                        ["ext_id", *value_cols, *extra_cols],
                        [(r["id"], *values(r), *extra_vals) for r in batch],
                    )
                    continue
                new = load.new_pks(len(batch))
                created += load.insert(
                    [pk, "ext_id", *value_cols, *extra_cols],
                    [
                        (p, r["id"], *values(r), *extra_vals)
                        for p, r in zip(new, batch, strict=True)
                    ],
                )
                after(batch, dict(zip(ids, new, strict=True)), [])
                continue
            existing = self._ext_pks(model, ids)
            created += load.insert(
                ["ext_id", *value_cols, *extra_cols],
                [(r["id"], *values(r), *extra_vals) for r in batch if r["id"] not in existing],
            )
            updated += self.writer.update(
                model,
                value_cols,
                [(*values(r), existing[r["id"]]) for r in batch if r["id"] in existing],
            )
            if after is not None:
                pks = self._ext_pks(model, ids) if len(existing) < len(ids) else existing
                after(batch, pks, list(existing.values()))
        load.close()
        self._count(ln, created, updated)

    def _ext_pks(self, model: type[models.Model], ids: list[str]) -> dict[str, int]:
        return dict(
            model._default_manager.using(self.using)
            .filter(ext_id__in=ids)
            .values_list("ext_id", "pk")  # type: ignore[arg-type]
        )

    def _activities(self, raws: Iterable[Any]) -> None:
        attendance = _Load(self.writer, Attendance)
        absence = _Load(self.writer, Absence)
        activities = self.check.activities

        def values(r: Record) -> tuple[Any, ...]:
            return (
                r["org"],
                r["kind"],
                r["date"],
                r["title"] or "",
                r["hours"],
                r["speaker"],
                r["subject_org"],
                r["subject_person"],
                _json(r["extra"]),
            )

        def attendees(batch: list[Record], pks: dict[str, int], updated: list[int]) -> None:
            # Attendance of an updated activity is replaced by the file's list.
            if updated:
                self.writer.delete_in(Attendance, "activity_id", updated)
            activities.update(pks)
            self.attendance += attendance.insert(
                ["activity_id", "person_id"],
                # (tuples made in C: millions of rows)
                list(
                    itertools.chain.from_iterable(
                        zip(itertools.repeat(pks[r["id"]]), r["attendees"]) for r in batch
                    )
                ),
                integers=True,
            )
            # Absences (extension): replaced like attendance for an updated activity.
            if updated:
                self.writer.delete_in(Absence, "activity_id", updated)
            absence.insert(
                ["activity_id", "person_id", "reason", "note", "made_up_on", "made_up_how"],
                [
                    (
                        pks[r["id"]],
                        a["person"],
                        a["reason"],
                        a["note"] or "",
                        a["made_up_on"],
                        a["made_up_how"] or "",
                    )
                    for r in batch
                    for a in r["absentees"]
                ],
            )

        self._by_id(
            "activities",
            raws,
            Activity,
            _columns(Activity, _ACTIVITY_COLUMNS),
            values,
            after=attendees,
        )
        attendance.close()
        absence.close()

    def _trainings(self, raws: Iterable[Any]) -> None:
        self._by_id(
            "trainings",
            raws,
            Training,
            _columns(Training, ["person", "date", "hours", "kind", "title", "extra"]),
            lambda r: (
                r["person"],
                r["date"],
                r["hours"],
                r["kind"],
                r["title"] or "",
                _json(r["extra"]),
            ),
        )

    def _filings(self, raws: Iterable[Any]) -> None:
        self._by_id(
            "filings",
            raws,
            Filing,
            _columns(Filing, ["org", "kind", "date", "period", "by", "extra"]),
            lambda r: (r["org"], r["kind"], r["date"], r["period"], r["by"], _json(r["extra"])),
        )

    def _rectifications(self, raws: Iterable[Any]) -> None:
        def prefetched() -> Iterator[Any]:
            for batch in _batches(raws, BATCH):
                self.check.prefetch_activities(batch)
                yield from batch

        now = self.writer.connection.ops.adapt_datetimefield_value(timezone.now())
        self._by_id(
            "rectifications",
            prefetched(),
            Rectification,
            _columns(Rectification, _RECTIFICATION_FIELDS),
            lambda r: (
                r["org"],
                r["title"],
                r["rule"] or "",
                r["period"] or "",
                r["subject"] or "",
                r["inspection"],
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
            ),
            # A new row also gets `created_at` (the raw insert bypasses auto_now_add).
            new_only=[("created_at", now)],
        )


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


class _Spool:
    """A list read before the lists it refers to, kept on disk one record a line."""

    def __init__(self, raws: Iterable[Any]) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed when read)
        for raw in raws:
            self.file.write(json.dumps(raw, ensure_ascii=False).encode() + b"\n")

    def __iter__(self) -> Iterator[Any]:
        self.file.seek(0)
        try:
            for line in self.file:
                yield json.loads(line)
        finally:
            self.file.close()


def _attnames(model: type[models.Model], names: Sequence[str]) -> list[str]:
    return [model._meta.get_field(n).attname for n in names]  # type: ignore[union-attr]


# ---------------------------------------------------------------- entry point


def dataset_import(source: Source, *, actor: Actor, using: str = "default") -> ImportSummary:
    """Load a `dangjian/1` dataset, all or nothing.

    The file is read list by list and written in batches of BATCH records, so
    memory does not grow with the file. Raises DatasetError (nothing written)
    when any record is invalid or the JSON is malformed. Re-importing the same
    ids (or natural keys) updates in place. Writes one audit entry.
    """
    try:
        with exclusive("import", using=using):
            return _dataset_import(source, actor=actor, using=using)
    except Busy:
        raise DatasetError(
            [
                Problem(
                    "", "", "", "另一个导入正在进行，请等它完成后再试 (another import is running)"
                )
            ]
        ) from None


def _dataset_import(source: Source, *, actor: Actor, using: str) -> ImportSummary:
    started = time.perf_counter()
    with transaction.atomic(using=using), _gc_paused(), _sqlite_cache(using):
        job = _Import(using)
        with job.writer.pipelined():
            summary = job.run(read_dataset(source))
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
    log.info("import: written in %.1fs", time.perf_counter() - started)
    _refresh_statistics(summary, using)
    return summary


# SQLite's page cache while importing (KiB): index inserts and rebuilds sort in it.
SQLITE_CACHE_KIB = 131_072


@contextmanager
def _sqlite_cache(using: str) -> Iterator[None]:
    """A larger page cache for the import's connection (SQLite's default is 2 MB)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


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
    connection = connections[using]
    # On PostgreSQL, VACUUM too when outside a transaction (it cannot run in one): it marks
    # the freshly written pages all-visible, without which every index-only scan of the
    # engine's aggregates reads the table too until autovacuum comes by (if it is on).
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
    log.info(
        "import: refreshed planner statistics%s in %.1fs",
        " and the visibility map (VACUUM)" if vacuum else "",
        time.perf_counter() - started,
    )


__all__ = [
    "ImportSummary",
    "ListCount",
    "dataset_import",
    "refresh_org_paths",
]
