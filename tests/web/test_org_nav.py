"""The organisation pages' two-level navigation: sections by how the work is organised,
the current section's pages as pills; only what the organisation type has and the user
may open (web.org_nav)."""

from __future__ import annotations

import re

from django.urls import reverse

from dangjian.web.org_nav import SECTIONS, org_nav


def nav_of(html: str, ul_id: str) -> list[tuple[str, str, bool]]:
    """(label, href, active) of the links in the list `ul_id` (empty when absent)."""
    start = html.find(f'id="{ul_id}"')
    if start < 0:
        return []
    body = html[start : html.index("</ul>", start)]
    return [
        (label, href, " active" in cls)
        for cls, href, label in re.findall(
            r'class="nav-link([^"]*)"[^>]*? href="([^"]+)"[^>]*>([^<]+)</a>', body
        )
    ]


def labels(items: list[tuple[str, str, bool]]) -> list[str]:
    return [label for label, _, _ in items]


def active(items: list[tuple[str, str, bool]]) -> list[str]:
    return [label for label, _, on in items if on]


def test_branch_admin_sees_branch_sections_with_current_one_active(tree, login):
    c = login("b1")
    html = c.get(f"/orgs/{tree.branch1.pk}/dues/").content.decode()
    sections = nav_of(html, "org-sections")
    assert labels(sections) == ["概况", "组织与党员", "组织生活", "检查整改", "设置"]
    assert active(sections) == ["组织与党员"]
    pages = nav_of(html, "org-pages")
    assert labels(pages) == [
        "党员名册",
        "班子与换届",
        "组织关系转接",
        "发展党员",
        "党费",
        "民主评议",
        "社区报到",
    ]
    assert active(pages) == ["党费"]
    # committee-only entries are not offered to a branch
    assert "统计年报" not in html and "考核评定" not in html and "星级评定" not in html
    # a section's link opens its first page
    assert dict((label, href) for label, href, _ in sections)["组织生活"] == reverse(
        "web:org_ledger", args=[tree.branch1.pk]
    )


def test_overview_has_no_pill_row(tree, login):
    html = login("b1").get(f"/orgs/{tree.branch1.pk}/").content.decode()
    assert active(nav_of(html, "org-sections")) == ["概况"]
    assert nav_of(html, "org-pages") == []


def test_committee_admin_sees_assessment_and_statistics(tree, login):
    c = login("dept")
    year = 2025
    html = c.get(f"/orgs/{tree.committee.pk}/stars/?year={year}").content.decode()
    sections = nav_of(html, "org-sections")
    assert labels(sections) == ["概况", "组织与党员", "组织生活", "检查整改", "考核评定", "设置"]
    assert active(sections) == ["考核评定"]
    pages = nav_of(html, "org-pages")
    assert labels(pages) == ["党建工作考核", "星级评定", "述职评议"]
    assert active(pages) == ["星级评定"]
    # the year being looked at is kept between the year's results
    assert all(href.endswith(f"?year={year}") for _, href, _ in pages)
    html = c.get(f"/orgs/{tree.committee.pk}/members/").content.decode()
    assert "统计年报" in labels(nav_of(html, "org-pages"))
    # a sub-page (one organisation's breakdown) keeps its section and page active
    html = c.get(
        f"/orgs/{tree.committee.pk}/assessment/{tree.branch1.pk}/?year={year}"
    ).content.decode()
    assert active(nav_of(html, "org-pages")) == ["党建工作考核"]


def test_member_sees_no_administration_links(tree, login):
    c = login("member")
    html = c.get(f"/orgs/{tree.branch1.pk}/calendar/").content.decode()
    assert nav_of(html, "org-sections") == []
    for name in ("web:members", "web:dues_ledger", "web:org_ledger", "web:org_manage"):
        assert reverse(name, args=[tree.branch1.pk]) not in html
    # should a page show the navigation to a member, it offers only what they may open
    nav = org_nav(tree.branch1, "calendar", tree.users["member"])
    assert [s["label"] for s in nav] == ["组织生活"]
    assert [p["label"] for p in nav[0]["pages"]] == ["工作日历"]


def test_every_entry_opens_and_marks_itself_active(tree, login):
    """Each page offered to a committee and a branch administrator opens, and its own view
    passes the `tab` the mapping expects (so the right section lights up)."""
    for role, org in (("dept", tree.committee), ("b1", tree.branch1), ("wc", tree.root)):
        c = login(role)
        for section in org_nav(org, "", tree.users[role]):
            for page in section["pages"]:
                response = c.get(page["href"])
                assert response.status_code == 200, (role, page["label"])
                html = response.content.decode()
                assert active(nav_of(html, "org-sections")) == [section["label"]], page["label"]
                if len(section["pages"]) > 1:
                    assert active(nav_of(html, "org-pages")) == [page["label"]], page["label"]


def test_mapping_names_each_tab_once():
    tabs = [p.tab for s in SECTIONS for p in s.pages]
    assert len(tabs) == len(set(tabs))
    assert SECTIONS[0].pages[0].tab == "overview"  # 概况 first


def test_top_menu_lights_the_entry_of_the_page(tree, login):
    def lit(html: str) -> list[str]:
        return active(nav_of(html, "main-menu"))

    c = login("b1")
    assert lit(c.get(f"/orgs/{tree.branch1.pk}/dues/").content.decode()) == ["党组织"]
    assert lit(c.get("/rules/").content.decode()) == ["规则库"]
    assert lit(c.get("/").content.decode()) == ["工作台"]
    c = login("member")
    assert lit(c.get(f"/orgs/{tree.branch1.pk}/calendar/").content.decode()) == ["支部日历"]
