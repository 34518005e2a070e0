"""A member's own pages: dues status and history, meetings attended, study hours; the
menu offers only pages the user may open."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client

from dangjian.people import dues
from dangjian.people.models import Due
from dangjian.web.testing import PASSWORD

TODAY = datetime.date.today()
MONTH = TODAY.replace(day=1)


def client_for(tree, role):
    c = Client()
    assert c.login(username=tree.users[role].get_username(), password=PASSWORD)
    return c


def menu_links(html: str) -> list[tuple[str, str]]:
    menu = html[html.index('id="main-menu"') : html.index("</ul>", html.index('id="main-menu"'))]
    return re.findall(r'href="([^"]+)">([^<]+)</a>', menu)


def test_member_sees_own_dues_meetings_and_hours(tree):
    me = tree.member
    me.monthly_income = Decimal("3000.01")
    me.save(update_fields=["monthly_income"])
    Due.objects.create(person=me, month=MONTH, amount=Decimal("30.00"), paid_on=TODAY)
    c = client_for(tree, "member")
    html = c.get(f"/people/{me.pk}/").content.decode()
    assert "每月应交 30 元" in html
    assert f"{MONTH.year}年{MONTH.month}月" in html and "30 元" in html
    assert tree.activity is not None and tree.activity.title in html  # meeting attended
    assert "学时" in html
    home = c.get("/").content.decode()
    assert 'id="my-dues"' in home and "每月应交 30 元" in home


@pytest.mark.parametrize(("unpaid", "label"), [(3, "预警"), (6, "违规")])
def test_member_sees_arrears(tree, unpaid, label):
    me = tree.member
    last = dues.add_months(dues.last_ended_month(TODAY), -unpaid)
    Due.objects.create(person=me, month=last, amount=Decimal("1"), paid_on=last)
    html = client_for(tree, "member").get(f"/people/{me.pk}/").content.decode()
    assert f"{label}</span> 已连续 {unpaid} 个月未交纳" in html


def test_member_menu_holds_only_pages_they_may_open(tree):
    c = client_for(tree, "member")
    links = menu_links(c.get("/").content.decode())
    labels = [label for _, label in links]
    assert "问题清单" not in labels and "党组织" not in labels and "Excel 导入导出" not in labels
    assert "我的" in labels and "支部日历" in labels
    for href, label in links:
        got = c.get(href, follow=True)
        assert got.status_code == 200, (label, href, got.status_code)


def test_administrator_menu_keeps_the_organisation_pages(tree):
    c = client_for(tree, "b1")
    links = menu_links(c.get("/").content.decode())
    labels = [label for _, label in links]
    assert {"党组织", "问题清单", "Excel 导入导出"} <= set(labels)
    assert "我的" not in labels  # b1 has no member record
    for href, label in links:
        assert c.get(href, follow=True).status_code == 200, (label, href)


def test_another_member_cannot_see_my_dues(tree):
    other = tree.members1[1]
    assert client_for(tree, "member").get(f"/people/{other.pk}/").status_code == 404


def test_member_opens_a_meeting_attended_and_no_other(tree):
    from dangjian.records.models import Activity

    c = client_for(tree, "member")
    assert tree.activity is not None
    html = c.get(f"/people/{tree.member.pk}/").content.decode()
    assert f"/me/activities/{tree.activity.pk}/" in html
    page = c.get(f"/me/activities/{tree.activity.pk}/")
    assert page.status_code == 200 and tree.activity.title in page.content.decode()
    assert f"/activities/{tree.activity.pk}/edit/" not in page.content.decode()  # read-only
    other = Activity.objects.create(
        ext_id="X1", org=tree.branch1, kind=tree.activity.kind, date=tree.activity.date
    )
    assert c.get(f"/me/activities/{other.pk}/").status_code == 404
