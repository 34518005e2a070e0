"""The comparison page: one organisation's schedule and findings under two documents."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.policy.days import check_day
from dangjian.policy.schedule import build_schedule


@pytest.mark.django_db
def test_two_packs_side_by_side(tree):
    client = Client()
    client.force_login(tree.users["b1"])
    org = tree.branch1
    year = datetime.date.today().year
    url = reverse("web:org_compare", args=[org.pk])
    page = client.get(url + f"?year={year}&a=yunnan-2019&b=danyang-2020")
    assert page.status_code == 200
    result = page.context["result"]
    for side, pack in ((result.a, "yunnan-2019"), (result.b, "danyang-2020")):
        alone = build_schedule(pack=pack, year=year, as_of=check_day(year), org_ext_id=org.ext_id)
        assert len(side.items) == len(alone.items)
        assert len(side.findings) == len(alone.findings)
    # Every rule of either schedule appears once; the same obligation shares a row.
    left = [a.rule.qualified_id for a, _ in result.rows if a]
    right = [b.rule.qualified_id for _, b in result.rows if b]
    assert sorted(left) == sorted({i.rule.qualified_id for i in result.a.items})
    assert sorted(right) == sorted({i.rule.qualified_id for i in result.b.items})
    shared = [(a, b) for a, b in result.rows if a and b]
    assert any(a.rule.qualified_id == b.rule.qualified_id for a, b in shared)  # national's
    assert any(a is None for a, _ in result.rows) or any(b is None for _, b in result.rows)
    text = page.content.decode()
    assert "中共丹阳市委" in text and "danyang-2020</" not in text
    assert client.get(url + "?a=nowhere-1999").status_code == 404
