"""Validation of a dataset read list by list (the importer's side of `validation`).

`StreamChecker.records(list, raw records)` checks each record as it comes by
the same rules and messages as `validate_dataset`: its shape, duplicate ids and
natural keys within the file, and its references against what the file and
the database hold. References are resolved to primary keys on the way (`org`
→ the organisation's pk, `attendees` → pks, each of `absentees`' `person` → its
pk…), so the importer writes the
records it is given without looking anything up per record.

What it keeps between records is compact: for each list the ids (or keys) seen
so far with their index, and for organisations, people and activities an
ext_id → pk map (a negative stand-in for a record not yet written). Problems
are reported as `validate_dataset` does: the shape of every record first; only
if all are well formed, duplicates; only then unknown references.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from operator import itemgetter
from typing import Any

from dangjian.interchange.errors import DatasetError, Problem
from dangjian.interchange.validation import (
    DERIVED_ID_LISTS,
    FORMAT,
    ID_LISTS,
    LISTS,
    NATURAL_KEYS,
    Record,
    _check_record,
    _fast_check,
    _rules,
    _show,
    _token,
    derived_id,
)

LIST_ORDER = {ln: i for i, ln in enumerate(LISTS)}
# The lists each list refers to: a list is checked once these have been read.
DEPENDS: dict[str, tuple[str, ...]] = {
    "organizations": (),
    "people": ("organizations",),
    "transfers": ("organizations", "people"),
    "positions": ("organizations", "people"),
    "terms": ("organizations",),
    "activities": ("organizations", "people"),
    "trainings": ("people",),
    "filings": ("organizations", "people"),
    "dues": ("people",),
    "assessments": ("organizations", "people"),
    "rectifications": ("organizations", "activities"),
    "admission_steps": ("people",),
    "reviews": ("people",),
    "community_registrations": ("people",),
    "community_services": ("people",),
}
_MISSING = {
    "org": '引用了不存在的组织 "{}" (unknown organization id)',
    "person": '引用了不存在的人员 "{}" (unknown person id)',
    "subject": '引用了不存在的组织或人员 "{}" (unknown organization or person id)',
    "activity": '引用了不存在的活动 "{}" (unknown activity id)',
}
_REF_KINDS = ("org", "person", "subject", "activity", "people", "absentees")


class StreamChecker:
    """Checks a dataset's records list by list; see the module docstring."""

    def __init__(
        self,
        orgs: dict[str, int],
        people: dict[str, int],
        lookup_activities: Callable[[list[str]], dict[str, int]],
    ) -> None:
        self.top: list[Problem] = []
        self.shape: list[Problem] = []
        self.dups: list[tuple[tuple[int, int], Problem]] = []
        self.refs: list[tuple[tuple[int, int], Problem]] = []
        self.rules = _rules()
        # ext_id -> pk; a record of the file not (yet) written has a negative stand-in.
        self.orgs = orgs
        self.people = people
        self.activities: dict[str, int] = {}
        self.lookup_activities = lookup_activities
        self._stand_in = 0

    @property
    def clean(self) -> bool:
        return not (self.top or self.shape or self.dups or self.refs)

    def stand_in(self) -> int:
        self._stand_in -= 1
        return self._stand_in

    # ------------------------------------------------------------ top level

    def unknown_key(self, key: str) -> None:
        self.top.append(Problem(str(key), "", "", "未知的顶层字段 (unknown top-level key)"))

    def not_a_list(self, ln: str, value: Any) -> None:
        self.shape.append(Problem(ln, "", "", f"应为数组，实为 {_show(value)} (expected an array)"))

    def finish(self, fmt: Any) -> None:
        """Raise the problems found, in the order `validate_dataset` gives them."""
        top = list(self.top)
        if fmt != FORMAT:
            top.append(
                Problem(
                    "", "", "format", f'应为 "{FORMAT}"，实为 {_show(fmt)} (unsupported format)'
                )
            )
        if top or self.shape:
            raise DatasetError(top + self.shape)
        if self.dups:
            raise DatasetError(p for _, p in sorted(self.dups, key=lambda d: d[0]))
        if self.refs:
            raise DatasetError(p for _, p in sorted(self.refs, key=lambda r: r[0]))

    # ------------------------------------------------------------ records

    def records(self, ln: str, raws: Iterable[Any]) -> Iterator[Record]:
        """The list's records, checked and resolved; only yielded while nothing is wrong.

        Every record is checked even after a problem (all problems are reported at
        once); from the first problem on nothing more is yielded, as nothing will be
        written.
        """
        rules = self.rules[ln]
        fast = _fast_check(ln, rules)
        shape = self.shape
        specs = LISTS[ln]
        refs = [(i, s.name, s.kind) for i, s in enumerate(specs) if s.kind in _REF_KINDS]
        derive = ln in DERIVED_ID_LISTS
        content_names = [s.name for s in specs if s.name not in ("id", "extra")]
        occurrences: dict[tuple[Any, ...], int] = {}
        ids: dict[str, int] | None = {} if ln in ID_LISTS else None
        key_fields = NATURAL_KEYS.get(ln)
        key_of = itemgetter(*key_fields) if key_fields else None
        keys: dict[Any, int] = {}
        order = LIST_ORDER[ln]
        pool = {"people": self.people, "activities": self.activities}.get(ln)
        # A list with one plain reference (dues, trainings …): resolved inline, per record
        # the cost of one dict lookup; anything unusual goes through `_resolve`.
        pools = {"org": self.orgs, "person": self.people, "activity": self.activities}
        single = (refs[0][1], pools[refs[0][2]]) if len(refs) == 1 and refs[0][2] in pools else None
        # A natural key of a reference and a day (dues, transfers, terms) packs inline.
        kinds = {s.name: s.kind for s in specs}
        pair = (
            key_fields is not None
            and len(key_fields) == 2
            and kinds[key_fields[0]] in ("org", "person")
            and kinds[key_fields[1]] in ("date", "month")
        )
        dups, refs_found = self.dups, self.refs
        for index, raw in enumerate(raws):
            rec = fast(raw, index)
            if rec is None:
                rec = _check_record(shape, ln, rules, raw, index)
                if rec is None:
                    continue
            if shape:
                continue  # only shapes are reported now: skip the rest
            if derive and rec["id"] is None:
                content = tuple(rec[n] for n in content_names)
                occurrence = occurrences[content] = occurrences.get(content, -1) + 1
                rec["id"] = derived_id(ln, rec, occurrence)
            if ids is not None:
                rid = rec["id"]
                first = ids.setdefault(rid, index)
                if first != index:
                    dups.append(
                        (
                            (0, order),
                            Problem(
                                ln, rid, "id", f"编号重复（与第 {first} 条相同）(duplicate id)"
                            ),
                        )
                    )
                if pool is not None and rid not in pool:
                    pool[rid] = self.stand_in()
            raw_key = key_of(rec) if key_of is not None else None
            pk = None
            if single is not None:
                value = rec[single[0]]
                pk = single[1].get(value) if value is not None else None
            if pk is not None:
                rec[single[0]] = pk  # type: ignore[index]
            elif refs:
                label = rec["id"] if ids is not None else f"#{index}"
                self._resolve(ln, rec, label, refs, order)
            if raw_key is not None:
                first_part, day = rec[key_fields[0]], rec[key_fields[1]]  # type: ignore[index]
                if pair and type(first_part) is int and type(day) is date:
                    # as `_compact_key` packs them
                    key: Any = ((first_part + (1 << 39)) << 40) | day.toordinal()
                else:
                    key = _compact_key(ln, rec, key_fields, raw_key)  # type: ignore[arg-type]
                first = keys.setdefault(key, index)
                if first != index:
                    text = "/".join(_token(v) for v in raw_key)
                    dups.append(
                        (
                            (1, order),
                            Problem(
                                ln,
                                f"#{index}",
                                ",".join(key_fields),  # type: ignore[arg-type]
                                f"与第 {first} 条重复（{text}）(duplicate record)",
                            ),
                        )
                    )
            if not (shape or dups or refs_found or self.top):
                yield rec

    def _resolve(
        self, ln: str, rec: Record, label: str, refs: list[tuple[int, str, str]], order: int
    ) -> None:
        """Replace references by pks (None where unknown, with a problem)."""
        for i, name, kind in refs:
            value = rec[name]
            if kind == "people":
                if not value:
                    rec[name] = []
                    continue
                pks = list(map(self.people.get, value))
                if None in pks:
                    bad = [v for v, pk in zip(value, pks, strict=True) if pk is None]
                    shown = ", ".join(f'"{v}"' for v in bad[:5])
                    more = f" 等 {len(bad)} 个" if len(bad) > 5 else ""
                    self._ref(
                        (order, i),
                        Problem(
                            ln, label, name, f"引用了不存在的人员 {shown}{more} (unknown person id)"
                        ),
                    )
                rec[name] = pks
                continue
            if kind == "absentees":
                # Each absent member by pk; an unknown one is named by its place in the list.
                people = self.people
                for j, a in enumerate(value):
                    pk = people.get(a["person"])
                    if pk is None:
                        self._ref(
                            (order, i),
                            Problem(
                                ln,
                                label,
                                f"{name}[{j}].person",
                                _MISSING["person"].format(a["person"]),
                            ),
                        )
                    a["person"] = pk
                continue
            if value is None:
                if kind == "subject":
                    rec["subject_kind"] = None
                    rec["subject_org"] = rec["subject_person"] = None
                continue
            if kind == "org":
                pk = self.orgs.get(value)
            elif kind == "person":
                pk = self.people.get(value)
            elif kind == "activity":
                pk = self.activities.get(value)
            else:  # subject: an organisation, else a person
                org = self.orgs.get(value)
                person = None if org is not None else self.people.get(value)
                rec["subject_kind"] = "org" if org is not None else "person"
                rec["subject_org"], rec["subject_person"] = org, person
                pk = org if org is not None else person
                if pk is not None:
                    continue
            if pk is None:
                self._ref((order, i), Problem(ln, label, name, _MISSING[kind].format(value)))
            rec[name] = pk

    def _ref(self, where: tuple[int, int], problem: Problem) -> None:
        self.refs.append((where, problem))

    def add_cycle(self, problem: Problem) -> None:
        self.refs.append(((len(LISTS), 0), problem))

    def prefetch_activities(self, raws: list[Any]) -> None:
        """Before a batch of rectifications: look up the activities they name in the database."""
        wanted: set[str] = set()
        for r in raws:
            inspection = r.get("inspection") if isinstance(r, dict) else None
            if isinstance(inspection, str):
                wanted.add(inspection)
        missing = sorted(a for a in wanted if a not in self.activities)
        if missing:
            self.activities.update(self.lookup_activities(missing))


def _compact_key(
    ln: str, rec: Record, key_fields: tuple[str, ...], raw_key: tuple[Any, ...]
) -> Any:
    """A natural key as one int when its parts allow (millions of dues stay small)."""
    if ln == "assessments":
        org, person = rec["subject_org"], rec["subject_person"]
        subject = ("o", org) if org is not None else ("p", person) if person else raw_key[0]
        return (subject, *raw_key[1:])
    parts = [rec[k] for k in key_fields]
    packed = 0
    for part, raw in zip(parts, raw_key, strict=True):
        if type(part) is int and part is not raw:  # a resolved reference
            packed = (packed << 40) | (part + (1 << 39))
        elif type(part) is date:
            packed = (packed << 40) | part.toordinal()
        else:
            return tuple(
                p if type(p) is int and p is not r else r
                for p, r in zip(parts, raw_key, strict=True)
            )
    return packed
