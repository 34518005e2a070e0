"""Every page with a year (query or path) of 0, -5, 9999, 10000 or a non-number: never a
server error; a refused year gets the Chinese 400 or 404 page naming the problem."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dangjian.web import page_findings

BAD_YEARS = ("0", "-5", "9999", "10000", "abc")


def _routes(patterns: list, ns: str = "") -> list[tuple[str, tuple[str, ...]]]:
    out: list[tuple[str, tuple[str, ...]]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            out += _routes(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern) and p.name:
            params = tuple(getattr(p.pattern, "converters", {}) or ())
            out.append((f"{ns}{p.name}", params))
    return out


def _url(name: str, params: tuple[str, ...], tree, year: object, key: str) -> str:
    values: dict[str, object] = {}
    for param in params:
        if param == "org_pk":
            values[param] = tree.branch1.pk
        elif param == "pk":
            values[param] = _pk(name, tree)
        elif param == "year":
            values[param] = year
        elif param == "key":
            values[param] = "ledger" if name == "spreadsheets:template" else key
        elif param == "kind":
            values[param] = "findings"
        elif param == "pack_id":
            values[param] = "national"
        elif param.endswith("_pk"):  # a record inside another (an activity's absence)
            values[param] = 1
        else:
            values[param] = "x"
    query = f"?org={tree.branch1.ext_id}&" if name == "spreadsheets:export" else "?"
    return reverse(name, kwargs=values or None) + query


def _pk(name: str, tree) -> int:
    if "activity" in name:
        return tree.activity.pk
    if name.endswith("person"):
        return tree.member.pk
    return tree.branch1.pk


@pytest.mark.django_db
def test_every_page_refuses_bad_years_without_a_server_error(tree):
    client = Client(raise_request_exception=False)
    client.force_login(tree.users["wc"])
    this_year = datetime.date.today().year
    today_key = next((f.key for f in page_findings.findings(tree.branch1, this_year)), "none")
    routes = [
        (n, ps)
        for n, ps in _routes(get_resolver().url_patterns)
        if n.startswith(("web:", "spreadsheets:")) and n not in ("web:logout",)
    ]
    assert any(n == "web:finding" for n, _ in routes)
    errors = []
    for name, params in routes:
        for bad in BAD_YEARS:
            if "year" in params:
                if not bad.isdigit():
                    continue  # the path converter takes digits only (Django's own 404)
                url = _url(name, params, tree, int(bad), today_key)
            else:
                url = _url(name, params, tree, 2026, today_key) + f"year={bad}"
            response = client.get(url)
            if response.status_code >= 500:
                errors.append(f"{url} → {response.status_code}")
            elif response.status_code in (400, 404):
                body = response.content.decode()
                assert "请求有误" in body or "页面不存在" in body, url
    assert not errors, errors


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad", "status", "words"),
    [("abc", 400, "请求有误"), ("0", 404, "超出范围"), ("10000", 404, "超出范围")],
)
def test_calendar_year_refused_in_chinese(tree, bad, status, words):
    client = Client()
    client.force_login(tree.users["b1"])
    response = client.get(reverse("web:org_calendar", args=[tree.branch1.pk]) + f"?year={bad}")
    assert response.status_code == status
    assert words in response.content.decode()


@pytest.mark.django_db
def test_bad_date_in_query_is_a_chinese_400(tree):
    client = Client()
    client.force_login(tree.users["b1"])
    url = reverse("web:activity_new", args=[tree.branch1.pk]) + "?date=2026-13-45"
    response = client.get(url)
    assert response.status_code == 400 and "请求有误" in response.content.decode()
