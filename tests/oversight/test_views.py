"""Rectification pages: scoping, filters, forms that keep what was typed, recording steps."""

import datetime
from datetime import date

import pytest
from django.urls import reverse

from dangjian.oversight.models import Rectification
from dangjian.web import page_findings
from dangjian.web.testing import page_version

pytestmark = pytest.mark.django_db


def make(org, **kw):
    kw.setdefault("title", "党员学习记录不全")
    kw.setdefault("found_on", date(2026, 3, 1))
    return Rectification.objects.create(org=org, **kw)


def test_list_is_scoped_to_the_subtree_and_filters(tree, login):
    today = datetime.date.today()
    overdue = make(
        tree.branch1,
        title="逾期事项",
        found_on=today - datetime.timedelta(days=40),
        assigned_on=today - datetime.timedelta(days=35),
        due_on=today - datetime.timedelta(days=1),
    )
    make(tree.branch1, title="在办事项", found_on=today)
    make(
        tree.branch1,
        title="销号事项",
        found_on=date(2025, 1, 2),
        assigned_on=date(2025, 1, 3),
        verified_on=date(2025, 1, 4),
        rectified_on=date(2025, 1, 5),
        revisit_on=date(2025, 1, 6),
        closed_on=date(2025, 1, 7),
    )
    make(tree.branch2, title="预算处事项")
    c = login("b1")
    url = reverse("web:rectifications", args=[tree.branch1.pk])
    page = c.get(url).content.decode()
    assert "逾期事项" in page and "在办事项" in page
    assert "销号事项" not in page and "预算处事项" not in page
    page = c.get(url + "?state=overdue").content.decode()
    assert "逾期事项" in page and "在办事项" not in page
    page = c.get(url + "?state=closed").content.decode()
    assert "销号事项" in page and "逾期事项" not in page
    # the committee's list holds both branches
    c = login("wc")
    page = c.get(reverse("web:rectifications", args=[tree.committee.pk])).content.decode()
    assert "预算处事项" in page and "在办事项" in page
    # another branch's administrator sees neither the list nor the rectification
    c = login("b2")
    assert c.get(url).status_code == 404
    assert c.get(reverse("web:rectification", args=[overdue.pk])).status_code == 404
    r = c.post(
        reverse("web:rectification", args=[overdue.pk]), {"step": "verify", "on": "2026-04-01"}
    )
    assert r.status_code == 404
    overdue.refresh_from_db()
    assert overdue.verified_on is None


def test_open_form_keeps_what_was_typed_and_saves(tree, login):
    c = login("b1")
    url = reverse("web:rectification_new", args=[tree.branch1.pk])
    r = c.post(
        url,
        {
            "org": tree.branch1.pk,
            "title": "主题党日未按月开展",
            "found_on": "2026-03-10",
            "due_on": "2026-03-01",  # before the day found: the service refuses it
        },
    )
    assert r.status_code == 200
    page = r.content.decode()
    assert "整改期限不能早于发现日期" in page
    assert 'value="主题党日未按月开展"' in page and 'value="2026-03-10"' in page
    assert Rectification.objects.count() == 0
    # an organisation outside the page's subtree is not a choice
    r = c.post(url, {"org": tree.branch2.pk, "title": "x", "found_on": "2026-03-10"})
    assert r.status_code == 200 and Rectification.objects.count() == 0
    r = c.post(
        url,
        {"org": tree.branch1.pk, "title": "主题党日未按月开展", "found_on": "2026-03-10"},
    )
    rect = Rectification.objects.get()
    assert r.status_code == 302 and r.url == reverse("web:rectification", args=[rect.pk])
    assert rect.org == tree.branch1 and rect.status == "found"


def test_open_form_prefills_from_a_finding(tree, login):
    year = datetime.date.today().year
    found = page_findings.findings(tree.branch1, year)
    assert found, "the fixture tree has findings this year"
    f = found[0]
    c = login("b1")
    url = reverse("web:rectification_new", args=[tree.branch1.pk])
    page = c.get(url + f"?year={year}&key={f.key}").content.decode()
    assert f'value="{f.rule}"' in page
    assert f'value="{f.period}"' in page
    # an unknown key leaves the form empty rather than failing
    page = c.get(url + f"?year={year}&key=0000000000000000").content.decode()
    assert f'value="{f.rule}"' not in page


def test_detail_records_next_step_and_keeps_typed_values_on_error(tree, login):
    rect = make(tree.branch1, found_on=date(2026, 3, 1))
    c = login("b1")
    url = reverse("web:rectification", args=[rect.pk])
    page = c.get(url).content.decode()
    assert "登记下一环节：交办" in page and "待交办" in page
    v = page_version(c, url)
    r = c.post(url, {"step": "assign", "on": "2026-02-27", "due_on": "2026-04-30", **v})
    assert r.status_code == 200
    page = r.content.decode()
    assert "日期不能早于上一环节（2026-03-01）" in page
    assert 'value="2026-02-27"' in page and 'value="2026-04-30"' in page
    r = c.post(url, {"step": "assign", "on": "2026-03-05", "due_on": "2026-04-30", **v})
    assert r.status_code == 302
    rect.refresh_from_db()
    assert rect.assigned_on == date(2026, 3, 5) and rect.due_on == date(2026, 4, 30)
    # a stale form (a step already recorded) is refused, not applied twice
    r = c.post(url, {"step": "assign", "on": "2026-03-06", **page_version(c, url)})
    assert r.status_code == 200 and "应先登记“核实”" in r.content.decode()
    rect.refresh_from_db()
    assert rect.assigned_on == date(2026, 3, 5)


def test_member_of_the_branch_gets_403(tree, login):
    rect = make(tree.branch1)
    c = login("member")
    assert c.get(reverse("web:rectification", args=[rect.pk])).status_code == 403
    assert c.get(reverse("web:rectifications", args=[tree.branch1.pk])).status_code == 403
