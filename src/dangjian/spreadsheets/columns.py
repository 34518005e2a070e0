"""The three sheets party workers fill in, column by column, mapped onto `dangjian/1`.

A sheet is one dataset list; a column is one field of its records. Headers are
Chinese; a cell may hold a code or its Chinese label, an id or a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import TextChoices

from dangjian.people.models import (
    AdmissionStepKind,
    Employment,
    PartyWorker,
    PersonStatus,
    ReviewDecision,
    ReviewOutcome,
)
from dangjian.records.models import ActivityKind, TrainingKind

# Added to the failed-rows workbook; ignored when that workbook is uploaded again.
ERROR_HEADER = "错误原因"


@dataclass(frozen=True)
class Column:
    """kind: id | text | date | month | number | int | bool | enum | org | person | people |
    subject"""

    field: str
    header: str
    kind: str
    required: bool = False
    choices: type[TextChoices] | None = None
    hint: str = ""
    width: int = 14
    # Other headers branches write for this column in their own sheets (花名册 …).
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class SheetSpec:
    key: str  # URL name of the template: roster, ledger, trainings
    list_name: str  # the dataset list
    title: str  # the sheet's name in the workbook
    label: str  # what users call it
    columns: tuple[Column, ...]

    def column(self, field: str) -> Column | None:
        return next((c for c in self.columns if c.field == field), None)


_ORG_HINT = "党组织编号或名称；名称重复时填编号，也可填“名称（编号）”"
_PERSON_HINT = "党员编号或姓名；重名时填编号，也可填“姓名（编号）”"
_DATE_HINT = "日期，如 2024-05-20"
_BOOL_HINT = "填“是”或“否”，空白为否"

ROSTER = SheetSpec(
    key="roster",
    list_name="people",
    title="党员名册",
    label="党员名册",
    columns=(
        Column(
            "id",
            "编号",
            "id",
            required=True,
            hint="每人唯一，导入时按编号新增或更新；空白时按姓名和出生日期匹配已有党员，"
            "找不到的新增并自动编号",
            synonyms=("党员编号", "人员编号"),
        ),
        Column("name", "姓名", "text", required=True, width=10, synonyms=("党员姓名",)),
        Column(
            "org",
            "所在党组织",
            "org",
            required=True,
            hint=_ORG_HINT,
            width=24,
            synonyms=("所在支部", "所在党支部", "所属支部", "所属党支部", "所属党组织", "党组织"),
        ),
        Column(
            "status",
            "身份",
            "enum",
            required=True,
            choices=PersonStatus,
            synonyms=("人员类别", "党员类别", "类别", "党员身份", "党籍状态"),
        ),
        Column(
            "applied_on",
            "递交入党申请日期",
            "date",
            hint=_DATE_HINT,
            synonyms=("申请入党时间", "递交入党申请书时间", "入党申请时间"),
        ),
        Column(
            "activist_on",
            "确定为积极分子日期",
            "date",
            hint=_DATE_HINT,
            synonyms=("确定为入党积极分子时间", "确定积极分子时间"),
        ),
        Column(
            "candidate_on",
            "确定为发展对象日期",
            "date",
            hint=_DATE_HINT,
            synonyms=("确定为发展对象时间", "确定发展对象时间"),
        ),
        Column(
            "joined_on",
            "入党日期",
            "date",
            hint=_DATE_HINT,
            synonyms=("入党时间", "入党年月", "加入党组织日期", "加入党组织时间"),
        ),
        Column(
            "full_on",
            "转正日期",
            "date",
            hint=_DATE_HINT,
            synonyms=("转正时间", "转正年月", "转为正式党员日期", "转为正式党员时间"),
        ),
        Column(
            "birth_date",
            "出生日期",
            "date",
            hint=_DATE_HINT,
            synonyms=("出生年月", "出生年月日", "出生时间", "生日"),
        ),
        Column(
            "leading_cadre", "党员领导干部", "bool", hint=_BOOL_HINT, synonyms=("是否领导干部",)
        ),
        Column("party_worker", "党务工作人员", "enum", choices=PartyWorker, width=18),
        Column("employment", "就业状况", "enum", choices=Employment, hint="空白为在职"),
        Column(
            "monthly_income",
            "月收入（元）",
            "number",
            hint="税后，用于计算党费",
            synonyms=("月收入", "月工资收入"),
        ),
        Column("probation_extended_to", "预备期延长至", "date", hint=_DATE_HINT),
        Column("mobile", "流动党员", "bool", hint=_BOOL_HINT, synonyms=("是否流动党员",)),
        Column("hosted_by", "流入地党组织", "org", hint=_ORG_HINT, width=20),
        Column(
            "left_on",
            "离开日期",
            "date",
            hint="转出或不再是党员的日期",
            synonyms=("离开时间", "转出日期"),
        ),
    ),
)

LEDGER = SheetSpec(
    key="ledger",
    list_name="activities",
    title="组织生活台账",
    label="组织生活台账",
    columns=(
        Column("id", "编号", "id", hint="空白时自动编号；填写已有编号则更新该条"),
        Column("org", "组织单位", "org", required=True, hint=_ORG_HINT, width=24),
        Column("kind", "类型", "enum", required=True, choices=ActivityKind, width=16),
        Column("date", "日期", "date", required=True, hint=_DATE_HINT, width=12),
        Column("title", "主题", "text", width=28),
        Column("hours", "时长（学时）", "number", hint="学习类活动的学时，可有两位小数"),
        Column("speaker", "主讲人", "person", hint=_PERSON_HINT),
        Column(
            "attendees",
            "参加人员",
            "people",
            hint="编号或姓名，用顿号、逗号或空格分隔",
            width=40,
        ),
        Column("subject", "对象", "subject", hint="谈话、听取汇报等针对的党组织或党员", width=18),
    ),
)

TRAININGS = SheetSpec(
    key="trainings",
    list_name="trainings",
    title="学习培训",
    label="学习培训登记",
    columns=(
        Column("id", "编号", "id", hint="可空白"),
        Column("person", "党员", "person", required=True, hint=_PERSON_HINT, width=16),
        Column("date", "日期", "date", required=True, hint=_DATE_HINT, width=12),
        Column("hours", "学时", "number", required=True, hint="不能为负数，可有两位小数"),
        Column("kind", "类型", "enum", required=True, choices=TrainingKind, width=16),
        Column("title", "名称", "text", width=28),
    ),
)

# 民主评议党员: outcome categories and dates only, never what anyone said.
REVIEWS = SheetSpec(
    key="reviews",
    list_name="reviews",
    title="民主评议党员",
    label="民主评议党员结果",
    columns=(
        Column("person", "党员", "person", required=True, hint=_PERSON_HINT, width=16),
        Column("year", "年度", "int", required=True, hint="评议的年度，如 2024", width=8),
        Column("outcome", "评议结果", "enum", required=True, choices=ReviewOutcome, width=12),
        Column("reviewed_on", "评议日期", "date", required=True, hint=_DATE_HINT, width=12),
        Column("correction_due", "限期改正期限", "date", hint="仅不合格党员填写", width=14),
        Column("decision", "处置结果", "enum", choices=ReviewDecision, width=16),
        Column("decided_on", "处置日期", "date", hint="与处置结果同时填写", width=12),
    ),
)

COMMUNITY = SheetSpec(
    key="community",
    list_name="community_services",
    title="社区服务",
    label="在职党员社区服务登记",
    columns=(
        Column("person", "党员", "person", required=True, hint=_PERSON_HINT, width=16),
        Column("date", "服务日期", "date", required=True, hint=_DATE_HINT, width=12),
        Column("hours", "服务时长（小时）", "number", required=True, hint="大于0，不超过24"),
        Column("community", "服务社区", "text", width=20),
    ),
)

# 在职党员到社区报到: which community a member registered with, from when to when.
REGISTRATIONS = SheetSpec(
    key="registrations",
    list_name="community_registrations",
    title="社区报到",
    label="在职党员到社区报到登记",
    columns=(
        Column("person", "党员", "person", required=True, hint=_PERSON_HINT, width=16),
        Column(
            "community",
            "报到社区",
            "text",
            required=True,
            width=20,
            synonyms=("报到社区名称", "所报到社区", "社区名称", "社区"),
        ),
        Column(
            "registered_on",
            "报到日期",
            "date",
            required=True,
            hint=_DATE_HINT,
            width=12,
            synonyms=("报到时间", "到社区报到日期", "到社区报到时间"),
        ),
        Column(
            "ended_on",
            "结束日期",
            "date",
            hint="不再在该社区报到的日期，空白为仍在报到",
            width=12,
            synonyms=("结束时间", "报到结束日期", "离开社区日期"),
        ),
    ),
)

# 发展党员: each row one step, taken through the pipeline service (order, roles, the
# year as activist, age, probation) — never written around it.
ADMISSION = SheetSpec(
    key="admission",
    list_name="admission_steps",
    title="发展党员",
    label="发展党员步骤登记",
    columns=(
        Column("person", "党员", "person", required=True, hint=_PERSON_HINT, width=16),
        Column(
            "step",
            "发展步骤",
            "enum",
            required=True,
            choices=AdmissionStepKind,
            width=18,
            synonyms=("步骤", "发展环节", "环节", "事项"),
        ),
        Column(
            "date",
            "办理日期",
            "date",
            required=True,
            hint=_DATE_HINT,
            width=12,
            synonyms=("日期", "办理时间", "步骤日期"),
        ),
        Column(
            "evidence",
            "依据材料",
            "text",
            required=True,
            hint="会议记录、谈话记录或文件名称",
            width=28,
            synonyms=("依据", "证明材料", "材料", "依据文件"),
        ),
        Column(
            "until",
            "预备期延长至",
            "date",
            hint="仅“延长预备期”填写",
            width=14,
            synonyms=("延长至",),
        ),
    ),
)

# 党费: one line a member a month, recorded through the dues service (six months' back
# payment at most, quarterly ahead, no month twice), a branch and month at a time.
DUES = SheetSpec(
    key="dues",
    list_name="dues",
    title="党费交纳",
    label="党费交纳登记",
    columns=(
        Column("person", "党员", "person", required=True, hint=_PERSON_HINT, width=16),
        Column(
            "month",
            "所属月份",
            "month",
            required=True,
            hint="党费所属的月份，如 2024-05",
            width=12,
            synonyms=("月份", "党费月份", "交纳月份", "缴纳月份"),
        ),
        Column(
            "amount",
            "金额（元）",
            "number",
            required=True,
            hint="该月交纳的党费，最多两位小数",
            synonyms=("实交（元）", "实交金额", "交纳金额", "缴纳金额", "党费金额", "金额"),
        ),
        Column(
            "paid_on",
            "交纳日期",
            "date",
            required=True,
            hint=_DATE_HINT,
            width=12,
            synonyms=("交纳时间", "缴纳日期", "缴纳时间", "交费日期"),
        ),
    ),
)

SHEETS: tuple[SheetSpec, ...] = (
    ROSTER,
    LEDGER,
    TRAININGS,
    REVIEWS,
    COMMUNITY,
    REGISTRATIONS,
    ADMISSION,
    DUES,
)
SHEETS_BY_KEY = {s.key: s for s in SHEETS}
SHEETS_BY_TITLE = {s.title: s for s in SHEETS}
SHEETS_BY_LIST = {s.list_name: s for s in SHEETS}


def header_key(text: object) -> str:
    """A header cell as matched on upload: spaces, line breaks and the required-mark stripped."""
    return re.sub(r"[\s*\u3000]+", "", str(text or ""))


# Roster columns branches keep that have no field of their own: kept in the person's
# `extra` under the header's name (姓名 and dates are fields; these are not).
EXTRA_HEADERS = frozenset(
    ("性别", "民族", "籍贯", "学历", "文化程度", "职务", "职级", "工作单位", "联系电话", "备注")
)
# Columns that only number the rows.
IGNORED_HEADERS = frozenset(("序号", "编号序号", "No", "No."))

# A column the user maps in the preview may also be kept in `extra` or ignored.
MAP_EXTRA = "+extra"
MAP_IGNORE = ""

# Values branches write for a coded column, beyond its label and code.
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "status": {
        "正式": PersonStatus.FULL,
        "党员": PersonStatus.FULL,
        "中共党员": PersonStatus.FULL,
        "预备": PersonStatus.PROBATIONARY,
        "中共预备党员": PersonStatus.PROBATIONARY,
        "积极分子": PersonStatus.ACTIVIST,
        "申请人": PersonStatus.APPLICANT,
    },
    "step": {
        "递交入党申请书": AdmissionStepKind.APPLIED,
        "申请入党": AdmissionStepKind.APPLIED,
        "入党申请": AdmissionStepKind.APPLIED,
        "谈话": AdmissionStepKind.TALKED,
        "派人谈话了解": AdmissionStepKind.TALKED,
        "确定积极分子": AdmissionStepKind.ACTIVIST,
        "确定入党积极分子": AdmissionStepKind.ACTIVIST,
        "确定发展对象": AdmissionStepKind.CANDIDATE,
        "接收为预备党员": AdmissionStepKind.ADMITTED,
        "接收预备党员": AdmissionStepKind.ADMITTED,
        "延长预备期": AdmissionStepKind.EXTENDED,
        "转正": AdmissionStepKind.CONVERTED,
        "预备党员转正": AdmissionStepKind.CONVERTED,
    },
}


def column_keys(spec: SheetSpec) -> dict[str, Column]:
    """Every header (and field name) a column of the sheet is known by, as matched."""
    out: dict[str, Column] = {}
    for c in spec.columns:
        for name in (c.header, *c.synonyms):
            out.setdefault(header_key(name), c)
    for c in spec.columns:
        out.setdefault(c.field, c)
    return out
