"""The three sheets party workers fill in, column by column, mapped onto `dangjian/1`.

A sheet is one dataset list; a column is one field of its records. Headers are
Chinese; a cell may hold a code or its Chinese label, an id or a name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import TextChoices

from dangjian.people.models import Employment, PartyWorker, PersonStatus
from dangjian.records.models import ActivityKind, TrainingKind

# Added to the failed-rows workbook; ignored when that workbook is uploaded again.
ERROR_HEADER = "错误原因"


@dataclass(frozen=True)
class Column:
    """kind: id | text | date | number | bool | enum | org | person | people | subject"""

    field: str
    header: str
    kind: str
    required: bool = False
    choices: type[TextChoices] | None = None
    hint: str = ""
    width: int = 14


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
        Column("id", "编号", "id", required=True, hint="每人唯一，导入时按编号新增或更新"),
        Column("name", "姓名", "text", required=True, width=10),
        Column("org", "所在党组织", "org", required=True, hint=_ORG_HINT, width=24),
        Column("status", "身份", "enum", required=True, choices=PersonStatus),
        Column("applied_on", "递交入党申请日期", "date", hint=_DATE_HINT),
        Column("activist_on", "确定为积极分子日期", "date", hint=_DATE_HINT),
        Column("candidate_on", "确定为发展对象日期", "date", hint=_DATE_HINT),
        Column("joined_on", "入党日期", "date", hint=_DATE_HINT),
        Column("full_on", "转正日期", "date", hint=_DATE_HINT),
        Column("birth_date", "出生日期", "date", hint=_DATE_HINT),
        Column("leading_cadre", "党员领导干部", "bool", hint=_BOOL_HINT),
        Column("party_worker", "党务工作人员", "enum", choices=PartyWorker, width=18),
        Column("employment", "就业状况", "enum", choices=Employment, hint="空白为在职"),
        Column("monthly_income", "月收入（元）", "number", hint="税后，用于计算党费"),
        Column("probation_extended_to", "预备期延长至", "date", hint=_DATE_HINT),
        Column("mobile", "流动党员", "bool", hint=_BOOL_HINT),
        Column("hosted_by", "流入地党组织", "org", hint=_ORG_HINT, width=20),
        Column("left_on", "离开日期", "date", hint="转出或不再是党员的日期"),
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

SHEETS: tuple[SheetSpec, ...] = (ROSTER, LEDGER, TRAININGS)
SHEETS_BY_KEY = {s.key: s for s in SHEETS}
SHEETS_BY_TITLE = {s.title: s for s in SHEETS}
SHEETS_BY_LIST = {s.list_name: s for s in SHEETS}


def header_key(text: object) -> str:
    """A header cell as matched on upload: spaces and the required-mark stripped."""
    return str(text or "").replace("*", "").replace(" ", "").replace("\u3000", "").strip()
