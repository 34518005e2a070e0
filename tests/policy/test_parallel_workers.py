"""On PostgreSQL the engine's queries run without parallel workers."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from dangjian.policy import context
from policy.builders import activity, members, org, run, training

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel query is PostgreSQL's"),
]


def test_no_engine_query_uses_parallel_workers(monkeypatch):
    br = org("B1", "branch")
    a, b, c = members(br, 3)
    activity(br, "talk", "2022-03-01", attendees=[a], speaker=b, subject=c)
    training(a, "2022-03-01", 8)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reset_val FROM pg_settings WHERE name = %s", ["max_parallel_workers_per_gather"]
        )
        (server,) = cursor.fetchone()
    assert server != "0"  # else this test could not tell the two apart

    seen: list[tuple[str, str]] = []
    real = context.run_query

    def spy(using, sql, params=()):  # type: ignore[no-untyped-def]
        if not sql.startswith("SET "):  # SET TRANSACTION must come first
            with connections[using].cursor() as cursor:
                cursor.execute("SHOW max_parallel_workers_per_gather")
                (workers,) = cursor.fetchone()
            seen.append((workers, sql))
        return real(using, sql, params)

    monkeypatch.setattr(context, "run_query", spy)
    run("national", 2022)

    # The server would allow them; every query of the engine runs without, the training
    # totals and the talks' (attended, spoke or was talked to) among them.
    queries = [(w, sql) for w, sql in seen if "max_parallel_workers" not in sql]
    assert any("dj_training" in sql for _, sql in queries)
    assert any("SUM(f.val)" in sql and "subject_person_id IS NOT" in sql for _, sql in queries)
    assert {w for w, _ in queries} == {"0"}
