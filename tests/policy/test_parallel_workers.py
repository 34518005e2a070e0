"""On PostgreSQL the engine's queries run without parallel workers, but for those that ask."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from dangjian.policy import context
from policy.builders import activity, members, org, run, training

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel query is PostgreSQL's"),
]


def test_only_the_participation_totals_may_use_parallel_workers(monkeypatch):
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

    # The totals of talks (measure "participated": attended, spoke or was talked to).
    talks = [w for w, sql in seen if "SUM(f.val)" in sql and "subject_person_id IS NOT" in sql]
    assert talks == [server]
    # Every other query of the engine, the training totals among them: none.
    others = [
        (w, sql) for w, sql in seen if "SUM(f.val)" not in sql or "subject_person_id" not in sql
    ]
    assert any("dj_training" in sql for _, sql in others)
    assert {w for w, sql in others if "max_parallel_workers" not in sql} == {"0"}
