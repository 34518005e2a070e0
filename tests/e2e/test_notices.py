"""A work-committee administrator sends a notice to one department's subtree; a member
inside sees it unread and opens it; the publisher sees one read; a member of a branch
in another department cannot open it."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from dangjian.access.models import PersonAccount
from dangjian.notices.models import Notice, NoticeRead
from dangjian.orgs.models import OrgType
from dangjian.people.models import Person, PersonStatus
from dangjian.web.testing import PASSWORD, _org, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _context(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(20000)
    return context, page


def test_notice_to_a_department_subtree_with_read_receipts(live_server, chromium):
    tree = build_tree()
    # another department under the same work committee, with one member who signs in
    other_dept = _org("TPG2", "教育厅党组", OrgType.PARTY_GROUP, tree.root)
    other_branch = _org("TB3", "教育厅办公室党支部", OrgType.BRANCH, other_dept)
    stranger = Person.objects.create(
        ext_id="TP30",
        name="冯十",
        org=other_branch,
        status=PersonStatus.FULL,
        joined_on=datetime.date(2012, 7, 1),
    )
    user = get_user_model().objects.create_user(username="feng", password=PASSWORD)
    PersonAccount.objects.create(user=user, person=stranger)
    base = live_server.url

    # the work committee publishes to 财政厅党组 only
    context, page = _context(chromium)
    sign_in(page, base, tree.users["wc"].get_username(), PASSWORD)
    page.click("#menu-notices")
    page.click(f"a[href='/orgs/{tree.root.pk}/notices/new/']")
    page.fill("#id_title", "关于开展专题学习的通知")
    page.fill("#id_body", "请各支部本月内组织专题学习。")
    page.check(f"#targets input[value='{tree.dept.pk}']")
    # ticking an organisation chooses “选定的下级组织”
    assert page.is_checked("#id_scope_1")
    page.click("#publish")
    page.wait_for_load_state("networkidle")
    notice = Notice.objects.get()
    assert page.url.endswith(f"/notices/{notice.pk}/")
    assert "通知已发布" in page.content()
    assert page.locator("#read-count").inner_text() == "0"
    context.close()

    # 张一 of 办公室党支部 (inside) sees it unread, then opens it
    context, page = _context(chromium)
    sign_in(page, base, tree.users["member"].get_username(), PASSWORD)
    assert page.locator("#unread-notices-count").inner_text() == "1"
    page.click("#menu-notices")
    row = page.locator("#notice-table tbody tr", has_text="关于开展专题学习的通知")
    assert row.locator(".unread-mark").count() == 1
    row.locator("a").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#notice-title").inner_text() == "关于开展专题学习的通知"
    assert page.locator("#receipts").count() == 0
    page.goto(f"{base}/notices/")
    assert page.locator("#notice-table .unread-mark").count() == 0
    context.close()
    assert NoticeRead.objects.filter(notice=notice, person=tree.member).count() == 1

    # the publisher sees one read of the department's nine members
    context, page = _context(chromium)
    sign_in(page, base, tree.users["wc"].get_username(), PASSWORD)
    page.goto(f"{base}/notices/{notice.pk}/")
    assert page.locator("#read-count").inner_text() == "1"
    assert page.locator("#unread-count").inner_text() == "8"
    assert "张一（办公室党支部）" in page.locator("#readers").inner_text()
    context.close()

    # 冯十 of the other department cannot open it, nor sees it listed
    context, page = _context(chromium)
    sign_in(page, base, "feng", PASSWORD)
    response = page.goto(f"{base}/notices/{notice.pk}/")
    assert response is not None and response.status == 404
    page.goto(f"{base}/notices/")
    assert "关于开展专题学习的通知" not in page.content()
    context.close()
    assert not NoticeRead.objects.filter(user=user).exists()
