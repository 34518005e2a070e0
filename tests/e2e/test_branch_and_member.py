"""The branch administrator's month-end round, and a member's view, in a real browser."""

import datetime

import pytest

from dangjian.records.models import Activity
from dangjian.web import page_findings
from dangjian.web.testing import PASSWORD, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def last_month() -> datetime.date:
    return datetime.date.today().replace(day=1) - datetime.timedelta(days=1)


def missing_theme_day(tree):
    lm = last_month()
    tree.branch1.__dict__.pop("_web_findings", None)
    return [
        f
        for f in page_findings.findings(tree.branch1, lm.year)
        if "theme-day" in f.rule and f.period == f"{lm:%Y-%m}" and f.subject_pk == tree.branch1.pk
    ]


def test_branch_admin_records_missing_theme_day(live_server, page, screenshots):
    tree = build_tree()
    base = live_server.url
    finding = missing_theme_day(tree)[0]
    sign_in(page, base, tree.users["b1"].get_username(), PASSWORD)

    # The home page lists last month's missing theme day among the overdue items.
    item = page.locator("#overdue li", has_text=finding.message)
    item.wait_for()
    assert page.locator("#stat-overdue").inner_text() != "0"
    page.screenshot(path=str(screenshots / "home.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.screenshot(path=str(screenshots / "home-mobile.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Its explanation: the rule, the clause and the quoted words, required against actual.
    item.locator("a.fw-semibold").click()
    page.wait_for_load_state("networkidle")
    assert finding.quote in page.locator("blockquote").inner_text()
    assert "要求" in page.content() and finding.document in page.content()
    page.screenshot(path=str(screenshots / "finding.png"), full_page=True)

    # Record it straight from the finding: kind and date are filled in, everyone ticked.
    page.click("text=登记所缺的记录")
    page.wait_for_load_state("networkidle")
    assert page.locator("#id_kind").input_value() == "theme_day"
    assert page.locator("#id_date").input_value().startswith(f"{last_month():%Y-%m}")
    boxes = page.locator("#attendees input[type=checkbox]")
    assert boxes.count() == 5
    assert all(boxes.nth(i).is_checked() for i in range(5))
    page.fill("#id_title", "重温入党誓词")
    page.fill("#id_hours", "2")
    page.locator("#attendees label", has_text="钱五").click()  # absent
    assert page.locator("#att-count").inner_text() == "4"
    page.fill("#id_minutes", "支部书记王二带领全体党员重温入党誓词。")
    page.click("#save")
    page.wait_for_load_state("networkidle")
    assert "已保存" in page.content()
    assert "参加人员（4 人）" in page.content()

    activity = Activity.objects.get(title="重温入党誓词")
    assert activity.date.strftime("%Y-%m") == f"{last_month():%Y-%m}"
    assert sorted(activity.attendees.values_list("name", flat=True)) == [
        "张一",
        "李三",
        "王二",
        "赵四",
    ]

    # The ledger's filter (htmx) finds it among the theme days.
    page.goto(f"{base}/orgs/{tree.branch1.pk}/ledger/")
    page.select_option("#f-kind", "theme_day")
    page.wait_for_url("**kind=theme_day**")
    page.locator("#results tbody tr", has_text="重温入党誓词").wait_for()
    assert page.locator("#results tbody tr", has_text="学习党章").count() == 0

    # Back home, the finding is gone.
    page.click("text=工作台")
    page.wait_for_load_state("networkidle")
    assert page.locator("#overdue li", has_text=finding.message).count() == 0
    assert missing_theme_day(tree) == []


def test_member_sees_only_own_records(live_server, page):
    tree = build_tree()
    base = live_server.url
    sign_in(page, base, tree.users["member"].get_username(), PASSWORD)
    assert "张一，您好" in page.content()
    page.click("text=我的")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/people/{tree.member.pk}/")
    body = page.content()
    assert "张一" in body and "党的二十大精神专题培训" in body
    # Another member's page does not exist for them; the branch's ledger is not theirs.
    other = page.goto(f"{base}/people/{tree.members1[1].pk}/")
    assert other is not None and other.status == 404
    assert "页面不存在" in page.content()
    ledger = page.goto(f"{base}/orgs/{tree.branch1.pk}/ledger/")
    assert ledger is not None and ledger.status == 403
    # The branch schedule is theirs to see.
    calendar = page.goto(f"{base}/orgs/{tree.branch1.pk}/calendar/")
    assert calendar is not None and calendar.status == 200
    assert "主题党日" in page.content()
