"""Plain Chinese for what a rule says: every kind parameter and every code a parameter,
an `applies_to` or a finding's required/actual may hold. Users never read the codes."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

PARAM_LABELS: dict[str, str] = {
    "max_months": "最多补交月数",
    "full_members_only": "只计正式党员",
    "min_share": "到会人数最低比例",
    "higher_types": "上级党组织类型",
    "max": "最多人数",
    "min_years": "最低年龄（周岁）",
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
    "serving_members": "在职党员",
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
    "parent_or_sibling": "上级或同级组织",
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
    # record fields the packs' notes quote
    "hosted_by": "流入地党组织",
    "out_of": "参评总数",
    "rank": "名次",
    "period": "所属期间",
    "speaker": "主讲人",
    "subject": "对象",
    "clause": "条款",
    "obligation": "义务",
    "obligations": "义务",
    "True": "是",
    "False": "否",
}


def value_labels() -> dict[str, str]:
    """Every code a parameter or a finding may hold, with its Chinese name."""
    from dangjian.orgs.models import OrgType, PositionRole
    from dangjian.people.models import Employment
    from dangjian.records.models import ActivityKind, FilingKind, TrainingKind

    labels: dict[str, str] = {}
    for choices in (ActivityKind, TrainingKind, FilingKind, OrgType, PositionRole, Employment):
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
    if isinstance(value, dict) and "brackets" in value:
        rest = {k: v for k, v in value.items() if k != "brackets"}
        head = f"缴纳比例：{brackets_in_words(value['brackets'], labels)}"
        return "；".join([head, in_words(rest, labels)] if rest else [head])
    if isinstance(value, dict):
        return "；".join(
            f"{PARAM_LABELS.get(str(k), labels.get(str(k), str(k)))}：{in_words(v, labels)}"
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return "、".join(in_words(x, labels) for x in value)
    if isinstance(value, int | float | Decimal):
        return str(value)  # a figure, never a code (1 is not "1星")
    return labels.get(str(value), str(value))


# How each kind counts, for the rule book (written for party-affairs workers).
KIND_LABELS: dict[str, str] = {
    "org_frequency": "按期间统计本组织开展活动的次数",
    "organ_org_frequency": "按期间统计机关党组织开展活动的次数",
    "coverage_each": "按期间检查对每个下级组织（或其负责人）是否都开展了活动",
    "filing": "按所报告的期间检查是否按时报送（看报送日期是否在截止日前）",
    "person_quota": "按期间统计每个人的学时或次数",
    "term_due": "按任期届满日期检查是否按期换届",
    "training_after_office": "任职后在规定期限内参加培训",
    "vacancy_filled": "职务出缺后在规定期限内补齐",
    "applicant_talk": "收到入党申请后在规定期限内谈话",
    "probation_end": "预备期满后按期讨论转正",
    "activist_period": "入党积极分子培养满规定期限后才列为发展对象",
    "dues_arrears": "按月检查党费是否欠缴",
    "dues_rate": "按工资档次检查党费缴纳比例",
    "grade_cap": "考核等次与组织考核结果挂钩",
    "ranking_streak": "连续多年考核排名靠后",
    "award_requires_election": "评优须已按期换届",
    "mobile_member_hosted": "流动党员须由流入地党组织管理",
    "star_rating_each": "每名党员每年评星定级",
    "review_handling": "民主评议不合格党员按期处置",
    "community_registered": "在职党员到社区报到",
    "rectification_loop": "问题整改按期交办、验收、回访",
    "org_type_by_size": "按党员人数设置相应类型的党组织",
    "committee_required": "党员人数达到标准的须设立委员会",
    "body_required": "须设立相应机构",
    "post_required": "须配备相应职务",
    "staff_share": "专职党务工作人员占在编人员的比例",
    "term_limit": "同一职务连任不超过规定届数",
    "concurrent_post": "职务兼任关系",
}

PERIOD_LABELS = {"month": "每月", "quarter": "每季度", "half": "每半年", "year": "每年"}


def period_label(key: str) -> str:
    """A period as people say it: 2026-Q3 → 2026年第3季度; a date range with 至."""
    text = str(key or "")
    if "/" in text:
        a, _, b = text.partition("/")
        return f"{date_label(a)}至{date_label(b)}"
    if text.isdigit():
        return f"{text}年"
    year, _, part = text.partition("-")
    if part.startswith("Q"):
        return f"{year}年第{part[1:]}季度"
    if part == "H1":
        return f"{year}年上半年"
    if part == "H2":
        return f"{year}年下半年"
    if part.isdigit():
        return f"{year}年{int(part)}月"
    return text


def date_label(text: str) -> str:
    parts = str(text).split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{parts[0]}年{int(parts[1])}月{int(parts[2])}日"
    return str(text)


def brackets_in_words(brackets: Any, labels: dict[str, str]) -> str:
    """{in_service: [[3000, 0.005], [null, 0.02]]} → 在职：月收入3000元以下0.5%，…以上2%"""
    if not isinstance(brackets, dict):
        return in_words(brackets, labels)
    out = []
    for who, steps in brackets.items():
        words, low = [], None
        for limit, rate in steps:
            pct = f"{float(rate) * 100:g}%"
            if limit is None:
                words.append(f"{low}元以上{pct}" if low is not None else pct)
            elif low is None:
                words.append(f"{limit}元以下{pct}")
            else:
                words.append(f"{low}—{limit}元{pct}")
            low = limit
        out.append(f"{labels.get(str(who), str(who))}（按月收入）" + "，".join(words))
    return "；".join(out)


_CODE = re.compile(r"[a-z]+(?:_[a-z]+)+|[a-z]{3,}")


def plain(text: str) -> str:
    """A note or message with any code it quotes replaced by its Chinese name."""
    labels = value_labels()

    def name(m: re.Match[str]) -> str:
        code = m.group(0)
        return labels.get(code) or PARAM_LABELS.get(code) or code

    return _CODE.sub(name, str(text or ""))
