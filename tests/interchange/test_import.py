"""Import of dangjian/1 datasets: every field, upserts, partial files, audit, query counts."""

import io
import json
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.interchange.canonical import canonical_dataset
from dangjian.interchange.errors import DatasetError
from dangjian.interchange.importer import dataset_import
from dangjian.orgs.models import Organization, Position, Term
from dangjian.oversight.models import Assessment
from dangjian.people.models import Due, Person, Transfer
from dangjian.records.models import Activity, Attendance, Filing, Training

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")


def table_counts() -> dict[str, int]:
    models = (Organization, Person, Transfer, Position, Term, Activity, Attendance)
    models += (Training, Filing, Due, Assessment)
    return {m.__name__: m.objects.count() for m in models}


def test_full_dataset_imports_every_field(full_dataset, tmp_path, write_json, run_import):
    status, out, err = run_import(write_json(full_dataset))
    assert status == 0, err
    assert "新增 6" in out

    o2 = Organization.objects.get(ext_id="O2")
    assert (o2.parent.ext_id, o2.staff_count, o2.extra) == (
        "O1",
        120,
        {"code": "CZ", "tags": ["a", "b"]},
    )
    o6 = Organization.objects.get(ext_id="O6")
    path = [Organization.objects.get(pk=int(pk)).ext_id for pk in o6.path.strip("/").split("/")]
    assert path == ["O1", "O2", "O3", "O4", "O6"] and o6.depth == 4
    assert str(Organization.objects.get(ext_id="O5").dissolved) == "2022-12-31"

    p1 = Person.objects.get(ext_id="P1")
    assert p1.monthly_income == Decimal("8234.50")
    assert (p1.leading_cadre, p1.party_worker, p1.extra) == (True, "full_time", {"工号": "A001"})
    p3 = Person.objects.get(ext_id="P3")
    assert (p3.mobile, p3.hosted_by.ext_id, p3.employment) == (True, "O8", "retired")
    assert str(p3.left_on) == "2022-11-30"

    t = Transfer.objects.get(person=p3)
    assert (t.from_org.ext_id, t.to_org.ext_id, t.letter) == ("O4", "O5", "财组〔2022〕7号")
    assert Transfer.objects.get(person=p1).from_org is None
    assert Position.objects.get(person=p1, role="secretary").end is None
    assert Term.objects.get(org__ext_id="O3").years == 5

    a1 = Activity.objects.get(ext_id="A1")
    assert (a1.hours, a1.speaker.ext_id, a1.title) == (Decimal("2.50"), "P1", "学习党章")
    assert sorted(a1.attendees.values_list("ext_id", flat=True)) == ["P1", "P2", "P3"]
    assert Activity.objects.get(ext_id="A2").subject_org.ext_id == "O4"
    assert Activity.objects.get(ext_id="A3").subject_person.ext_id == "P2"

    assert Training.objects.count() == 5  # two identical id-less records both kept
    assert Filing.objects.get(ext_id="F1").by == p1
    due = Due.objects.get(person=p1, month="2022-01-01")
    assert due.amount == Decimal("12.75")
    assert Assessment.objects.get(subject_org__ext_id="O4").grade == "4"
    assert Assessment.objects.get(subject_person__ext_id="P3").rank == 9


def test_export_equals_canonical_form_and_round_trips(
    full_dataset, write_json, export_json, run_import, wipe
):
    assert run_import(write_json(full_dataset))[0] == 0
    first = export_json()
    assert first == canonical_dataset(full_dataset)
    # numbers, booleans and grades in the canonical shape
    people = {p["id"]: p for p in first["people"]}
    assert people["P1"]["monthly_income"] == 8234.5 and people["P2"]["monthly_income"] == 6000
    assert isinstance(people["P2"]["monthly_income"], int)
    assert people["P4"]["leading_cadre"] is False and people["P4"]["employment"] == "in_service"
    assert "party_worker" not in people["P3"] and "extra" not in people["P2"]
    star = next(a for a in first["assessments"] if a["subject"] == "O4")
    assert star["grade"] == 4
    assert first["dues"][0] == {
        "person": "P1",
        "month": "2022-01",
        "amount": 12.75,
        "paid_on": "2022-01-05",
    }

    wipe()
    assert table_counts()["Person"] == 0
    assert run_import(write_json(first, "export.json"))[0] == 0
    assert export_json() == first


def test_reimport_updates_in_place(full_dataset, tmp_path, export_json):
    dataset_import(full_dataset, actor=ACTOR)
    before = table_counts()
    full_dataset["people"][0]["name"] = "张三丰"
    full_dataset["activities"][0]["attendees"] = ["P4"]
    full_dataset["positions"][0]["end"] = "2022-12-31"
    full_dataset["dues"][0]["amount"] = 13
    full_dataset["organizations"][5]["parent"] = "O8"  # the cell moves under the general branch
    summary = dataset_import(full_dataset, actor=ACTOR)

    after = table_counts()
    assert after == {**before, "Attendance": before["Attendance"] - 2}
    assert summary.counts["people"].created == 0 and summary.counts["people"].updated == 6
    assert Person.objects.get(ext_id="P1").name == "张三丰"
    a1 = Activity.objects.get(ext_id="A1")
    assert list(a1.attendees.values_list("ext_id", flat=True)) == ["P4"]
    assert str(Position.objects.get(role="secretary").end) == "2022-12-31"
    assert Due.objects.get(person__ext_id="P1", month="2022-01-01").amount == 13
    o6, o8 = Organization.objects.get(ext_id="O6"), Organization.objects.get(ext_id="O8")
    assert o6.path == f"{o8.path}{o6.pk}/"
    assert export_json() == canonical_dataset(full_dataset)


def test_partial_dataset_references_existing_records(full_dataset):
    dataset_import(full_dataset, actor=ACTOR)
    partial = {
        "format": "dangjian/1",
        "activities": [
            {
                "id": "A9",
                "org": "O4",
                "kind": "party_lesson",
                "date": "2022-09-01",
                "speaker": "P2",
                "attendees": ["P1", "P2"],
            },
        ],
        "trainings": [
            {"id": "T9", "person": "P2", "date": "2022-09-02", "hours": 2, "kind": "general"}
        ],
        "positions": [{"person": "P4", "org": "O8", "role": "secretary", "start": "2022-01-01"}],
        "assessments": [{"subject": "O8", "year": 2022, "kind": "star_rating", "grade": 3}],
    }
    summary = dataset_import(partial, actor=ACTOR)
    assert summary.counts["activities"].created == 1
    assert summary.attendance == 2
    assert Activity.objects.get(ext_id="A9").speaker.ext_id == "P2"
    assert Person.objects.count() == 6
    assert Position.objects.filter(person__ext_id="P4", org__ext_id="O8").exists()
    assert Activity.objects.get(ext_id="A1").attendees.count() == 3  # untouched


def test_ids_derived_for_trainings_and_filings_are_stable(full_dataset):
    dataset_import(full_dataset, actor=ACTOR)
    ids = set(Training.objects.values_list("ext_id", flat=True))
    dataset_import(full_dataset, actor=ACTOR)
    assert set(Training.objects.values_list("ext_id", flat=True)) == ids
    assert Training.objects.count() == 5 and Filing.objects.count() == 5


def test_audit_entry_written_once_per_import(full_dataset):
    before = AuditEntry.objects.count()
    dataset_import(full_dataset, actor=ACTOR)
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.source) == ("import", "dataset", "test")
    assert entry.changes["counts"]["people"] == {"created": 6, "updated": 0}
    assert entry.changes["attendance"] == 5


def test_failed_import_writes_no_audit_entry(full_dataset):
    full_dataset["people"][0]["org"] = "O99"
    with pytest.raises(DatasetError):
        dataset_import(full_dataset, actor=ACTOR)
    assert AuditEntry.objects.count() == 0 and Organization.objects.count() == 0


def test_import_reads_a_stream_and_stdin(full_dataset, monkeypatch, run_import):
    data = json.dumps(full_dataset, ensure_ascii=False).encode()
    dataset_import(io.BytesIO(data), actor=ACTOR)
    assert Person.objects.count() == 6

    full_dataset["people"][0]["name"] = "从标准输入"

    class FakeStdin:
        buffer = io.BytesIO(json.dumps(full_dataset).encode())

    monkeypatch.setattr("sys.stdin", FakeStdin())
    assert run_import("-")[0] == 0
    assert Person.objects.get(ext_id="P1").name == "从标准输入"


def _sized(prefix: str, n: int) -> dict:
    org = f"{prefix}-O"
    people = [f"{prefix}-P{i}" for i in range(n)]
    return {
        "format": "dangjian/1",
        "organizations": [{"id": org, "name": "支部", "type": "branch"}],
        "people": [{"id": p, "name": "党员", "org": org, "status": "full"} for p in people],
        "positions": [
            {"person": p, "org": org, "role": "committee_member", "start": "2022-01-01"}
            for p in people
        ],
        "activities": [
            {
                "id": f"{prefix}-A",
                "org": org,
                "kind": "theme_day",
                "date": "2022-01-05",
                "attendees": people,
            }
        ],
        "trainings": [
            {"person": p, "date": "2022-02-01", "hours": 1.5, "kind": "general"} for p in people
        ],
        "dues": [
            {"person": p, "month": "2022-01", "amount": 5, "paid_on": "2022-01-09"} for p in people
        ],
        "assessments": [
            {"subject": p, "year": 2022, "kind": "performance", "grade": "good"} for p in people
        ],
    }


def test_a_database_error_on_the_writer_thread_fails_the_whole_import(monkeypatch):
    # The INSERTs run on a second thread: an error there (here a negative amount the
    # database's check refuses) reaches the caller, and nothing at all is kept.
    from dangjian.interchange import importer

    monkeypatch.setattr(importer, "SQLITE_WRITER_THREAD", True)  # (off by default)
    real = importer._Writer.insert

    def insert(self, model, columns, rows, **kw):  # type: ignore[no-untyped-def]
        if model is Due:
            at = list(columns).index("amount")
            rows = [(*r[:at], -1, *r[at + 1 :]) for r in rows]
        return real(self, model, columns, rows, **kw)

    monkeypatch.setattr(importer._Writer, "insert", insert)
    with pytest.raises(IntegrityError):
        dataset_import(_sized("x", 20), actor=ACTOR)
    assert Person.objects.count() == 0 and Training.objects.count() == 0
    assert Due.objects.count() == 0 and AuditEntry.objects.count() == 0
    # The connection is usable and the writer thread gone: the next import goes through.
    monkeypatch.setattr(importer._Writer, "insert", real)
    dataset_import(_sized("x", 20), actor=ACTOR)
    assert Due.objects.count() == 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_a_tables_batches_share_one_copy_and_a_late_error_still_fails_all(monkeypatch):
    # Batch after batch of one table goes through one COPY, ended before any other
    # statement runs on the connection. A bad row in the last batch, after eight batches
    # went through that COPY, fails the whole import all the same.
    from dangjian.interchange import importer

    monkeypatch.setattr(importer, "BATCH", 7)
    opened: list[str] = []
    real_write = importer._OpenCopy.write

    def write(self, batch):  # type: ignore[no-untyped-def]
        if batch.sql != self._sql:
            opened.append(batch.sql.split()[1])
        return real_write(self, batch)

    monkeypatch.setattr(importer._OpenCopy, "write", write)
    real_insert = importer._Writer.insert
    dues_seen = [0]

    def insert(self, model, columns, rows, **kw):  # type: ignore[no-untyped-def]
        rows = list(rows)
        if model is Due:
            dues_seen[0] += len(rows)
            if dues_seen[0] == 60:  # the last of 9 batches
                at = list(columns).index("amount")
                rows[-1] = (*rows[-1][:at], -1, *rows[-1][at + 1 :])
        return real_insert(self, model, columns, rows, **kw)

    monkeypatch.setattr(importer._Writer, "insert", insert)
    with pytest.raises(IntegrityError):
        dataset_import(_sized("d", 60), actor=ACTOR)
    assert opened.count('"dj_due"') == 1
    assert Person.objects.count() == 0 and Due.objects.count() == 0
    assert AuditEntry.objects.count() == 0

    # The connection is usable; the same import without the bad row goes through.
    monkeypatch.setattr(importer._Writer, "insert", real_insert)
    opened.clear()
    dataset_import(_sized("c", 60), actor=ACTOR)
    assert Person.objects.count() == 60 and Due.objects.count() == 60
    assert Training.objects.count() == 60 and Attendance.objects.count() == 60
    # 9 batches of each list, one COPY each.
    assert [opened.count(t) for t in ('"dj_person"', '"dj_due"', '"dj_training"')] == [1, 1, 1]


def _queries_into_empty_tables(data: dict) -> int:
    with transaction.atomic():
        with CaptureQueriesContext(connection) as ctx:
            dataset_import(data, actor=ACTOR)
        assert Person.objects.count() == len(data["people"])
        transaction.set_rollback(True)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_records(django_assert_max_num_queries):
    # Into empty tables (every record new: nothing looked up) …
    assert _queries_into_empty_tables(_sized("b", 100)) <= _queries_into_empty_tables(
        _sized("s", 10)
    )
    # … and into tables that hold rows (each batch looks up what it may update).
    dataset_import(_sized("a", 1), actor=ACTOR)
    with CaptureQueriesContext(connection) as small:
        dataset_import(_sized("s", 10), actor=ACTOR)
    with django_assert_max_num_queries(len(small.captured_queries)):
        dataset_import(_sized("b", 100), actor=ACTOR)
    assert Person.objects.count() == 111 and Attendance.objects.count() == 111


def test_fast_record_check_agrees_with_the_full_check(full_dataset):
    from dangjian.interchange.validation import _check_record, _fast_check, _rules

    rules = _rules()
    for ln, rows in full_dataset.items():
        if ln == "format":
            continue
        fast = _fast_check(ln, rules[ln])
        for index, raw in enumerate(rows):
            problems: list = []
            full = _check_record(problems, ln, rules[ln], raw, index)
            quick = fast(raw, index)
            assert problems == [] and full is not None
            assert quick == full, (ln, index)  # dates already cached by the full check
    # an unusual value is never accepted by the fast path
    bad = dict(full_dataset["people"][0], birth_date="2022-02-30")
    assert _fast_check("people", rules["people"])(bad, 0) is None


def _schema() -> set[tuple[str, str, str, str]]:
    """Indexes and foreign keys of the big tables (what a bulk load sets aside)."""
    tables = ["dj_attendance", "dj_training", "dj_due", "dj_person", "dj_activity"]
    with connection.cursor() as cursor:
        return {
            (table, repr(c["columns"]), repr(c["index"]), repr(c["foreign_key"]))
            for table in tables
            for c in connection.introspection.get_constraints(cursor, table).values()
            if c["index"] or c["foreign_key"]
        }


def test_bulk_load_path_keeps_indexes_and_data(full_dataset, monkeypatch, export_json):
    # With a threshold of 1 row every list takes the bulk path (on SQLite: indexes
    # dropped and rebuilt inside the transaction).
    monkeypatch.setattr("dangjian.interchange.importer.BULK_LOAD_ROWS", 1)
    before = _schema()
    assert any(fk != "None" for *_, fk in before)
    dataset_import(full_dataset, actor=ACTOR)
    assert _schema() == before
    assert export_json() == canonical_dataset(full_dataset)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="roles are PostgreSQL's")
def test_bulk_load_as_a_role_that_owns_no_table(full_dataset, monkeypatch, export_json):
    # docs/deploy.md runs the application as a role that may write rows but not alter
    # tables: the bulk path then sets nothing aside and the import still goes through.
    monkeypatch.setattr("dangjian.interchange.importer.BULK_LOAD_ROWS", 1)
    before = _schema()
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE dj_import_test_app")  # rolled back with the test
        cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO dj_import_test_app")
        cursor.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO dj_import_test_app")
        cursor.execute("SET ROLE dj_import_test_app")
    try:
        dataset_import(full_dataset, actor=ACTOR)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert _schema() == before
    assert export_json() == canonical_dataset(full_dataset)


def test_many_rows_per_insert_statement_round_trip(full_dataset, monkeypatch, export_json):
    # SQLite writes SQLITE_ROWS rows per INSERT and the rest of a batch in statements of
    # 2^k rows: with 3, every list of the dataset takes both paths (COPY ignores it).
    monkeypatch.setattr("dangjian.interchange.importer.SQLITE_ROWS", 3)
    dataset_import(full_dataset, actor=ACTOR)
    assert export_json() == canonical_dataset(full_dataset)


def _planner_rows(table: str) -> float:
    """What the planner's statistics say the table holds (nothing before ANALYZE)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return -1
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
            row = cursor.fetchone()
            return float(row[0].split()[0]) if row else -1
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return float(cursor.fetchone()[0])


def test_large_import_refreshes_planner_statistics(monkeypatch):
    from dangjian.interchange import importer

    # (compared with before: an index rebuilt by an earlier, rolled-back test on
    # PostgreSQL leaves its row estimate behind, as index builds update it in place)
    before = _planner_rows("dj_training")
    dataset_import(_sized("small", 5), actor=ACTOR)  # under the threshold: left alone
    assert _planner_rows("dj_training") == before
    monkeypatch.setattr(importer, "STATISTICS_THRESHOLD", 50)
    dataset_import(_sized("large", 60), actor=ACTOR)
    assert _planner_rows("dj_training") == 65


@pytest.mark.skipif(connection.vendor != "postgresql", reason="VACUUM is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_large_import_outside_a_transaction_vacuums_on_postgresql(monkeypatch):
    """Outside a transaction the import also VACUUMs: the loaded pages are marked
    all-visible, so index-only scans need not read the table (autovacuum may be off, or
    not yet come by)."""
    from dangjian.interchange import importer

    def all_visible(table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT relallvisible FROM pg_class WHERE relname = %s", [table])
            return int(cursor.fetchone()[0])

    monkeypatch.setattr(importer, "STATISTICS_THRESHOLD", 50)
    assert all_visible("dj_training") == 0
    dataset_import(_sized("vac", 60), actor=ACTOR)
    assert all_visible("dj_training") > 0 and _planner_rows("dj_training") == 60
