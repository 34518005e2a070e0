"""Bad input never gives a 500: each request below gets a 4xx with a Chinese message.

Run on SQLite and PostgreSQL (NUL bytes and out-of-range integers fail only there
when they reach the database).
"""

import json
import threading

import pytest
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient

from dangjian.core.actor import Actor
from dangjian.core.tokens import token_issue
from dangjian.records.models import Activity
from dangjian.web.testing import build_tree

HUGE = "99999999999999999999999"
NESTED = "[" * 100_000 + "]" * 100_000


@pytest.fixture(autouse=True)
def fast_passwords(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def tree(db):
    return build_tree()


def api_client(user):
    client = APIClient(raise_request_exception=False)
    issued = token_issue(user=user, actor=Actor.system("test"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    return client


def activity_body(tree, **changes):
    body = {
        "org": tree.branch1.ext_id,
        "kind": "branch_assembly",
        "date": "2024-05-20",
        "title": "学习",
        "hours": "2",
        "attendees": [p.ext_id for p in tree.members1[:2]],
    }
    body.update(changes)
    return body


def chinese(response):
    text = response.content.decode("utf-8", "replace")
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def api_requests(tree):
    org, act = tree.branch1.ext_id, tree.activity.ext_id
    year = 2024
    yield "GET", f"/api/v1/findings/?org={org}&year={year}&as_of=9999-12-31", None
    yield "GET", f"/api/v1/findings/?org={org}&year={year}&as_of=0001-01-01", None
    yield "GET", f"/api/v1/findings/?org={org}&year=99999999999999999999", None
    yield "GET", f"/api/v1/findings/?org=%00&year={year}", None
    yield "POST", "/api/v1/checks/", {"org": org, "year": year, "as_of": "9999-12-31"}
    yield "POST", "/api/v1/checks/", {"org": org, "year": year, "policy": "x\x00"}
    yield "POST", "/api/v1/activities/", activity_body(tree, title="学习\x00党章")
    yield "POST", "/api/v1/activities/", activity_body(tree, id="A\x00B")
    yield "POST", "/api/v1/activities/", activity_body(tree, org="T\x00B1")
    yield "POST", "/api/v1/activities/", activity_body(tree, subject="T\x00B1")
    yield "POST", "/api/v1/activities/", activity_body(tree, attendees=["TP1\x000"])
    yield "POST", "/api/v1/activities/", activity_body(tree, date="9999-12-31", hours=HUGE)
    yield "POST", "/api/v1/activities/", activity_body(tree, date="0000-01-01")
    yield "POST", "/api/v1/activities/", activity_body(tree, org=int(HUGE))
    yield "POST", "/api/v1/activities/", activity_body(tree, id=act)  # an id already used
    yield (
        "POST",
        "/api/v1/trainings/",
        {"person": "TP10", "date": "2024-01-01", "hours": HUGE, "kind": "general"},
    )
    yield (
        "POST",
        "/api/v1/filings/",
        {"org": org, "kind": "work_report", "date": "2024-01-01", "period": "2023\x00"},
    )
    yield "PATCH", f"/api/v1/activities/{act}/", {"title": "x\x00"}
    yield "PATCH", f"/api/v1/activities/{act}/", {"date": "9999-12-31"}
    yield "GET", "/api/v1/activities/%00/", None
    yield "GET", f"/api/v1/activities/{HUGE}/", None
    yield "GET", "/api/v1/people/?org=%00", None
    yield "GET", f"/api/v1/activities/?under={org}&year={HUGE}", None
    yield "GET", f"/api/v1/activities/?under={org}&from=9999-12-31&to=0001-01-01", None
    yield "GET", f"/api/v1/activities/?page={HUGE}", None
    yield "GET", "/api/v1/activities/?page_size=%00", None
    yield "POST", "/api/v1/auth/token/", {"username": "a\x00", "password": "b\x00"}


@pytest.mark.django_db
def test_api_bad_input_is_a_4xx_with_a_chinese_message(tree):
    client = api_client(tree.users["b1"])
    failures = []
    for method, url, body in api_requests(tree):
        call = getattr(client, method.lower())
        response = call(url, body, format="json") if body is not None else call(url)
        if response.status_code >= 500 or (response.status_code >= 400 and not chinese(response)):
            failures.append((method, url, response.status_code, response.content[:200]))
    assert not failures


@pytest.mark.django_db
def test_deeply_nested_json_is_a_400(tree):
    client = api_client(tree.users["b1"])
    for url in ("/api/v1/activities/", "/api/v1/checks/", "/api/v1/auth/token/"):
        response = client.post(url, NESTED, content_type="application/json")
        assert response.status_code == 400, (url, response.status_code)
        assert chinese(response)


def web_requests(tree):
    b1, act = tree.branch1.pk, tree.activity.pk
    yield "GET", f"/orgs/{HUGE}/", None
    yield "GET", f"/activities/{HUGE}/", None
    yield "GET", f"/activities/{HUGE}/edit/", None
    yield "GET", f"/people/{HUGE}/", None
    yield "GET", f"/orgs/{b1}/ledger/?q=%00", None
    yield "GET", "/excel/export/roster.xlsx?org=%00", None
    yield "GET", f"/excel/export/ledger.xlsx?org={tree.branch1.ext_id}&year=%00", None
    for kind in ("ledger", "trainings", "findings"):
        for year in ("99999999999999999999", "10000", "-5", "0"):
            yield "GET", f"/excel/export/{kind}.xlsx?org={tree.branch1.ext_id}&year={year}", None
    form = {"kind": "branch_assembly", "date": "2024-05-20", "title": "学习", "hours": "2"}
    yield "POST", f"/orgs/{b1}/activities/new/", {**form, "title": "学\x00习"}
    yield "POST", f"/orgs/{b1}/activities/new/", {**form, "speaker": HUGE}
    yield "POST", f"/orgs/{b1}/activities/new/", {**form, "attendees": [HUGE, "\x00"]}
    yield "POST", f"/orgs/{b1}/activities/new/", {**form, "hours": HUGE}
    yield "POST", f"/orgs/{b1}/activities/new/", {**form, "date": "9999-12-31"}
    yield "POST", f"/activities/{act}/edit/", {**form, "minutes": "纪要\x00"}
    yield (
        "POST",
        f"/orgs/{b1}/trainings/new/",
        {"people": [HUGE], "date": "2024-01-01", "hours": "1", "kind": "general"},
    )
    yield (
        "POST",
        f"/orgs/{b1}/filings/new/",
        {"kind": "work_report", "date": "2024-01-01", "period": "2023", "by": HUGE},
    )


@pytest.mark.django_db
def test_web_bad_input_is_never_a_500(tree):
    client = Client(raise_request_exception=False)
    client.force_login(tree.users["b1"])
    failures = []
    for method, url, body in web_requests(tree):
        response = client.post(url, body) if method == "POST" else client.get(url)
        if response.status_code >= 500:
            failures.append((method, url, response.status_code))
    assert not failures


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_the_same_new_id(tree):
    """Two clients create the same new id at once: one 201, the other a 4xx, never a 500."""
    results: list[int] = []
    barrier = threading.Barrier(2)
    body = activity_body(tree, id="RACE-1")
    # Issued once here: a token write from each thread would itself race on SQLite.
    key = token_issue(user=tree.users["b1"], actor=Actor.system("test")).key

    def post() -> None:
        try:
            client = APIClient(raise_request_exception=False)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            barrier.wait(10)
            results.append(client.post("/api/v1/activities/", body, format="json").status_code)
        finally:
            connections.close_all()

    for _ in range(3):
        Activity.objects.filter(ext_id="RACE-1").delete()
        results.clear()
        threads = [threading.Thread(target=post) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(code < 500 or code == 503 for code in results), results
        assert 201 in results or 503 in results, results
        assert Activity.objects.filter(ext_id="RACE-1").count() == 1 or 503 in results
        assert json.dumps(results)


@pytest.mark.django_db
def test_unparsable_form_body_is_a_400(tree):
    client = api_client(tree.users["b1"])
    for url in ("/api/v1/activities/", "/api/v1/checks/"):
        response = client.generic("POST", url, "x", content_type="multipart/form-data")
        assert response.status_code == 400, (url, response.status_code)
        assert chinese(response)


BAD_YEARS = ("99999999999999999999", "10000", "-5", "0", "%00")


def more_web_requests(tree, versions):
    """The keeping, oversight, dues and pipeline forms, and every page taking a year/date."""
    b1, p = tree.branch1.pk, tree.members1[1].pk
    for year in BAD_YEARS:
        for path in ("", "ledger/", "hours/", "filings/", "findings/", "compare/", "pack/"):
            yield "GET", f"/orgs/{b1}/{path}?year={year}&as_of=9999-12-31", None
        yield "GET", f"/findings/?year={year}&as_of=9999-12-31", None
        yield "GET", f"/findings/{b1}/{year.lstrip('-%')}/x/", None
        yield "GET", f"/orgs/{b1}/rectifications/new/?year={year}&key=%00", None
    yield "GET", "/findings/?as_of=0001-01-01&year=2024", None
    for month in ("99999-99", "%00", "0-0", "9999-12"):
        yield "GET", f"/orgs/{b1}/calendar/?month={month}", None
        yield "GET", f"/orgs/{b1}/dues/?month={month}", None
        yield "GET", f"/orgs/{b1}/dues.xlsx?month={month}", None
    yield "GET", f"/orgs/{b1}/members/?q=%00&status=%00&page={HUGE}", None
    yield "GET", f"/orgs/{b1}/rectifications/?state=%00&page={HUGE}", None
    yield "GET", "/orgs/tree/?q=%00", None
    person = {"name": "王\x00二", "status": "full", "employment": "in_service"}
    yield "POST", f"/orgs/{b1}/members/new/", {**person, "hosted_by": HUGE}
    yield "POST", f"/orgs/{b1}/members/new/", {**person, "monthly_income": HUGE}
    yield "POST", f"/people/{p}/edit/", {**person, **versions["person"], "hosted_by": HUGE}
    yield "POST", f"/people/{p}/edit/", {**person, "birth_date": "9999-12-31"}
    yield "POST", f"/people/{p}/leave/", {"date": "0000-01-01", "reason": "\x00"}
    yield "POST", f"/orgs/{b1}/leadership/", {"person": HUGE, "role": "x", "start": "%00"}
    yield "POST", f"/positions/{HUGE}/end/", {"end": "2024-01-01"}
    yield "POST", f"/orgs/{b1}/election/", {"elected_on": "2024-01-01", "years": HUGE}
    yield "POST", f"/orgs/{b1}/election/", {"elected_on": "2024-01-01", "person_0": HUGE}
    for kind, body in (
        ("issue", {"issue-person": HUGE, "issue-to_org": HUGE, "issue-letter": "L\x00"}),
        ("out", {"out-person": p, "out-date": "2024-01-01", "out-letter": "L\x00"}),
        ("in", {"in-name": "新\x00人", "in-joined_on": "2010-01-01", "in-date": "2024-01-01"}),
    ):
        yield "POST", f"/orgs/{b1}/transfers/", {"kind": kind, **body}
    yield "POST", f"/transfers/{HUGE}/accept/", {"org": "%00"}
    yield "POST", f"/transfers/{HUGE}/cancel/", {}
    for kind, body in (
        ("create", {"create-name": "支\x00部", "create-type": "branch"}),
        ("rename", {"rename-name": "支\x00部", **versions["org"]}),
        ("move", {"move-parent": HUGE, **versions["org"]}),
        ("dissolve", {"dissolve-date": "0000-01-01", **versions["org"]}),
    ):
        yield "POST", f"/orgs/{b1}/manage/", {"kind": kind, **body}
    yield (
        "POST",
        f"/orgs/{b1}/rectifications/new/",
        {"org": HUGE, "title": "问\x00题", "found_on": "2024-01-01", "source_activity": HUGE},
    )
    yield (
        "POST",
        f"/orgs/{b1}/dues/",
        {"paid_on": "\x00", f"pay_{HUGE}": "on", f"amount_{p}": HUGE, **versions["dues"]},
    )
    act = tree.activity.pk
    yield "POST", f"/activities/{act}/absences/{HUGE}/makeup/", {"clear": "1"}
    yield "POST", f"/activities/{HUGE}/absences/1/makeup/", {}
    yield (
        "POST",
        f"/orgs/{b1}/pipeline/",
        {"person": HUGE, "step": "talked", "date": "2024-01-01", "evidence": "记\x00录"},
    )


@pytest.mark.django_db
def test_web_forms_and_pages_bad_input_is_never_a_500(tree):
    from dangjian.web.testing import page_version

    client = Client(raise_request_exception=False)
    client.force_login(tree.users["dept"])
    b1, p = tree.branch1.pk, tree.members1[1].pk
    versions = {
        "person": page_version(client, f"/people/{p}/edit/"),
        "org": page_version(client, f"/orgs/{b1}/manage/", "rename", prefix="rename"),
        "dues": page_version(client, f"/orgs/{b1}/dues/"),
    }
    failures = []
    for method, url, body in more_web_requests(tree, versions):
        response = client.post(url, body) if method == "POST" else client.get(url)
        if response.status_code >= 500:
            failures.append((method, url, response.status_code))
    assert not failures


@pytest.mark.django_db
def test_api_keeping_bad_input_is_a_4xx_with_a_chinese_message(tree):
    client = api_client(tree.users["dept"])
    org, person = tree.branch1.ext_id, tree.members1[1].ext_id
    requests = [
        ("PATCH", f"/api/v1/organizations/{org}/", {"name": "支\x00部"}, {}),
        ("PATCH", f"/api/v1/organizations/{org}/", {"established": "9999-12-31"}, {}),
        ("PATCH", f"/api/v1/people/{person}/", {"name": "王\x00二"}, {}),
        ("PATCH", f"/api/v1/people/{person}/", {"monthly_income": HUGE}, {}),
        ("PATCH", f"/api/v1/people/{person}/", {"hosted_by": "X\x00"}, {}),
        ("PATCH", f"/api/v1/people/{person}/", {"name": "王二"}, {"HTTP_IF_MATCH": '"bogus'}),
        ("PATCH", f"/api/v1/activities/{tree.activity.ext_id}/", {}, {"HTTP_IF_MATCH": "W/"}),
        ("POST", "/api/v1/people/", {"name": "新", "org": org, "status": "\x00"}, {}),
        ("POST", f"/api/v1/people/{person}/leave/", {"date": "0000-01-01"}, {}),
        ("POST", f"/api/v1/organizations/{org}/move/", {"parent": HUGE}, {}),
        ("GET", f"/api/v1/people/{HUGE}/", None, {}),
    ]
    failures = []
    for method, url, body, headers in requests:
        call = getattr(client, method.lower())
        if body is None:
            response = call(url, **headers)
        else:
            response = call(url, body, format="json", **headers)
        if response.status_code >= 500 or (response.status_code >= 400 and not chinese(response)):
            failures.append((method, url, response.status_code, response.content[:200]))
    assert not failures
