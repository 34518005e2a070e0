"""Reading an uploaded workbook into `dangjian/1` records, row by row, with reasons.

Bad-input rules (required fields, enums, dates, numbers, references) are the
interchange validator's: each sheet's rows become records of one dataset list
and go through `validate_dataset`; its problems come back to the row and
column they came from. What is checked here is only what a spreadsheet adds:
names instead of ids, Chinese labels instead of codes, and scope (only
organisations the user administers).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from dangjian.access.selectors import orgs_administered, orgs_visible
from dangjian.interchange.errors import DatasetError, Problem
from dangjian.interchange.validation import FORMAT, validate_dataset
from dangjian.people.models import Person
from dangjian.records.models import Absence, Activity, Training
from dangjian.spreadsheets.columns import (
    ADMISSION,
    COMMUNITY,
    DUES,
    ERROR_HEADER,
    EXTRA_HEADERS,
    IGNORED_HEADERS,
    LEDGER,
    MAP_EXTRA,
    MAP_IGNORE,
    REGISTRATIONS,
    REVIEWS,
    ROSTER,
    SHEETS,
    SHEETS_BY_TITLE,
    TRAININGS,
    VALUE_SYNONYMS,
    Column,
    SheetSpec,
    column_keys,
    header_key,
)
from dangjian.spreadsheets.limits import Deadline, sheet_rows
from dangjian.spreadsheets.matching import Choices, match_people
from dangjian.spreadsheets.workbooks import HELP_TITLE, OPTIONS_TITLE

_PAREN = re.compile(r"^(?P<name>.*?)\s*[（(](?P<id>[^（）()]+)[）)]$")
_SPLIT = re.compile(r"[、,，;；\s]+")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
# Year and month only (出生年月 1980.05, 1992年3月, 1992-03), or digits only (19920301, 199203).
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")
# The first rows searched for the header row (title rows above it are skipped).
HEADER_SCAN_ROWS = 10
_ENGLISH_TAIL = re.compile(r"\s*\([A-Za-z][^()]*\)\s*$")
_TRUE = {"是", "true", "TRUE", "True", "1", "y", "Y", "yes", "√"}
_FALSE = {"否", "false", "FALSE", "False", "0", "n", "N", "no", "×"}


@dataclass
class CellError:
    column: str  # the column's header; "" for the whole row
    reason: str


@dataclass
class Row:
    sheet: SheetSpec
    number: int  # the row number in Excel
    values: list[Any]  # cells as uploaded, in the uploaded column order
    cells: dict[str, Any]  # field → cell value
    record: dict[str, Any] | None = None
    errors: list[CellError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # header → cell, kept in `extra`
    month_only: set[str] = field(default_factory=set)  # date fields given as 年月 only
    # Matching a roster row without an id: what was decided, and the question when unsure.
    match: str = ""
    question: list[tuple[str, str]] = field(default_factory=list)  # (choice, label)
    labels: dict[str, str] = field(default_factory=dict)  # field → the header as uploaded

    @property
    def ok(self) -> bool:
        return not self.errors

    def label(self, column: Column) -> str:
        """A column as the user calls it: the header of their sheet (所在支部)."""
        return self.labels.get(column.field, column.header)

    def fail(self, column: Column | str, reason: str) -> None:
        header = self.label(column) if isinstance(column, Column) else column
        self.errors.append(CellError(header, reason))

    def shown(self) -> list[Any]:
        """The spec's columns as typed, for the preview table."""
        return [_display(self.cells.get(c.field)) for c in self.sheet.columns]

    def error_text(self) -> str:
        return "；".join(f"{e.column}：{e.reason}" if e.column else e.reason for e in self.errors)


@dataclass
class Mappable:
    """An uploaded column the app did not recognise: the user says what it holds."""

    index: int
    header: str
    choice: str  # a field of the sheet, MAP_EXTRA or MAP_IGNORE


@dataclass
class SheetResult:
    spec: SheetSpec
    title: str
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header_row: int = 1
    mappable: list[Mappable] = field(default_factory=list)
    # A roster without an organisation column: every row goes to the one chosen here.
    needs_org: bool = False
    default_org: str = ""

    def map_options(self) -> list[tuple[str, str]]:
        """(choice, label) for the mapping menu of an unrecognised column."""
        options = [(MAP_IGNORE, "忽略此列"), (MAP_EXTRA, "作为扩展信息保存")]
        options += [(c.field, c.header) for c in self.spec.columns if c.kind != "id"]
        return options

    @property
    def questions(self) -> list[Row]:
        return [r for r in self.rows if r.question]

    @property
    def valid(self) -> list[Row]:
        return [r for r in self.rows if r.ok]

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if not r.ok]


@dataclass
class Analysis:
    sheets: list[SheetResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the whole workbook

    @property
    def valid_count(self) -> int:
        return sum(len(s.valid) for s in self.sheets)

    @property
    def failed_count(self) -> int:
        return sum(len(s.failed) for s in self.sheets)

    @property
    def failed_rows(self) -> list[Row]:
        return [r for s in self.sheets for r in s.failed]

    def dataset(self) -> dict[str, Any]:
        """The valid rows as one `dangjian/1` dataset (admission steps aside: they are
        taken through the pipeline service, `spreadsheets.steps`, and dues through the
        dues service, `spreadsheets.payments`)."""
        data: dict[str, Any] = {"format": FORMAT}
        for sheet in self.sheets:
            if sheet.spec in (ADMISSION, DUES):
                continue
            data.setdefault(sheet.spec.list_name, []).extend(r.record for r in sheet.valid)
        return data


# ---------------------------------------------------------------- reading cells


def _display(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return str(_display(value))
    return str(value).strip()


def _date(value: Any) -> Any:
    return _date_parts(value)[0]


def _date_parts(value: Any) -> tuple[Any, bool]:
    """A cell as `YYYY-MM-DD` text, and whether only the year and month were given.

    Accepts Excel dates and the forms branches type: 2024-05-20, 2024/5/20, 2024.5.20,
    2024年5月20日, 20240520; a month alone (1980.05, 1992年3月, 1992-03, 199203, or the
    number 1980.05 Excel keeps for it) means the month's first day.
    """
    if isinstance(value, datetime.datetime):
        return value.date().isoformat(), False
    if isinstance(value, datetime.date):
        return value.isoformat(), False
    if isinstance(value, float) and 1000 < value < 10000:
        value = str(value)  # a year.month typed into a number cell, read as shown: 1980.05
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        text = value.strip()
        for pattern in (_DATE, _MONTH, _DIGITS):
            match = pattern.match(text)
            if match:
                y, m, d = match.groups() if len(match.groups()) == 3 else (*match.groups(), None)
                day = int(d) if d else 1
                # validity (month 13, 30 February) is the validator's call
                return f"{y}-{int(m):02d}-{day:02d}", not d
        return text, False
    return value, False  # the validator says it is not a date


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return value.strip()
    return value


def _whole(value: Any) -> Any:
    """A whole number from a cell (2024, 2024.0 or "2024"); anything else as it is, for the
    validator to name."""
    number = _number(value)
    if isinstance(number, (Decimal, float)) and number == int(number):
        return int(number)
    return number


def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return text


def _enum(column: Column, value: Any) -> Any:
    text = _text(value)
    assert column.choices is not None
    synonym = VALUE_SYNONYMS.get(column.field, {}).get(text)
    if synonym is not None:
        return str(synonym)
    for choice in column.choices:
        label = str(choice.label)
        if text == choice.value or text == label or text in label.split("/"):
            return choice.value
    return text


def _split_ref(text: str) -> tuple[str | None, str]:
    """("P7", "张三") from "张三（P7）"; (None, text) otherwise."""
    match = _PAREN.match(text)
    if match:
        return match.group("id").strip(), match.group("name").strip()
    return None, text


# ---------------------------------------------------------------- scope lookups


@dataclass
class _Ref:
    ext_id: str
    name: str
    org: str | None = None  # a person's organisation (ext id)


class _Index:
    """Things referable by id or by name."""

    def __init__(self) -> None:
        self.by_id: dict[str, _Ref] = {}
        self.by_name: dict[str, list[_Ref]] = defaultdict(list)

    def add(self, ref: _Ref) -> None:
        old = self.by_id.get(ref.ext_id)
        if old is not None:
            self.by_name[old.name] = [r for r in self.by_name[old.name] if r.ext_id != ref.ext_id]
        self.by_id[ref.ext_id] = ref
        self.by_name[ref.name].append(ref)

    def resolve(
        self, text: str, noun: str, prefer_org: str | None = None
    ) -> tuple[str | None, str]:
        """The id a cell means, or None and the reason."""
        ext_id, _ = _split_ref(text)
        if ext_id is not None:
            if ext_id in self.by_id:
                return ext_id, ""
            return None, f"编号为“{ext_id}”的{noun}不存在或无权管理"
        if text in self.by_id:
            return text, ""
        found = self.by_name.get(text, [])
        if len(found) > 1 and prefer_org is not None:
            same = [r for r in found if r.org == prefer_org]
            found = same or found
        if len(found) == 1:
            return found[0].ext_id, ""
        if len(found) > 1:
            return None, f"有多个名为“{text}”的{noun}，请填写编号或“名称（编号）”"
        return None, f"{noun}“{text}”不存在或无权管理"


def _chunks(values: Iterable[str], size: int = 4000) -> Iterable[list[str]]:
    """Bounded IN lists (SQLite allows about 32k parameters per statement)."""
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Scope:
    """What this user may reference: loaded once, only for the ids and names in the file."""

    def __init__(self, user: Any, tokens: set[str]) -> None:
        self.user = user
        self.orgs = _Index()
        self.visible_orgs = _Index()
        self.people = _Index()
        administered = orgs_administered(user)
        for batch in _chunks(sorted(tokens)):
            match = Q(ext_id__in=batch) | Q(name__in=batch)
            for ext_id, name in administered.filter(match).values_list("ext_id", "name"):
                self.orgs.add(_Ref(ext_id, name))
            for ext_id, name in orgs_visible(user).filter(match).values_list("ext_id", "name"):
                self.visible_orgs.add(_Ref(ext_id, name))
            people = Person.objects.filter(match, org__in=administered)
            for ext_id, name, org in people.values_list("ext_id", "name", "org__ext_id"):
                self.people.add(_Ref(ext_id, name, org))
        for ref in list(self.orgs.by_id.values()):
            if ref.ext_id not in self.visible_orgs.by_id:
                self.visible_orgs.add(ref)

    def foreign(self, model: Any, ids: Iterable[str], org_field: str) -> set[str]:
        """Ids of existing records under organisations the user does not administer."""
        out: set[str] = set()
        for batch in _chunks(ids):
            out.update(
                model.objects.filter(ext_id__in=batch)
                .exclude(**{f"{org_field}__in": orgs_administered(self.user)})
                .values_list("ext_id", flat=True)
            )
        return out


# ---------------------------------------------------------------- the workbook


def _read_sheets(data: bytes, analysis: Analysis, deadline: Deadline) -> list[SheetResult]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises assorted errors on damaged or foreign files
        analysis.notes.append(
            f"无法读取该文件，请上传 .xlsx 格式的 Excel 工作簿（{type(exc).__name__}）"
        )
        return []
    results = []
    try:
        for ws in wb.worksheets:
            if ws.title in (HELP_TITLE, OPTIONS_TITLE):
                continue
            # Every limit of `limits`: blank rows (above the header too) count toward them.
            rows = sheet_rows(ws, deadline)
            top = list(itertools.islice(rows, HEADER_SCAN_ROWS))
            found = _find_header(ws.title, top)
            if found is None:
                if any(not _blank(v) for row in top for v in row):
                    analysis.notes.append(f"工作表“{ws.title}”不是可导入的表格，已忽略")
                continue
            spec, at = found
            headers = [_text(h) if not _blank(h) else "" for h in top[at]]
            body = enumerate(itertools.chain(top[at + 1 :], rows), start=at + 2)
            result = _read_rows(spec, ws.title, headers, body, analysis)
            _header_at(result, at)
            results.append(result)
    finally:
        wb.close()
    if not results and not analysis.notes:
        titles = "、".join(f"“{s.title}”" for s in SHEETS)
        analysis.notes.append(f"没有找到可导入的工作表（{titles}）")
    return results


def _find_header(title: str, top: list[tuple[Any, ...]]) -> tuple[SheetSpec, int] | None:
    """The sheet's kind and the index of its header row among the first rows.

    A sheet named like a template is that template, its header the first row that
    names at least two of its columns; another sheet is recognised by its headers
    (the synonyms branches use included), under any title rows.
    """
    named = SHEETS_BY_TITLE.get(title)
    for at, row in enumerate(top):
        headers = [_text(h) for h in row if not _blank(h)]
        if named is not None:
            if len(_matched(named, headers)) >= 2:
                return named, at
            continue
        spec = _spec_from_headers(headers)
        if spec is not None:
            return spec, at
    return (named, 0) if named is not None and top else None


def _matched(spec: SheetSpec, headers: list[str]) -> set[str]:
    keys = column_keys(spec)
    return {keys[k].field for k in map(header_key, headers) if k in keys}


def _spec_from_headers(headers: list[str]) -> SheetSpec | None:
    """The sheet whose required columns (an id aside: rows may be matched by name) are
    mostly among the headers, with at least two recognised; the best such."""
    best: tuple[int, SheetSpec] | None = None
    for spec in SHEETS:
        matched = _matched(spec, headers)
        required = {c.field for c in spec.columns if c.required and c.kind != "id"}
        enough = len(required & matched) * 3 >= len(required) * 2
        if enough and len(matched) >= 2 and (best is None or len(matched) > best[0]):
            best = (len(matched), spec)
    return best[1] if best is not None else None


def _read_rows(
    spec: SheetSpec,
    title: str,
    headers: list[str],
    rows: Iterable[tuple[int, Sequence[Any]]],
    analysis: Analysis,
    *,
    mapping: dict[int, str] | None = None,
) -> SheetResult:
    """`rows`: (row number in Excel, values). `mapping`: the user's choice for
    columns not recognised (index → field, MAP_EXTRA or MAP_IGNORE)."""
    by_key = column_keys(spec)
    chosen = mapping or {}
    columns: dict[int, Column] = {}
    extras: dict[int, str] = {}  # index → header, kept in the record's `extra`
    keep: list[int] = []  # uploaded columns carried into the failed-rows file
    result = SheetResult(spec=spec, title=title, headers=[])
    for index, header in enumerate(headers):
        key = header_key(header)
        if key == ERROR_HEADER:
            continue
        keep.append(index)
        result.headers.append(header)
        if not key or key in IGNORED_HEADERS:
            continue
        column = by_key.get(key)
        if column is None and spec is ROSTER and key in EXTRA_HEADERS:
            extras[index] = key
            continue
        if column is None:
            choice = chosen.get(index, MAP_IGNORE)
            column = spec.column(choice) if choice not in (MAP_IGNORE, MAP_EXTRA) else None
            result.mappable.append(Mappable(index, header, choice))
            if choice == MAP_EXTRA:
                extras[index] = key
                continue
            if column is None:
                result.notes.append(f"未识别的列“{header}”：未导入，可在本页上方选择它对应的项目")
                continue
        if column in columns.values():
            result.notes.append(f"列“{header}”重复，只读取第一列")
        else:
            columns[index] = column
    for column in spec.columns:
        if column.required and column.kind != "id" and column not in columns.values():
            if spec is ROSTER and column.field == "org":
                result.needs_org = True
                result.notes.append("没有“所在党组织”列：请在本页上方选择这些党员所在的党组织")
            else:
                result.notes.append(f"缺少必填列“{column.header}”")
    labels = {col.field: headers[i].replace("*", "").strip() for i, col in columns.items()}
    for number, values in rows:
        if all(_blank(v) for v in values):
            continue
        cells = {col.field: values[i] for i, col in columns.items() if i < len(values)}
        kept = [values[i] if i < len(values) else None for i in keep]
        row = Row(sheet=spec, number=number, values=kept, cells=cells, labels=labels)
        row.extra = {
            name: _text(values[i])
            for i, name in extras.items()
            if i < len(values) and not _blank(values[i])
        }
        result.rows.append(row)
    return result


def _tokens(sheets: list[SheetResult]) -> set[str]:
    """Every id or name a reference cell mentions: the scope is loaded for these only."""
    out: set[str] = {s.default_org for s in sheets if s.default_org}
    for sheet in sheets:
        ref_columns = [
            c for c in sheet.spec.columns if c.kind in ("org", "person", "subject", "people")
        ]
        for row in sheet.rows:
            for column in ref_columns:
                value = row.cells.get(column.field)
                if _blank(value):
                    continue
                parts = _SPLIT.split(_text(value)) if column.kind == "people" else [_text(value)]
                for part in parts:
                    if part:
                        ext_id, name = _split_ref(part)
                        out.update(x for x in (ext_id, name) if x)
    return out


def workbook_read(data: bytes, *, deadline: Deadline | None = None) -> Analysis:
    """The rows of every recognised sheet as typed, not yet checked.

    Raises `limits.UploadRefused` for a file past any limit (size, rows,
    columns, cell length, time).
    """
    analysis = Analysis()
    analysis.sheets = _read_sheets(data, analysis, deadline or Deadline.start())
    return analysis


def workbook_analyse(data: bytes, *, user: Any, choices: Choices | None = None) -> Analysis:
    """Every row of every recognised sheet, valid or with its reasons; nothing is written.

    `choices` are the user's answers in the preview: what an unrecognised column
    holds, and who a roster row without an id is when the name was not enough.
    """
    deadline = Deadline.start()
    analysis = workbook_read(data, deadline=deadline)
    if choices is not None:
        analysis = analysis_remap(analysis, choices)
    return analysis_check(analysis, user=user, deadline=deadline, choices=choices)


def analysis_remap(analysis: Analysis, choices: Choices) -> Analysis:
    """The rows kept since upload read again under the user's column choices.

    Works on the stored rows (every uploaded column of every non-blank row is
    kept), never by opening the workbook again. The result is not yet checked.
    """
    out = Analysis(notes=list(analysis.notes))
    for sheet in analysis.sheets:
        result = _read_rows(
            sheet.spec,
            sheet.title,
            sheet.headers,
            ((row.number, row.values) for row in sheet.rows),
            out,
            mapping=choices.for_columns(sheet.title),
        )
        _header_at(result, sheet.header_row - 1)
        if result.needs_org:
            result.default_org = choices.orgs.get(sheet.title, "")
        out.sheets.append(result)
    return out


def _header_at(result: SheetResult, at: int) -> None:
    result.header_row = at + 1
    if at:
        result.notes.insert(0, f"表头在第 {at + 1} 行，其上的标题行未导入")


def analysis_check(
    analysis: Analysis,
    *,
    user: Any,
    deadline: Deadline | None = None,
    choices: Choices | None = None,
) -> Analysis:
    """Check the rows read from a workbook against the file and the database, in place.

    Rows checked before (an analysis kept since upload) are checked afresh.
    `choices`: the user's answers on who is who (the column mapping is applied
    by `analysis_remap`).
    """
    deadline = deadline or Deadline.start()
    choices = choices or Choices()
    sheets = analysis.sheets
    for sheet in sheets:
        for row in sheet.rows:
            row.record, row.errors = None, []
            row.match, row.question, row.month_only = "", [], set()
    if not sheets:
        return analysis
    scope = _Scope(user, _tokens(sheets))
    # File people are referable from the ledger and trainings once their own rows pass.
    people_index = scope.people
    order = {ROSTER.list_name: 0, LEDGER.list_name: 1, TRAININGS.list_name: 2}
    order.update({REVIEWS.list_name: 3, COMMUNITY.list_name: 4, REGISTRATIONS.list_name: 5})
    order.update({ADMISSION.list_name: 6, DUES.list_name: 7})
    valid_people: list[dict[str, Any]] = []
    for sheet in sorted(sheets, key=lambda s: order[s.spec.list_name]):
        for row in sheet.rows:
            row.record = _convert(row, scope, people_index)
        deadline.check()
        if sheet.needs_org and sheet.default_org:
            _put_in_org(sheet, scope)
        if sheet.spec is ROSTER:
            match_people(sheet.rows, user=user, answers=choices.for_people(sheet.title))
        if sheet.spec is LEDGER:
            _assign_ledger_ids(sheet)
            _keep_absentees(sheet)
        _check_ids(sheet, scope)
        deadline.check()
        _validate(sheet, valid_people)
        if sheet.spec is ADMISSION:
            from dangjian.spreadsheets.steps import steps_check

            steps_check(sheet, user=user)
        if sheet.spec is DUES:
            from dangjian.spreadsheets.payments import payments_check

            payments_check(sheet, user=user)
        if sheet.spec is ROSTER:
            for row in sheet.valid:
                assert row.record is not None
                valid_people.append(row.record)
                people_index.add(_Ref(row.record["id"], row.record["name"], row.record["org"]))
    return analysis


# ---------------------------------------------------------------- rows to records


def _convert(row: Row, scope: _Scope, people: _Index) -> dict[str, Any]:
    record: dict[str, Any] = {}
    spec = row.sheet
    org_of_row: str | None = None
    for column in spec.columns:
        value = row.cells.get(column.field)
        if _blank(value):
            continue
        kind = column.kind
        if kind in ("id", "text"):
            record[column.field] = _text(value)
        elif kind == "date":
            record[column.field], month_only = _date_parts(value)
            if month_only:
                row.month_only.add(column.field)
        elif kind == "month":
            # 2024-05, 2024年5月 or an Excel date within the month: "2024-05".
            text, _ = _date_parts(value)
            record[column.field] = text[:7] if isinstance(text, str) and _ISO.match(text) else text
        elif kind == "number":
            record[column.field] = _number(value)
        elif kind == "int":
            record[column.field] = _whole(value)
        elif kind == "bool":
            record[column.field] = _bool(value)
        elif kind == "enum":
            record[column.field] = _enum(column, value)
        elif kind == "org":
            index = scope.orgs if column.field == "org" else scope.visible_orgs
            ext_id, reason = index.resolve(_text(value), "党组织")
            if ext_id is None:
                row.fail(column, reason)
            else:
                record[column.field] = ext_id
                if column.field == "org":
                    org_of_row = ext_id
        elif kind == "person":
            ext_id, reason = people.resolve(_text(value), "党员", prefer_org=org_of_row)
            if ext_id is None:
                row.fail(column, reason)
            else:
                record[column.field] = ext_id
        elif kind == "people":
            ids = []
            for part in _SPLIT.split(_text(value)):
                if not part:
                    continue
                ext_id, reason = people.resolve(part, "党员", prefer_org=org_of_row)
                if ext_id is None:
                    row.fail(column, reason)
                elif ext_id not in ids:
                    ids.append(ext_id)
            record[column.field] = ids
        elif kind == "subject":
            text = _text(value)
            ext_id, _ = scope.orgs.resolve(text, "党组织")
            if ext_id is None:
                ext_id, _ = people.resolve(text, "党员", prefer_org=org_of_row)
            if ext_id is None:
                row.fail(column, f"“{text}”不是可管理的党组织或党员")
            else:
                record[column.field] = ext_id
    if row.extra:
        record["extra"] = dict(row.extra)
    return record


def _put_in_org(sheet: SheetResult, scope: _Scope) -> None:
    """The organisation chosen for a roster without that column, if the user administers it."""
    column = sheet.spec.column("org")
    assert column is not None
    if sheet.default_org not in scope.orgs.by_id:
        for row in sheet.rows:
            row.fail(column, "所选党组织不存在或无权管理")
        return
    for row in sheet.rows:
        assert row.record is not None
        row.record["org"] = sheet.default_org


def _assign_ledger_ids(sheet: SheetResult) -> None:
    """Stable ids for ledger rows typed without one, so uploading them again updates them.

    Derived from the organisation, kind, date and title, and how many such rows
    came before in the sheet.
    """
    seen: dict[str, int] = defaultdict(int)
    for row in sheet.rows:
        record = row.record
        if record is None or "id" in record:
            continue
        body = {k: record.get(k) for k in ("org", "kind", "date", "title")}
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
        occurrence = seen[text]
        seen[text] += 1
        record["id"] = "a-" + hashlib.sha1(f"{text}#{occurrence}".encode()).hexdigest()[:16]


def _keep_absentees(sheet: SheetResult) -> None:
    """The ledger has no column for absences: an activity updated from it keeps the
    absences (and make-ups) it has, less anyone the row now lists as present."""
    rows = {r.record["id"]: r for r in sheet.rows if r.record and r.record.get("id")}
    kept: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for batch in _chunks(rows):
        for ext_id, person, reason, note, made_up_on, how in (
            Absence.objects.filter(activity__ext_id__in=batch)
            .order_by("person__ext_id")
            .values_list(
                "activity__ext_id", "person__ext_id", "reason", "note", "made_up_on", "made_up_how"
            )
        ):
            kept[ext_id].append(
                {
                    "person": person,
                    "reason": reason,
                    "note": note or None,
                    "made_up_on": made_up_on.isoformat() if made_up_on else None,
                    "made_up_how": how or None,
                }
            )
    for ext_id, absentees in kept.items():
        record = rows[ext_id].record
        assert record is not None
        present = set(record.get("attendees") or ())
        record["absentees"] = [a for a in absentees if a["person"] not in present]


def _check_ids(sheet: SheetResult, scope: _Scope) -> None:
    """Ids repeated in the sheet, and ids of records under other organisations."""
    seen: dict[str, int] = {}
    id_column = sheet.spec.column("id")
    if id_column is None:
        return  # a natural-key list: its people resolve only within the user's scope
    for row in sheet.rows:
        ext_id = (row.record or {}).get("id")
        if ext_id is None:
            continue
        if ext_id in seen:
            row.fail(id_column, f"编号“{ext_id}”与第 {seen[ext_id]} 行重复")
        else:
            seen[ext_id] = row.number
    model, org_field = {
        "people": (Person, "org"),
        "activities": (Activity, "org"),
        "trainings": (Training, "person__org"),
    }[sheet.spec.list_name]
    foreign = scope.foreign(model, seen, org_field)
    for row in sheet.rows:
        if (row.record or {}).get("id") in foreign:
            row.fail(id_column, f"编号“{row.record['id']}”已被无权管理的组织使用")  # type: ignore[index]


def _label(record: dict[str, Any], index: int) -> str:
    rid = record.get("id")
    return rid if isinstance(rid, str) and rid else f"#{index}"


def _validate(sheet: SheetResult, valid_people: list[dict[str, Any]]) -> None:
    """Run the interchange validator on the sheet's rows until the rest pass.

    Rows that already failed a spreadsheet check still go through it (without
    the cells that failed), so a row shows all its problems at once.
    """
    list_name = sheet.spec.list_name
    judged: set[int] = set()  # rows the validator has found fault with
    for _ in range(6):
        candidates = [r for r in sheet.rows if r.number not in judged]
        if not candidates:
            return
        records = [r.record for r in candidates]
        data: dict[str, Any] = {"format": FORMAT, list_name: records}
        if list_name != "people" and valid_people:
            data["people"] = valid_people
        try:
            validate_dataset(data)
            return
        except DatasetError as exc:
            by_label: dict[str, list[Row]] = defaultdict(list)
            for index, row in enumerate(candidates):
                by_label[_label(row.record or {}, index)].append(row)
            placed = False
            # Rows sharing an id share a label, and the validator reports the id once
            # per repeat: each distinct problem is placed once (linear, not rows × repeats).
            distinct = {(p.list_name, p.record, p.field, p.message): p for p in exc.problems}
            for problem in distinct.values():
                rows = by_label.get(problem.record, []) if problem.list_name == list_name else []
                for row in rows:
                    _place(row, problem)
                    judged.add(row.number)
                    placed = True
            if not placed:  # nothing to pin it on: every remaining row carries it
                for row in candidates:
                    for problem in distinct.values():
                        row.fail("", _chinese(problem.message))
                return


def _chinese(message: str) -> str:
    return _ENGLISH_TAIL.sub("", message)


def _place(row: Row, problem: Problem) -> None:
    column = row.sheet.column(problem.field)
    reason = _chinese(problem.message)
    if column is not None and any(e.column == row.label(column) for e in row.errors):
        return  # the cell already has its reason (a name that did not resolve)
    if column is not None:
        raw = row.cells.get(column.field)
        if column.kind == "enum" and column.choices is not None and reason.startswith("取值"):
            labels = "、".join(str(label) for label in column.choices.labels)
            reason = f"“{_text(raw)}”不是有效的{row.label(column)}，可选：{labels}"
        elif column.kind == "bool" and "true" in reason:
            reason = f"“{_text(raw)}”无法识别，请填写“是”或“否”"
        elif column.kind == "date" and not isinstance(raw, str | datetime.date) and raw is not None:
            reason = f"“{_text(raw)}”不是日期，请按 2024-05-20 的格式填写"
        elif reason == "缺少必填字段":
            reason = "必须填写"
        row.fail(column, reason)
    else:
        row.fail(problem.field, reason)


# ---------------------------------------------------------------- keeping an analysis

# An upload is read once: the analysis is kept as JSON beside it and reused by
# the preview, the failed-rows file and the import (which checks the kept rows
# afresh against the database, without reading the workbook again).
_TYPES: dict[str, Any] = {
    "datetime": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "time": datetime.time.fromisoformat,
    "timedelta": lambda v: datetime.timedelta(seconds=float(v)),
    "decimal": Decimal,
}


def _encode(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return {"$": "datetime", "v": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$": "date", "v": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"$": "time", "v": value.isoformat()}
    if isinstance(value, datetime.timedelta):
        return {"$": "timedelta", "v": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"$": "decimal", "v": str(value)}
    if isinstance(value, dict):
        return {"$": "dict", "v": {k: _encode(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        kind, inner = value["$"], value["v"]
        if kind == "dict":
            return {k: _decode(v) for k, v in inner.items()}
        return _TYPES[kind](inner)
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def analysis_to_json(analysis: Analysis) -> str:
    return json.dumps(
        {
            "notes": analysis.notes,
            "sheets": [
                {
                    "spec": sheet.spec.key,
                    "title": sheet.title,
                    "headers": sheet.headers,
                    "notes": sheet.notes,
                    "header_row": sheet.header_row,
                    "mappable": [[m.index, m.header, m.choice] for m in sheet.mappable],
                    "needs_org": sheet.needs_org,
                    "default_org": sheet.default_org,
                    # The same for every row of a sheet (the headers as uploaded).
                    "labels": sheet.rows[0].labels if sheet.rows else {},
                    "rows": [
                        [
                            row.number,
                            _encode(row.values),
                            _encode(row.cells),
                            _encode(row.record),
                            [[e.column, e.reason] for e in row.errors],
                            row.extra,
                            sorted(row.month_only),
                            row.match,
                            [list(q) for q in row.question],
                        ]
                        for row in sheet.rows
                    ],
                }
                for sheet in analysis.sheets
            ],
        },
        ensure_ascii=False,
    )


def analysis_from_json(text: str) -> Analysis:
    from dangjian.spreadsheets.columns import SHEETS_BY_KEY

    data = json.loads(text)
    analysis = Analysis(notes=list(data["notes"]))
    for item in data["sheets"]:
        spec = SHEETS_BY_KEY[item["spec"]]
        sheet = SheetResult(
            spec=spec,
            title=item["title"],
            headers=item["headers"],
            notes=item["notes"],
            header_row=item["header_row"],
            mappable=[Mappable(i, h, c) for i, h, c in item["mappable"]],
            needs_org=item["needs_org"],
            default_org=item["default_org"],
        )
        labels = item["labels"]
        for number, values, cells, record, errors, extra, month_only, match, question in item[
            "rows"
        ]:
            sheet.rows.append(
                Row(
                    sheet=spec,
                    number=number,
                    values=_decode(values),
                    cells=_decode(cells),
                    record=_decode(record),
                    errors=[CellError(c, r) for c, r in errors],
                    extra=extra,
                    month_only=set(month_only),
                    match=match,
                    question=[(c, label) for c, label in question],
                    labels=labels,
                )
            )
        analysis.sheets.append(sheet)
    return analysis
