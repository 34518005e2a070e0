"""The work committee opens an organ committee's assessment ranking, follows a branch's
score to its breakdown, records an adjustment with a reason, and sees the score change."""

import datetime
import os

import pytest

from dangjian.oversight.models import AssessmentAdjustment
from dangjian.policy.models import PackAssignment
from dangjian.policy.store import refresh_all
from dangjian.web.testing import PASSWORD, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ranking_breakdown_and_adjustment(live_server, page, screenshots):
    tree = build_tree()
    PackAssignment.objects.create(org=tree.root, pack_id="ningxia-2018")
    year = datetime.date.today().year
    refresh_all(year=year)
    base = live_server.url
    sign_in(page, base, tree.users["wc"].get_username(), PASSWORD)
    page.goto(f"{base}/orgs/{tree.committee.pk}/")
    page.click("a.nav-link:text-is('考核评定')")
    page.wait_for_load_state("networkidle")
    assert "按人数折算" in page.locator("#method").inner_text()
    table = page.locator("#ranking")
    assert table.locator("tbody tr").count() == 2
    if os.environ.get("DANGJIAN_SCREENSHOTS"):
        page.screenshot(path=str(screenshots / "assessment-ranking.png"), full_page=True)
    table.locator(f"a:text-is('{tree.branch1.name}')").click()
    page.wait_for_load_state("networkidle")
    before = page.locator("#t-score").inner_text()
    # no reason: refused, the points typed are kept
    page.fill("#id_points", "-3")
    page.click("#adjust")
    page.wait_for_load_state("networkidle")
    assert "理由" in page.locator(".alert-danger").inner_text()
    assert page.locator("#id_points").input_value() == "-3"
    page.fill("#id_reason", "督查发现主题党日记录不实")
    page.click("#adjust")
    page.wait_for_load_state("networkidle")
    assert "督查发现主题党日记录不实" in page.locator("#adjustments").inner_text()
    after = page.locator("#t-score").inner_text()
    assert float(after) == pytest.approx(float(before) - 3)
    assert AssessmentAdjustment.objects.get().reason == "督查发现主题党日记录不实"
    if os.environ.get("DANGJIAN_SCREENSHOTS"):
        page.screenshot(path=str(screenshots / "assessment-breakdown.png"), full_page=True)
    page.click("a.nav-link:text-is('星级评定')")
    page.wait_for_load_state("networkidle")
    assert page.locator("#stars tbody tr").count() == 2
    if os.environ.get("DANGJIAN_SCREENSHOTS"):
        page.screenshot(path=str(screenshots / "assessment-stars.png"), full_page=True)
