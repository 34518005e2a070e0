"""In a real browser: absence with a reason (应到 / 实到 as ticked), the same-day
warning saved anyway, and a make-up recorded later."""

import pytest

from dangjian.records.models import Absence, Activity
from dangjian.web.testing import PASSWORD, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_absence_reason_duplicate_warning_and_make_up(live_server, page):
    tree = build_tree()
    base = live_server.url
    sign_in(page, base, tree.users["b1"].get_username(), PASSWORD)
    new = f"{base}/orgs/{tree.branch1.pk}/activities/new/?kind=theme_day&date=2026-10-20"
    page.goto(new)
    zhang = tree.members1[0]
    reason = page.locator(f"select[name=absence_{zhang.pk}]")
    assert reason.is_hidden()  # ticked: present
    page.locator("#attendees label", has_text="张一").click()
    assert reason.is_visible()
    reason.select_option(label="缺席：病假")
    page.fill(f"input[name=absence_note_{zhang.pk}]", "住院")
    assert page.locator("#att-count").inner_text() == "4"
    assert page.locator("#expected-count").inner_text() == "5"
    page.fill("#id_title", "第一次")
    page.click("#save")
    page.wait_for_load_state("networkidle")
    assert "应到 5 人，实到 4 人，缺席 1 人" in page.locator("#attendance-figures").inner_text()

    # The same kind on the same day again: a warning, then saved anyway.
    page.goto(new)
    page.fill("#id_title", "第二次")
    page.click("#save")
    page.wait_for_selector("#duplicate-warning")
    assert "第一次" in page.locator("#duplicate-warning").inner_text()
    assert Activity.objects.filter(title="第二次").count() == 0
    page.click("#save-anyway")
    page.wait_for_load_state("networkidle")
    assert Activity.objects.filter(title="第二次").count() == 1

    # A make-up for 张一, recorded later on the first meeting's page.
    first = Activity.objects.get(title="第一次")
    absence = Absence.objects.get(activity=first)
    page.goto(f"{base}/activities/{first.pk}/")
    page.fill(f"#id_m{absence.pk}-made_up_on", "2026-10-25")
    page.fill(f"#id_m{absence.pk}-made_up_how", "自学会议材料并交流心得")
    page.click("text=登记补学")
    page.wait_for_load_state("networkidle")
    assert "已补学 2026-10-25：自学会议材料并交流心得" in page.content()
    absence.refresh_from_db()
    assert str(absence.made_up_on) == "2026-10-25"
