"""The organisation page navigation: sections (tabs) and their pages (pills).

The one place that says which page belongs to which section, for which organisation
types it is shown and whether a member (not an administrator) may open it. Each view
passes `tab`; the section holding the page with that tab is the active one.

To add a page: append a `Page(...)` to its section in `SECTIONS` (its `tab` is the value
the view passes, `url` the URL name taking the organisation's pk). Nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from dangjian.orgs.models import Organization, OrgType
from dangjian.oversight.models import RESPONSIBILITY_TYPES

# Organisations with organisations under them that they rate (星级评定, 述职评议).
RATING_TYPES = frozenset(
    {
        OrgType.WORK_COMMITTEE,
        OrgType.PARTY_GROUP,
        OrgType.ORGAN_COMMITTEE,
        OrgType.GENERAL_BRANCH,
    }
)
# Levels the packs' `assessment.ranked` lets rank others (党建工作考核).
RANKING_TYPES = frozenset({OrgType.WORK_COMMITTEE, OrgType.PARTY_GROUP, OrgType.ORGAN_COMMITTEE})
# 统计年报 is compiled above the branch.
STATISTICS_TYPES = frozenset(t for t in OrgType if t not in (OrgType.BRANCH, OrgType.PARTY_CELL))


@dataclass(frozen=True)
class Page:
    tab: str  # the `tab` the view passes
    label: str
    url: str  # URL name with the organisation's pk as its one argument
    types: frozenset[str] | None = None  # organisation types it is shown for (None: all)
    members: bool = False  # a member of the organisation (no grant) may open it
    year: bool = False  # keeps the year being looked at (pages of one year's results)


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    pages: tuple[Page, ...]


SECTIONS: tuple[Section, ...] = (
    Section("overview", "概况", (Page("overview", "概况", "web:org"),)),
    Section(
        "people",
        "组织与党员",
        (
            Page("members", "党员名册", "web:members"),
            Page("leadership", "班子与换届", "web:leadership"),
            Page("transfers", "组织关系转接", "web:transfers"),
            Page("pipeline", "发展党员", "web:pipeline"),
            Page("dues", "党费", "web:dues_ledger"),
            Page("reviews", "民主评议", "web:reviews"),
            Page("community", "社区报到", "web:community"),
            Page("statistics", "统计年报", "web:org_statistics", STATISTICS_TYPES),
        ),
    ),
    Section(
        "life",
        "组织生活",
        (
            Page("ledger", "组织生活台账", "web:org_ledger"),
            Page("calendar", "工作日历", "web:org_calendar", members=True),
            Page("hours", "学时", "web:org_hours"),
            Page("filings", "报送", "web:org_filings"),
            Page("books", "记录簿与台账", "web:org_books"),
        ),
    ),
    Section(
        "oversight",
        "检查整改",
        (
            Page("findings", "问题", "web:org_findings"),
            Page("rectifications", "问题整改", "web:rectifications"),
            Page("inspections", "督查", "web:inspections"),
            Page(
                "responsibility", "责任清单", "web:responsibility", frozenset(RESPONSIBILITY_TYPES)
            ),
        ),
    ),
    Section(
        "assessment",
        "考核评定",
        (
            Page("assessment", "党建工作考核", "web:assessment", RANKING_TYPES, year=True),
            Page("stars", "星级评定", "web:stars", RATING_TYPES, year=True),
            Page("duty_reviews", "述职评议", "web:duty_reviews", RATING_TYPES, year=True),
        ),
    ),
    Section(
        "settings",
        "设置",
        (
            Page("manage", "组织设置", "web:org_manage"),
            Page("compare", "文件对比", "web:org_compare"),
        ),
    ),
)


def org_nav(
    org: Organization, tab: str, user: Any, year: int | None = None
) -> list[dict[str, Any]]:
    """The sections `user` sees on `org`'s pages, each with its pages (label, href,
    active); a section without a page this organisation type has or the user may open
    is left out. No queries: the grant paths are cached on the user by the view's check."""
    from dangjian.access import selectors as access

    admin = access.can_administer(user, org)
    query = f"?year={year}" if year else ""
    shown: list[dict[str, Any]] = []
    for section in SECTIONS:
        pages: list[dict[str, Any]] = [
            {
                "tab": p.tab,
                "label": p.label,
                "href": reverse(p.url, args=[org.pk]) + (query if p.year else ""),
                "active": p.tab == tab,
            }
            for p in section.pages
            if (p.types is None or org.type in p.types) and (admin or p.members)
        ]
        if pages:
            shown.append(
                {
                    "key": section.key,
                    "label": section.label,
                    "href": pages[0]["href"],
                    "active": any(p["active"] for p in pages),
                    "hint": "、".join(p["label"] for p in pages),  # what it holds, on hover
                    "pages": pages,
                }
            )
    return shown
