"""On PostgreSQL, the dues' unique index (person, month) carries amount and paid_on.

The dues rules add up a year's dues per person; with these columns in the index that is
an index-only scan instead of a read of two million table rows. The model does not say
`include` (Django would then leave the constraint out on SQLite), so this is SQL, on
PostgreSQL only, and the model's state is unchanged: later migrations that drop or
remake `due_unique_per_month` by name still work.
"""

from django.db import migrations

COVERING = (
    "ALTER TABLE dj_due DROP CONSTRAINT due_unique_per_month, "
    "ADD CONSTRAINT due_unique_per_month UNIQUE (person_id, month) INCLUDE (amount, paid_on)"
)
PLAIN = (
    "ALTER TABLE dj_due DROP CONSTRAINT due_unique_per_month, "
    "ADD CONSTRAINT due_unique_per_month UNIQUE (person_id, month)"
)


def _on_postgresql(sql: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_due_person_index_covered_by_unique"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(COVERING), _on_postgresql(PLAIN)),
    ]
