"""The engine's rules evaluated on several threads, each with its own connection: the same
report and schedule as on one thread, errors reach the caller, and on PostgreSQL every
thread reads the caller's snapshot."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections, transaction

from dangjian.core.actor import Actor
from dangjian.interchange.generator import write_dataset
from dangjian.interchange.importer import dataset_import
from dangjian.policy import engine
from dangjian.policy.engine import engine_threads, evaluate
from dangjian.policy.kinds import REGISTRY
from dangjian.policy.packs import list_packs
from dangjian.policy.schedule import build_schedule

YEAR = 2025
AS_OF = date(YEAR, 10, 15)


@pytest.fixture
def imported(tmp_path):
    """A generated dataset, committed (other connections see it)."""
    path = tmp_path / "data.json"
    with path.open("w", encoding="utf-8") as out:
        write_dataset(out, orgs=40, members=600, departments=4, year=YEAR, seed=3, as_of=AS_OF)
    dataset_import(path, actor=Actor.system("test"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pack", list_packs())
def test_two_threads_give_the_report_and_schedule_of_one(imported, settings, pack):
    settings.ENGINE_THREADS = 1
    assert engine_threads("default") == 1
    one = build_schedule(pack=pack, year=YEAR, as_of=AS_OF)
    settings.ENGINE_THREADS = 2
    assert engine_threads("default") == 2  # outside any transaction: the threads do run
    two = build_schedule(pack=pack, year=YEAR, as_of=AS_OF)
    assert two.report.as_dict() == one.report.as_dict()
    assert two.as_dict() == one.as_dict()
    assert one.report.findings and one.items


@pytest.mark.django_db(transaction=True)
def test_the_helper_threads_connections_are_closed(imported, settings):
    settings.ENGINE_THREADS = 2
    before = threading.active_count(), open_connections()
    report = evaluate(pack="national", year=YEAR, as_of=AS_OF)
    assert report.findings
    # The helper threads have ended, and their connections with them (none left idle).
    assert (threading.active_count(), open_connections()) == before


def open_connections() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend'"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
def test_inside_the_callers_transaction_one_thread(settings):
    """Rows the caller wrote and has not committed are not seen by other connections."""
    settings.ENGINE_THREADS = 2
    assert connection.in_atomic_block
    assert engine_threads("default") == 1


@pytest.mark.django_db(transaction=True)
def test_a_rules_error_reaches_the_caller_whatever_thread_ran_it(imported, settings, monkeypatch):
    settings.ENGINE_THREADS = 2
    kind = REGISTRY["org_frequency"]

    def broken(ctx, rule):
        raise RuntimeError(f"broken {rule.id}")

    monkeypatch.setattr(kind, "evaluate", broken)
    before = threading.active_count()
    with pytest.raises(RuntimeError, match="broken"):
        evaluate(pack="national", year=YEAR, as_of=AS_OF)
    assert threading.active_count() == before


@pytest.mark.django_db(transaction=True)
def test_helper_threads_read_the_callers_snapshot(settings):
    """PostgreSQL: a row committed after the caller's snapshot is not seen by a helper."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL: SQLite's reads take no exported snapshot")
    from policy.builders import org

    org("S1", "branch")
    seen: list[int] = []

    def count() -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM dj_organization")
            seen.append(cursor.fetchone()[0])

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        # Another connection commits a second organisation after the snapshot.
        writer = threading.Thread(
            target=engine._on_own_connection,
            args=(
                "default",
                None,
                lambda: org("S2", "branch"),
            ),
        )
        writer.start()
        writer.join()
        helper = threading.Thread(
            target=engine._on_own_connection, args=("default", snapshot, count)
        )
        helper.start()
        helper.join()
        fresh = threading.Thread(target=engine._on_own_connection, args=("default", None, count))
        fresh.start()
        fresh.join()
    assert seen == [1, 2]


def test_groups_alternate_between_python_and_the_database():
    """Heaviest first on each side, a group whose time goes to Python (a person quota:
    a row per member) beside one whose time is the database's, while both last."""
    heavy = {1, 2, 3}
    groups = [[1], [2], [10], [3], [11]]  # already heaviest first
    assert engine._paired(groups, lambda g: g[0] in heavy) == [[1], [10], [2], [11], [3]]
    assert engine._paired([[10], [11]], lambda g: g[0] in heavy) == [[10], [11]]
    assert REGISTRY["person_quota"].python_heavy
    assert not REGISTRY["meeting_quorum"].python_heavy
