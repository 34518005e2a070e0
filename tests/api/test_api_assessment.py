"""党建工作考核, 星级评定 and 述职评议 over the API: the page's figures, the same rules."""

import datetime
from decimal import Decimal

import pytest

from dangjian.core.models import AuditEntry
from dangjian.oversight.models import AssessmentAdjustment, DutyReview
from dangjian.policy.models import PackAssignment
from dangjian.policy.store import refresh_all

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


def test_ranking_and_breakdown_agree(tree, clients):
    refresh_all(year=YEAR)
    r = clients["wc"].get("/api/v1/assessment/", {"org": "TOC", "year": YEAR})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["out_of"] == 2 and body["normalise"] == "per_member"
    for row in body["rows"]:
        d = (
            clients["wc"]
            .get(
                "/api/v1/assessment/breakdown/", {"org": "TOC", "subject": row["org"], "year": YEAR}
            )
            .json()
        )
        assert Decimal(d["score"]) == Decimal(row["score"])
        total = sum(Decimal(rl["deduction"]) for rl in d["rules"])
        assert Decimal(d["base"]) - total + Decimal(d["adjustment"]) == Decimal(d["score"])
        assert sum(len(rl["findings"]) for rl in d["rules"]) == row["findings"]
    # a branch administrator does not see the organ committee
    assert clients["b1"].get("/api/v1/assessment/", {"org": "TOC"}).status_code == 400
    assert clients["b1"].get("/api/v1/assessment/", {"org": "TB1"}).status_code == 404


def test_adjustment_needs_a_reason_and_is_audited(tree, clients):
    url = "/api/v1/assessment/adjustments/"
    body = {"org": "TOC", "subject": "TB1", "year": YEAR, "points": "2", "reason": ""}
    r = clients["wc"].post(url, body, format="json")
    assert r.status_code == 400 and "reason" in r.json()
    assert not AssessmentAdjustment.objects.exists()
    r = clients["b1"].post(url, {**body, "org": "TB1", "reason": "自评加分"}, format="json")
    assert r.status_code == 400  # branch1 ranks nothing of its own: TB1 is not under it
    r = clients["wc"].post(url, {**body, "reason": "督查核实"}, format="json")
    assert r.status_code == 201 and r.json()["reason"] == "督查核实"
    assert AuditEntry.objects.filter(object_type="assessment_adjustment").count() == 1


def test_stars_and_duty_reviews(tree, clients):
    assert clients["wc"].get("/api/v1/stars/", {"org": "TOC"}).status_code == 404
    PackAssignment.objects.create(org=tree.root, pack_id="ningxia-2018")
    refresh_all(year=YEAR)
    r = clients["wc"].get("/api/v1/stars/", {"org": "TOC", "year": YEAR})
    assert r.status_code == 200
    rows = {row["org"]: row for row in r.json()["rows"]}
    assert set(rows) == {"TB1", "TB2"} and len(rows["TB1"]["reasons"]) == 5
    review = {
        "org": "TB1",
        "reporter": tree.members1[1].ext_id,
        "role": "branch_secretary",
        "year": YEAR - 1,
        "held_on": f"{YEAR}-01-15",
        "score": "91.5",
    }
    r = clients["b2"].post("/api/v1/duty-reviews/?org=TOC", review, format="json")
    assert r.status_code == 400 and not DutyReview.objects.exists()
    r = clients["wc"].post("/api/v1/duty-reviews/?org=TOC", review, format="json")
    assert r.status_code == 201, r.content
    listed = clients["wc"].get("/api/v1/duty-reviews/", {"org": "TOC", "year": YEAR - 1}).json()
    assert [x["reporter"] for x in listed] == [tree.members1[1].ext_id]
    assert listed[0]["reviewed_by"] == "TOC" and Decimal(listed[0]["score"]) == Decimal("91.5")
