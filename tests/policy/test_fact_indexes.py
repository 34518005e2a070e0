"""The indexes the engine's yearly passes read: what each database keeps of them."""

import pytest
from django.db import IntegrityError, connection, transaction

from policy.builders import due, org, person

pytestmark = pytest.mark.django_db


def _indexes(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


def test_dues_stay_unique_per_person_and_month():
    # The constraint is kept on both databases, covering (PostgreSQL) or not (SQLite).
    p = person(org("B1", "branch"), "P1")
    due(p, "2022-03", 5)
    due(p, "2022-04", 5)
    with pytest.raises(IntegrityError), transaction.atomic():
        due(p, "2022-03", 6)
    unique = _indexes("dj_due")["due_unique_per_month"]
    assert unique["unique"] and unique["columns"][:2] == ["person_id", "month"]


def test_the_training_index_holds_what_the_hours_pass_reads():
    # Key columns on both databases: SQLite leaves out an index's `include` columns.
    index = _indexes("dj_training")["training_person_date"]
    assert index["index"] and index["columns"] == ["person_id", "date", "kind", "hours"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="covering indexes are PostgreSQL's")
def test_on_postgresql_the_dues_pass_can_read_the_index_alone():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef('due_unique_per_month'::regclass)")
        (dues,) = cursor.fetchone()
    assert dues.endswith("(person_id, month) INCLUDE (amount, paid_on)"), dues
