"""The compliance engine: evaluate a pack's rules over the records, set-based.

Each rule kind runs a few aggregate queries over all subjects and periods at
once; the number of queries does not depend on how many organisations or
people there are.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import date

from django.conf import settings
from django.db import connections, transaction

from dangjian.orgs.models import Organization
from dangjian.policy.context import Context, member_on
from dangjian.policy.findings import Finding, Report
from dangjian.policy.kinds import REGISTRY, Rule
from dangjian.policy.packs import Pack, load_pack

SEVERITY_ORDER = {"violation": 0, "warning": 1}

# Each engine connection's transaction on PostgreSQL. JIT off: it costs seconds of compile
# time per big aggregate and buys nothing here. No parallel workers: the engine's own
# threads keep the cores busy, and a parallel plan costs more CPU for the same answer,
# each worker building the same hash or aggregate again (200k members, one query alone:
# branch-assembly quorum 1.35 s of machine CPU in parallel against 0.97 s serial, back
# payments 0.37 / 0.24 s, full members per org and month 0.26 / 0.14 s, for the same wall
# time or less).
POSTGRESQL_SETTINGS = ("SET LOCAL jit = off", "SET LOCAL max_parallel_workers_per_gather = 0")


class EngineError(ValueError):
    """Bad input to the engine (unknown organisation, …), in Chinese."""


def in_force(pack: Pack, year: int) -> bool:
    """The pack's document applies to some day of `year` (effective/expires; null = open)."""
    doc = pack.document
    effective, expires = doc.get("effective"), doc.get("expires")
    return (effective is None or date.fromisoformat(effective) <= date(year, 12, 31)) and (
        expires is None or date.fromisoformat(expires) >= date(year, 1, 1)
    )


def rules_in_force(pack: Pack, year: int) -> list[Rule]:
    """The pack's rules for `year`; for a year its document does not cover, its base's."""
    if in_force(pack, year):
        return pack.rules
    return rules_in_force(pack.base, year) if pack.base is not None else []


def merge_beside(rules: list[Rule], findings: list[Finding]) -> list[Finding]:
    """One finding per subject and period for rules that stand beside each other.

    A local rule that `adds_to` a national one keeps both in force (a local figure never
    lowers a national minimum). Where a subject falls short of several of them in one
    period, the finding of the strictest (highest `required`) stays, at the most severe
    of their severities, naming every requirement the subject falls short of.
    """
    present = {r.qualified_id: r for r in rules}
    group: dict[str, str] = {}
    for r in rules:
        for base_qid in r.adds_to:
            if base_qid in present:
                group[base_qid] = base_qid
                group[r.qualified_id] = base_qid
    if not group:
        return findings
    out: list[Finding] = []
    merged: dict[tuple[str, str, str, str], list[Finding]] = {}
    for f in findings:
        g = group.get(f.rule)
        if g is None:
            out.append(f)
        else:
            merged.setdefault((g, f.subject["type"], f.subject["id"], f.period), []).append(f)
    for items in merged.values():
        if len(items) == 1:
            out.append(items[0])
            continue
        items.sort(key=lambda f: (-_figure(f.required), SEVERITY_ORDER[f.severity]))
        head = items[0]
        others = "；".join(
            f"{present[f.rule].title}（{f.source['document']}"
            f"{(' ' + f.source['clause']) if f.source['clause'] else ''}，"
            f"要求 {f.required}）"
            for f in items[1:]
        )
        head.message = f"{head.message}；同时未达到：{others}"
        head.severity = min((f.severity for f in items), key=SEVERITY_ORDER.__getitem__)
        head.evidence = sorted({e for f in items for e in f.evidence})
        out.append(head)
    return out


def _figure(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def evaluate(
    *,
    pack: str | Pack,
    year: int,
    as_of: date | None = None,
    org_ext_id: str | None = None,
    using: str = "default",
    schedule: bool = False,
    context_out: dict[str, Context] | None = None,
) -> Report:
    """Evaluate every rule of `pack` for `year` on `as_of` (default: the year's last day).

    With `org_ext_id`, only that organisation's subtree is checked. With `schedule`, the
    kinds also note every line they judge in `ctx.schedule` (see `policy.schedule`); the
    context is handed back through `context_out["ctx"]`.
    """
    with gc_paused():
        return _evaluate(
            pack=pack,
            year=year,
            as_of=as_of,
            org_ext_id=org_ext_id,
            using=using,
            schedule=schedule,
            context_out=context_out,
        )


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False
_gc_freeze = False


@contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Python's cycle collector off while the block runs (back as it was when the last
    block running at once ends). An evaluation makes hundreds of thousands of objects
    without cycles (rows, findings); each collection would walk all of them again
    (0.8 s of 5.4 s of this process's CPU for yunnan-2019 at 200,000 members).

    Switched back on, the collector walks once what the block made and kept (0.6 s for
    that report). A command that ends soon after (`check --db`) passes `freeze`: what
    exists then is frozen (`gc.freeze`, never walked again) instead. Not for a process
    that lives on: garbage in cycles among frozen objects is never freed.
    """
    global _gc_pausers, _gc_was_enabled, _gc_freeze
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            _gc_freeze = False
            gc.disable()
        _gc_pausers += 1
        _gc_freeze = _gc_freeze or freeze
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0:
                if _gc_freeze:
                    gc.freeze()
                if _gc_was_enabled:
                    gc.enable()


def _evaluate(
    *,
    pack: str | Pack,
    year: int,
    as_of: date | None,
    org_ext_id: str | None,
    using: str,
    schedule: bool,
    context_out: dict[str, Context] | None,
) -> Report:
    pack_obj = load_pack(pack) if isinstance(pack, str) else pack
    as_of = as_of or date(year, 12, 31)
    root_path = None
    if org_ext_id:
        org = Organization.objects.using(using).filter(ext_id=org_ext_id).only("path").first()
        if org is None:
            raise EngineError(f"没有编号为 {org_ext_id!r} 的党组织")
        root_path = org.path
    ctx = Context(year=year, as_of=as_of, using=using, root_path=root_path)
    if schedule:
        ctx.schedule = []
    if context_out is not None:
        context_out["ctx"] = ctx
    # On PostgreSQL, one transaction (every rule reads the same snapshot) with the
    # engine's settings (POSTGRESQL_SETTINGS). Not on SQLite, where our settings begin
    # transactions IMMEDIATE (a write lock).
    postgres = ctx.vendor == "postgresql"
    threads = engine_threads(using)
    own_transaction = not connections[using].in_atomic_block
    with transaction.atomic(using=using) if postgres else nullcontext():
        if postgres:
            if own_transaction:
                # The first statement of the transaction: one snapshot for every query
                # (not one per statement), shared with the other threads' connections.
                ctx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for setting in POSTGRESQL_SETTINGS:
                ctx.query(setting)
        ctx.load_orgs()
        rules = rules_in_force(pack_obj, year)
        findings = []
        subjects: set[tuple[str, str]] = set()
        for rule_findings, rule_subjects in _evaluate_rules(ctx, rules, threads):
            findings.extend(rule_findings)
            subjects |= rule_subjects
        findings = merge_beside(rules, findings)  # merged findings keep their subjects
        # Subjects checked: the organisations of the tree that exist in the year, the members
        # on the check day, and whoever else a rule looked at (applicants, candidates …).
        orgs, start, day = ctx.orgs, ctx.year_start, ctx.check_day
        subjects.update(
            ("organization", o.ext_id) for o in orgs.values() if o.exists_during(start, day)
        )
        subjects |= _members_on_check_day(ctx)
        # Comprehensions over the (hundreds of thousands of) pairs: this part runs alone.
        org_pks = {pk for t, pk in ctx.evaluated if t == "organization"}
        person_pks = {pk for t, pk in ctx.evaluated if t == "person"}
        subjects.update(("organization", orgs[pk].ext_id) for pk in org_pks if pk in orgs)
        if person_pks:
            people = ctx.people
            subjects.update(("person", people[pk].ext_id) for pk in person_pks if pk in people)
    # Each rule's findings come sorted from its thread: this sort merges runs (yunnan-2019
    # at 200k members: 214,000 findings in 0.14 s against 0.28 s unsorted).
    findings.sort(key=report_order)
    return Report(
        policy=pack_obj.id,
        year=year,
        as_of=as_of.isoformat(),
        findings=findings,
        rules=len(rules),
        subjects=len(subjects),
        pack_version=pack_obj.version,
    )


def engine_threads(using: str) -> int:
    """How many threads evaluate rules at once (DANGJIAN_ENGINE_THREADS); one inside the
    caller's transaction, whose uncommitted rows other connections could not see."""
    wanted = max(1, int(getattr(settings, "ENGINE_THREADS", 1)))
    connection = connections[using]
    if wanted == 1 or connection.in_atomic_block:
        return 1
    if using not in connections.settings:
        return 1  # a connection set on this thread only (`check FILE`'s throwaway database)
    # A private in-memory SQLite database is this connection's alone (a shared-cache one,
    # as the tests use, is seen by every connection of the process).
    if connection.vendor == "sqlite" and connection.is_in_memory_db():  # type: ignore[attr-defined]
        return wanted if "cache=shared" in str(connection.settings_dict["NAME"]) else 1
    return wanted


def report_order(f: Finding) -> tuple[str, str, str, str, int]:
    """A report's findings by organisation, subject, rule, period and severity."""
    return (f.org.get("id", ""), f.subject["id"], f.rule, f.period, SEVERITY_ORDER[f.severity])


def _members_on_check_day(ctx: Context) -> set[tuple[str, str]]:
    """The subtree's members on the check day as subjects of the report (`("person", ext
    id)`): read once, on whichever thread is free first (see `_in_threads`)."""

    def load() -> set[tuple[str, str]]:
        where, params = ctx.path_like("o")
        day = ctx.param(ctx.check_day)
        rows = ctx.query(
            "SELECT p.ext_id FROM dj_person p JOIN dj_organization o ON o.id = p.org_id"
            f" WHERE {member_on('p', '%s')} AND {where}",
            [day, day, *params],
        )
        return {("person", ext_id) for (ext_id,) in rows}

    return ctx.once(("members_on_check_day",), load)  # type: ignore[no-any-return]


RuleResult = tuple[list[Finding], Context, set[tuple[str, str]]]


def _rule_findings(ctx: Context, rule: Rule) -> RuleResult:
    """One rule's findings, the context that holds its schedule lines, and the subjects
    its findings name (gathered on the rule's thread, beside the other threads' queries)."""
    own = ctx.for_rule()
    findings = list(REGISTRY[rule.kind].evaluate(own, rule))
    if rule.severity == "warning":
        for f in findings:
            f.severity = "warning"
    findings.sort(key=report_order)
    return findings, own, {(f.subject["type"], f.subject["id"]) for f in findings}


def _evaluate_rules(
    ctx: Context, rules: Sequence[Rule], threads: int
) -> Iterator[tuple[list[Finding], set[tuple[str, str]]]]:
    """Each rule's findings and the subjects they name, in the pack's order, whatever
    thread evaluated it.

    With several threads, rules run at once on as many connections: each fact table's
    pass of one rule beside another rule's (SQLite reads on another core; PostgreSQL's
    backends and this process's Python overlap). Rules of one kind that count the same
    measure stay on one thread (they share a pass), the heaviest groups first; results
    other rules share go through `ctx.once`. On PostgreSQL every connection reads the
    snapshot of the caller's transaction. The members on the check day (subjects of the
    report) are read last, by whichever thread runs out of rules first.
    """
    if threads <= 1 or len(rules) < 2:
        done = [_rule_findings(ctx, rule) for rule in rules]
    else:
        done = _in_threads(ctx, rules, threads)
    for findings, own, subjects in done:
        if ctx.schedule is not None and own.schedule:
            ctx.schedule.extend(own.schedule)
        yield findings, subjects


MEMBERS_JOB = -1  # in a thread's queue: `_members_on_check_day` rather than a rule


def _in_threads(ctx: Context, rules: Sequence[Rule], threads: int) -> list[RuleResult]:
    # Rules that count the same measure share their pass: one group, one thread.
    by_measure: dict[tuple[object, ...], list[int]] = {}
    for i, rule in enumerate(rules):
        kind = REGISTRY[rule.kind]
        by_measure.setdefault((rule.kind, repr(kind.measure_key(rule.params))), []).append(i)
    groups = _paired(
        sorted(
            by_measure.values(), key=lambda idx: -sum(REGISTRY[rules[i].kind].weight for i in idx)
        ),
        lambda idx: REGISTRY[rules[idx[0]].kind].python_heavy,
    )
    groups.append([MEMBERS_JOB])
    results: list[RuleResult | None] = [None] * len(rules)
    lock = threading.Lock()
    failed = threading.Event()

    def take() -> list[int] | None:
        with lock:
            return groups.pop(0) if groups and not failed.is_set() else None

    def work() -> None:
        try:
            while (group := take()) is not None:
                for i in group:
                    if i == MEMBERS_JOB:
                        _members_on_check_day(ctx)
                    else:
                        results[i] = _rule_findings(ctx, rules[i])
        except BaseException:
            failed.set()
            raise

    snapshot = None
    if ctx.vendor == "postgresql":
        ((snapshot,),) = ctx.query("SELECT pg_export_snapshot()")
    with ThreadPoolExecutor(threads - 1, thread_name_prefix="engine") as pool:
        helpers = [
            pool.submit(_on_own_connection, ctx.using, snapshot, work) for _ in range(threads - 1)
        ]
        try:
            work()
        finally:
            for helper in helpers:
                helper.result()  # waits; raises a helper's error here
    done = [r for r in results if r is not None]
    if len(done) != len(rules):
        raise RuntimeError("the engine's threads left rules unevaluated")
    return done


def _paired(groups: list[list[int]], python_heavy: Callable[[list[int]], bool]) -> list[list[int]]:
    """The groups, heaviest first, alternating between those whose time goes to Python and
    the others: two threads then rarely turn two big results into Python at once (they
    would take turns on Python's lock; a database's own work runs without it)."""
    heavy = [g for g in groups if python_heavy(g)]
    light = [g for g in groups if not python_heavy(g)]
    out: list[list[int]] = []
    for i in range(max(len(heavy), len(light))):
        out.extend(g[i] for g in (heavy, light) if i < len(g))
    return out


def _on_own_connection(using: str, snapshot: str | None, work: Callable[[], None]) -> None:
    """Run `work` on this thread's own connection (Django gives each thread one),
    reading `snapshot` on PostgreSQL; the connection is closed afterwards."""
    try:
        with _snapshot(using, snapshot):
            work()
    finally:
        connections[using].close()


@contextmanager
def _snapshot(using: str, snapshot: str | None) -> Iterator[None]:
    if snapshot is None:
        yield
        return
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
        for setting in POSTGRESQL_SETTINGS:
            cursor.execute(setting)
        yield
