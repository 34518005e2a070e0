"""Validation of a parsed `dangjian/1` dataset.

`parse_dataset` checks the shape of every record (keys, types, enums, dates,
numbers, duplicates, cycles inside the file) and returns the records
normalised to Python values. `validate_dataset` also resolves every reference
against the file and the target database. Both collect every problem before
raising one `DatasetError`, so a user sees the whole list at once.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from operator import itemgetter
from typing import Any

from dangjian.interchange.errors import DatasetError, Problem
from dangjian.orgs.models import OrgType, PositionRole
from dangjian.oversight.models import AssessmentKind, Grade
from dangjian.people.models import (
    AdmissionStepKind,
    Employment,
    LeftReason,
    PartyWorker,
    PersonStatus,
    ReviewDecision,
    ReviewOutcome,
)
from dangjian.records.models import AbsenceReason, ActivityKind, FilingKind, TrainingKind

FORMAT = "dangjian/1"


@dataclass(frozen=True)
class FieldSpec:
    """One key of a record, in contract order.

    kind: id | str | org | person | subject | activity | people | absentees | date |
    month | period | int | number | bool | enum | grade | extra
    """

    name: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    minimum: int = 0
    below: Decimal | None = None  # numbers must be < below (the column's digits)
    default: Any = None


def _f(name: str, kind: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, kind, **kw)


_EXTRA = _f("extra", "extra")
_HOURS_BELOW = Decimal("10000")

LISTS: dict[str, tuple[FieldSpec, ...]] = {
    "organizations": (
        _f("id", "id", required=True),
        _f("name", "str", required=True, max_length=200),
        _f("type", "enum", required=True, choices=tuple(OrgType.values)),
        _f("parent", "org"),
        _f("staff_count", "int"),
        _f("established", "date"),
        _f("dissolved", "date"),
        _EXTRA,
    ),
    "people": (
        _f("id", "id", required=True),
        _f("name", "str", required=True, max_length=100),
        _f("org", "org", required=True),
        _f("status", "enum", required=True, choices=tuple(PersonStatus.values)),
        _f("applied_on", "date"),
        _f("activist_on", "date"),
        _f("candidate_on", "date"),
        _f("joined_on", "date"),
        _f("full_on", "date"),
        _f("birth_date", "date"),
        _f("leading_cadre", "bool", default=False),
        _f("party_worker", "enum", choices=tuple(PartyWorker.values)),
        _f(
            "employment",
            "enum",
            choices=tuple(Employment.values),
            default=Employment.IN_SERVICE.value,
        ),
        _f("monthly_income", "number", below=Decimal("1e10")),
        _f("probation_extended_to", "date"),
        _f("mobile", "bool", default=False),
        _f("hosted_by", "org"),
        _f("left_on", "date"),
        _f("left_reason", "enum", choices=tuple(LeftReason.values)),
        _EXTRA,
    ),
    "transfers": (
        _f("person", "person", required=True),
        _f("from", "org"),
        _f("to", "org"),
        _f("date", "date", required=True),
        _f("letter", "str", max_length=64),
        _EXTRA,
    ),
    "positions": (
        _f("person", "person", required=True),
        _f("org", "org", required=True),
        _f("role", "enum", required=True, choices=tuple(PositionRole.values)),
        _f("start", "date", required=True),
        _f("end", "date"),
        _EXTRA,
    ),
    "terms": (
        _f("org", "org", required=True),
        _f("elected_on", "date", required=True),
        _f("years", "int", required=True, minimum=1),
        _EXTRA,
    ),
    "activities": (
        _f("id", "id", required=True),
        _f("org", "org", required=True),
        _f("kind", "enum", required=True, choices=tuple(ActivityKind.values)),
        _f("date", "date", required=True),
        _f("title", "str", max_length=300),
        _f("hours", "number", below=_HOURS_BELOW),
        _f("speaker", "person"),
        _f("attendees", "people"),
        # Extension to dangjian/1: who was expected but absent, why, and any make-up.
        _f("absentees", "absentees"),
        _f("subject", "subject"),
        _EXTRA,
    ),
    "trainings": (
        _f("id", "id"),
        _f("person", "person", required=True),
        _f("date", "date", required=True),
        _f("hours", "number", required=True, below=_HOURS_BELOW),
        _f("kind", "enum", required=True, choices=tuple(TrainingKind.values)),
        _f("title", "str", max_length=300),
        _EXTRA,
    ),
    "filings": (
        _f("id", "id"),
        _f("org", "org", required=True),
        _f("kind", "enum", required=True, choices=tuple(FilingKind.values)),
        _f("date", "date", required=True),
        _f("period", "period", required=True),
        _f("by", "person"),
        _EXTRA,
    ),
    "dues": (
        _f("person", "person", required=True),
        _f("month", "month", required=True),
        _f("amount", "number", required=True, below=Decimal("1e8")),
        _f("paid_on", "date", required=True),
        _EXTRA,
    ),
    "assessments": (
        _f("subject", "subject", required=True),
        _f("year", "int", required=True, minimum=1900),
        _f("kind", "enum", required=True, choices=tuple(AssessmentKind.values)),
        _f("grade", "grade", required=True),
        _f("rank", "int", minimum=1),
        _f("out_of", "int", minimum=1),
        _EXTRA,
    ),
    # Extension to dangjian/1: the rectification loop (oversight.Rectification).
    "rectifications": (
        _f("id", "id", required=True),
        _f("org", "org", required=True),
        _f("title", "str", required=True, max_length=200),
        _f("rule", "str", max_length=120),
        _f("period", "str", max_length=40),
        _f("subject", "str", max_length=200),
        _f("inspection", "activity"),
        _f("found_on", "date", required=True),
        _f("assigned_on", "date"),
        _f("verified_on", "date"),
        _f("due_on", "date"),
        _f("rectified_on", "date"),
        _f("accountability", "bool", default=False),
        _f("accountability_on", "date"),
        _f("revisit_on", "date"),
        _f("closed_on", "date"),
        _EXTRA,
    ),
    # Extensions to dangjian/1 (issue 8): 民主评议党员 outcomes with a 不合格 member's
    # handling, and 在职党员到社区报到 with service hours. Outcome categories and dates only.
    # The admission pipeline's dated steps (people.AdmissionStep), each with its evidence.
    "admission_steps": (
        _f("person", "person", required=True),
        _f("step", "enum", required=True, choices=tuple(AdmissionStepKind.values)),
        _f("date", "date", required=True),
        _f("evidence", "str", required=True, max_length=200),
        _f("until", "date"),
        _EXTRA,
    ),
    "reviews": (
        _f("person", "person", required=True),
        _f("year", "int", required=True, minimum=1900),
        _f("outcome", "enum", required=True, choices=tuple(ReviewOutcome.values)),
        _f("reviewed_on", "date", required=True),
        _f("correction_due", "date"),
        _f("decision", "enum", choices=tuple(ReviewDecision.values)),
        _f("decided_on", "date"),
        _EXTRA,
    ),
    "community_registrations": (
        _f("person", "person", required=True),
        _f("community", "str", required=True, max_length=200),
        _f("registered_on", "date", required=True),
        _f("ended_on", "date"),
        _EXTRA,
    ),
    "community_services": (
        _f("person", "person", required=True),
        _f("date", "date", required=True),
        _f("hours", "number", required=True, below=Decimal("24.01")),
        _f("community", "str", max_length=200),
        _EXTRA,
    ),
}

# Lists whose records carry an id; the others are identified by a natural key.
ID_LISTS = ("organizations", "people", "activities", "trainings", "filings", "rectifications")
# Trainings and filings may come without an id: one is derived from their content.
DERIVED_ID_LISTS = ("trainings", "filings")
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "transfers": ("person", "date"),
    "positions": ("person", "org", "role", "start"),
    "terms": ("org", "elected_on"),
    "dues": ("person", "month"),
    "assessments": ("subject", "year", "kind"),
    "admission_steps": ("person", "step"),
    "reviews": ("person", "year"),
    "community_registrations": ("person", "registered_on"),
    "community_services": ("person", "date"),
}
STAR_GRADES = (1, 2, 3, 4, 5)
MAX_INT = 2_147_483_647
MAX_SMALL_INT = 32_767

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_PERIOD_RE = re.compile(r"\d{4}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?")
_CENT = Decimal("0.01")

Record = dict[str, Any]


@dataclass
class ParsedDataset:
    """Records normalised to Python values, every contract key present.

    dates → `date`, months → first day `date`, numbers → `Decimal`, star grades
    → int, `extra` → dict, `attendees` → list of ids. References stay external
    ids; `subject_kinds` says which list a subject id resolved to (after
    `validate_dataset`).
    """

    lists: dict[str, list[Record]]
    db_orgs: dict[str, int] = field(default_factory=dict)
    db_people: dict[str, int] = field(default_factory=dict)

    def records(self, name: str) -> list[Record]:
        return self.lists.get(name, [])


def record_label(raw: Any, index: int) -> str:
    if isinstance(raw, Mapping):
        rid = raw.get("id")
        if isinstance(rid, str) and rid:
            return rid
    return f"#{index}"


class _Bad(Exception):
    """A value that fails its check; the message is what the user reads.

    `at` narrows the field inside a structured value, e.g. `[2].reason`.
    """

    def __init__(self, message: str, at: str = "") -> None:
        super().__init__(message)
        self.at = at


Check = Callable[[Any], Any]


def _parse_date(value: Any) -> date | None:
    if type(value) is not str or not _DATE_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_month(value: Any) -> date | None:
    match = _MONTH_RE.fullmatch(value) if type(value) is str else None
    if match and 1 <= int(match.group(2)) <= 12:
        return date(int(match.group(1)), int(match.group(2)), 1)
    return None


def _cached(parse: Callable[[Any], date | None], message: str) -> Check:
    """Dates repeat a lot in a dataset: parse each distinct string once."""
    cache: dict[Any, date | None] = {}

    def check(value: Any) -> date:
        try:
            parsed = cache[value]
        except KeyError:
            parsed = cache[value] = parse(value)
        except TypeError:  # unhashable, e.g. a list
            parsed = None
        if parsed is None:
            raise _Bad(message.format(_show(value)))
        return parsed

    check.cache = cache  # type: ignore[attr-defined]
    return check


def _compile(spec: FieldSpec) -> Check:
    """The check of one key: returns the normalised value or raises _Bad."""
    kind = spec.kind
    if kind in ("id", "org", "person", "subject", "activity", "str"):
        return _string_check(spec)
    if kind == "date":
        return _cached(_parse_date, "日期无效 {}，应为存在的 YYYY-MM-DD (invalid date)")
    if kind == "month":
        return _cached(_parse_month, "月份无效 {}，应为 YYYY-MM (invalid month)")
    if kind == "enum":
        choices = frozenset(spec.choices)
        listed = "、".join(spec.choices)

        def check_enum(value: Any) -> str:
            if type(value) is str and value in choices:
                return value
            raise _Bad(f"取值 {_show(value)} 无效，可选：{listed} (unknown value)")

        return check_enum
    if kind == "bool":

        def check_bool(value: Any) -> bool:
            if value is True or value is False:
                return value
            raise _Bad(f"应为 true 或 false，实为 {_show(value)} (expected a boolean)")

        return check_bool
    if kind == "int":
        return _int_check(spec)
    if kind == "number":
        below = spec.below if spec.below is not None else Decimal("1e12")
        int_below = int(below)

        def check_number(value: Any) -> int | Decimal:
            if type(value) is int and 0 <= value < int_below:
                return value
            return _number(value, below)

        return check_number
    if kind == "period":

        def check_period(value: Any) -> str:
            if type(value) is str and _PERIOD_RE.fullmatch(value):
                return value
            raise _Bad(
                f"期间无效 {_show(value)}，应为 2022、2022-H1、2022-Q3 或 2022-05 (invalid period)"
            )

        return check_period
    if kind == "people":
        return _check_people
    if kind == "absentees":
        return _check_absentees
    if kind == "extra":

        def check_extra(value: Any) -> dict[str, Any] | None:
            if isinstance(value, Mapping):
                return dict(value) if value else None
            raise _Bad(f"应为对象，实为 {_show(value)} (expected an object)")

        return check_extra
    if kind == "grade":
        return lambda value: value  # checked with the record's kind, see _check_grade
    raise AssertionError(kind)


def _string_check(spec: FieldSpec) -> Check:
    limit = spec.max_length or 64
    lowest = 0 if spec.kind == "str" else 1
    what = "文本" if spec.kind == "str" else "编号（非空文本）"

    def check_str(value: Any) -> str:
        if type(value) is str and lowest <= len(value) <= limit:
            return value
        if isinstance(value, str) and len(value) > limit:
            raise _Bad(f"长度超过 {limit} 个字符 (longer than {limit})")
        raise _Bad(f"应为{what}，实为 {_show(value)} (expected a string)")

    return check_str


def _int_check(spec: FieldSpec) -> Check:
    low = spec.minimum
    top = MAX_SMALL_INT if spec.name in ("year", "years") else MAX_INT

    def check_int(value: Any) -> int:
        number = value if type(value) is int else _as_int(value)
        if number is None:
            raise _Bad(f"应为整数，实为 {_show(value)} (expected an integer)")
        if not low <= number <= top:
            raise _Bad(f"数值 {number} 超出范围（{low}–{top}）(out of range)")
        return number

    return check_int


def _number(value: Any, below: Decimal) -> Decimal:
    number: Decimal | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value if value.is_finite() else None
    elif isinstance(value, float) and math.isfinite(value):
        number = Decimal(repr(value))
    if number is None:
        raise _Bad(f"应为数值，实为 {_show(value)} (expected a number)")
    if number < 0:
        raise _Bad(f"不能为负数：{_fmt(number)} (must not be negative)")
    if number >= below:
        raise _Bad(f"数值过大：{_fmt(number)} (too large)")
    try:
        exact = number == number.quantize(_CENT)
    except InvalidOperation:
        exact = False
    if not exact:
        raise _Bad(f"最多两位小数：{_fmt(number)} (at most 2 decimals)")
    return number


_STR_ONLY = frozenset((str,))


def _check_people(value: Any) -> list[str]:
    if type(value) is not list:
        raise _Bad(f"应为编号数组，实为 {_show(value)} (expected a list of ids)")
    # (tens of ids a meeting, millions in a province: checked without a loop in Python)
    if not _STR_ONLY.issuperset(map(type, value)) or "" in value:
        for v in value:
            if type(v) is not str or not v:
                raise _Bad(f"数组中有非文本的编号 {_show(v)} (ids must be strings)")
    if len(set(value)) != len(value):
        seen: set[str] = set()
        dupes = sorted({v for v in value if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
        raise _Bad(f"重复的人员编号 {', '.join(dupes)} (duplicate ids)")
    return value


ABSENCE_REASONS = tuple(AbsenceReason.values)
_ABSENTEE_KEYS = frozenset(("person", "reason", "note", "made_up_on", "made_up_how"))
_check_made_up_on = _cached(_parse_date, "日期无效 {}，应为存在的 YYYY-MM-DD (invalid date)")


def _check_absentees(value: Any) -> list[Record]:
    """`[{person, reason, note?, made_up_on?, made_up_how?}]`, each person once."""
    if type(value) is not list:
        raise _Bad(f"应为对象数组，实为 {_show(value)} (expected a list of objects)")
    out: list[Record] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            raise _Bad(f"应为对象，实为 {_show(item)} (expected an object)", f"[{i}]")
        for key in item:
            if key not in _ABSENTEE_KEYS:
                raise _Bad("未知字段 (unknown key)", f"[{i}].{key}")
        person = item.get("person")
        if type(person) is not str or not 0 < len(person) <= 64:
            raise _Bad(f"应为人员编号，实为 {_show(person)} (expected an id)", f"[{i}].person")
        if person in seen:
            raise _Bad(f"重复的人员编号 {person} (duplicate id)", f"[{i}].person")
        seen.add(person)
        reason = item.get("reason")
        if reason not in ABSENCE_REASONS:
            raise _Bad(
                f"缺席原因 {_show(reason)} 无效，可选：{'、'.join(ABSENCE_REASONS)} (unknown)",
                f"[{i}].reason",
            )
        rec: Record = {"person": person, "reason": reason}
        for key in ("note", "made_up_how"):
            text = item.get(key)
            if text is not None and (type(text) is not str or len(text) > 200):
                raise _Bad("应为不超过 200 个字符的文本 (expected a string)", f"[{i}].{key}")
            rec[key] = text or None
        made_up_on = item.get("made_up_on")
        try:
            rec["made_up_on"] = None if made_up_on is None else _check_made_up_on(made_up_on)
        except _Bad as bad:
            raise _Bad(str(bad), f"[{i}].made_up_on") from None
        if rec["made_up_how"] is not None and rec["made_up_on"] is None:
            raise _Bad("填写补学方式时须填写补学日期 (needs made_up_on)", f"[{i}].made_up_on")
        out.append(rec)
    return out


def _check_activity(problems: list[Problem], out: Record, rec: str) -> None:
    """Absent members are not also present; a make-up is not before the meeting."""
    present = set(out["attendees"] or ())
    for i, a in enumerate(out["absentees"]):
        if a["person"] in present:
            problems.append(
                Problem(
                    "activities",
                    rec,
                    f"absentees[{i}].person",
                    f"{a['person']} 已列为参加人员，不能同时缺席 (also in attendees)",
                )
            )
        made_up_on = a["made_up_on"]
        if made_up_on is not None and out["date"] is not None and made_up_on < out["date"]:
            problems.append(
                Problem(
                    "activities",
                    rec,
                    f"absentees[{i}].made_up_on",
                    "补学日期早于活动日期 (before date)",
                )
            )


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _fmt(number: Decimal) -> str:
    return format(number, "f")


def _show(value: Any) -> str:
    if isinstance(value, Decimal):
        return _fmt(value)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class _ListRules:
    keys: frozenset[str]
    fields: tuple[tuple[str, bool, Any, Check], ...]  # name, required, default, check


def _rules() -> dict[str, _ListRules]:
    rules = {}
    for ln, specs in LISTS.items():
        fields = []
        for spec in specs:
            default = () if spec.kind in ("people", "absentees") else spec.default
            fields.append((spec.name, spec.required, default, _compile(spec)))
        rules[ln] = _ListRules(frozenset(s.name for s in specs), tuple(fields))
    return rules


FastCheck = Callable[[Any, int], "Record | None"]


def _fast_check(ln: str, rules: _ListRules) -> FastCheck:
    """A check of one list's records with the common cases inlined.

    Returns the normalised record, or None whenever anything is unusual; the
    caller then runs `_check_record`, which gives the same result for a valid
    record and reports the problems of an invalid one. Generated once per list
    because a province-sized file has millions of records.
    """
    env: dict[str, Any] = {"_Bad": _Bad, "KEYS": rules.keys, "_ORDER": _check_order}
    lines = [
        "def fast(raw, index):",
        "    if type(raw) is not dict or not KEYS.issuperset(raw):",
        "        return None",
        "    get = raw.get",
        "    out = {'#': index}",
    ]
    specs = {spec.name: spec for spec in LISTS[ln]}
    for i, (name, required, default, check) in enumerate(rules.fields):
        spec = specs[name]
        env[f"DEF{i}"], env[f"CHECK{i}"] = default, check
        cond = _fast_condition(spec, i, check, env)
        lines += [
            f"    v = get({name!r})",
            "    if v is None:",
            "        return None" if required else f"        out[{name!r}] = DEF{i}",
        ]
        if cond is not None:
            lines += [f"    elif {cond[0]}:", f"        out[{name!r}] = {cond[1]}"]
        lines += [
            "    else:",
            "        try:",
            f"            out[{name!r}] = CHECK{i}(v)",
            "        except _Bad:",
            "            return None",
        ]
    if ln in _ORDERS:
        lines += [
            "    problems = []",
            f"    _ORDER(problems, {ln!r}, '', out)",
            "    if problems:",
            "        return None",
        ]
    lines.append("    return out")
    exec("\n".join(lines), env)  # generated from our own field table, never from input
    return env["fast"]  # type: ignore[no-any-return]


def _fast_condition(
    spec: FieldSpec, i: int, check: Check, env: dict[str, Any]
) -> tuple[str, str] | None:
    """(condition on `v`, value expression) for a kind with a cheap inline test."""
    kind = spec.kind
    if kind in ("id", "org", "person", "subject", "activity"):
        return f"type(v) is str and 0 < len(v) <= {spec.max_length or 64}", "v"
    if kind == "str":
        return f"type(v) is str and len(v) <= {spec.max_length or 64}", "v"
    if kind == "enum":
        env[f"CHOICES{i}"] = frozenset(spec.choices)
        return f"type(v) is str and v in CHOICES{i}", "v"
    if kind == "bool":
        return "v is True or v is False", "v"
    if kind in ("date", "month"):
        env[f"CACHE{i}"] = check.cache  # type: ignore[attr-defined]
        return f"type(v) is str and (d := CACHE{i}.get(v)) is not None", "d"
    if kind == "int":
        top = MAX_SMALL_INT if spec.name in ("year", "years") else MAX_INT
        return f"type(v) is int and {spec.minimum} <= v <= {top}", "v"
    if kind == "number":
        # A float with at most two decimals survives round(v, 2) unchanged; it is
        # kept as float (12.75 is exact enough to store and write back).
        below = int(spec.below if spec.below is not None else Decimal("1e12"))
        return (
            f"(type(v) is int or (type(v) is float and round(v, 2) == v)) and 0 <= v < {below}",
            "v",
        )
    return None


def _check_record(
    problems: list[Problem], ln: str, rules: _ListRules, raw: Any, index: int
) -> Record | None:
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(ln, f"#{index}", "", f"应为对象，实为 {_show(raw)} (expected an object)")
        )
        return None
    before = len(problems)
    if not rules.keys.issuperset(raw):
        for key in raw:
            if key not in rules.keys:
                problems.append(
                    Problem(
                        ln,
                        record_label(raw, index),
                        str(key),
                        "未知字段，扩展数据请放在 extra 中 (unknown key)",
                    )
                )
    out: Record = {"#": index}
    get = raw.get
    for name, required, default, check in rules.fields:
        value = get(name)
        if value is None:
            if required:
                problems.append(
                    Problem(ln, record_label(raw, index), name, "缺少必填字段 (required)")
                )
            out[name] = default
            continue
        try:
            out[name] = check(value)
        except _Bad as bad:
            problems.append(Problem(ln, record_label(raw, index), name + bad.at, str(bad)))
    if len(problems) == before and ln in _ORDERS:
        _check_order(problems, ln, record_label(raw, index), out)
    return out if len(problems) == before else None


_ORDERS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "organizations": (("established", "dissolved", "撤销日期早于成立日期"),),
    "people": (("joined_on", "full_on", "转正日期早于入党日期"),),
    "positions": (("start", "end", "离任日期早于任职日期"),),
    "assessments": (),
    "activities": (),
    # Each step of the loop on or after the one before (the model's check constraints).
    "rectifications": (
        ("found_on", "assigned_on", "交办日期早于发现日期"),
        ("assigned_on", "verified_on", "核实日期早于交办日期"),
        ("verified_on", "rectified_on", "整改完成日期早于核实日期"),
        ("rectified_on", "revisit_on", "回访反馈日期早于整改完成日期"),
        ("revisit_on", "closed_on", "销号日期早于回访反馈日期"),
        ("found_on", "due_on", "整改期限早于发现日期"),
    ),
    "admission_steps": (("date", "until", "预备期延长至早于延长日期"),),
    "reviews": (
        ("reviewed_on", "correction_due", "限期改正期限早于评议日期"),
        ("reviewed_on", "decided_on", "处置日期早于评议日期"),
    ),
    "community_registrations": (("registered_on", "ended_on", "结束日期早于报到日期"),),
    "community_services": (),
}


def _check_order(problems: list[Problem], ln: str, rec: str, out: Record) -> None:
    for first, then, message in _ORDERS[ln]:
        a, b = out.get(first), out.get(then)
        if a is not None and b is not None and b < a:
            problems.append(Problem(ln, rec, then, f"{message} (before {first})"))
    if ln == "activities":
        if out["absentees"]:
            _check_activity(problems, out, rec)
    elif ln == "rectifications":
        _check_rectification(problems, out, rec)
    elif ln == "reviews":
        _check_review(problems, out, rec)
    elif ln == "admission_steps" and (out.get("until") is not None) != (out["step"] == "extended"):
        problems.append(
            Problem(
                ln,
                rec,
                "until",
                "只有延长预备期（extended）填写且必须填写预备期延长至 (until goes with extended)",
            )
        )
    elif ln == "community_services" and not out["hours"] > 0:
        problems.append(Problem(ln, rec, "hours", "服务时长须大于 0 (must be positive)"))
    if ln == "assessments":
        _check_grade(problems, out, rec)
        rank, out_of = out.get("rank"), out.get("out_of")
        if rank is not None and out_of is not None and rank > out_of:
            problems.append(
                Problem(ln, rec, "rank", f"名次 {rank} 大于参评数 {out_of} (rank > out_of)")
            )


def _check_rectification(problems: list[Problem], out: Record, rec: str) -> None:
    """Steps are recorded in order: a step needs the one before it."""
    steps = ("assigned_on", "verified_on", "rectified_on", "revisit_on", "closed_on")
    for before, step in pairwise(steps):
        if out.get(step) is not None and out.get(before) is None:
            problems.append(
                Problem(
                    "rectifications",
                    rec,
                    step,
                    f"缺少前一环节的日期 {before}，环节须依次登记 (step before it missing)",
                )
            )
    if out.get("accountability_on") is not None and out.get("accountability") is not True:
        problems.append(
            Problem(
                "rectifications",
                rec,
                "accountability_on",
                "未问责（accountability 为 false）时不填问责日期 (needs accountability)",
            )
        )


def _check_review(problems: list[Problem], out: Record, rec: str) -> None:
    """Handling belongs to 不合格 only; a decision comes with its date."""
    handled = [k for k in ("correction_due", "decision", "decided_on") if out.get(k) is not None]
    if out["outcome"] != ReviewOutcome.UNQUALIFIED and handled:
        problems.append(
            Problem(
                "reviews",
                rec,
                handled[0],
                "评议结果不是不合格（unqualified）时不填处置情况 (handling needs unqualified)",
            )
        )
    elif (out.get("decision") is None) != (out.get("decided_on") is None):
        problems.append(
            Problem(
                "reviews",
                rec,
                "decided_on" if out.get("decision") else "decision",
                "处置结果和处置日期须同时填写 (decision and decided_on go together)",
            )
        )


def _check_grade(problems: list[Problem], out: Record, rec: str) -> None:
    grade = out["grade"]
    if out["kind"] == AssessmentKind.STAR_RATING:
        star = _as_int(grade)
        if star not in STAR_GRADES:
            problems.append(
                Problem(
                    "assessments",
                    rec,
                    "grade",
                    f"星级应为 1–5 的整数，实为 {_show(grade)} (star 1–5)",
                )
            )
        out["grade"] = star
    elif grade not in Grade.values:
        problems.append(
            Problem(
                "assessments",
                rec,
                "grade",
                f"等次 {_show(grade)} 无效，可选：{'、'.join(Grade.values)} (unknown grade)",
            )
        )


def natural_key(list_name: str, rec: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(rec[k] for k in NATURAL_KEYS[list_name])


_KEY_GETTERS = {ln: itemgetter(*fields) for ln, fields in NATURAL_KEYS.items()}


def _token(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def derived_id(list_name: str, rec: Mapping[str, Any], occurrence: int) -> str:
    """A stable id for a training or filing given without one.

    Derived from the record's normalised content (not `extra`) and how many
    identical records came before it in the file, so re-importing the same
    file updates rather than duplicates.
    """
    names = [s.name for s in LISTS[list_name] if s.name not in ("id", "extra")]
    text = "\x1f".join(_token(rec[n]) for n in names)
    digest = hashlib.sha1(f"{text}\x1e{occurrence}".encode()).hexdigest()[:16]
    return f"{list_name[0]}-{digest}"


def parse_dataset(data: Any, *, consume: bool = False) -> ParsedDataset:
    """Check the shape of a dataset and normalise its records (no database).

    With `consume`, each raw record is dropped from `data`'s lists once normalised,
    so a large file does not sit in memory twice (only for data the caller owns).
    """
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise DatasetError([Problem("", "", "", "数据集应为 JSON 对象 (expected an object)")])
    for key in data:
        if key != "format" and key not in LISTS:
            problems.append(Problem(str(key), "", "", "未知的顶层字段 (unknown top-level key)"))
    fmt = data.get("format")
    if fmt != FORMAT:
        problems.append(
            Problem("", "", "format", f'应为 "{FORMAT}"，实为 {_show(fmt)} (unsupported format)')
        )
    rules = _rules()
    lists: dict[str, list[Record]] = {}
    for ln in LISTS:
        raw_list = data.get(ln)
        if raw_list is None:
            lists[ln] = []
            continue
        if not isinstance(raw_list, list):
            problems.append(
                Problem(ln, "", "", f"应为数组，实为 {_show(raw_list)} (expected an array)")
            )
            continue
        list_rules = rules[ln]
        fast = _fast_check(ln, list_rules)
        out: list[Record] = []
        append = out.append
        for index, raw in enumerate(raw_list):
            rec = fast(raw, index)
            if rec is None:
                rec = _check_record(problems, ln, list_rules, raw, index)
            if rec is not None:
                append(rec)
            if consume:
                raw_list[index] = None
        lists[ln] = out
    if problems:
        raise DatasetError(problems)
    _derive_ids(lists)
    _check_duplicates(problems, lists)
    if problems:
        raise DatasetError(problems)
    return ParsedDataset(lists=lists)


def _derive_ids(lists: dict[str, list[Record]]) -> None:
    for ln in DERIVED_ID_LISTS:
        names = [s.name for s in LISTS[ln] if s.name not in ("id", "extra")]
        seen: dict[tuple[Any, ...], int] = {}
        for rec in lists[ln]:
            if rec["id"] is None:
                content = tuple(rec[n] for n in names)
                occurrence = seen[content] = seen.get(content, -1) + 1
                rec["id"] = derived_id(ln, rec, occurrence)


def _check_duplicates(problems: list[Problem], lists: dict[str, list[Record]]) -> None:
    for ln in ID_LISTS:
        first: dict[str, int] = {}
        for rec in lists[ln]:
            rid = rec["id"]
            if rid in first:
                problems.append(
                    Problem(ln, rid, "id", f"编号重复（与第 {first[rid]} 条相同）(duplicate id)")
                )
            else:
                first[rid] = rec["#"]
    for ln, key_fields in NATURAL_KEYS.items():
        seen_keys: dict[tuple[Any, ...], int] = {}
        getter = _KEY_GETTERS[ln]
        for rec in lists[ln]:
            nk = getter(rec)
            if nk in seen_keys:
                nk_text = "/".join(_token(v) for v in nk)
                problems.append(
                    Problem(
                        ln,
                        f"#{rec['#']}",
                        ",".join(key_fields),
                        f"与第 {seen_keys[nk]} 条重复（{nk_text}）(duplicate record)",
                    )
                )
            else:
                seen_keys[nk] = rec["#"]


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _label(ln: str, rec: Record) -> str:
    rid = rec.get("id")
    return rid if ln in ID_LISTS and rid else f"#{rec['#']}"


def validate_dataset(data: Any, *, using: str = "default", consume: bool = False) -> ParsedDataset:
    """Shape checks plus every reference resolved against the file and the database."""
    from dangjian.orgs.models import Organization
    from dangjian.people.models import Person

    parsed = parse_dataset(data, consume=consume)
    problems: list[Problem] = []

    db_org_rows = list(
        Organization.objects.using(using).values_list("ext_id", "pk", "parent__ext_id")
    )
    db_orgs = {ext: pk for ext, pk, _ in db_org_rows}
    db_people = dict(Person.objects.using(using).values_list("ext_id", "pk"))
    parsed.db_orgs, parsed.db_people = db_orgs, db_people

    orgs = set(db_orgs)
    orgs.update(r["id"] for r in parsed.records("organizations"))
    people = set(db_people)
    people.update(r["id"] for r in parsed.records("people"))

    # Only the activities a rectification names are looked up: the table can be huge.
    activities = {r["id"] for r in parsed.records("activities")}
    wanted = {
        r["inspection"] for r in parsed.records("rectifications") if r["inspection"] is not None
    }
    if wanted - activities:
        from dangjian.records.models import Activity

        for chunk in _chunks(sorted(wanted - activities), 5000):
            activities.update(
                Activity.objects.using(using)
                .filter(ext_id__in=chunk)
                .values_list("ext_id", flat=True)
            )

    missing = {
        "org": '引用了不存在的组织 "{}" (unknown organization id)',
        "person": '引用了不存在的人员 "{}" (unknown person id)',
        "subject": '引用了不存在的组织或人员 "{}" (unknown organization or person id)',
        "activity": '引用了不存在的活动 "{}" (unknown activity id)',
    }
    known = {"org": orgs, "person": people, "activity": activities}
    for ln, specs in LISTS.items():
        records = parsed.records(ln)
        for spec in specs:
            name, kind = spec.name, spec.kind
            if kind in known:
                pool = known[kind]
                for rec in records:
                    value = rec[name]
                    if value is not None and value not in pool:
                        problems.append(
                            Problem(ln, _label(ln, rec), name, missing[kind].format(value))
                        )
            elif kind == "subject":
                for rec in records:
                    value = rec[name]
                    if value is None:
                        rec["subject_kind"] = None
                    elif value in orgs:
                        rec["subject_kind"] = "org"
                    elif value in people:
                        rec["subject_kind"] = "person"
                    else:
                        problems.append(
                            Problem(ln, _label(ln, rec), name, missing[kind].format(value))
                        )
            elif kind == "absentees":
                for rec in records:
                    for i, a in enumerate(rec[name]):
                        if a["person"] not in people:
                            problems.append(
                                Problem(
                                    ln,
                                    _label(ln, rec),
                                    f"{name}[{i}].person",
                                    missing["person"].format(a["person"]),
                                )
                            )
            elif kind == "people":
                for rec in records:
                    value = rec[name]
                    if value and not people.issuperset(value):
                        bad = [v for v in value if v not in people]
                        shown = ", ".join(f'"{v}"' for v in bad[:5])
                        more = f" 等 {len(bad)} 个" if len(bad) > 5 else ""
                        problems.append(
                            Problem(
                                ln,
                                _label(ln, rec),
                                name,
                                f"引用了不存在的人员 {shown}{more} (unknown person id)",
                            )
                        )

    # Cycles: the file's parents override the database's for the orgs it holds.
    parents: dict[str, str | None] = {ext: parent for ext, _, parent in db_org_rows}
    for rec in parsed.records("organizations"):
        parents[rec["id"]] = rec["parent"]
    state: dict[str, int] = {}  # 1 = on the current chain, 2 = known to reach a root
    for rec in parsed.records("organizations"):
        chain: list[str] = []
        node: str | None = rec["id"]
        while node is not None and node in parents and state.get(node) != 2:
            if state.get(node) == 1:
                problems.append(
                    Problem(
                        "organizations",
                        rec["id"],
                        "parent",
                        f"上级组织形成循环：{' → '.join([*chain, node])} (parent cycle)",
                    )
                )
                break
            state[node] = 1
            chain.append(node)
            node = parents[node]
        for visited in chain:
            state[visited] = 2
    if problems:
        raise DatasetError(problems)
    return parsed
