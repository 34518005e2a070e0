"""The canonical shape of a `dangjian/1` dataset, as `export` writes it.

Keys in contract order; optional keys whose value is null (or an empty
optional text, an empty attendee or absentee list, an empty `extra`) are omitted;
booleans and `employment` always written; numbers as int when integral, else
float; months `YYYY-MM`; star grades as int; lists sorted by id or natural
key, attendees sorted. `canonical_dataset(a) == canonical_dataset(b)` says
two datasets hold the same records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from dangjian.interchange.validation import (
    FORMAT,
    ID_LISTS,
    LISTS,
    NATURAL_KEYS,
    Record,
    parse_dataset,
)

_ALWAYS = {"leading_cadre", "mobile", "employment", "accountability"}


def number_out(value: Decimal | int | float) -> int | float:
    if isinstance(value, int):
        return value
    integral = (
        value == value.to_integral_value() if isinstance(value, Decimal) else value.is_integer()
    )
    return int(value) if integral else float(value)


def _by_person(absentee: Mapping[str, Any]) -> str:
    return str(absentee["person"])


def render_absentee(a: Mapping[str, Any]) -> dict[str, Any]:
    """An absentee in canonical form: empty optional keys omitted."""
    out: dict[str, Any] = {"person": a["person"], "reason": a["reason"]}
    if a.get("note"):
        out["note"] = a["note"]
    if a.get("made_up_on") is not None:
        out["made_up_on"] = a["made_up_on"].isoformat()
    if a.get("made_up_how"):
        out["made_up_how"] = a["made_up_how"]
    return out


def render_record(list_name: str, rec: Mapping[str, Any]) -> dict[str, Any]:
    """A normalised record (Python values) → its canonical JSON form."""
    out: dict[str, Any] = {}
    for spec in LISTS[list_name]:
        name = spec.name
        value = rec.get(name)
        if name in _ALWAYS:
            out[name] = spec.default if value is None else value
            continue
        if value is None:
            continue
        kind = spec.kind
        if kind == "date":
            out[name] = value.isoformat()
        elif kind == "month":
            out[name] = f"{value.year:04d}-{value.month:02d}"
        elif kind == "number":
            out[name] = number_out(value)
        elif kind == "people":
            if value:
                out[name] = sorted(value)
        elif kind == "absentees":
            if value:
                out[name] = [render_absentee(a) for a in sorted(value, key=_by_person)]
        elif kind == "extra":
            if value:
                out[name] = value
        elif kind == "str" and not spec.required:
            if value != "":
                out[name] = value
        elif kind == "grade":
            out[name] = int(value) if rec.get("kind") == "star_rating" else value
        else:
            out[name] = value
    return out


def sort_key(list_name: str):  # type: ignore[no-untyped-def]
    if list_name in ID_LISTS:
        return lambda r: r["id"]
    fields = NATURAL_KEYS[list_name]
    return lambda r: tuple(r[k] for k in fields)


def sorted_records(list_name: str, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=sort_key(list_name))


def canonical_dataset(data: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise any valid dataset to the export shape; raises DatasetError if invalid.

    Trainings and filings without an id get the id the importer would give them.
    """
    parsed = parse_dataset(data)
    out: dict[str, Any] = {"format": FORMAT}
    for ln in LISTS:
        rows: list[Record] = parsed.records(ln)
        out[ln] = sorted_records(ln, (render_record(ln, r) for r in rows))
    return out
