"""The audit trail: append-only on both databases, read only by the audit administrator,
user deletions and privilege changes recorded, cascades listed."""

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test import Client

from dangjian.access.models import Grant
from dangjian.core import audit_guard
from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.duties import AUDIT_ADMIN, SECURITY_ADMIN
from dangjian.core.models import AuditEntry, AuditImmutable
from dangjian.web.testing import build_tree

from .conftest import duty_user

pytestmark = pytest.mark.django_db


def _entry() -> AuditEntry:
    with transaction.atomic():
        return audit_record(actor=Actor.system("test"), action="create", object_type="x")


def test_the_model_refuses_to_change_or_delete_an_entry():
    entry = _entry()
    entry.action = "delete"
    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "create"


def test_the_database_refuses_an_update():
    entry = _entry()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE dj_audit_entry SET action = 'forged' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "create"


def test_the_database_refuses_a_delete():
    entry = _entry()
    with transaction.atomic(), audit_guard.enforced(connection):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM dj_audit_entry WHERE id = %s", [entry.pk])
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM dj_audit_entry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL TRUNCATE trigger")
def test_postgresql_refuses_a_truncate():
    entry = _entry()
    with transaction.atomic(), audit_guard.enforced(connection):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE dj_audit_entry")
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE dj_audit_entry CASCADE")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite")
def test_a_sqlite_client_other_than_the_app_cannot_delete(tmp_path):
    import sqlite3

    _entry()
    other = sqlite3.connect(tmp_path / "copy.sqlite3")
    other.executescript("\n".join(connection.connection.iterdump()))  # the test database
    with pytest.raises(sqlite3.DatabaseError):
        other.execute("DELETE FROM dj_audit_entry")
    assert other.execute("SELECT count(*) FROM dj_audit_entry").fetchone()[0] >= 1
    other.close()


def test_deleting_a_user_keeps_their_entries_and_is_audited():
    tree = build_tree()
    b1 = tree.users["b1"]
    with transaction.atomic():
        mine = audit_record(actor=Actor(user=b1, source="web"), action="update", object_type="x")
    b1_pk = b1.pk
    b1.delete()
    mine = AuditEntry.objects.get(pk=mine.pk)
    assert (mine.actor_id, mine.actor_label) == (b1_pk, "tb1")
    deleted = AuditEntry.objects.get(action="delete", object_type="user")
    assert deleted.object_id == str(b1_pk)
    assert deleted.changes["username"] == "tb1"
    assert deleted.changes["grants"] == [{"org": "TB1", "role": "branch_admin"}]
    assert deleted.changes["cascade"]["access.grant"]


def test_superuser_promotion_is_audited_with_who_did_it():
    root = get_user_model().objects.create_superuser("root9", "", "Root-pass-2026")
    target = get_user_model().objects.create_user("plain9", password="Plain-pass-2026")
    client = Client()
    client.force_login(root)
    response = client.post(
        f"/admin/auth/user/{target.pk}/change/",
        {
            "username": "plain9",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="privilege_change")
    assert entry.actor_label == "root9" and entry.source == "admin"
    assert entry.changes["is_superuser"] == {"before": False, "after": True}


def test_duty_assignment_is_audited():
    user = duty_user("shenji9", AUDIT_ADMIN)
    entry = AuditEntry.objects.get(action="duty_grant")
    assert entry.changes == {"username": "shenji9", "groups": [AUDIT_ADMIN]}
    user.groups.clear()
    assert AuditEntry.objects.get(action="duty_revoke").changes["groups"] == [AUDIT_ADMIN]


def test_grants_are_changed_by_the_security_administrator_only():
    tree = build_tree()
    root = get_user_model().objects.create_superuser("root9", "", "Root-pass-2026")
    security = duty_user("anquan9", SECURITY_ADMIN)
    form = {"user": tree.users["member"].pk, "org": tree.branch1.pk, "role": "branch_admin"}
    superuser = Client()
    superuser.force_login(root)
    assert superuser.post("/admin/access/grant/add/", form).status_code == 403
    assert not Grant.objects.filter(user=tree.users["member"]).exists()
    client = Client()
    client.force_login(security)
    assert client.post("/admin/access/grant/add/", form).status_code == 302
    grant = Grant.objects.get(user=tree.users["member"])
    entry = AuditEntry.objects.get(object_type="access.grant", action="create")
    assert entry.object_id == str(grant.pk) and entry.actor_label == "anquan9"


def test_only_the_audit_administrator_reads_the_audit_log():
    tree = build_tree()
    _entry()
    auditor = duty_user("shenji9", AUDIT_ADMIN)
    root = get_user_model().objects.create_superuser("root9", "", "Root-pass-2026")
    security = duty_user("anquan9", SECURITY_ADMIN)
    for user in (root, security, tree.users["wc"]):
        client = Client()
        client.force_login(user)
        assert client.get("/audit/").status_code == 403, user
        # Staff get 403 in the admin; a non-staff user is sent to the admin's sign-in.
        expected = 403 if user.is_staff else 302
        assert client.get("/admin/core/auditentry/").status_code == expected, user
    client = Client()
    client.force_login(auditor)
    page = client.get("/audit/?action=duty_grant")
    assert page.status_code == 200
    html = page.content.decode()
    assert "授予管理职责" in html and "shenji9" in html
    assert client.get("/admin/core/auditentry/").status_code == 200
    # Read-only even for the auditor.
    entry = AuditEntry.objects.first()
    assert (
        client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_admin_delete_records_what_cascaded():
    from dangjian.people.models import Person
    from dangjian.records.models import Activity, Attendance

    tree = build_tree()
    root = get_user_model().objects.create_superuser("root9", "", "Root-pass-2026")
    client = Client()
    client.force_login(root)
    # A member with history is never deleted (marked as left instead): the admin refuses.
    person = tree.members1[2]
    response = client.post(f"/admin/people/person/{person.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Person.objects.filter(pk=person.pk).exists()
    # Deleting a meeting names the attendance rows that went with it.
    activity = Activity.objects.filter(attendance__isnull=False).distinct().first()
    assert activity is not None
    attendance = list(Attendance.objects.filter(activity=activity).values_list("pk", flat=True))
    response = client.post(f"/admin/records/activity/{activity.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Activity.objects.filter(pk=activity.pk).exists()
    entry = AuditEntry.objects.get(action="delete", object_type="records.activity")
    cascade = entry.changes["cascade"]
    assert sorted(cascade["records.attendance"]) == sorted(str(pk) for pk in attendance)


def test_audit_log_page_queries_do_not_grow_with_entries():
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    auditor = duty_user("shenji9", AUDIT_ADMIN)
    client = Client()
    client.force_login(auditor)

    def count() -> int:
        with CaptureQueriesContext(conn) as ctx:
            assert client.get("/audit/").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        _entry()
    few = count()
    with transaction.atomic():
        for i in range(60):
            audit_record(actor=Actor.system("test"), action="update", object_type=f"t{i}")
    assert count() == few


def test_audit_log_filters_and_bad_dates():
    auditor = duty_user("shenji9", AUDIT_ADMIN)
    _entry()
    client = Client()
    client.force_login(auditor)
    page = client.get("/audit/?from=9999-99-99&to=not-a-date&object_id=zzz")
    assert page.status_code == 200 and "没有符合条件的审计记录" in page.content.decode()
    page = client.get("/audit/?actor=shenji9")
    assert page.status_code == 200 and "登录" in page.content.decode()
