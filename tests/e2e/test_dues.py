"""A branch administrator records this month's dues for the whole branch in one form;
the member then sees the payment on their own page."""

import datetime
from decimal import Decimal

import pytest

from dangjian.people.models import Due
from dangjian.web.testing import PASSWORD, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_records_month_dues_and_member_sees_them(live_server, chromium):
    tree = build_tree()
    for person, income in zip(
        tree.members1, ["3000", "3000.01", "5000", "5000.01", "10000.01"], strict=True
    ):
        person.monthly_income = Decimal(income)
        person.save(update_fields=["monthly_income"])
    base = live_server.url
    today = datetime.date.today()

    admin = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = admin.new_page()
    page.set_default_timeout(20000)
    sign_in(page, base, tree.users["b1"].get_username(), PASSWORD)
    page.goto(f"{base}/orgs/{tree.branch1.pk}/")
    page.click("#org-sections a:text-is('组织与党员')")
    page.click("#org-pages a:text-is('党费')")
    page.wait_for_load_state("networkidle")
    assert "应交 370 元" in page.locator("#dues-totals").inner_text()  # 15+30+50+75+200
    form = page.locator("#dues-form")
    boxes = form.locator("input[type=checkbox]")
    assert boxes.count() == 5 and all(boxes.nth(i).is_checked() for i in range(5))
    me = tree.member
    assert form.locator(f"#id_amount_{me.pk}").input_value() == "15.00"
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "已登记 5 条党费记录" in page.content()
    assert "已交 5/5 人" in page.locator("#dues-totals").inner_text()
    admin.close()
    assert Due.objects.filter(month=today.replace(day=1)).count() == 5

    member = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = member.new_page()
    page.set_default_timeout(20000)
    sign_in(page, base, tree.users["member"].get_username(), PASSWORD)
    page.goto(f"{base}/me/")
    page.wait_for_load_state("networkidle")
    card = page.locator("#my-dues")
    text = card.inner_text()
    assert "每月应交 15 元" in text
    assert f"{today.year}年{today.month}月" in text and "15 元" in text
    assert "已按月交纳" in text
    member.close()
