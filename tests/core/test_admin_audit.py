"""Admin writes run through AuditedModelAdmin: audit entries and org paths."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model

from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Organization
from dangjian.people.models import Due, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_superuser("admin1", "a@example.com", "pw-123456")
    client.force_login(user)
    client.user = user
    return client


def _org(ext: str, parent: Organization | None = None, type_: str = "branch") -> Organization:
    org = Organization.objects.create(ext_id=ext, name=ext, type=type_, parent=parent)
    org.path = f"{parent.path if parent else '/'}{org.pk}/"
    org.depth = parent.depth + 1 if parent else 0
    org.save()
    return org


def _org_form(org: Organization, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "ext_id": org.ext_id,
        "name": org.name,
        "type": org.type,
        "parent": org.parent_id or "",
        "staff_count": "",
        "established": "",
        "dissolved": "",
    }
    data.update(overrides)
    return data


def test_every_registered_model_admin_is_audited():
    ours = [a for m, a in admin.site._registry.items() if m.__module__.startswith("dangjian.")]
    assert ours and all(isinstance(a, AuditedModelAdmin) for a in ours)


def test_change_is_audited_and_moves_the_subtree_path(staff_client):
    root = _org("R", type_="work_committee")
    a = _org("A", root, "organ_committee")
    b = _org("B", root, "organ_committee")
    child = _org("C", a)
    url = f"/admin/orgs/organization/{a.pk}/change/"
    response = staff_client.post(url, _org_form(a, name="新名称", parent=b.pk))
    assert response.status_code == 302, response.content.decode()[:2000]

    a.refresh_from_db()
    child.refresh_from_db()
    assert (a.name, a.path) == ("新名称", f"{b.path}{a.pk}/")
    assert child.path == f"{b.path}{a.pk}/{child.pk}/" and child.depth == 3
    # The admin calls the same services as the pages: same object type, same history.
    entry = AuditEntry.objects.get(action="update", object_type="organization")
    assert (entry.source, entry.actor, entry.object_id) == ("admin", staff_client.user, str(a.pk))
    assert entry.ip == "127.0.0.1"
    assert entry.changes == {"before": {"name": "A"}, "after": {"name": "新名称"}}
    moved = AuditEntry.objects.get(action="move", object_type="organization")
    assert moved.changes == {"before": {"parent": root.pk}, "after": {"parent": b.pk}}


def test_parent_cycle_is_rejected_and_nothing_written(staff_client):
    root = _org("R", type_="work_committee")
    child = _org("C", root)
    response = staff_client.post(
        f"/admin/orgs/organization/{root.pk}/change/", _org_form(root, parent=child.pk)
    )
    assert response.status_code == 200
    assert "上级组织不能是本组织或其下级组织" in response.content.decode()
    root.refresh_from_db()
    assert root.parent is None
    assert not AuditEntry.objects.exclude(action__in=("login", "logout")).exists()


def test_create_and_delete_are_audited(staff_client):
    root = _org("R", type_="work_committee")
    response = staff_client.post(
        "/admin/orgs/organization/add/",
        _org_form(Organization(ext_id="N", name="新支部", type="branch"), parent=root.pk),
    )
    assert response.status_code == 302
    new = Organization.objects.get(ext_id="N")
    assert new.path == f"{root.path}{new.pk}/" and new.depth == 1
    created = AuditEntry.objects.get(action="create", object_type="organization")
    assert created.changes["after"]["name"] == "新支部"

    person = Person.objects.create(ext_id="P1", name="张三", org=new, status="full")
    due = Due.objects.create(
        person=person, month="2022-01-01", amount="12.50", paid_on="2022-01-05"
    )
    response = staff_client.post(f"/admin/people/due/{due.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Due.objects.exists()
    deleted = AuditEntry.objects.get(action="delete", object_type="people.due")
    assert deleted.object_id == str(due.pk)
    assert deleted.changes["before"]["amount"] == "12.50"


def test_inline_attendance_changes_are_audited(staff_client):
    org = _org("R")
    person = Person.objects.create(ext_id="P1", name="张三", org=org, status="full")
    data = {
        "ext_id": "A1",
        "org": org.pk,
        "kind": "theme_day",
        "date": "2022-05-01",
        "title": "",
        "hours": "",
        "speaker": "",
        "subject_org": "",
        "subject_person": "",
        "extra": "{}",
        "attendance-TOTAL_FORMS": "1",
        "attendance-INITIAL_FORMS": "0",
        "attendance-MIN_NUM_FORMS": "0",
        "attendance-MAX_NUM_FORMS": "1000",
        "attendance-0-person": person.pk,
    }
    # other inlines registered by other apps get empty management forms
    for prefix in ("minutes", "attachments"):
        for key, value in (
            ("TOTAL_FORMS", "0"),
            ("INITIAL_FORMS", "0"),
            ("MIN_NUM_FORMS", "0"),
            ("MAX_NUM_FORMS", "1000"),
        ):
            data[f"{prefix}-{key}"] = value
    response = staff_client.post("/admin/records/activity/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = AuditEntry.objects.get(action="update_related")
    assert entry.object_type == "records.activity"
    assert len(entry.changes["records.attendance"]["added"]) == 1
