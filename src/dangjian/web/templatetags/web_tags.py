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
    """A number without trailing zeros: 32.00 → 32, 7.50 → 7.5."""
    if value is None or value == "":
        return "—"
    try:
        d = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    text = format(d.normalize(), "f")
    return text


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None


PARAM_LABELS = {
    "min": "至少",
    "activity_kinds": "活动类型",
    "training_kinds": "培训类型",
    "filing_kind": "报送类型",
    "measure": "计量",
    "within_months": "期限（月）",
    "roles": "职务",
    "orgs": "组织类型",
    "people": "人员",
    "min_full_members": "正式党员不少于",
    "default_years": "默认任期（年）",
    "thresholds": "人数标准",
    "percent": "比例（%）",
}


def _value_labels() -> dict[str, str]:
    from dangjian.orgs.models import OrgType, PositionRole
    from dangjian.records.models import ActivityKind, FilingKind, TrainingKind

    labels: dict[str, str] = {}
    for choices in (ActivityKind, TrainingKind, FilingKind, OrgType, PositionRole):
        labels.update({str(k): str(v) for k, v in choices.choices})
    labels.update(
        {
            "training_hours": "培训学时",
            "participated": "参加次数",
            "attended": "参加次数",
            "lessons_given": "讲党课次数",
            "training_count": "培训次数",
            "members": "党员",
            "leadership_team": "班子成员",
            "leading_cadres": "党员领导干部",
            "secretaries": "书记",
        }
    )
    return labels


@register.filter
def kv(params: Any) -> str:
    """Rule parameters as readable Chinese text (codes shown by their labels)."""
    if isinstance(params, dict):
        return "；".join(f"{PARAM_LABELS.get(str(k), k)}：{kv(v)}" for k, v in params.items())
    if isinstance(params, list | tuple):
        return "、".join(kv(x) for x in params)
    return _value_labels().get(str(params), str(params))


@register.filter
def clause(value: Any) -> str:
    """A document's clause as readers cite it: "10" → 第10项; "第八条" and headings as they are."""
    text = str(value or "").strip()
    if text.isdigit():
        return f"第{text}项"
    return text


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
