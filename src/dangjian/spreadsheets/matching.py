"""Roster rows without an id: who they are, by name and birth date, and the user's answers.

Branches' own rosters (花名册) carry no ids. A row is matched to the people of the
organisations the user administers:

- one person with the same name and birth date (a 年月 birth date matches any day of
  that month) in the row's organisation → that person, updated;
- nobody with the name → a new person with a generated id;
- two people with the same name and birth date, one in another organisation, or
  people with the name but another (or no) birth date → the preview asks: which one,
  or a new person. Until answered
  the row is an error naming the candidates.

A matched person keeps what the sheet does not say: fields of columns the sheet
lacks come from the record, a 年月 date in the same month keeps the recorded day,
and `extra` is merged.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dangjian.access.selectors import orgs_administered
from dangjian.people.models import Person

if TYPE_CHECKING:
    from dangjian.spreadsheets.analysis import Row

NEW = "new"  # the answer "a new person"
_PERSON_FIELDS = (
    "name",
    "status",
    "applied_on",
    "activist_on",
    "candidate_on",
    "joined_on",
    "full_on",
    "birth_date",
    "leading_cadre",
    "party_worker",
    "employment",
    "monthly_income",
    "probation_extended_to",
    "mobile",
    "left_on",
)


@dataclass
class Choices:
    """The user's answers in the preview, kept in the session between requests.

    columns: sheet title → {column index: field, MAP_EXTRA or MAP_IGNORE};
    people: sheet title → {row number: person id or NEW};
    orgs: sheet title → the organisation (id) of a roster without that column.
    """

    columns: dict[str, dict[int, str]] = field(default_factory=dict)
    people: dict[str, dict[int, str]] = field(default_factory=dict)
    orgs: dict[str, str] = field(default_factory=dict)

    def for_columns(self, sheet: str) -> dict[int, str]:
        return self.columns.get(sheet, {})

    def for_people(self, sheet: str) -> dict[int, str]:
        return self.people.get(sheet, {})

    def as_json(self) -> dict[str, Any]:
        return {
            "columns": {s: {str(k): v for k, v in m.items()} for s, m in self.columns.items()},
            "people": {s: {str(k): v for k, v in m.items()} for s, m in self.people.items()},
            "orgs": dict(self.orgs),
        }

    @classmethod
    def from_json(cls, data: Any) -> Choices:
        def read(part: Any) -> dict[str, dict[int, str]]:
            out: dict[str, dict[int, str]] = {}
            if not isinstance(part, dict):
                return out
            for sheet, mapping in part.items():
                if isinstance(mapping, dict):
                    out[str(sheet)] = {
                        int(k): str(v)
                        for k, v in mapping.items()
                        if str(k).isdigit() and isinstance(v, str)
                    }
            return out

        data = data if isinstance(data, dict) else {}
        orgs = data.get("orgs")
        return cls(
            columns=read(data.get("columns")),
            people=read(data.get("people")),
            orgs={
                str(k): v
                for k, v in (orgs if isinstance(orgs, dict) else {}).items()
                if isinstance(v, str)
            },
        )


def new_person_id() -> str:
    return f"p-{uuid.uuid4().hex[:12]}"


def _same_birth(recorded: datetime.date | None, typed: str | None, month_only: bool) -> bool:
    if recorded is None or not typed:
        return False
    text = recorded.isoformat()
    return text[:7] == typed[:7] if month_only else text == typed


def _label(p: dict[str, Any]) -> str:
    born = p["birth_date"].isoformat() if p["birth_date"] else "出生日期未登记"
    return f"{p['name']}（{p['ext_id']}，{p['org__name']}，{born}）"


def match_people(rows: list[Row], *, user: Any, answers: dict[int, str]) -> None:
    """Give every roster row without an id its person: matched, asked about, or new."""
    wanting = [r for r in rows if r.record is not None and not r.record.get("id")]
    names = {r.record["name"] for r in wanting if r.record and r.record.get("name")}
    if not names:
        return
    candidates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    people = Person.objects.filter(name__in=sorted(names), org__in=orgs_administered(user))
    for p in people.values(
        "ext_id", "org__ext_id", "org__name", "hosted_by__ext_id", "extra", *_PERSON_FIELDS
    ).order_by("ext_id"):
        candidates[p["name"]].append(p)
    from dangjian.spreadsheets.columns import ROSTER

    name_column = ROSTER.column("name")
    assert name_column is not None
    seen: dict[tuple[str, str], int] = {}
    for row in wanting:
        record = row.record
        assert record is not None
        name = record.get("name")
        if not name:
            continue  # the validator reports the missing name
        birth = record.get("birth_date")
        key = (name, str(birth or ""))
        if key in seen:
            row.fail(
                name_column, f"与第 {seen[key]} 行的姓名和出生日期相同，请只保留一行或填写编号"
            )
            record["id"] = _unresolved(row)
            continue
        seen[key] = row.number
        found = candidates.get(name, [])
        month_only = "birth_date" in row.month_only
        same = [p for p in found if _same_birth(p["birth_date"], birth, month_only)]
        by_id = {p["ext_id"]: p for p in found}
        answer = answers.get(row.number)
        if answer == NEW or (answer is None and not found):
            record["id"] = new_person_id()
            row.match = "新增党员"
        elif answer in by_id:
            _take(row, by_id[answer])
        elif answer is None and len(same) == 1 and same[0]["org__ext_id"] == record.get("org"):
            _take(row, same[0])
        else:
            options = same if same else found
            row.question = [(p["ext_id"], _label(p)) for p in options]
            row.question.append((NEW, "都不是：新增为另一名党员"))
            if len(same) > 1:
                reason = f"有 {len(same)} 名姓名和出生日期都相同的党员，请在导入预览中选择是哪一位"
            elif same:
                # Matching would move them: a change of organisation is a transfer.
                reason = "同名、同出生日期的党员在另一党组织，请在导入预览中选择是否为同一人"
            else:
                reason = "已有同名党员但出生日期不同，请在导入预览中选择是否为同一人"
            row.fail(name_column, reason)
            record["id"] = _unresolved(row)


def _unresolved(row: Row) -> str:
    """A stand-in id for a row that already failed, so it is not also told 编号 is missing."""
    return f"?row-{row.number}"


def _take(row: Row, person: dict[str, Any]) -> None:
    """Update this person: the row's values, and the record's where the row is silent."""
    record = row.record
    assert record is not None
    record["id"] = person["ext_id"]
    row.match = f"更新 {_label(person)}"
    for name in _PERSON_FIELDS:
        recorded = person[name]
        if name not in record:
            if recorded is not None:
                record[name] = recorded.isoformat() if hasattr(recorded, "isoformat") else recorded
        elif name in row.month_only and isinstance(recorded, datetime.date):
            typed = str(record[name])
            if recorded.isoformat()[:7] == typed[:7]:
                record[name] = recorded.isoformat()  # keep the day the record knows
    if "org" not in record and person["org__ext_id"]:
        record["org"] = person["org__ext_id"]
    if "hosted_by" not in record and person["hosted_by__ext_id"]:
        record["hosted_by"] = person["hosted_by__ext_id"]
    if person["extra"]:
        record["extra"] = {**person["extra"], **record.get("extra", {})}
