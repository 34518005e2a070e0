"""Plain Chinese for what a rule says: every kind parameter and every code a parameter,
an `applies_to` or a finding's required/actual may hold. Users never read the codes."""

from __future__ import annotations

from typing import Any

PARAM_LABELS: dict[str, str] = {
    "about": "检查对象",
    "activity_kinds": "活动类型",
    "also_roles": "同时担任的职务",
    "assessment": "考核类别",
    "assign_within_days": "明确整改责任的期限（天）",
    "award_grades": "评优等次",
    "body_type": "须设立的机构",
    "bottom_count": "末位名次数",
    "bottom_share": "末位比例",
    "brackets": "缴纳比例档次",
    "capped_grades": "受限等次",
    "default_years": "默认任期（年）",
    "due_months": "报送期限（期间开始后几个月内）",
    "filing_kind": "报送事项",
    "fixed": "固定金额",
    "held_by": "由谁组织",
    "led_by": "上级组织类型",
    "max_extension_months": "最长延长（月）",
    "max_terms": "最多连任届数",
    "measure": "计量方式",
    "min": "至少",
    "min_full_members": "正式党员不少于（人）",
    "min_percent": "比例不低于（%）",
    "min_posts": "委员不少于（人）",
    "org_assessment": "组织考核类别",
    "own_org": "只计本支部组织的活动",
    "parent_types": "上级组织类型",
    "person_assessment": "个人考核类别",
    "related_types": "相关组织类型",
    "relation": "兼任关系",
    "revisit_within_days": "回访期限（天）",
    "role": "职务",
    "roles": "职务",
    "seat_roles": "按席位计的职务",
    "target_types": "检查的组织类型",
    "targets": "检查范围",
    "thresholds": "人数标准",
    "training_kinds": "培训类型",
    "unless_grades": "除非考核等次为",
    "verify_within_days": "验收期限（天）",
    "violation_months": "欠缴几个月记违规",
    "warning_months": "欠缴几个月提醒",
    "window_days": "报送期限（期间结束后几天内）",
    "window_years": "统计年数",
    "within_months": "期限（月）",
    "years": "连续年数",
    # applies_to
    "orgs": "适用组织",
    "people": "适用人员",
}

PEOPLE_LABELS: dict[str, str] = {
    "members": "全体党员",
    "full_members": "正式党员",
    "leading_cadres": "党员领导干部",
    "leadership_team": "领导班子成员",
    "secretaries": "党组织书记",
    "party_workers": "党务干部",
    "full_time_party_workers": "专职党务干部",
    "applicants": "入党申请人",
    "activists": "入党积极分子",
    "candidates": "发展对象",
    "probationary": "预备党员",
}

OTHER_LABELS: dict[str, str] = {
    "training_hours": "培训学时",
    "participated": "参加次数",
    "attended": "出席次数",
    "lessons_given": "讲党课次数",
    "training_count": "培训次数",
    "self": "本组织",
    "self_or_children": "本组织或其下级组织",
    "children": "直属下级组织",
    "descendants": "全部下级组织",
    "child": "下级组织",
    "parent": "上级组织",
    "head": "组织负责人",
    "org": "组织",
    "excellent": "优秀",
    "good": "良好",
    "fair": "一般",
    "poor": "较差",
    "party_building": "党建考核",
    "performance": "绩效考核",
    "star_rating": "评星定级",
    "none": "无",
    "True": "是",
    "False": "否",
}


def value_labels() -> dict[str, str]:
    """Every code a parameter or a finding may hold, with its Chinese name."""
    from dangjian.orgs.models import OrgType, PositionRole
    from dangjian.records.models import ActivityKind, FilingKind, TrainingKind

    labels: dict[str, str] = {}
    for choices in (ActivityKind, TrainingKind, FilingKind, OrgType, PositionRole):
        labels.update({str(k): str(v) for k, v in choices.choices})
    labels.update(PEOPLE_LABELS)
    labels.update(OTHER_LABELS)
    for grade in "12345":
        labels[grade] = f"{grade}星"
    return labels


def in_words(value: Any, labels: dict[str, str] | None = None) -> str:
    """A parameter value or a figure in plain Chinese (codes by their names)."""
    labels = labels if labels is not None else value_labels()
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "；".join(
            f"{PARAM_LABELS.get(str(k), labels.get(str(k), str(k)))}：{in_words(v, labels)}"
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return "、".join(in_words(x, labels) for x in value)
    return labels.get(str(value), str(value))
