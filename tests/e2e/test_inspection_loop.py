"""An inspection in a real browser: the organ committee's administrator records an
inspection of a branch with one problem; the branch's administrator sees the item on its
home page, marks it rectified with evidence; the inspector checks and closes it; the
item's whole history is shown."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from dangjian.access.models import Grant, Role
from dangjian.oversight.models import Inspection, Rectification
from dangjian.web.testing import PASSWORD, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_inspection_problem_goes_round_the_rectification_loop(live_server, page, chromium):
    today = datetime.date.today()
    tree = build_tree()
    base = live_server.url
    inspector = get_user_model().objects.create_user(username="oc-admin", password=PASSWORD)
    Grant.objects.create(user=inspector, org=tree.committee, role=Role.DEPARTMENT_ADMIN)

    # The organ committee's administrator records the inspection with one problem.
    sign_in(page, base, "oc-admin", PASSWORD)
    page.goto(f"{base}/orgs/{tree.committee.pk}/inspections/")
    page.click("#inspection-new")
    page.fill("#id_title", "支部标准化建设督查")
    page.select_option("#id_targets", [str(tree.branch1.pk)])
    page.fill("#id_held_on", today.isoformat())
    page.select_option("#id_inspectors", [str(tree.members1[1].pk)])
    page.fill("#id_inspector_names", "李督查")
    page.select_option("#id_p0-org", str(tree.branch1.pk))
    page.fill("#id_p0-description", "支部委员会会议记录不全")
    page.fill("#id_p0-due_on", (today + datetime.timedelta(days=30)).isoformat())
    page.click("#save")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#inspection-status").startswith("已开展")
    assert "支部委员会会议记录不全" in page.inner_text("#problem-table")
    assert "整改中" in page.inner_text("#problem-table")
    inspection = Inspection.objects.get()
    rect = Rectification.objects.get(source_activity=inspection.activity)
    assert rect.org == tree.branch1

    # The branch's administrator sees the item on the home page and reports it rectified.
    branch = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    bpage = branch.new_page()
    bpage.set_default_timeout(20000)
    sign_in(bpage, base, tree.users["b1"].get_username(), PASSWORD)
    bpage.goto(f"{base}/")
    assert "支部委员会会议记录不全" in bpage.inner_text("#home-rectifications")
    bpage.click("#home-rectifications a:has-text('支部委员会会议记录不全')")
    bpage.wait_for_load_state("networkidle")
    assert bpage.inner_text("#rect-status") == "整改中"
    bpage.click("#save")  # without evidence: refused, the date stays
    bpage.wait_for_load_state("networkidle")
    assert "请填写整改情况及佐证" in bpage.content()
    bpage.fill("#id_evidence", "已补齐会议记录，建立每月检查制度")
    bpage.click("#save")
    bpage.wait_for_load_state("networkidle")
    assert bpage.inner_text("#rect-status") == "待回访"
    # the branch cannot check or close its own item
    assert "等待财政厅机关党委回访、销号" in bpage.inner_text("#rect-waiting")
    assert bpage.locator("#step-form").count() == 0
    branch.close()

    # The inspector checks (回访) and closes (销号) it.
    page.goto(f"{base}/rectifications/{rect.pk}/")
    assert "已补齐会议记录" in page.inner_text("#rect-evidence")
    page.click("#save")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#rect-status") == "待销号"
    page.click("#save")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("#rect-status") == "已销号"
    history = page.inner_text("#rect-history")
    for step in ("发现问题", "交办", "核实", "整改完成", "回访反馈", "销号"):
        assert step in history
    assert "已补齐会议记录" in history and "oc-admin" in history
    rect.refresh_from_db()
    assert rect.status == "closed"
