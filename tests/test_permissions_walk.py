"""Walk every URL pattern of the project as every role and check the status code.

Each pattern must have an expectation below: a new URL without one fails
`test_every_url_has_an_expectation`, so whoever adds a route declares who may see it.
Path parameters are filled with objects of the fixture tree (dangjian.web.testing),
all inside 办公室党支部 (branch1): "b1" administers it, "b2" administers the sibling
branch, "member" is 张一 of branch1, "wc" administers the whole tree.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dangjian.records.models import Attachment
from dangjian.web import engine
from dangjian.web.testing import PASSWORD, Tree, build_tree

ROLES = ["anon", "member", "b1", "b2", "wc"]


def expect(anon: int, member: int, b1: int, b2: int, wc: int) -> dict[str, int]:
    return dict(zip(ROLES, (anon, member, b1, b2, wc), strict=True))


LOGIN = 302  # anonymous users are sent to the sign-in page
ALL_OK = expect(200, 200, 200, 200, 200)
SIGNED_IN = expect(LOGIN, 200, 200, 200, 200)
# Pages of branch1 for its administrators: a member sees the branch (403), b2 does not (404).
ADMIN_OF_BRANCH1 = expect(LOGIN, 403, 200, 404, 200)
# The branch schedule: members of the branch see it too.
SCHEDULE_OF_BRANCH1 = expect(LOGIN, 200, 200, 404, 200)

EXPECTED: dict[str, dict[str, int]] = {
    # --- web pages ---
    "web:login": ALL_OK,
    "web:logout": expect(405, 405, 405, 405, 405),  # sign-out is a POST
    "web:home": SIGNED_IN,
    "web:org_list": SIGNED_IN,
    "web:org": ADMIN_OF_BRANCH1,
    "web:org_pack": expect(LOGIN, 405, 405, 405, 405),  # POST only
    "web:org_ledger": ADMIN_OF_BRANCH1,
    "web:org_hours": ADMIN_OF_BRANCH1,
    "web:org_filings": ADMIN_OF_BRANCH1,
    "web:org_findings": ADMIN_OF_BRANCH1,
    "web:org_calendar": SCHEDULE_OF_BRANCH1,
    "web:org_calendar_ics": SCHEDULE_OF_BRANCH1,
    "web:activity_new": ADMIN_OF_BRANCH1,
    "web:training_new": ADMIN_OF_BRANCH1,
    "web:filing_new": ADMIN_OF_BRANCH1,
    "web:activity": ADMIN_OF_BRANCH1,
    "web:activity_edit": ADMIN_OF_BRANCH1,
    "web:activity_delete": expect(LOGIN, 405, 405, 405, 405),  # POST only
    "web:absence_makeup": expect(LOGIN, 405, 405, 405, 405),  # POST only
    "web:attachment": ADMIN_OF_BRANCH1,
    # 张一's own page: himself, his branch's admin and the work committee.
    "web:person": expect(LOGIN, 200, 200, 404, 200),
    # Only a login linked to a member has a "me" page.
    "web:me": expect(LOGIN, 302, 404, 404, 404),
    # The findings list defaults to the user's own subtree; members have none.
    "web:findings": expect(LOGIN, 403, 200, 200, 200),
    "web:finding": ADMIN_OF_BRANCH1,
    "web:rules": SIGNED_IN,
    "web:rule_pack": SIGNED_IN,
    # The rectification loop of branch1 (list, open one, one rectification): its admins only.
    "web:rectifications": ADMIN_OF_BRANCH1,
    "web:rectification_new": ADMIN_OF_BRANCH1,
    "web:rectification": ADMIN_OF_BRANCH1,
    # --- HTTP API (token or session; anonymous gets 401) ---
    "api:token": expect(405, 405, 405, 405, 405),  # POST username/password for a token
    "api:schema": ALL_OK,
    "api:docs": ALL_OK,
    "api:docs-asset": ALL_OK,
    # Lists are scoped (a member's list holds their own records), so 200 for everyone.
    "api:organization-list": expect(401, 200, 200, 200, 200),
    "api:person-list": expect(401, 200, 200, 200, 200),
    "api:position-list": expect(401, 200, 200, 200, 200),
    "api:term-list": expect(401, 200, 200, 200, 200),
    "api:activity-list": expect(401, 200, 200, 200, 200),
    "api:training-list": expect(401, 200, 200, 200, 200),
    "api:filing-list": expect(401, 200, 200, 200, 200),
    # Details of branch1's records: the member sees his branch, an activity he attended and
    # his own training, not the branch's filings; b2 sees none of them.
    "api:organization-detail": expect(401, 200, 200, 404, 200),
    "api:person-detail": expect(401, 200, 200, 404, 200),
    "api:activity-detail": expect(401, 200, 200, 404, 200),
    "api:training-detail": expect(401, 200, 200, 404, 200),
    "api:filing-detail": expect(401, 404, 200, 404, 200),
    "api:checks": expect(401, 405, 405, 405, 405),  # POST to run a check
    # An organisation outside the caller's view is a 400 naming the `org` parameter.
    "api:findings": expect(401, 200, 200, 400, 200),
    # --- Excel import/export (administrators) ---
    "spreadsheets:index": expect(LOGIN, 403, 200, 200, 200),
    "spreadsheets:template": expect(LOGIN, 403, 200, 200, 200),
    "spreadsheets:export": expect(LOGIN, 403, 200, 404, 200),
    "spreadsheets:upload": expect(405, 405, 405, 405, 405),  # POST only
    "spreadsheets:preview": expect(LOGIN, 403, 404, 404, 404),  # no such upload
    "spreadsheets:failed": expect(LOGIN, 403, 404, 404, 404),
    "spreadsheets:commit": expect(405, 405, 405, 405, 405),
    "spreadsheets:choose": expect(405, 405, 405, 405, 405),
    "spreadsheets:discard": expect(405, 405, 405, 405, 405),
}

# Django admin: nobody in the tree is staff, so every admin page sends to the admin login.
ADMIN_DEFAULT = expect(302, 302, 302, 302, 302)
ADMIN_SPECIAL = {
    "admin:login": ALL_OK,
    "admin:logout": expect(302, 302, 302, 302, 302),
}


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the full pattern for unnamed routes
    name: str | None
    params: tuple[str, ...]


def walk(patterns: list, ns: str = "", prefix: str = "") -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            child_ns = f"{ns}{p.namespace}:" if p.namespace else ns
            yield from walk(p.url_patterns, child_ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            pattern = p.pattern
            converters = getattr(pattern, "converters", None)
            if converters:
                params = tuple(converters)
            else:
                regex = getattr(pattern, "regex", None)
                params = tuple(regex.groupindex) if regex is not None else ()
            name = f"{ns}{p.name}" if p.name else None
            yield Route(key=name or prefix + str(pattern), name=name, params=params)


def all_routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


def expectation(route: Route) -> dict[str, int] | None:
    if route.key in EXPECTED:
        return EXPECTED[route.key]
    if route.key.startswith("admin:"):
        return ADMIN_SPECIAL.get(route.key, ADMIN_DEFAULT)
    if route.name is None and route.key.startswith("admin/"):
        return ADMIN_DEFAULT  # the admin's catch-all
    return None


def test_every_url_has_an_expectation():
    missing = sorted({r.key for r in all_routes() if expectation(r) is None})
    assert not missing, f"URL patterns without a declared expectation: {missing}"


def fill(route: Route, tree: Tree, attachment: Attachment, finding_key: str) -> str:
    values: dict[str, object] = {}
    for param in route.params:
        if param in ("org_pk",):
            values[param] = tree.branch1.pk
        elif param in ("pk", "id", "ext_id") and route.key in API_DETAIL:
            values[param] = API_DETAIL[route.key](tree)
        elif param == "pk":
            values[param] = pk_for(route.key, tree, attachment)
        elif param == "year":
            values[param] = datetime.date.today().year
        elif (param == "key" and route.key == "spreadsheets:template") or (
            param == "kind" and route.key == "spreadsheets:export"
        ):
            values[param] = "ledger"
        elif param == "token":
            values[param] = "no-such-upload"
        elif param == "key":
            values[param] = finding_key
        elif param == "pack_id":
            values[param] = "national"
        elif param == "format":
            values[param] = "json"
        elif param in ("object_id",):
            values[param] = str(tree.root.pk)
        elif param == "content_type_id":
            values[param] = 1
        elif param == "app_label":
            values[param] = "orgs"
        elif param == "name":
            values[param] = "swagger-ui.css"
        else:
            values[param] = "1"
    if route.name is None:
        return "/admin/no-such-page/"
    return reverse(route.name, kwargs=values or None) + query_for(route.key, tree)


def query_for(key: str, tree: Tree) -> str:
    """Query parameters some routes need to reach their permission check."""
    year = datetime.date.today().year
    if key == "spreadsheets:export":
        return f"?org={tree.branch1.ext_id}&year={year}"
    if key == "api:findings":
        return f"?org={tree.branch1.ext_id}&year={year}"
    return ""


# API detail routes look records up by external id.
API_DETAIL = {
    "api:organization-detail": lambda t: t.branch1.ext_id,
    "api:person-detail": lambda t: t.member.ext_id,
    "api:activity-detail": lambda t: t.activity.ext_id,
    "api:training-detail": lambda t: t.training.ext_id,
    "api:filing-detail": lambda t: t.filing.ext_id,
}


def pk_for(key: str, tree: Tree, attachment: Attachment) -> int:
    name = key.split(":", 1)[1]
    if name in ("activity", "activity_edit", "activity_delete") or "activity" in name:
        assert tree.activity is not None
        return tree.activity.pk
    if name == "attachment":
        return attachment.pk
    if name == "rectification":
        from dangjian.oversight.models import Rectification

        return Rectification.objects.get(org=tree.branch1).pk
    if name == "person" or name.startswith("person"):
        return tree.member.pk
    if name.startswith("training"):
        assert tree.training is not None
        return tree.training.pk
    if name.startswith("filing"):
        assert tree.filing is not None
        return tree.filing.pk
    return tree.branch1.pk


@pytest.fixture
def world(db, tmp_path, settings):
    from django.core.cache import cache

    cache.clear()  # cached findings are keyed by primary keys a rolled-back test may reuse
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tree = build_tree()
    attachment = Attachment(
        activity=tree.activity, name="记录.pdf", content_type="application/pdf", size=9
    )
    attachment.file.save("scan.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    from dangjian.oversight.models import Rectification

    Rectification.objects.create(
        org=tree.branch1, title="未按期召开支部委员会", found_on=datetime.date.today()
    )
    keys = [f.key for f in engine.findings(tree.branch1, datetime.date.today().year)]
    return tree, attachment, (keys[0] if keys else "0" * 16)


@pytest.mark.parametrize("role", ROLES)
def test_status_codes_per_role(world, role):
    tree, attachment, finding_key = world
    client = Client()
    if role != "anon":
        assert client.login(username=tree.users[role].get_username(), password=PASSWORD)
    wrong = []
    checked = 0
    for route in all_routes():
        want = expectation(route)
        if want is None:
            continue  # reported by test_every_url_has_an_expectation
        url = fill(route, tree, attachment, finding_key)
        got = client.get(url).status_code
        checked += 1
        if got != want[role]:
            wrong.append(f"{route.key} {url}: expected {want[role]}, got {got}")
    assert checked > 20
    assert not wrong, "\n".join(wrong)


def test_finding_key_is_real(world):
    """The walk reaches a real finding's page (branch1 held no theme day this year)."""
    _, _, key = world
    assert key != "0" * 16
