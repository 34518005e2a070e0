"""Absentees (应到 / 实到, reasons, make-ups) through the API."""

import pytest

from dangjian.core.models import AuditEntry
from dangjian.records.models import Absence, Activity

pytestmark = pytest.mark.django_db


def _body(tree, **over):
    body = {
        "org": "TB1",
        "kind": "theme_day",
        "date": "2024-05-20",
        "attendees": [p.ext_id for p in tree.members1[:3]],
        "absentees": [
            {"person": tree.members1[3].ext_id, "reason": "official", "note": "出差"},
            {
                "person": tree.members1[4].ext_id,
                "reason": "sick",
                "made_up_on": "2024-05-27",
                "made_up_how": "自学会议材料",
            },
        ],
    }
    body.update(over)
    return body


def test_create_with_absentees_and_read_figures(clients, tree):
    r = clients["b1"].post("/api/v1/activities/", _body(tree, id="AB1"), format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["expected_count"], body["present_count"]) == (5, 3)
    assert [a["person"] for a in body["absentees"]] == ["TP13", "TP14"]
    assert body["absentees"][1]["made_up_on"] == "2024-05-27"
    assert Absence.objects.filter(activity__ext_id="AB1").count() == 2
    entry = AuditEntry.objects.get(object_type="activity", action="create")
    assert len(entry.changes["after"]["absentees"]) == 2
    # A member sees the figures, and of the names only their own.
    seen = clients["member"].get("/api/v1/activities/AB1/").json()
    assert (seen["expected_count"], seen["present_count"]) == (5, 3)
    assert seen["absentees"] == []


def test_patch_keeps_a_make_up_unless_given(clients, tree):
    clients["b1"].post("/api/v1/activities/", _body(tree, id="AB1"), format="json")
    again = [{"person": "TP13", "reason": "official"}, {"person": "TP14", "reason": "sick"}]
    r = clients["b1"].patch("/api/v1/activities/AB1/", {"absentees": again}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["absentees"][1]["made_up_on"] == "2024-05-27"
    cleared = [{"person": "TP14", "reason": "sick", "made_up_on": None}]
    r = clients["b1"].patch("/api/v1/activities/AB1/", {"absentees": cleared}, format="json")
    assert r.json()["absentees"] == [
        {"person": "TP14", "reason": "sick", "note": "", "made_up_on": None, "made_up_how": ""}
    ]


@pytest.mark.parametrize(
    ("absentees", "fragment"),
    [
        ([{"person": "TP13", "reason": "holiday"}], "缺席原因"),
        ([{"person": "TP10", "reason": "sick"}], "已登记为参加"),
        ([{"person": "TP13", "reason": "sick", "made_up_on": "2024-05-01"}], "不能早于活动日期"),
        ([{"person": "TP20", "reason": "sick"}], "不存在或无权访问"),
    ],
)
def test_bad_absentees_are_refused_naming_the_field(clients, tree, absentees, fragment):
    before = Activity.objects.count()
    r = clients["b1"].post("/api/v1/activities/", _body(tree, absentees=absentees), format="json")
    assert r.status_code == 400
    assert "absentees" in r.json()
    assert fragment in str(r.json()["absentees"])
    assert Activity.objects.count() == before
