"""Under the Content Security Policy the pages still work in a real browser: the charts
draw, the inline form scripts run (nonce), the data-attribute behaviours fire, and the
browser reports no violation."""

import pytest

from dangjian.web.testing import PASSWORD, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_work_and_nothing_is_blocked(live_server, page):
    tree = build_tree()
    base = live_server.url
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, base, tree.users["wc"].get_username(), PASSWORD)

    # Committee home: ECharts draws into its container (a canvas appears).
    page.goto(f"{base}/")
    page.wait_for_load_state("networkidle")
    page.locator("#chart-months canvas").first.wait_for()

    # Activity form: the nonce-carrying inline script counts the ticked attendees.
    page.goto(f"{base}/orgs/{tree.branch1.pk}/activities/new/")
    page.click("[data-check=none]")
    assert page.locator("#att-count").inner_text() == "0"
    page.click("[data-check=all]")
    assert page.locator("#att-count").inner_text() == "5"

    # A select with data-autosubmit reloads the page with the chosen year (app.js).
    page.goto(f"{base}/orgs/{tree.branch1.pk}/calendar/")
    select = page.locator("#f-year")
    options = select.locator("option").all_inner_texts()
    if len(options) > 1:
        target = select.locator("option").nth(1).get_attribute("value")
        with page.expect_navigation():
            select.select_option(target)
        assert f"year={target}" in page.url

    # Signing out (a POST form with the CSRF header from hx-headers) still works.
    page.click("nav button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login/" in page.url
    assert violations == []
