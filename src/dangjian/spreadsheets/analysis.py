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
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from dangjian.access.selectors import orgs_administered, orgs_visible
from dangjian.interchange.errors import DatasetError, Problem
from dangjian.interchange.validation import FORMAT, validate_dataset
from dangjian.people.models import Person
from dangjian.records.models import Activity, Training
from dangjian.spreadsheets.columns import (
    ERROR_HEADER,
    LEDGER,
    ROSTER,
    SHEETS,
    SHEETS_BY_TITLE,
    TRAININGS,
    Column,
    SheetSpec,
    header_key,
)
from dangjian.spreadsheets.limits import Deadline, sheet_rows
from dangjian.spreadsheets.workbooks import HELP_TITLE, OPTIONS_TITLE

_PAREN = re.compile(r"^(?P<name>.*?)\s*[（(](?P<id>[^（）()]+)[）)]$")
_SPLIT = re.compile(r"[、,，;；\s]+")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
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

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, column: Column | str, reason: str) -> None:
        header = column.header if isinstance(column, Column) else column
        self.errors.append(CellError(header, reason))

    def shown(self) -> list[Any]:
        """The spec's columns as typed, for the preview table."""
        return [_display(self.cells.get(c.field)) for c in self.sheet.columns]

    def error_text(self) -> str:
        return "；".join(f"{e.column}：{e.reason}" if e.column else e.reason for e in self.errors)


@dataclass
class SheetResult:
    spec: SheetSpec
    title: str
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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
        """The valid rows as one `dangjian/1` dataset."""
        data: dict[str, Any] = {"format": FORMAT}
        for sheet in self.sheets:
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
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        match = _DATE.match(text)
        if match:
            y, m, d = match.groups()
            return f"{y}-{int(m):02d}-{int(d):02d}"  # validity is the validator's call
        return text
    return value  # a bare number: the validator says it is not a date


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return value.strip()
    return value


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
            rows = sheet_rows(ws, deadline)  # every limit of `limits`
            header_row = next(rows, None)
            headers = [_text(h) if not _blank(h) else "" for h in (header_row or ())]
            spec = SHEETS_BY_TITLE.get(ws.title) or _spec_from_headers(headers)
            if spec is None:
                if any(headers):
                    analysis.notes.append(f"工作表“{ws.title}”不是可导入的表格，已忽略")
                continue
            results.append(_read_rows(spec, ws.title, headers, rows, analysis))
    finally:
        wb.close()
    if not results and not analysis.notes:
        titles = "、".join(f"“{s.title}”" for s in SHEETS)
        analysis.notes.append(f"没有找到可导入的工作表（{titles}）")
    return results


def _spec_from_headers(headers: list[str]) -> SheetSpec | None:
    keys = {header_key(h) for h in headers}
    for spec in SHEETS:
        required = {header_key(c.header) for c in spec.columns if c.required}
        if required <= keys:
            return spec
    return None


def _read_rows(
    spec: SheetSpec,
    title: str,
    headers: list[str],
    rows: Iterable[tuple[Any, ...]],
    analysis: Analysis,
) -> SheetResult:
    by_key = {header_key(c.header): c for c in spec.columns}
    by_key.update({c.field: c for c in spec.columns})
    mapping: dict[int, Column] = {}
    keep: list[int] = []  # uploaded columns carried into the failed-rows file
    result = SheetResult(spec=spec, title=title, headers=[])
    for index, header in enumerate(headers):
        key = header_key(header)
        if key == ERROR_HEADER:
            continue
        keep.append(index)
        result.headers.append(header)
        if not key:
            continue
        column = by_key.get(key)
        if column is None:
            result.notes.append(f"未知的列“{header}”，其内容不会导入")
        elif column in mapping.values():
            result.notes.append(f"列“{header}”重复，只读取第一列")
        else:
            mapping[index] = column
    for column in spec.columns:
        if column.required and column not in mapping.values():
            result.notes.append(f"缺少必填列“{column.header}”")
    for number, values in enumerate(rows, start=2):
        if all(_blank(v) for v in values):
            continue
        cells = {col.field: values[i] for i, col in mapping.items() if i < len(values)}
        kept = [values[i] if i < len(values) else None for i in keep]
        result.rows.append(Row(sheet=spec, number=number, values=kept, cells=cells))
    return result


def _tokens(sheets: list[SheetResult]) -> set[str]:
    """Every id or name a reference cell mentions: the scope is loaded for these only."""
    out: set[str] = set()
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


def workbook_analyse(data: bytes, *, user: Any) -> Analysis:
    """Every row of every recognised sheet, valid or with its reasons; nothing is written."""
    deadline = Deadline.start()
    return analysis_check(workbook_read(data, deadline=deadline), user=user, deadline=deadline)


def analysis_check(analysis: Analysis, *, user: Any, deadline: Deadline | None = None) -> Analysis:
    """Check the rows read from a workbook against the file and the database, in place.

    Rows checked before (an analysis kept since upload) are checked afresh.
    """
    deadline = deadline or Deadline.start()
    sheets = analysis.sheets
    for sheet in sheets:
        for row in sheet.rows:
            row.record, row.errors = None, []
    if not sheets:
        return analysis
    scope = _Scope(user, _tokens(sheets))
    # File people are referable from the ledger and trainings once their own rows pass.
    people_index = scope.people
    order = {ROSTER.list_name: 0, LEDGER.list_name: 1, TRAININGS.list_name: 2}
    valid_people: list[dict[str, Any]] = []
    for sheet in sorted(sheets, key=lambda s: order[s.spec.list_name]):
        for row in sheet.rows:
            row.record = _convert(row, scope, people_index)
        deadline.check()
        if sheet.spec is LEDGER:
            _assign_ledger_ids(sheet)
        _check_ids(sheet, scope)
        deadline.check()
        _validate(sheet, valid_people)
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
            record[column.field] = _date(value)
        elif kind == "number":
            record[column.field] = _number(value)
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
    return record


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


def _check_ids(sheet: SheetResult, scope: _Scope) -> None:
    """Ids repeated in the sheet, and ids of records under other organisations."""
    seen: dict[str, int] = {}
    id_column = sheet.spec.column("id")
    assert id_column is not None
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
    if column is not None and any(e.column == column.header for e in row.errors):
        return  # the cell already has its reason (a name that did not resolve)
    if column is not None:
        raw = row.cells.get(column.field)
        if column.kind == "enum" and column.choices is not None and reason.startswith("取值"):
            labels = "、".join(str(label) for label in column.choices.labels)
            reason = f"“{_text(raw)}”不是有效的{column.header}，可选：{labels}"
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
                    "rows": [
                        [
                            row.number,
                            _encode(row.values),
                            _encode(row.cells),
                            _encode(row.record),
                            [[e.column, e.reason] for e in row.errors],
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
            spec=spec, title=item["title"], headers=item["headers"], notes=item["notes"]
        )
        for number, values, cells, record, errors in item["rows"]:
            sheet.rows.append(
                Row(
                    sheet=spec,
                    number=number,
                    values=_decode(values),
                    cells=_decode(cells),
                    record=_decode(record),
                    errors=[CellError(c, r) for c, r in errors],
                )
            )
        analysis.sheets.append(sheet)
    return analysis
