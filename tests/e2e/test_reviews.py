"""A branch administrator records the year's 民主评议党员 for the whole branch in one form
(合格 by default, changing the exceptions); the member sees their outcome on their page."""

import datetime

import pytest

from dangjian.people.models import MemberReview, Person
from dangjian.web.testing import PASSWORD, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_records_the_year_review_and_member_sees_outcome(live_server, chromium):
    tree = build_tree()
    base = live_server.url
    year = datetime.date.today().year
    members = Person.objects.filter(org=tree.branch1, status__in=["full", "probationary"])
    other = tree.members1[3]

    admin = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = admin.new_page()
    page.set_default_timeout(20000)
    sign_in(page, base, tree.users["b1"].get_username(), PASSWORD)
    page.goto(f"{base}/orgs/{tree.branch1.pk}/")
    page.click("#org-sections a:text-is('组织与党员')")
    page.click("#org-pages a:text-is('民主评议')")
    page.wait_for_load_state("networkidle")
    form = page.locator("#reviews-form")
    selects = form.locator("select")
    assert selects.count() == members.count()
    assert all(selects.nth(i).input_value() == "qualified" for i in range(selects.count()))
    form.locator(f"#id_outcome_{tree.member.pk}").select_option(label="优秀")
    form.locator(f"#id_outcome_{other.pk}").select_option(label="不合格")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert f"已登记{year}年度评议结果 {members.count()} 条" in page.content()
    # the 不合格 member's handling: set the 限期改正 deadline
    page.locator("#reviews-handling a").click()
    page.wait_for_load_state("networkidle")
    page.fill("#id_correction_due", f"{year + 1}-06-30")
    page.locator("#handling-form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert f"{year + 1}-06-30" in page.locator("#reviews-handling").inner_text()
    admin.close()
    assert MemberReview.objects.filter(year=year).count() == members.count()
    assert MemberReview.objects.get(person=other).correction_due == datetime.date(year + 1, 6, 30)

    member = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = member.new_page()
    page.set_default_timeout(20000)
    sign_in(page, base, tree.users["member"].get_username(), PASSWORD)
    page.goto(f"{base}/me/")
    page.wait_for_load_state("networkidle")
    text = page.locator("#my-reviews").inner_text()
    assert f"{year}年度" in text and "优秀" in text
    assert page.locator("#my-community").is_visible()
    # the member's menu has no branch-administration pages, and the branch page is refused
    assert page.locator("a.nav-link:text-is('民主评议')").count() == 0
    got = page.goto(f"{base}/orgs/{tree.branch1.pk}/reviews/")
    assert got is not None and got.status == 403
    member.close()
