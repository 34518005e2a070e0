"""The compliance engine: evaluate a pack's rules over the records, set-based.

Each rule kind runs a few aggregate queries over all subjects and periods at
once; the number of queries does not depend on how many organisations or
people there are.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date

from django.db import transaction

from dangjian.orgs.models import Organization
from dangjian.policy.context import Context, member_on
from dangjian.policy.findings import Finding, Report
from dangjian.policy.kinds import REGISTRY, Rule
from dangjian.policy.packs import Pack, load_pack

SEVERITY_ORDER = {"violation": 0, "warning": 1}


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
    # On PostgreSQL, one transaction (every rule reads the same snapshot) with JIT off
    # locally: it costs seconds of compile time per big aggregate and buys nothing here.
    # Not on SQLite, where our settings begin transactions IMMEDIATE (a write lock).
    postgres = ctx.vendor == "postgresql"
    with transaction.atomic(using=using) if postgres else nullcontext():
        if postgres:
            ctx.query("SET LOCAL jit = off")
        ctx.load_orgs()
        findings = []
        subjects: set[tuple[str, str]] = set()
        rules = rules_in_force(pack_obj, year)
        for rule in rules:
            kind = REGISTRY[rule.kind]
            capped = rule.severity == "warning"
            for f in kind.evaluate(ctx, rule):
                if capped:
                    f.severity = "warning"
                findings.append(f)
                subjects.add((f.subject["type"], f.subject["id"]))
        findings = merge_beside(rules, findings)
        # Subjects checked: the organisations of the tree that exist in the year, the members
        # on the check day, and whoever else a rule looked at (applicants, candidates …).
        day = ctx.check_day
        for o in ctx.orgs.values():
            if o.exists_during(ctx.year_start, day):
                ctx.evaluated.add(("organization", o.pk))
        where, wparams = ctx.path_like("o")
        for (pk,) in ctx.query(
            "SELECT p.id FROM dj_person p JOIN dj_organization o ON o.id = p.org_id"
            f" WHERE {member_on('p', '%s')} AND {where}",
            [ctx.param(day), ctx.param(day), *wparams],
        ):
            ctx.evaluated.add(("person", pk))
        for t, pk in ctx.evaluated:
            info = ctx.orgs.get(pk) if t == "organization" else ctx.people.get(pk)
            if info is not None:
                subjects.add((t, info.ext_id))
    findings.sort(
        key=lambda f: (
            f.org.get("id", ""),
            f.subject["id"],
            f.rule,
            f.period,
            SEVERITY_ORDER[f.severity],
        )
    )
    return Report(
        policy=pack_obj.id,
        year=year,
        as_of=as_of.isoformat(),
        findings=findings,
        rules=len(rules),
        subjects=len(subjects),
        pack_version=pack_obj.version,
    )
