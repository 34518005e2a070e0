"""A branch administrator opens 记录簿与台账, picks last year and downloads the record book:
the file the browser saves opens in python-docx with the year's meeting."""

import datetime
import io

import pytest
from docx import Document

from dangjian.web.testing import PASSWORD, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_branch_downloads_last_years_record_book(live_server, chromium):
    year = datetime.date.today().year - 1
    tree = build_tree(year=year)
    base = live_server.url
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    sign_in(page, base, tree.users["b1"].get_username(), PASSWORD)
    page.goto(f"{base}/orgs/{tree.branch1.pk}/")
    page.click("#org-sections a:text-is('组织生活')")
    page.click("#org-pages a:text-is('记录簿与台账')")
    page.select_option("#f-year", str(year))  # submits itself (data-autosubmit)
    page.wait_for_url(f"**year={year}")
    with page.expect_download() as info:
        page.click("text=打印记录簿（Word）")
    with open(info.value.path(), "rb") as f:  # removed when the context closes
        doc = Document(io.BytesIO(f.read()))
    context.close()
    text = "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert f"{year}年1月15日" in text and "学习党章" in text
    assert "张一" in text and "钱五" in text
