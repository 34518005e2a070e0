"""The branch home shows the admission pipeline's overdue conversion and the next due step."""

import datetime

import pytest

from dangjian.people.models import Person
from dangjian.web.testing import PASSWORD, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_home_shows_overdue_conversion_and_next_step(live_server, page):
    tree = build_tree()
    today = datetime.date.today()
    joined = today.replace(year=today.year - 2)  # probation ended a year ago
    Person.objects.create(
        ext_id="PP1",
        name="预备期满",
        org=tree.branch1,
        status="probationary",
        applied_on=joined.replace(year=joined.year - 2),
        activist_on=joined.replace(year=joined.year - 2),
        candidate_on=joined.replace(year=joined.year - 1),
        joined_on=joined,
    )
    Person.objects.create(
        ext_id="PA1",
        name="新申请人",
        org=tree.branch1,
        status="applicant",
        applied_on=today,
    )
    sign_in(page, live_server.url, tree.users["b1"].get_username(), PASSWORD)
    card = page.locator("#pipeline-due")
    card.wait_for()
    overdue = card.locator("li", has_text="预备期满")
    assert "转为正式党员" in overdue.inner_text() and "已逾期" in overdue.inner_text()
    nxt = card.locator("li", has_text="新申请人")
    assert "派人谈话" in nxt.inner_text()
    card.locator("a", has_text="发展党员").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#pipeline").is_visible()
    assert "预备期满" in page.locator("#pipeline").inner_text()
