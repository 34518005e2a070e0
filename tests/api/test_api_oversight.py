"""The API of inspections and responsibility lists: writes through the services, scoped reads."""

import pytest

from dangjian.oversight.models import Rectification
from dangjian.records.models import Filing

pytestmark = pytest.mark.django_db


def test_plan_record_and_read_an_inspection(tree, clients):
    dept = clients["dept"]
    body = {"org": "TOC", "year": 2026, "quarter": 2, "title": "季度督查", "targets": ["TB1"]}
    created = dept.post("/api/v1/inspections/", body, format="json")
    assert created.status_code == 201, created.content
    plan = created.json()
    assert plan["held_on"] is None and plan["problems"] == []
    # outside the committee's subtree: refused naming the field
    bad = dept.post("/api/v1/inspections/", {**body, "targets": ["TPG"]}, format="json")
    assert bad.status_code == 400 and "targets" in bad.json()
    # a branch admin cannot inspect for the committee
    assert clients["b1"].post("/api/v1/inspections/", body, format="json").status_code == 403
    record = {
        "held_on": "2026-05-06",
        "inspector_names": "李督查",
        "problems": [{"org": "TB1", "description": "会议记录不全", "due_on": "2026-06-30"}],
    }
    done = dept.post(f"/api/v1/inspections/{plan['id']}/record/", record, format="json")
    assert done.status_code == 200, done.content
    data = done.json()
    assert data["held_on"] == "2026-05-06" and data["activity"]
    assert [(p["org"], p["status"], p["status_label"]) for p in data["problems"]] == [
        ("TB1", "verified", "整改中")
    ]
    assert Rectification.objects.get().org == tree.branch1
    # the inspected branch reads it; the other branch does not see it
    assert clients["b1"].get(f"/api/v1/inspections/{plan['id']}/").status_code == 200
    assert clients["b2"].get(f"/api/v1/inspections/{plan['id']}/").status_code == 404
    listed = clients["wc"].get("/api/v1/inspections/?year=2026").json()
    assert [i["id"] for i in listed["results"]] == [plan["id"]]
    assert clients["b2"].get("/api/v1/inspections/").json()["results"] == []


def test_save_and_file_a_responsibility_list(tree, clients):
    b1 = clients["b1"]
    body = {
        "org": "TB1",
        "year": 2026,
        "items": [{"task": "每月开展主题党日", "responsible_name": "支部书记", "rules": []}],
    }
    created = b1.post("/api/v1/responsibility-lists/", body, format="json")
    assert created.status_code == 201, created.content
    lst = created.json()
    assert lst["filed_on"] is None and lst["items"][0]["status_label"] == "未关联规则"
    bad = {**body, "items": [{"task": "x", "rules": ["no-such-rule"]}]}
    refused = b1.post("/api/v1/responsibility-lists/", bad, format="json")
    assert refused.status_code == 400 and "第1项" in str(refused.json())
    filed = b1.post(
        f"/api/v1/responsibility-lists/{lst['id']}/file/", {"on": "2026-03-01"}, format="json"
    )
    assert filed.status_code == 200 and filed.json()["filed_on"] == "2026-03-01"
    assert Filing.objects.filter(org=tree.branch1, kind="responsibility_list").count() == 1
    assert clients["b2"].get(f"/api/v1/responsibility-lists/{lst['id']}/").status_code == 404
    assert (
        clients["b2"].post("/api/v1/responsibility-lists/", body, format="json").status_code == 403
    )
