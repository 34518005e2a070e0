"""Write endpoints: validation names the field, permissions hold, every write is audited."""

import pytest

from dangjian.core.models import AuditEntry
from dangjian.records.models import Activity, Attendance, Filing, Training

pytestmark = pytest.mark.django_db


def _activity(tree, **over):
    body = {
        "org": "TB1",
        "kind": "theme_day",
        "date": "2024-05-20",
        "title": "主题党日",
        "hours": 2.5,
        "speaker": tree.members1[1].ext_id,
        "attendees": [p.ext_id for p in tree.members1[:3]],
    }
    body.update(over)
    return body


def test_branch_admin_creates_activity_with_attendees_and_audit(clients, tree):
    response = clients["b1"].post(
        "/api/v1/activities/", _activity(tree, id="API-A1"), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == "API-A1"
    assert body["attendees"] == sorted(p.ext_id for p in tree.members1[:3])
    assert body["hours"] == 2.5
    activity = Activity.objects.get(ext_id="API-A1")
    assert Attendance.objects.filter(activity=activity).count() == 3
    entry = AuditEntry.objects.get(object_type="activity", object_id=str(activity.pk))
    assert (entry.action, entry.source, entry.actor_label) == ("create", "api", "tb1")
    assert entry.changes["after"]["attendees"] == body["attendees"]


def test_activity_without_id_gets_one(clients, tree):
    response = clients["dept"].post("/api/v1/activities/", _activity(tree), format="json")
    assert response.status_code == 201
    assert Activity.objects.filter(ext_id=response.json()["id"]).exists()


def test_activity_validation_names_fields(clients, tree):
    before = Activity.objects.count()
    response = clients["b1"].post(
        "/api/v1/activities/",
        _activity(tree, kind="picnic", date="2024-02-30", hours=-1, attendees=["TP10", "NOPE"]),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"kind", "date", "hours", "attendees"}
    assert "NOPE" in errors["attendees"][0]
    assert "负数" in errors["hours"][0]
    missing = clients["b1"].post("/api/v1/activities/", {"kind": "theme_day"}, format="json")
    assert missing.status_code == 400 and {"org", "date"} <= set(missing.json())
    assert Activity.objects.count() == before
    assert not AuditEntry.objects.filter(object_type="activity").exists()


def test_activity_write_permissions(clients, tree):
    # A member may read the branch schedule but not write it.
    assert (
        clients["member"].post("/api/v1/activities/", _activity(tree), format="json").status_code
        == 403
    )
    # Another branch's admin cannot even name the organisation.
    response = clients["b2"].post(
        "/api/v1/activities/", _activity(tree, attendees=[]), format="json"
    )
    assert response.status_code == 400 and "org" in response.json()
    # …nor touch its records.
    url = f"/api/v1/activities/{tree.activity.ext_id}/"
    assert clients["b2"].patch(url, {"title": "x"}, format="json").status_code == 404
    assert clients["member"].patch(url, {"title": "x"}, format="json").status_code == 403
    assert clients["anon"].patch(url, {"title": "x"}, format="json").status_code == 401
    assert clients["b1"].patch("/api/v1/activities/none/", {}, format="json").status_code == 404
    # Attendees outside the caller's scope are refused by id.
    outsider = tree.members2[0].ext_id
    response = clients["b1"].patch(url, {"attendees": [outsider]}, format="json")
    assert response.status_code == 400 and outsider in response.json()["attendees"][0]
    assert clients["anon"].delete(url).status_code == 401
    assert clients["b1"].delete(url).status_code == 405


def test_activity_update_changes_attendees_and_keeps_history(clients, tree):
    url = f"/api/v1/activities/{tree.activity.ext_id}/"
    keep = [p.ext_id for p in tree.members1[:2]]
    response = clients["b1"].patch(url, {"attendees": keep, "title": "改过的主题"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["attendees"] == sorted(keep)
    assert response.json()["title"] == "改过的主题"
    entry = AuditEntry.objects.get(object_type="activity", action="update")
    assert entry.changes["before"]["title"] == "学习党章"
    assert entry.changes["after"]["title"] == "改过的主题"
    moved = clients["b1"].patch(url, {"org": "TB2"}, format="json")
    assert moved.status_code == 400 and "org" in moved.json()
    renamed = clients["b1"].patch(url, {"id": "OTHER"}, format="json")
    assert renamed.status_code == 400 and "id" in renamed.json()


def test_training_create_update_and_scope(clients, tree):
    person = tree.members1[2].ext_id
    body = {"person": person, "date": "2024-03-01", "hours": 4, "kind": "general", "title": "轮训"}
    created = clients["b1"].post("/api/v1/trainings/", body, format="json")
    assert created.status_code == 201, created.content
    training = Training.objects.get(ext_id=created.json()["id"])
    assert training.hours == 4 and training.person.ext_id == person
    url = f"/api/v1/trainings/{training.ext_id}/"
    updated = clients["b1"].patch(url, {"hours": 6}, format="json")
    assert updated.status_code == 200 and updated.json()["hours"] == 6
    assert AuditEntry.objects.filter(object_type="training", source="api").count() == 2
    # Another branch's admin cannot record hours for this person.
    refused = clients["b2"].post("/api/v1/trainings/", body, format="json")
    assert refused.status_code == 400 and "person" in refused.json()
    bad = clients["b1"].post(
        "/api/v1/trainings/", {**body, "kind": "x", "hours": "abc"}, format="json"
    )
    assert bad.status_code == 400 and {"kind", "hours"} <= set(bad.json())
    dup = clients["b1"].post("/api/v1/trainings/", {**body, "id": training.ext_id}, format="json")
    assert dup.status_code == 400 and "id" in dup.json()


def test_filing_create_validates_period(clients, tree):
    body = {"org": "TB1", "kind": "duty_report", "date": "2025-01-10", "period": "2024-H3"}
    bad = clients["b1"].post("/api/v1/filings/", body, format="json")
    assert bad.status_code == 400 and "period" in bad.json()
    good = clients["b1"].post(
        "/api/v1/filings/", {**body, "period": "2024", "by": tree.members1[1].ext_id}, format="json"
    )
    assert good.status_code == 201, good.content
    filing = Filing.objects.get(ext_id=good.json()["id"])
    assert (filing.period, filing.by) == ("2024", tree.members1[1])
    assert good.json()["by"] == tree.members1[1].ext_id
    assert AuditEntry.objects.filter(object_type="filing", action="create", source="api").exists()
    assert clients["member"].post("/api/v1/filings/", body, format="json").status_code == 403


def test_put_replaces_the_fields_sent(clients, tree):
    url = f"/api/v1/filings/{tree.filing.ext_id}/"
    body = {"org": "TB1", "kind": "duty_report", "date": "2025-02-01", "period": "2024-H2"}
    response = clients["b1"].put(url, body, format="json")
    assert response.status_code == 200, response.content
    tree.filing.refresh_from_db()
    assert (tree.filing.kind, tree.filing.period) == ("duty_report", "2024-H2")
    incomplete = clients["b1"].put(url, {"kind": "duty_report"}, format="json")
    assert incomplete.status_code == 400 and {"org", "date", "period"} <= set(incomplete.json())
