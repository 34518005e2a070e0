"""Small helpers for the templates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.http import QueryDict

register = template.Library()


@register.simple_tag(takes_context=True)
def qs(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (pagination keeps filters)."""
    request = context.get("request")
    params: QueryDict = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def num(value: Any) -> str:
    """A number without trailing zeros: 32.00 → 32, 7.50 → 7.5; a code in words."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        from dangjian.policy.labels import in_words

        return in_words(value)
    try:
        d = Decimal(str(value))
    except ArithmeticError:
        from dangjian.policy.labels import in_words

        return in_words(value)
    text = format(d.normalize(), "f")
    return text


@register.filter
def period(value: Any) -> str:
    """2026-Q3 → 2026年第3季度"""
    from dangjian.policy.labels import period_label

    return period_label(str(value or ""))


@register.filter
def kind_label(value: Any) -> str:
    from dangjian.policy.labels import KIND_LABELS

    return KIND_LABELS.get(str(value), "")


@register.filter
def every(value: Any) -> str:
    from dangjian.policy.labels import PERIOD_LABELS

    return PERIOD_LABELS.get(str(value), "")


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def kv(params: Any) -> str:
    """Rule parameters (or a figure) as plain Chinese: codes shown by their names."""
    from dangjian.policy.labels import in_words

    return in_words(params)


@register.filter
def clause(value: Any) -> str:
    """A document's clause as readers cite it: "10" → 第10项; "第八条" and headings as they are."""
    text = str(value or "").strip()
    if text.isdigit():
        return f"第{text}项"
    return text


@register.filter
def audit_admin(user: Any) -> bool:
    """Whether `user` is the audit administrator (shows the audit log link)."""
    from dangjian.core.duties import is_audit_admin

    return is_audit_admin(user)


@register.filter
def chinese_message(value: Any) -> str:
    """An error's message when it is written for users (Chinese), else nothing."""
    text = str(value or "")
    return text if any("\u4e00" <= ch <= "\u9fff" for ch in text) else ""


@register.filter
def pack_name(pack_id: Any) -> str:
    """A pack by its document's name (users never read pack ids)."""
    from dangjian.web.page_findings import pack_title

    return pack_title(str(pack_id))


@register.filter
def as_of(day: Any) -> str:
    """截至 2026年11月30日"""
    from dangjian.policy.days import as_of_label

    return as_of_label(day) if day else ""


@register.filter
def plain(value: Any) -> str:
    """A note or message with the codes it quotes in Chinese."""
    from dangjian.policy.labels import plain as in_chinese

    return in_chinese(str(value or ""))


# The top-menu entry a page belongs to, by URL name (organisation pages: 党组织).
MENU_OF_PAGE = {
    "home": "home",
    "org_list": "orgs",
    "org_tree": "tree",
    "findings": "findings",
    "finding": "findings",
    "notices": "notices",
    "notice": "notices",
    "notice_new": "notices",
    "disclosures": "disclosures",
    "disclosure": "disclosures",
    "org_disclosures": "disclosures",
    "rules": "rules",
    "rule_pack": "rules",
    "audit_log": "audit",
    "me": "me",
    "my_activity": "me",
}


@register.simple_tag(takes_context=True)
def menu_here(context: dict[str, Any], admin: bool) -> str:
    """Which top-menu entry the current page is under (lit in the menu), or ""."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    if match.namespace == "spreadsheets":
        return "excel"
    if match.url_name in MENU_OF_PAGE:
        return MENU_OF_PAGE[match.url_name]
    if context.get("tab"):  # an organisation page
        return "orgs" if admin else "calendar"
    return ""


@register.simple_tag
def menu_of(user: Any) -> dict[str, Any]:
    """What the navigation may offer `user`: administrators the organisation pages, a
    member only their own pages and their branch's calendar (pages they may open)."""
    from dangjian.access import selectors as access
    from dangjian.access.models import PersonAccount

    if not getattr(user, "is_authenticated", False):
        return {"admin": False, "person": False, "branch_id": None}
    branch_id = (
        PersonAccount.objects.filter(user_id=user.pk)
        .values_list("person__org_id", flat=True)
        .first()
    )
    return {"admin": access.is_admin(user), "person": branch_id is not None, "branch_id": branch_id}


@register.simple_tag(takes_context=True)
def org_nav(context: dict[str, Any], org: Any) -> list[dict[str, Any]]:
    """The organisation page's sections and pages for this user (`web.org_nav`)."""
    from dangjian.web.org_nav import org_nav as sections

    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    year = context.get("year")
    return sections(
        org, str(context.get("tab") or ""), user, year if isinstance(year, int) else None
    )
