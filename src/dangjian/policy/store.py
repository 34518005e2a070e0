"""Stored findings: the engine's results kept per pack, year and department subtree.

Pages, exports and the API read `StoredFinding` rows with indexed queries; they never
evaluate a work committee's whole tree in a request. Writes mark the department subtree
they touch as stale (inside their own transaction, from `core.audit.record_written`);
a worker (`tasks.refresh_stale_findings`, debounced) re-evaluates only stale scopes,
each claimed by a conditional UPDATE so two workers never refresh the same one.

A scope is the subtree of a department: a child of a top organisation (the work
committee). The top organisation's own findings form its scope (`top=True`); refreshing
it evaluates the whole tree, so that happens only when the top organisation's own records
change, on an import, or in the nightly / on-demand full refresh.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import chain, islice
from typing import Any

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q, QuerySet, Sum
from django.utils import timezone

from dangjian.orgs.models import Organization
from dangjian.policy.context import to_date
from dangjian.policy.days import check_day
from dangjian.policy.engine import evaluate, gc_paused
from dangjian.policy.findings import Finding, Report
from dangjian.policy.models import FindingScope, FindingTally, StoredFinding, StoredScheduleLine
from dangjian.policy.packs import load_pack
from dangjian.policy.schedule import Item, Schedule, build_schedule

log = logging.getLogger(__name__)

# A claim older than this is taken to be from a worker that died.
LEASE = timedelta(minutes=30)
BATCH = 2000


def debounce_seconds() -> float:
    return float(getattr(settings, "FINDINGS_DEBOUNCE_SECONDS", 5.0))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:64]


def as_of_for(year: int, today: date | None = None) -> date:
    """The day stored findings of `year` are computed for: the check day of every surface
    (`days.check_day`): today in the current year, the year's last day for a past one."""
    return check_day(year, today)


# --- scopes -------------------------------------------------------------------------------


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p.isdigit()]


@lru_cache(maxsize=65536)
def scope_pk_of_path(path: str) -> int | None:
    """The scope organisation of an organisation path: its department, or the top itself."""
    ids = _path_ids(path)
    if not ids:
        return None
    return ids[0] if len(ids) == 1 else ids[1]


def scope_org_pks(org_pks: Iterable[int], using: str = "default") -> set[int]:
    paths = (
        Organization.objects.using(using).filter(pk__in=set(org_pks)).values_list("path", flat=True)
    )
    return {pk for pk in (scope_pk_of_path(p) for p in paths) if pk is not None}


def scopes_of_tree(top: Organization, using: str = "default") -> list[Organization]:
    """The top organisation of `top`'s tree and its departments (the children)."""
    root_pk = _path_ids(top.path)[0]
    return list(
        Organization.objects.using(using)
        .filter(Q(pk=root_pk) | Q(parent_id=root_pk))
        .only("pk", "path", "ext_id", "depth")
        .order_by("depth", "path")
    )


def ensure_scopes(
    pack_id: str, year: int, orgs: Iterable[Organization], using: str = "default"
) -> None:
    """Create the missing scope rows (stale: nothing computed yet)."""
    now = timezone.now()
    FindingScope.objects.using(using).bulk_create(
        [
            FindingScope(
                pack_id=pack_id,
                year=year,
                org_id=o.pk,
                top=o.depth == 0,
                path=o.path,
                dirty=1,
                refreshed=0,
                marked_at=now,
            )
            for o in orgs
        ],
        ignore_conflicts=True,
    )


# --- marking stale ------------------------------------------------------------------------


def mark_stale(org_pks: Iterable[int] | None, *, using: str = "default") -> int:
    """Mark the scopes containing these organisations stale (None: every scope).

    Runs in the caller's transaction, so the mark commits (or rolls back) with the write.
    """
    qs = FindingScope.objects.using(using).all()
    if org_pks is not None:
        pks = scope_org_pks(org_pks, using)
        if not pks:
            return 0
        qs = qs.filter(org_id__in=pks)
    n = qs.update(dirty=F("dirty") + 1, marked_at=timezone.now())
    if n and using == "default":
        after_commit(schedule_refresh)
    return n


# Audit object types that cannot change a finding.
# (Adjustments and 述职评议 records feed the assessment page, never a rule; notices, their
# read receipts and 党务公开 items are read by people, not by rules.)
_IRRELEVANT = {
    "user",
    "grant",
    "person_account",
    "workbook",
    "assessment_adjustment",
    "duty_review",
    "notice",
    "disclosure",
}

# The records an audited write names, whose organisations it can affect.
_RECORD_MODELS = {
    "organization": "orgs.Organization",
    "position": "orgs.Position",
    "term": "orgs.Term",
    "person": "people.Person",
    "transfer": "people.Transfer",
    "activity": "records.Activity",
    "training": "records.Training",
    "filing": "records.Filing",
    "rectification": "oversight.Rectification",
    "assessment": "oversight.Assessment",
    "inspection": "oversight.Inspection",
    "responsibility_list": "oversight.ResponsibilityList",
}


def marks_its_scopes(object_type: str) -> bool:
    """Whether a write of this type is seen only through the scopes it marks stale: a
    record of one department's (not an organisation's name and place, shown on every
    page below it, nor an account, grant or notice, which mark nothing)."""
    return object_type in _RECORD_MODELS and object_type != "organization"


def orgs_of_entry(entry: Any) -> set[int] | None:
    """The organisations an audited write can affect (None: it could be anything).

    From the record written (its organisation, a person's organisations over time, both
    sides of a transfer) and from the before/after values in the entry.
    """
    from django.apps import apps

    object_type = str(entry.object_type)
    if object_type in _IRRELEVANT:
        return set()
    using = entry._state.db or "default"
    label = _RECORD_MODELS.get(object_type)
    if label is None:
        return None
    org_refs: list[Any] = []
    person_refs: list[Any] = []
    changes = entry.changes or {}
    for side in ("before", "after"):
        values = changes.get(side) or {}
        if not isinstance(values, dict):
            continue
        for name in ("org", "parent", "from_org", "to_org", "org_id", "parent_id", "subject_org"):
            if values.get(name) is not None:
                org_refs.append(values[name])
        for name in ("person", "subject_person"):
            if values.get(name) is not None:
                person_refs.append(values[name])
        if isinstance(values.get("people"), list):
            person_refs.extend(values["people"])
    orgs = _refs(org_refs, Organization, using)
    person_pks = _refs(person_refs, None, using)
    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    obj = None
    if str(entry.object_id).isdigit():
        obj = model.objects.using(using).filter(pk=int(entry.object_id)).first()
    if obj is None and not orgs and not person_pks:
        return None  # a bulk write or a record gone without a trace: anything may change
    if obj is not None:
        if object_type == "organization":
            orgs.add(obj.pk)
        if object_type == "person":
            person_pks.add(obj.pk)
        for name in ("org_id", "parent_id", "from_org_id", "to_org_id", "subject_org_id"):
            value = getattr(obj, name, None)
            if isinstance(value, int):
                orgs.add(value)
        for name in ("person_id", "subject_person_id"):
            if isinstance(getattr(obj, name, None), int):
                person_pks.add(getattr(obj, name))
    if person_pks:
        orgs |= _orgs_of_people(person_pks, using)
    return orgs


def _refs(values: list[Any], model: Any, using: str) -> set[int]:
    """Primary keys from references that are pks or ext ids (one query for the ext ids)."""
    if model is None:
        from dangjian.people.models import Person

        model = Person
    pks = {int(v) for v in values if isinstance(v, int) or str(v).isdigit()}
    exts = [str(v) for v in values if not (isinstance(v, int) or str(v).isdigit())]
    if exts:
        pks |= set(model.objects.using(using).filter(ext_id__in=exts).values_list("pk", flat=True))
    return pks


def _orgs_of_people(person_pks: set[int], using: str) -> set[int]:
    """Every organisation the people belong or belonged to (their org and transfers)."""
    from dangjian.people.models import Person, Transfer

    orgs = set(
        Person.objects.using(using).filter(pk__in=person_pks).values_list("org_id", flat=True)
    )
    for a, b in (
        Transfer.objects.using(using)
        .filter(person_id__in=person_pks)
        .values_list("from_org_id", "to_org_id")
    ):
        orgs |= {x for x in (a, b) if x is not None}
    return {o for o in orgs if o is not None}


def mark_for_entry(entry: Any) -> None:
    orgs = orgs_of_entry(entry)
    entry.affected_orgs = orgs  # read by later receivers (the kept pages' marks)
    if orgs == set():
        return
    mark_stale(orgs, using=entry._state.db or "default")


# --- scheduling ---------------------------------------------------------------------------


def after_commit(fn: Any) -> None:
    """Run `fn` once the write commits; in immediate mode (tests) at once, in the
    transaction, so what a test writes is refreshed before it reads."""
    from huey.contrib.djhuey import HUEY

    if HUEY.immediate:
        fn()
    else:
        transaction.on_commit(fn)


def schedule_refresh() -> None:
    """Ask the worker for a refresh after the debounce delay (once per delay window)."""
    if not getattr(settings, "FINDINGS_REFRESH_ON_WRITE", True):
        return
    from dangjian.policy import tasks

    tasks.request_refresh()


# --- refreshing ---------------------------------------------------------------------------


def claim(scope_pk: int, worker: str, now: datetime | None = None) -> FindingScope | None:
    """Take the scope for `worker` unless another worker holds a live claim on it."""
    now = now or timezone.now()
    took = (
        FindingScope.objects.filter(pk=scope_pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now) | Q(claimed_by=worker))
        .update(claimed_by=worker, claimed_until=now + LEASE)
    )
    if not took:
        return None
    return FindingScope.objects.filter(pk=scope_pk, claimed_by=worker).first()


def reap_dead_claims(now: datetime | None = None) -> int:
    """Release the live claims of workers on this machine whose process has ended (killed
    mid-refresh): their scopes need not wait for the lease to run out. Claims from other
    machines are left to the lease. Returns how many scopes were released."""
    now = now or timezone.now()
    host = socket.gethostname()
    holders = (
        FindingScope.objects.filter(claimed_until__gte=now, claimed_by__startswith=f"{host}:")
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    dead = [name for name in holders if not _process_alive(name)]
    if not dead:
        return 0
    log.warning("releasing claims of ended workers: %s", ", ".join(dead))
    return FindingScope.objects.filter(claimed_by__in=dead).update(
        claimed_by="", claimed_until=None
    )


def _process_alive(worker: str) -> bool:
    """Whether the process named in a `worker_name()` on this machine still runs."""
    try:
        pid = int(worker.split(":")[1])
    except (IndexError, ValueError):
        return True  # not ours to judge: the lease decides
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, under another user
    return True


def release(scope_pk: int, worker: str) -> None:
    FindingScope.objects.filter(pk=scope_pk, claimed_by=worker).update(
        claimed_by="", claimed_until=None
    )


def _owner_ext(f: Finding) -> str:
    own = f.org.get("id") if f.org else None
    if own:
        return str(own)
    return str(f.subject["id"]) if f.subject.get("type") == "organization" else ""


def _is_hours(rule_id: str, params: dict[str, Any]) -> bool:
    return params.get("measure") == "training_hours" or "hours" in rule_id.split("/", 1)[-1]


def _rule_meta(pack_id: str) -> dict[str, tuple[str, bool]]:
    """Each rule's kind and whether it counts study hours, by qualified id."""
    pack = load_pack(pack_id)
    out: dict[str, tuple[str, bool]] = {}
    for p in (pack, pack.base):
        for r in p.rules if p is not None else []:
            out.setdefault(r.qualified_id, (r.kind, _is_hours(r.id, dict(r.params or {}))))
    return out


def _tree_orgs(scopes: dict[int, FindingScope]) -> dict[str, tuple[int, str]]:
    """ext id -> (pk, path) of every organisation of the scopes' tree (one query)."""
    root = _path_ids(next(iter(scopes.values())).path)[0]
    return {
        ext: (pk, path)
        for ext, pk, path in Organization.objects.filter(path__startswith=f"/{root}/").values_list(
            "ext_id", "pk", "path"
        )
    }


def _placed(
    ext_id: str, orgs: dict[str, tuple[int, str]], scopes: dict[int, FindingScope]
) -> tuple[int, int, str] | None:
    """(scope pk, org pk, org path) of the organisation `ext_id`, if it belongs to one of
    the scopes given (keyed by their organisation)."""
    owner = orgs.get(ext_id)
    if owner is None:
        return None
    scope_org = scope_pk_of_path(owner[1])
    scope = scopes.get(scope_org) if scope_org is not None else None
    return None if scope is None else (scope.pk, *owner)


class _FindingRows:
    """The report's findings by scope (only the scopes given), made into `StoredFinding`
    rows a scope at a time as each is written (`take`): column values by attribute name,
    not model instances (a province has hundreds of thousands of findings)."""

    def __init__(
        self,
        report: Report,
        scopes: dict[int, FindingScope],
        orgs: dict[str, tuple[int, str]],
        pack_id: str,
        year: int,
    ) -> None:
        from dangjian.people.models import Person

        self.pack_id, self.year, self.orgs = pack_id, year, orgs
        ext_list = list(
            {f.subject["id"] for f in report.findings if f.subject.get("type") == "person"}
        )
        self.people: dict[str, int] = {}
        for i in range(0, len(ext_list), 5000):
            self.people.update(
                Person.objects.filter(ext_id__in=ext_list[i : i + 5000]).values_list("ext_id", "pk")
            )
        self.meta = _rule_meta(pack_id)
        self.groups: dict[int, list[tuple[Finding, int, str]]] = defaultdict(list)
        for f in report.findings:
            if (placed := _placed(_owner_ext(f), orgs, scopes)) is not None:
                scope_pk, org_pk, org_path = placed
                self.groups[scope_pk].append((f, org_pk, org_path))

    def take(self, scope_pk: int) -> list[dict[str, Any]]:
        """The scope's rows (then forgotten here)."""
        from dangjian.web.page_findings import finding_key

        meta, people, orgs = self.meta, self.people, self.orgs
        out = []
        for f, org_pk, org_path in self.groups.pop(scope_pk, []):
            stype, sid = str(f.subject.get("type", "")), str(f.subject.get("id", ""))
            kind, hours = meta.get(f.rule) or ("", False)
            out.append(
                dict(
                    scope_id=scope_pk,
                    pack_id=self.pack_id,
                    year=self.year,
                    org_id=org_pk,
                    org_path=org_path,
                    org_ext=str((f.org or {}).get("id", "") or ""),
                    org_name=str((f.org or {}).get("name", "") or ""),
                    key=finding_key(f.rule, stype, sid, f.period),
                    rule=f.rule,
                    rule_kind=kind,
                    hours=hours and stype == "person",
                    severity=f.severity,
                    period=f.period,
                    due=_date_or_none(f.due),
                    subject_type=stype,
                    subject_ext=sid,
                    subject_name=str(f.subject.get("name", "")),
                    subject_pk=(
                        people.get(sid) if stype == "person" else orgs.get(sid, (None,))[0]
                    ),
                    required=f.required,
                    actual=f.actual,
                    evidence=list(f.evidence),
                    source=dict(f.source),
                    message=f.message,
                )
            )
        return out


def _date_or_none(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _insert(model: Any, rows: Iterable[dict[str, Any]]) -> None:
    """Write `model` rows (column values by attribute name), taken one by one: a scope
    holds thousands, a province's full refresh a million, and the ORM's per-value
    preparation would cost more than the engine. PostgreSQL takes them by COPY (an INSERT
    per row cost its server three times the CPU), SQLite by executemany. JSON columns go
    in as orjson text.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = chain((first,), rows)
    columns = [f for f in model._meta.concrete_fields if not f.primary_key]
    attnames = [f.attname for f in columns]
    unknown = first.keys() - set(attnames)
    if unknown:
        raise ValueError(f"not columns of {model.__name__}: {sorted(unknown)}")
    connection = transaction.get_connection()
    postgres = connection.vendor == "postgresql"
    spec = [(f.attname, f.get_default(), f.get_internal_type() == "JSONField") for f in columns]
    dumps = orjson.dumps
    dates_as_text = not postgres

    def values(row: dict[str, Any]) -> list[Any]:
        out = []
        for attname, default, is_json in spec:
            v = row.get(attname, default)
            if is_json:
                v = dumps(v).decode()
            elif dates_as_text and isinstance(v, date):
                v = v.isoformat()
            out.append(v)
        return out

    names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cur:
        if postgres:
            with cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        while batch := [values(r) for r in islice(rows, BATCH)]:
            cur.executemany(sql, batch)


def _tallies(scope: FindingScope, rows: list[dict[str, Any]]) -> list[FindingTally]:
    counts: Counter[tuple[int, str, str, int]] = Counter()
    for r in rows:
        due = r["due"]
        month = due.month if due is not None and due.year == scope.year else 0
        counts[(r["org_id"] or 0, r["org_path"], r["severity"], month)] += 1
    return [
        FindingTally(
            scope_id=scope.pk,
            pack_id=scope.pack_id,
            year=scope.year,
            org_id=org_id,
            org_path=path,
            severity=severity,
            month=month,
            count=n,
        )
        for (org_id, path, severity, month), n in counts.items()
    ]


class _LineRows:
    """The schedule's lines by scope, like the findings (by the organisation the line
    belongs to; an organisation's own line without one: the organisation), made into
    `StoredScheduleLine` rows as each scope is written (`take`). A province's schedule
    is a million lines: a line's row exists only while it is written, and the line
    itself goes with its scope."""

    def __init__(
        self,
        schedule: Schedule,
        scopes: dict[int, FindingScope],
        orgs: dict[str, tuple[int, str]],
        pack_id: str,
        year: int,
    ) -> None:
        self.pack_id, self.year = pack_id, year
        self.groups: dict[int, list[tuple[Item, str]]] = defaultdict(list)
        for i in schedule.items:
            owner = i.org_id or (i.subject_id if i.subject_type == "organization" else "")
            if (placed := _placed(owner, orgs, scopes)) is not None:
                self.groups[placed[0]].append((i, placed[2]))

    def take(self, scope_pk: int) -> Iterator[dict[str, Any]]:
        """The scope's rows, one at a time (its lines are forgotten here)."""
        from dangjian.web.page_findings import finding_key

        pack_id, year = self.pack_id, self.year
        for i, path in self.groups.pop(scope_pk, []):
            yield dict(
                scope_id=scope_pk,
                pack_id=pack_id,
                year=year,
                org_path=path,
                org_ext=i.org_id,
                org_name=i.org_name,
                rule=i.rule.qualified_id,
                subject_type=i.subject_type,
                subject_ext=i.subject_id,
                subject_name=i.subject_name,
                period=i.period,
                start=i.start,
                due=i.due,
                status=i.status,
                required=i.required,
                actual=i.actual,
                evidence=list(i.evidence),
                made_on=i.made_on,
                finding_key=(
                    finding_key(i.rule.qualified_id, i.subject_type, i.subject_id, i.period)
                    if i.finding is not None
                    else ""
                ),
            )


def _store(
    findings: _FindingRows,
    lines: _LineRows,
    claimed: dict[int, FindingScope],
    *,
    as_of: date,
    rules: int,
    subjects: dict[int, int],
) -> None:
    """Replace the claimed scopes' findings and schedule lines with these (by scope),
    mark them computed, release. One transaction per scope: a whole tree's refresh (a
    province: a million lines) never holds the database's write lock for all of it, so
    the branches' writes on SQLite wait for one department's rows at most."""
    now = timezone.now()
    for scope in claimed.values():
        with transaction.atomic():
            StoredFinding.objects.filter(scope_id=scope.pk).delete()
            FindingTally.objects.filter(scope_id=scope.pk).delete()
            StoredScheduleLine.objects.filter(scope_id=scope.pk).delete()
            rows = findings.take(scope.pk)
            _insert(StoredFinding, rows)
            _insert(StoredScheduleLine, lines.take(scope.pk))
            FindingTally.objects.bulk_create(_tallies(scope, rows), batch_size=BATCH)
            # `refreshed` takes the dirty count read when the claim was taken: a write that
            # came in meanwhile leaves the scope stale for the next round.
            FindingScope.objects.filter(pk=scope.pk).update(
                refreshed=scope.dirty,
                as_of=as_of,
                computed_at=now,
                rules=rules,
                subjects=subjects.get(scope.pk, scope.subjects),
                claimed_by="",
                claimed_until=None,
            )


def refresh_claimed(scope: FindingScope, worker: str, *, today: date | None = None) -> None:
    """Re-evaluate one claimed scope (a department, or a whole tree for a top scope) and
    store it; for a top scope, every other stale scope of the tree it can claim too.

    With Python's cycle collector paused (`engine.gc_paused`): a province's refresh
    keeps millions of objects alive at once (findings, schedule lines, their rows), and
    each automatic collection walked them all again, a quarter of the refresh's time.
    Nothing here makes garbage in cycles (a test keeps it so).
    """
    as_of = as_of_for(scope.year, today)
    org = Organization.objects.get(pk=scope.org_id)
    claimed = {scope.pk: scope}
    try:
        if scope.top:
            for other in FindingScope.objects.filter(
                subtree("path", org.path),
                pack_id=scope.pack_id,
                year=scope.year,
                dirty__gt=F("refreshed"),
            ).exclude(pk=scope.pk):
                got = claim(other.pk, worker)
                if got is not None:
                    claimed[got.pk] = got
        with gc_paused():
            # The schedule evaluation gives the report too: findings and schedule lines
            # come from one run of the engine.
            schedule = build_schedule(
                pack=scope.pack_id, year=scope.year, as_of=as_of, org_ext_id=org.ext_id
            )
            report = schedule.report
            by_org = {s.org_id: s for s in claimed.values()}
            # Kept only by scope from here (a province's are a million lines and 200,000
            # findings): each scope's go once its rows are written.
            orgs = _tree_orgs(by_org)
            lines = _LineRows(schedule, by_org, orgs, scope.pack_id, report.year)
            del schedule
            findings = _FindingRows(report, by_org, orgs, scope.pack_id, report.year)
            rules = report.rules
            subjects = {scope.pk: report.subjects} if len(claimed) == 1 else {}
            del report
            _store(findings, lines, claimed, as_of=as_of, rules=rules, subjects=subjects)
    finally:
        for pk in claimed:
            release(pk, worker)


def pending(*, debounce: float | None = None, now: datetime | None = None) -> QuerySet[Any]:
    """Stale scopes whose last write is older than the debounce delay, not claimed."""
    now = now or timezone.now()
    quiet = now - timedelta(seconds=debounce_seconds() if debounce is None else debounce)
    # A department written to without pause is still refreshed once in a while.
    overdue = now - timedelta(seconds=float(getattr(settings, "FINDINGS_MAX_WAIT_SECONDS", 60)))
    return (
        FindingScope.objects.filter(dirty__gt=F("refreshed"))
        .filter(
            Q(marked_at__isnull=True)
            | Q(marked_at__lte=quiet)
            | Q(computed_at__isnull=True)
            | Q(computed_at__lte=overdue)
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("-top", "marked_at", "pk")
    )


def run_pending(
    worker: str | None = None, *, debounce: float | None = None, limit: int | None = None
) -> int:
    """Refresh stale scopes until none is left (or `limit`); returns how many were refreshed."""
    worker = worker or worker_name()
    reap_dead_claims()
    done = 0
    skipped: set[int] = set()
    while limit is None or done < limit:
        candidates = list(pending(debounce=debounce).exclude(pk__in=skipped)[:20])
        if not candidates:
            break
        progressed = False
        for candidate in candidates:
            scope = claim(candidate.pk, worker)
            if scope is None:
                skipped.add(candidate.pk)
                continue
            try:
                refresh_claimed(scope, worker)
            except Exception:
                log.exception("refreshing findings of %s failed", scope)
                skipped.add(scope.pk)
                continue
            done += 1
            progressed = True
            break  # re-read: a top scope refreshes others too
        if not progressed and all(c.pk in skipped for c in candidates):
            continue
    return done


def refresh_all(*, year: int | None = None, today: date | None = None) -> int:
    """The full refresh (nightly or on demand): every tree, its current pack, the year;
    rolls the check day forward. Returns the number of scopes written."""
    from dangjian.policy.selectors import pack_for_org

    today = today or date.today()  # the day `days.check_day` counts from
    year = year or today.year
    worker = worker_name()
    reap_dead_claims()
    written = 0
    for top in Organization.objects.filter(depth=0).order_by("path"):
        pack_id = pack_for_org(top)
        ensure_scopes(pack_id, year, scopes_of_tree(top))
        scope = FindingScope.objects.get(pack_id=pack_id, year=year, org_id=top.pk)
        FindingScope.objects.filter(pack_id=pack_id, year=year, path__startswith=top.path).update(
            dirty=F("dirty") + 1
        )
        scope.refresh_from_db()
        got = claim(scope.pk, worker)
        if got is None:
            continue
        before = FindingScope.objects.filter(
            pack_id=pack_id, year=year, path__startswith=top.path, dirty__gt=F("refreshed")
        ).count()
        refresh_claimed(got, worker, today=today)
        after = FindingScope.objects.filter(
            pack_id=pack_id, year=year, path__startswith=top.path, dirty__gt=F("refreshed")
        ).count()
        written += before - after
    _vacuum_stored()
    return written


def _vacuum_stored() -> None:
    """On PostgreSQL, outside a transaction (VACUUM cannot run in one): the full refresh
    has just replaced every stored row (a province's: a million), and the old ones stay
    as dead rows that each later refresh and page read step over until autovacuum comes
    by, if it is on (it is not on every server; seen: the refresh slowing by half after
    five runs). VACUUM frees them and marks the new pages all-visible for index-only
    reads; ANALYZE keeps the planner's figures to the new rows."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = (StoredFinding, StoredScheduleLine, FindingTally, FindingScope)
    names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {names}")


# --- reading ------------------------------------------------------------------------------


@dataclass
class Status:
    """How fresh the stored findings of an organisation's subtree are."""

    computed_at: datetime | None
    as_of: date | None
    pending: bool
    complete: bool  # every scope under the organisation has been computed once
    # Changes with every refresh of a scope under the organisation (and only then): the
    # key under which pages cache what they build from the stored rows.
    version: str = ""
    # The scopes' `refreshed` counters summed: a refresh has stored every write marked
    # before it once this reaches the dirty count read after that write.
    refreshed: int = 0


def subtree(field: str, path: str) -> Q:
    """`field` (an organisation path) lies in the subtree at `path`: one index range, as
    paths compare byte by byte ("/" sorts just before "0")."""
    return Q(**{f"{field}__gte": path, f"{field}__lt": path[:-1] + "0"})


def scopes_for(org: Organization, pack_id: str, year: int) -> QuerySet[FindingScope]:
    """The scope rows holding `org`'s subtree: its department's, or a whole tree's."""
    if org.depth == 0:
        return FindingScope.objects.filter(subtree("path", org.path), pack_id=pack_id, year=year)
    pk = scope_pk_of_path(org.path)
    return FindingScope.objects.filter(pack_id=pack_id, year=year, org_id=pk)


def status(org: Organization, pack_id: str, year: int, *, today: date | None = None) -> Status:
    """Freshness of `org`'s stored findings; asks for a refresh where they are missing,
    stale or computed for an earlier day (a page never waits for it)."""
    today = today or date.today()  # the day `days.check_day` counts from
    wanted_as_of = as_of_for(year, today)
    agg = _scope_figures(org, pack_id, year, wanted_as_of)
    missing = agg["n"] < agg["expected"]
    if missing:
        ensure_scopes(pack_id, year, scopes_of_tree(org) if org.depth == 0 else _own_scope(org))
    if agg["old"]:
        # computed for an earlier day: stale (once; a scope already stale is left alone,
        # so page loads do not keep pushing its debounce back)
        scopes_for(org, pack_id, year).filter(
            as_of__lt=wanted_as_of, dirty__lte=F("refreshed")
        ).update(dirty=F("dirty") + 1, marked_at=timezone.now())
    asked = missing or bool(agg["old"])
    if asked:
        after_commit(schedule_refresh)
    return Status(
        computed_at=agg["first_computed"],
        as_of=agg["first_as_of"],
        pending=asked or bool(agg["stale"]),
        complete=not missing and not agg["never"],
        version=f"{agg['n']}.{agg['refreshed'] or 0}.{_stamp(agg['last_computed'])}",
        refreshed=agg["refreshed"] or 0,
    )


def _scope_figures(
    org: Organization, pack_id: str, year: int, wanted_as_of: date
) -> dict[str, Any]:
    """The scope rows of `org`'s subtree summed up, and how many there should be: one
    statement (every kept page's load asks it, so it is written out rather than built by
    the ORM on each call)."""
    from django.db import connection

    scope = FindingScope._meta.db_table
    org_table = Organization._meta.db_table
    if org.depth == 0:
        root_pk = _path_ids(org.path)[0]
        where = "path >= %s AND path < %s"
        where_params: list[Any] = [org.path, org.path[:-1] + "0"]
        expected_sql = f"(SELECT COUNT(*) FROM {org_table} WHERE id = %s OR parent_id = %s)"
        expected_params: list[Any] = [root_pk, root_pk]
    else:
        where = "org_id = %s"
        where_params = [scope_pk_of_path(org.path)]
        expected_sql, expected_params = "1", []
    sql = (
        "SELECT COUNT(*), MIN(computed_at), MIN(as_of),"
        " SUM(CASE WHEN dirty > refreshed THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN computed_at IS NULL THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN as_of < %s THEN 1 ELSE 0 END),"
        f" SUM(refreshed), MAX(computed_at), {expected_sql}"
        f" FROM {scope} WHERE pack_id = %s AND year = %s AND {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [wanted_as_of, *expected_params, pack_id, year, *where_params])
        n, first, first_as_of, stale, never, old, refreshed, last, expected = cursor.fetchone()
    return {
        "n": n,
        "expected": expected,
        "first_computed": _db_datetime(first),
        "first_as_of": to_date(first_as_of),
        "stale": stale or 0,
        "never": never or 0,
        "old": old or 0,
        "refreshed": int(refreshed or 0),
        "last_computed": _db_datetime(last),
    }


def _db_datetime(value: Any) -> datetime | None:
    """A timestamp as the database driver gives it in a raw row (SQLite: text in UTC)."""
    if value is None or isinstance(value, datetime):
        moment = value
    else:
        from django.utils.dateparse import parse_datetime

        moment = parse_datetime(str(value))
    if moment is not None and settings.USE_TZ and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def _stamp(at: datetime | None) -> str:
    return f"{at.timestamp():.6f}" if at is not None else "-"


def _own_scope(org: Organization) -> list[Organization]:
    pk = scope_pk_of_path(org.path) or org.pk
    return list(Organization.objects.filter(pk=pk).only("pk", "path", "ext_id", "depth"))


def models_count(condition: Q | None = None) -> Any:
    from django.db.models import Count

    return Count("pk", filter=condition) if condition is not None else Count("pk")


def stored(org: Organization, pack_id: str, year: int) -> QuerySet[StoredFinding]:
    """The stored findings of `org`'s subtree (an indexed range on the organisation path)."""
    return StoredFinding.objects.filter(subtree("org_path", org.path), pack_id=pack_id, year=year)


def tallies(org: Organization, pack_id: str, year: int) -> QuerySet[FindingTally]:
    """The tallies of `org`'s subtree (an index range, a few rows per organisation)."""
    return FindingTally.objects.filter(subtree("org_path", org.path), pack_id=pack_id, year=year)


def evaluate_branch_now(org: Organization, pack_id: str, year: int) -> Report | None:
    """First load of a branch whose department has never been computed: evaluate just the
    branch (or, for a department, its scope, stored for everyone). Never for a top."""
    if org.depth == 0:
        return None
    as_of = as_of_for(year)
    scope_pk = scope_pk_of_path(org.path)
    if scope_pk == org.pk:
        scope = FindingScope.objects.filter(pack_id=pack_id, year=year, org_id=org.pk).first()
        if scope is not None:
            worker = worker_name()
            got = claim(scope.pk, worker)
            if got is not None:
                refresh_claimed(got, worker)
                return None  # stored: read it like any other load
    return evaluate(pack=pack_id, year=year, as_of=as_of, org_ext_id=org.ext_id)


def report_from_rows(
    rows: Iterable[StoredFinding],
    *,
    pack_id: str,
    year: int,
    as_of: date | None,
    rules: int,
    subjects: int,
    pack_version: str,
) -> Report:
    """A `dangjian-findings/1` report from stored rows (the API and the Excel export)."""
    findings = [
        Finding(
            rule=r.rule,
            source=dict(r.source or {}),
            subject={"type": r.subject_type, "id": r.subject_ext, "name": r.subject_name},
            period=r.period,
            severity=r.severity,
            required=r.required,
            actual=r.actual,
            due=r.due.isoformat() if r.due else None,
            evidence=list(r.evidence or []),
            message=r.message,
            org={"id": r.org_ext, "name": r.org_name} if r.org_ext else {},
        )
        for r in rows
    ]
    return Report(
        policy=pack_id,
        year=year,
        as_of=(as_of or date(year, 12, 31)).isoformat(),
        findings=findings,
        rules=rules,
        subjects=subjects,
        pack_version=pack_version,
    )


def stored_schedule(org: Organization, pack_id: str, year: int, status: Status) -> Schedule:
    """`org`'s schedule from the stored lines of its subtree and the stored findings they
    carry: the engine's lines as computed at the last refresh of each scope. Two queries
    whatever the size of the tree; nothing is evaluated."""
    from dangjian.policy.schedule import _all_rules

    rules = {r.qualified_id: r for r in _all_rules(load_pack(pack_id))}
    findings: list[Finding] = []
    by_key: dict[str, Finding] = {}
    for r in (
        stored(org, pack_id, year)
        .order_by("org_ext", "subject_ext", "rule", "period", "severity", "pk")
        .iterator(chunk_size=BATCH)
    ):
        f = Finding(
            rule=r.rule,
            source=dict(r.source or {}),
            subject={"type": r.subject_type, "id": r.subject_ext, "name": r.subject_name},
            period=r.period,
            severity=r.severity,
            required=r.required,
            actual=r.actual,
            due=r.due.isoformat() if r.due else None,
            evidence=list(r.evidence or []),
            message=r.message,
            org={"id": r.org_ext, "name": r.org_name} if r.org_ext else {},
        )
        findings.append(f)
        by_key.setdefault(r.key, f)
    items: list[Item] = []
    for line in schedule_lines(org, pack_id, year).iterator(chunk_size=BATCH):
        item = item_of_line(line, rules, by_key)
        if item is not None:
            items.append(item)
    items.sort(key=lambda i: (i.due, i.rule.title, i.subject_id, i.period, i.rule.qualified_id))
    report = report_head(org, pack_id, year, status)
    report.findings = findings
    return Schedule(
        report=report, as_of=status.as_of or as_of_for(year), items=items, freshness=status
    )


def report_head(org: Organization, pack_id: str, year: int, status: Status) -> Report:
    """The stored report of `org`'s subtree without its findings: pack, year, the day
    computed for, how many rules and subjects."""
    from dangjian.policy.engine import rules_in_force

    pack = load_pack(pack_id)
    return Report(
        policy=pack_id,
        year=year,
        as_of=(status.as_of or as_of_for(year)).isoformat(),
        findings=[],
        rules=len(rules_in_force(pack, year)),
        subjects=scopes_for(org, pack_id, year).aggregate(n=Sum("subjects"))["n"] or 0,
        pack_version=pack.version,
    )


def schedule_lines(org: Organization, pack_id: str, year: int) -> QuerySet[StoredScheduleLine]:
    """The stored schedule lines of `org`'s subtree (an index range on the path)."""
    return StoredScheduleLine.objects.filter(
        subtree("org_path", org.path), pack_id=pack_id, year=year
    )


def item_of_line(
    line: StoredScheduleLine, rules: dict[str, Any], by_key: dict[str, Finding]
) -> Any:
    from dangjian.policy.schedule import Item

    rule = rules.get(line.rule)
    if rule is None:
        return None
    return Item(
        rule=rule,
        subject_type=line.subject_type,
        subject_id=line.subject_ext,
        subject_name=line.subject_name,
        org_id=line.org_ext,
        period=line.period,
        start=line.start,
        due=line.due,
        status=line.status,
        required=line.required,
        actual=line.actual,
        evidence=list(line.evidence or []),
        made_on=line.made_on,
        finding=by_key.get(line.finding_key) if line.finding_key else None,
        org_name=line.org_name,
    )


# The calendar gathers people's lines by rule and period and shows the worst (this first).
STATUS_ORDER = {"overdue": 0, "due": 1, "upcoming": 2, "done": 3}


def findings_by_key(
    org: Organization, pack_id: str, year: int, keys: set[str]
) -> dict[str, Finding]:
    """The stored findings with these keys. A key (rule, subject, period) with several
    findings (e.g. one per branch head of a coverage rule) gives the first in the stored
    report's order, as `stored_schedule` and the engine's schedule link a line to it."""
    rows = (
        stored(org, pack_id, year)
        .filter(key__in=keys)
        .order_by("org_ext", "subject_ext", "rule", "period", "severity", "pk")
        if keys
        else []
    )
    out: dict[str, Finding] = {}
    for r in rows:
        if r.key in out:
            continue
        out[r.key] = Finding(
            rule=r.rule,
            source=dict(r.source or {}),
            subject={"type": r.subject_type, "id": r.subject_ext, "name": r.subject_name},
            period=r.period,
            severity=r.severity,
            required=r.required,
            actual=r.actual,
            due=r.due.isoformat() if r.due else None,
            evidence=list(r.evidence or []),
            message=r.message,
            org={"id": r.org_ext, "name": r.org_name} if r.org_ext else {},
        )
    return out


def stored_calendar(
    org: Organization, pack_id: str, year: int
) -> tuple[list[Any], list[tuple[Any, int]]]:
    """What a committee's calendar shows, from the stored lines without reading every
    person's: the organisation's own lines, and for each rule and period of the people's
    lines the worst line (status, then due date, then subject: the first in the
    schedule's order) with how many are not done. A few grouped queries."""
    from dangjian.policy.schedule import _all_rules

    rules = {r.qualified_id: r for r in _all_rules(load_pack(pack_id))}
    lines = schedule_lines(org, pack_id, year)
    own = list(lines.filter(org_path=org.path, subject_type="organization", subject_ext=org.ext_id))
    people = lines.filter(subject_type="person")
    worst: dict[tuple[str, str], tuple[int, date, str]] = {}
    open_: Counter[tuple[str, str]] = Counter()
    for rule, period, st, n, due in (
        people.values_list("rule", "period", "status")
        .annotate(n=models_count(), due=Min("due"))
        .order_by()
    ):
        group = (rule, period)
        if st != "done":
            open_[group] += n
        rank = (STATUS_ORDER[st], due, st)
        if group not in worst or rank < worst[group]:
            worst[group] = rank
    picked: list[StoredScheduleLine] = []
    if worst:
        match = Q()
        for (rule, period), (_, due, st) in worst.items():
            match |= Q(rule=rule, period=period, status=st, due=due)
        first = dict(
            ((r, p), s)
            for r, p, s in people.filter(match)
            .values_list("rule", "period")
            .annotate(s=Min("subject_ext"))
            .order_by()
        )
        exact = Q()
        for (rule, period), subject in first.items():
            st, due = worst[(rule, period)][2], worst[(rule, period)][1]
            exact |= Q(rule=rule, period=period, status=st, due=due, subject_ext=subject)
        picked = list(people.filter(exact))
    keys = {line.finding_key for line in [*own, *picked] if line.finding_key}
    by_key = findings_by_key(org, pack_id, year, keys)
    own_items = [i for i in (item_of_line(x, rules, by_key) for x in own) if i is not None]
    groups = []
    for line in picked:
        item = item_of_line(line, rules, by_key)
        if item is not None:
            groups.append((item, open_[(line.rule, line.period)]))
    return own_items, groups
