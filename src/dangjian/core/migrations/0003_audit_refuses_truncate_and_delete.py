"""The audit table also refuses TRUNCATE (PostgreSQL) and DELETE (SQLite) in the database.

See core/audit_guard.py for the maintenance switch the test suite's flush uses.
"""

from django.db import migrations

PG_FORBID = """
CREATE OR REPLACE FUNCTION dj_audit_entry_forbid_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('dangjian.audit_unlock', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '审计记录不可清空 (dj_audit_entry is append-only)';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS dj_audit_entry_no_truncate ON dj_audit_entry;
CREATE TRIGGER dj_audit_entry_no_truncate
    BEFORE TRUNCATE ON dj_audit_entry
    FOR EACH STATEMENT EXECUTE FUNCTION dj_audit_entry_forbid_truncate();
"""
PG_ALLOW = """
DROP TRIGGER IF EXISTS dj_audit_entry_no_truncate ON dj_audit_entry;
DROP FUNCTION IF EXISTS dj_audit_entry_forbid_truncate();
"""
# dj_audit_unlocked() is registered by the application on its own connections (answering
# 0); elsewhere it does not exist, and the DELETE fails for that reason.
SQLITE_FORBID = """
CREATE TRIGGER IF NOT EXISTS dj_audit_entry_no_delete BEFORE DELETE ON dj_audit_entry
WHEN dj_audit_unlocked() = 0
BEGIN SELECT RAISE(ABORT, '审计记录不可删除 (dj_audit_entry is append-only)'); END;
"""
SQLITE_ALLOW = "DROP TRIGGER IF EXISTS dj_audit_entry_no_delete;"


def forbid(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORBID)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORBID)


def allow(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_ALLOW)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_ALLOW)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_security_tokens_append_only_audit")]

    operations = [migrations.RunPython(forbid, allow)]
