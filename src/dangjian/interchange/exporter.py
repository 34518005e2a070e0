"""Export of the database (or one organisation's subtree) as a `dangjian/1` dataset.

Records come out in canonical shape (see canonical.py), each list sorted by id
or natural key. Large lists are read in chunks of primary keys (sorted by
external id in Python, so the order does not depend on the database's
collation), and `dataset_write` streams them one record per line.

A subtree export is self-contained: the organisations under the root, the
people whose membership is there, and the records of those organisations and
people. References to anything outside (the root's parent, a transfer's other
side, a speaker or attendee from elsewhere) are left out, so the file imports
into an empty database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.db import models
from django.db.models.functions import Cast

from dangjian.interchange.canonical import render_record, sort_key
from dangjian.interchange.errors import UnknownOrganizationError
from dangjian.interchange.validation import FORMAT, LISTS
from dangjian.orgs.models import Organization, Position, Term
from dangjian.oversight.models import Assessment, Rectification
from dangjian.people.models import (
    AdmissionStep,
    CommunityRegistration,
    CommunityService,
    Due,
    MemberReview,
    Person,
    Transfer,
)
from dangjian.records.models import Absence, Activity, Attendance, Filing, Training

CHUNK = 2000

Row = dict[str, Any]


def _values(qs: models.QuerySet[Any]) -> models.QuerySet[Any, dict[str, Any]]:
    """Rows as dicts, `extra` as its JSON text: most are "{}" and need no decoding."""
    names = [f.attname for f in qs.model._meta.concrete_fields if f.name != "extra"]
    return qs.annotate(extra_text=Cast("extra", models.TextField())).values(*names, "extra_text")


def _extra(text: str | None) -> dict[str, Any] | None:
    if not text or text == "{}":
        return None
    value = json.loads(text)
    return value if isinstance(value, dict) else None


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Scope:
    using: str
    root_path: str | None
    org_ext: dict[int, str]
    person_ext: dict[int, str]

    def qs(self, model: type[models.Model], org_path: str | None) -> models.QuerySet[Any]:
        qs = model._default_manager.using(self.using).all()
        if self.root_path is not None and org_path is not None:
            qs = qs.filter(**{f"{org_path}__startswith": self.root_path})
        return qs

    def org(self, pk: int | None) -> str | None:
        return None if pk is None else self.org_ext.get(pk)

    def person(self, pk: int | None) -> str | None:
        return None if pk is None else self.person_ext.get(pk)

    def subject(self, row: Mapping[str, Any]) -> str | None:
        return self.org(row["subject_org_id"]) or self.person(row["subject_person_id"])


def _scope(org_ext_id: str | None, using: str) -> _Scope:
    root_path: str | None = None
    if org_ext_id is not None:
        root = Organization.objects.using(using).filter(ext_id=org_ext_id).first()
        if root is None:
            raise UnknownOrganizationError(org_ext_id)
        root_path = root.path
    scope = _Scope(using, root_path, {}, {})
    scope.org_ext = dict(scope.qs(Organization, "path").values_list("pk", "ext_id"))
    scope.person_ext = dict(scope.qs(Person, "org__path").values_list("pk", "ext_id"))
    return scope


def _by_ext_id(
    scope: _Scope,
    model: type[models.Model],
    qs: models.QuerySet[Any],
    ln: str,
    to_record: Callable[[Row, Any], Row],
    related: Callable[[list[int]], Any] | None = None,
) -> Iterator[Row]:
    """Records of an id list in id order, fetched a chunk of pks at a time."""
    keys = sorted(qs.values_list("ext_id", "pk"))
    manager = model._default_manager.using(scope.using)
    for part in _batches(keys, CHUNK):
        pks = [pk for _, pk in part]
        rows = {row["id"]: row for row in _values(manager.filter(pk__in=pks))}
        extra = related(pks) if related is not None else None
        for _, pk in part:
            yield render_record(ln, to_record(rows[pk], extra))


def _by_owner(
    scope: _Scope,
    qs: models.QuerySet[Any],
    owner: str,
    owners: dict[int, str],
    ln: str,
    to_record: Callable[[Row], Row],
) -> Iterator[Row]:
    """Records of a natural-key list, whose key starts with the owner's id."""
    ordered = sorted(owners, key=owners.__getitem__)
    key = sort_key(ln)
    for part in _batches(ordered, CHUNK):
        rows = _values(qs.filter(**{f"{owner}__in": part}))
        records = [render_record(ln, to_record(row)) for row in rows]
        records.sort(key=key)
        yield from records


def _organizations(s: _Scope) -> Iterator[Row]:
    def rec(row: Row, _: Any) -> Row:
        return {
            "id": row["ext_id"],
            "name": row["name"],
            "type": row["type"],
            "parent": s.org(row["parent_id"]),
            "staff_count": row["staff_count"],
            "established": row["established"],
            "dissolved": row["dissolved"],
            "extra": _extra(row["extra_text"]),
        }

    return _by_ext_id(s, Organization, s.qs(Organization, "path"), "organizations", rec)


_PERSON_FIELDS = [
    spec.name for spec in LISTS["people"] if spec.name not in ("id", "org", "hosted_by", "extra")
]


def _people(s: _Scope) -> Iterator[Row]:
    def rec(row: Row, _: Any) -> Row:
        out = {"id": row["ext_id"], "org": s.org(row["org_id"])}
        for name in _PERSON_FIELDS:
            out[name] = row[name]
        out["left_reason"] = row["left_reason"] or None  # "" in the database: not given
        out["hosted_by"] = s.org(row["hosted_by_id"])
        out["extra"] = _extra(row["extra_text"])
        return out

    return _by_ext_id(s, Person, s.qs(Person, "org__path"), "people", rec)


def _transfers(s: _Scope) -> Iterator[Row]:
    def rec(row: Row) -> Row:
        return {
            "person": s.person(row["person_id"]),
            "from": s.org(row["from_org_id"]),
            "to": s.org(row["to_org_id"]),
            "date": row["date"],
            "letter": row["letter"],
            "extra": _extra(row["extra_text"]),
        }

    qs = Transfer.objects.using(s.using).all()
    return _by_owner(s, qs, "person_id", s.person_ext, "transfers", rec)


def _positions(s: _Scope) -> Iterator[Row]:
    def rec(row: Row) -> Row:
        return {
            "person": s.person(row["person_id"]),
            "org": s.org(row["org_id"]),
            "role": row["role"],
            "start": row["start"],
            "end": row["end"],
            "extra": _extra(row["extra_text"]),
        }

    qs = s.qs(Position, "org__path")
    return _by_owner(s, qs, "person_id", s.person_ext, "positions", rec)


def _terms(s: _Scope) -> Iterator[Row]:
    def rec(row: Row) -> Row:
        return {
            "org": s.org(row["org_id"]),
            "elected_on": row["elected_on"],
            "years": row["years"],
            "extra": _extra(row["extra_text"]),
        }

    qs = Term.objects.using(s.using).all()
    return _by_owner(s, qs, "org_id", s.org_ext, "terms", rec)


def _activities(s: _Scope) -> Iterator[Row]:
    def attendees(pks: list[int]) -> tuple[dict[int, list[str]], dict[int, list[Row]]]:
        out: dict[int, list[str]] = {pk: [] for pk in pks}
        rows = Attendance.objects.using(s.using).filter(activity_id__in=pks)
        for activity_id, person_id in rows.values_list("activity_id", "person_id"):
            ext = s.person_ext.get(person_id)
            if ext is not None:
                out[activity_id].append(ext)
        absent: dict[int, list[Row]] = {}
        for activity_id, person_id, reason, note, made_up_on, how in (
            Absence.objects.using(s.using)
            .filter(activity_id__in=pks)
            .values_list("activity_id", "person_id", "reason", "note", "made_up_on", "made_up_how")
        ):
            ext = s.person_ext.get(person_id)
            if ext is not None:
                absent.setdefault(activity_id, []).append(
                    {
                        "person": ext,
                        "reason": reason,
                        "note": note,
                        "made_up_on": made_up_on,
                        "made_up_how": how,
                    }
                )
        return out, absent

    def rec(row: Row, related: tuple[dict[int, list[str]], dict[int, list[Row]]]) -> Row:
        attended, absent = related
        return {
            "id": row["ext_id"],
            "org": s.org(row["org_id"]),
            "kind": row["kind"],
            "date": row["date"],
            "title": row["title"],
            "hours": row["hours"],
            "speaker": s.person(row["speaker_id"]),
            "attendees": attended[row["id"]],
            "absentees": absent.get(row["id"], []),
            "subject": s.subject(row),
            "extra": _extra(row["extra_text"]),
        }

    return _by_ext_id(s, Activity, s.qs(Activity, "org__path"), "activities", rec, attendees)


def _trainings(s: _Scope) -> Iterator[Row]:
    def rec(row: Row, _: Any) -> Row:
        return {
            "id": row["ext_id"],
            "person": s.person(row["person_id"]),
            "date": row["date"],
            "hours": row["hours"],
            "kind": row["kind"],
            "title": row["title"],
            "extra": _extra(row["extra_text"]),
        }

    return _by_ext_id(s, Training, s.qs(Training, "person__org__path"), "trainings", rec)


def _filings(s: _Scope) -> Iterator[Row]:
    def rec(row: Row, _: Any) -> Row:
        return {
            "id": row["ext_id"],
            "org": s.org(row["org_id"]),
            "kind": row["kind"],
            "date": row["date"],
            "period": row["period"],
            "by": s.person(row["by_id"]),
            "extra": _extra(row["extra_text"]),
        }

    return _by_ext_id(s, Filing, s.qs(Filing, "org__path"), "filings", rec)


def _dues(s: _Scope) -> Iterator[Row]:
    def rec(row: Row) -> Row:
        return {
            "person": s.person(row["person_id"]),
            "month": row["month"],
            "amount": row["amount"],
            "paid_on": row["paid_on"],
            "extra": _extra(row["extra_text"]),
        }

    qs = Due.objects.using(s.using).all()
    return _by_owner(s, qs, "person_id", s.person_ext, "dues", rec)


def _assessments(s: _Scope) -> Iterator[Row]:
    qs = Assessment.objects.using(s.using).all()
    if s.root_path is not None:
        qs = qs.filter(
            models.Q(subject_org__path__startswith=s.root_path)
            | models.Q(subject_person__org__path__startswith=s.root_path)
        )
    records = [
        render_record(
            "assessments",
            {
                "subject": s.subject(row),
                "year": row["year"],
                "kind": row["kind"],
                "grade": row["grade"],
                "rank": row["rank"],
                "out_of": row["out_of"],
                "extra": _extra(row["extra_text"]),
            },
        )
        for row in _values(qs)
    ]
    records.sort(key=sort_key("assessments"))
    return iter(records)


def _rectifications(s: _Scope) -> Iterator[Row]:
    def inspections(pks: list[int]) -> dict[int, str]:
        # The source inspection, when it is in the exported scope (else left out).
        qs = s.qs(Activity, "org__path").filter(rectifications__pk__in=pks)
        return dict(qs.values_list("pk", "ext_id").distinct())

    def rec(row: Row, activity_ext: dict[int, str]) -> Row:
        return {
            "id": row["ext_id"],
            "org": s.org(row["org_id"]),
            "title": row["title"],
            "rule": row["source_rule"],
            "period": row["source_period"],
            "subject": row["source_subject"],
            "inspection": activity_ext.get(row["source_activity_id"]),
            "found_on": row["found_on"],
            "assigned_on": row["assigned_on"],
            "verified_on": row["verified_on"],
            "due_on": row["due_on"],
            "rectified_on": row["rectified_on"],
            "accountability": row["accountability"],
            "accountability_on": row["accountability_on"],
            "revisit_on": row["revisit_on"],
            "closed_on": row["closed_on"],
            "extra": _extra(row["extra_text"]),
        }

    qs = s.qs(Rectification, "org__path")
    return _by_ext_id(s, Rectification, qs, "rectifications", rec, inspections)


def _admission_steps(s: _Scope) -> Iterator[Row]:
    def rec(row: Row) -> Row:
        return {
            "person": s.person(row["person_id"]),
            "step": row["step"],
            "date": row["date"],
            "evidence": row["evidence"],
            "until": row["until"],
            "extra": _extra(row["extra_text"]),
        }

    qs = AdmissionStep.objects.using(s.using).all()
    return _by_owner(s, qs, "person_id", s.person_ext, "admission_steps", rec)


def _reviews(s: _Scope) -> Iterator[Row]:
    def rec(row: Row) -> Row:
        return {
            "person": s.person(row["person_id"]),
            "year": row["year"],
            "outcome": row["outcome"],
            "reviewed_on": row["reviewed_on"],
            "correction_due": row["correction_due"],
            "decision": row["decision"] or None,
            "decided_on": row["decided_on"],
            "extra": _extra(row["extra_text"]),
        }

    qs = MemberReview.objects.using(s.using).all()
    return _by_owner(s, qs, "person_id", s.person_ext, "reviews", rec)


def _community_registrations(s: _Scope) -> Iterator[Row]:
    def rec(row: Row) -> Row:
        return {
            "person": s.person(row["person_id"]),
            "community": row["community"],
            "registered_on": row["registered_on"],
            "ended_on": row["ended_on"],
            "extra": _extra(row["extra_text"]),
        }

    qs = CommunityRegistration.objects.using(s.using).all()
    return _by_owner(s, qs, "person_id", s.person_ext, "community_registrations", rec)


def _community_services(s: _Scope) -> Iterator[Row]:
    def rec(row: Row) -> Row:
        return {
            "person": s.person(row["person_id"]),
            "date": row["date"],
            "hours": row["hours"],
            "community": row["community"] or None,
            "extra": _extra(row["extra_text"]),
        }

    qs = CommunityService.objects.using(s.using).all()
    return _by_owner(s, qs, "person_id", s.person_ext, "community_services", rec)


_LISTS: dict[str, Callable[[_Scope], Iterator[Row]]] = {
    "organizations": _organizations,
    "people": _people,
    "transfers": _transfers,
    "positions": _positions,
    "terms": _terms,
    "activities": _activities,
    "trainings": _trainings,
    "filings": _filings,
    "dues": _dues,
    "assessments": _assessments,
    "rectifications": _rectifications,
    "admission_steps": _admission_steps,
    "reviews": _reviews,
    "community_registrations": _community_registrations,
    "community_services": _community_services,
}


def dataset_lists(
    *, org_ext_id: str | None = None, using: str = "default"
) -> Iterator[tuple[str, Iterable[Row]]]:
    """(list name, lazily produced records) for every list, in contract order.

    Raises UnknownOrganizationError when `org_ext_id` names no organisation.
    """
    scope = _scope(org_ext_id, using)
    for ln in LISTS:
        yield ln, _LISTS[ln](scope)


def dataset_export(*, org_ext_id: str | None = None, using: str = "default") -> dict[str, Any]:
    """The whole database, or one organisation's subtree, as a dataset dict."""
    out: dict[str, Any] = {"format": FORMAT}
    for ln, records in dataset_lists(org_ext_id=org_ext_id, using=using):
        out[ln] = list(records)
    return out


def dataset_write(
    stream: IO[str], *, org_ext_id: str | None = None, using: str = "default"
) -> None:
    """Write the dataset as JSON text, one record per line, without building it whole."""
    lists = dataset_lists(org_ext_id=org_ext_id, using=using)  # raises before any output
    first_list = next(lists)
    stream.write(f'{{"format": {json.dumps(FORMAT)}')
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for ln, records in _chain_first(first_list, lists):
        stream.write(f',\n"{ln}": [')
        lines: list[str] = []
        wrote = False
        for record in records:
            lines.append(dumps(record))
            if len(lines) >= 1000:
                stream.write(("\n" if not wrote else ",\n") + ",\n".join(lines))
                wrote, lines = True, []
        if lines:
            stream.write(("\n" if not wrote else ",\n") + ",\n".join(lines))
            wrote = True
        stream.write("\n]" if wrote else "]")
    stream.write("\n}\n")


def _chain_first(
    first: tuple[str, Iterable[Row]], rest: Iterator[tuple[str, Iterable[Row]]]
) -> Iterator[tuple[str, Iterable[Row]]]:
    yield first
    yield from rest
