"""Who sees what through /api/v1/: the same scoping as the pages."""

import pytest

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_anonymous_gets_401_everywhere(clients, tree):
    for url in [
        "/api/v1/organizations/",
        "/api/v1/people/",
        "/api/v1/activities/",
        f"/api/v1/activities/{tree.activity.ext_id}/",
        "/api/v1/trainings/",
        "/api/v1/filings/",
        "/api/v1/positions/",
        "/api/v1/terms/",
    ]:
        response = clients["anon"].get(url)
        assert response.status_code == 401, url
        assert "Token" in response["WWW-Authenticate"]


def test_bad_token_is_401(tree):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get("/api/v1/organizations/").status_code == 401


def test_token_endpoint_issues_a_working_token(tree):
    from rest_framework.test import APIClient

    from dangjian.web.testing import PASSWORD

    client = APIClient()
    bad = client.post("/api/v1/auth/token/", {"username": "tb1", "password": "wrong"})
    assert bad.status_code == 400
    response = client.post("/api/v1/auth/token/", {"username": "tb1", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert ids(client.get("/api/v1/organizations/")) == {"TB1"}
    # A second request issues a second token; both work until they expire.
    again = APIClient().post("/api/v1/auth/token/", {"username": "tb1", "password": PASSWORD})
    assert again.json()["token"] != token
    assert ids(client.get("/api/v1/organizations/")) == {"TB1"}


def test_organizations_by_role(clients):
    assert ids(clients["member"].get("/api/v1/organizations/")) == {"TB1"}
    assert ids(clients["b1"].get("/api/v1/organizations/")) == {"TB1"}
    assert ids(clients["b2"].get("/api/v1/organizations/")) == {"TB2"}
    assert ids(clients["dept"].get("/api/v1/organizations/")) == {"TPG", "TOC", "TB1", "TB2"}
    assert ids(clients["wc"].get("/api/v1/organizations/")) == {"TWC", "TPG", "TOC", "TB1", "TB2"}


def test_organization_subtree_filter(clients):
    assert ids(clients["wc"].get("/api/v1/organizations/?under=TOC")) == {"TOC", "TB1", "TB2"}
    # A subtree root the caller cannot see is a clear 400 naming the parameter.
    response = clients["b1"].get("/api/v1/organizations/?under=TOC")
    assert response.status_code == 400
    assert "under" in response.json()


def test_organization_detail_outside_scope_is_404(clients):
    assert clients["b1"].get("/api/v1/organizations/TB1/").status_code == 200
    assert clients["b1"].get("/api/v1/organizations/TB2/").status_code == 404
    assert clients["member"].get("/api/v1/organizations/TOC/").status_code == 404
    body = clients["wc"].get("/api/v1/organizations/TB1/").json()
    assert body == {
        "id": "TB1",
        "name": "办公室党支部",
        "type": "branch",
        "parent": "TOC",
        "staff_count": None,
        "established": None,
        "dissolved": None,
    }


def test_people_by_role(clients, tree):
    assert ids(clients["member"].get("/api/v1/people/")) == {tree.member.ext_id}
    assert ids(clients["b1"].get("/api/v1/people/")) == {p.ext_id for p in tree.members1}
    assert ids(clients["b2"].get("/api/v1/people/")) == {p.ext_id for p in tree.members2}
    everyone = {p.ext_id for p in tree.members1 + tree.members2}
    assert ids(clients["wc"].get("/api/v1/people/")) == everyone
    assert ids(clients["wc"].get("/api/v1/people/?org=TB2")) == {p.ext_id for p in tree.members2}
    other = tree.members1[1].ext_id
    assert clients["member"].get(f"/api/v1/people/{other}/").status_code == 404
    assert clients["b2"].get(f"/api/v1/people/{other}/").status_code == 404
    assert clients["b1"].get(f"/api/v1/people/{other}/").json()["org"] == "TB1"


def test_activities_member_sees_branch_schedule_but_only_own_attendance(clients, tree):
    url = f"/api/v1/activities/{tree.activity.ext_id}/"
    member_view = clients["member"].get(url).json()
    assert member_view["attendees"] == [tree.member.ext_id]
    admin_view = clients["b1"].get(url).json()
    assert admin_view["attendees"] == sorted(p.ext_id for p in tree.members1)
    assert admin_view["kind"] == "branch_assembly"
    assert admin_view["hours"] == 2
    assert clients["b2"].get(url).status_code == 404
    assert ids(clients["b2"].get("/api/v1/activities/")) == set()
    assert ids(clients["dept"].get("/api/v1/activities/?under=TOC")) == {tree.activity.ext_id}


def test_trainings_and_filings_by_role(clients, tree):
    assert ids(clients["member"].get("/api/v1/trainings/")) == {tree.training.ext_id}
    assert ids(clients["b2"].get("/api/v1/trainings/")) == set()
    assert ids(clients["wc"].get("/api/v1/trainings/")) == {tree.training.ext_id}
    # A filing is the organisation's, not the member's own record.
    assert ids(clients["member"].get("/api/v1/filings/")) == set()
    assert ids(clients["b1"].get("/api/v1/filings/")) == {tree.filing.ext_id}
    assert clients["b2"].get(f"/api/v1/filings/{tree.filing.ext_id}/").status_code == 404


def test_positions_and_terms(clients, tree):
    b1_positions = clients["b1"].get("/api/v1/positions/").json()["results"]
    assert [(p["person"], p["org"], p["role"]) for p in b1_positions] == [
        (tree.members1[1].ext_id, "TB1", "secretary")
    ]
    assert clients["b2"].get("/api/v1/positions/").json()["count"] == 0
    assert clients["member"].get("/api/v1/positions/").json()["count"] == 0
    terms = clients["member"].get("/api/v1/terms/").json()["results"]
    assert len(terms) == 1 and terms[0]["org"] == "TB1" and terms[0]["years"] == 3
    assert terms[0]["next_election"][:4] == str(int(terms[0]["elected_on"][:4]) + 3)
    assert clients["b2"].get("/api/v1/terms/").json()["count"] == 0


def test_list_filters_validate(clients):
    response = clients["wc"].get("/api/v1/activities/?year=abc")
    assert response.status_code == 400 and "year" in response.json()
    response = clients["wc"].get("/api/v1/trainings/?date_from=2024-13-01")
    assert response.status_code == 400 and "date_from" in response.json()


def test_token_command_issues_a_token(tree):
    import re
    from io import StringIO

    from django.core.management import call_command
    from rest_framework.test import APIClient

    from dangjian.core.models import ApiToken

    out = StringIO()
    call_command("api_token", "twc", stdout=out)
    key = re.search(r"\b([0-9a-f]{40})\b", out.getvalue()).group(1)
    # Only the digest is stored, never the key.
    assert not ApiToken.objects.filter(digest=key).exists()
    assert ApiToken.objects.filter(user=tree.users["wc"]).count() == 1
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/organizations/TWC/").status_code == 200
