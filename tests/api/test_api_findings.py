"""Findings for an organisation and check runs, in the dangjian-findings/1 shape."""

import pytest

from dangjian.policy.days import check_day

pytestmark = pytest.mark.django_db


def test_findings_admin_sees_subtree_member_sees_own(clients, tree):
    year = tree.activity.date.year
    url = f"/api/v1/findings/?org=TOC&year={year}&as_of={year}-12-31"
    report = clients["dept"].get(url).json()
    assert report["format"] == "dangjian-findings/1"
    assert report["policy"] == "yunnan-2019"
    subjects = {(f["subject"]["type"], f["subject"]["id"]) for f in report["findings"]}
    assert ("organization", "TB1") in subjects
    assert ("person", tree.member.ext_id) in subjects
    assert report["summary"]["violations"] == sum(
        f["severity"] == "violation" for f in report["findings"]
    )
    first = report["findings"][0]
    assert {
        "rule",
        "source",
        "subject",
        "period",
        "severity",
        "required",
        "actual",
        "evidence",
    } <= set(first)

    # Another branch's admin cannot ask about this subtree; the member only about their branch.
    assert clients["b2"].get(url).status_code == 400
    assert clients["member"].get(url).status_code == 400
    own = clients["member"].get(f"/api/v1/findings/?org=TB1&year={year}").json()
    assert own["findings"]
    assert {f["subject"]["id"] for f in own["findings"]} == {tree.member.ext_id}
    assert clients["anon"].get(url).status_code == 401


def test_findings_query_is_validated(clients):
    response = clients["wc"].get("/api/v1/findings/?org=TB1&year=nope")
    assert response.status_code == 400 and "year" in response.json()
    response = clients["wc"].get("/api/v1/findings/?year=2024")
    assert response.status_code == 400 and "org" in response.json()


def test_check_run_for_org_and_pack(clients, tree):
    year = tree.activity.date.year
    body = {"org": "TB1", "policy": "national", "year": year}
    response = clients["b1"].post("/api/v1/checks/", body, format="json")
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["policy"] == "national" and report["year"] == year
    # The check day every surface uses: today for the current year, else the year's end.
    assert report["as_of"] == check_day(year).isoformat()
    assert all(f["org"].get("id") in (None, "TB1") for f in report["findings"])
    unknown = clients["b1"].post(
        "/api/v1/checks/", {**body, "policy": "nowhere-1999"}, format="json"
    )
    assert unknown.status_code == 400 and "policy" in unknown.json()
    assert clients["member"].post("/api/v1/checks/", body, format="json").status_code == 403
    assert clients["b2"].post("/api/v1/checks/", body, format="json").status_code == 400
    assert clients["anon"].post("/api/v1/checks/", body, format="json").status_code == 401


def test_findings_are_read_from_the_store(clients, tree, settings):
    """The API answers from the stored findings: a change that no audited write reported
    does not show until the department is refreshed."""
    import datetime
    from decimal import Decimal

    from dangjian.policy import store
    from dangjian.records.models import Training

    settings.FINDINGS_REFRESH_ON_WRITE = False
    year = tree.activity.date.year
    store.refresh_all(year=year)
    url = f"/api/v1/findings/?org=TB1&year={year}"

    def hours_short() -> bool:
        report = clients["dept"].get(url).json()
        return any(
            f["subject"]["id"] == tree.member.ext_id and "hours" in f["rule"]
            for f in report["findings"]
        )

    assert hours_short()
    Training.objects.create(
        ext_id="T-unaudited",
        person=tree.member,
        date=datetime.date(year, 1, 2),
        hours=Decimal("200"),
        kind="general",
    )
    assert hours_short()  # stored: not evaluated again in the request
    store.mark_stale([tree.member.org_id])
    store.run_pending("worker-a", debounce=0)
    assert not hours_short()
