"""Structure kinds: standing requirements on the organisation tree, checked on the
check day (as_of, or the year's end if earlier)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from dangjian.orgs.models import OrgType, PositionRole
from dangjian.policy.context import (
    Context,
    a_date,
    covers,
    full_member_on,
    in_list,
    member_on,
    to_date,
)
from dangjian.policy.findings import Finding
from dangjian.policy.kinds.base import (
    ORG_TYPES,
    ROLES,
    S_COUNT,
    S_ORG_TYPES,
    S_ROLES,
    Kind,
    Rule,
    register,
)

ORG_LABELS = dict(OrgType.choices)
ROLE_LABELS = dict(PositionRole.choices)
ORGAN_LEVEL = ("organ_committee", "general_branch", "branch")


def full_members_on(
    ctx: Context, day: date, *, full_time_workers: bool = False, all_members: bool = False
) -> dict[int, int]:
    """Full members (or full-time party workers among members, or all members) per org.

    People without transfers count in their own org; the few with transfers through
    their membership spans (see frequency.full_member_counts).
    """
    cond = full_member_on("p", "%s")
    if full_time_workers:
        cond = f"{member_on('p', '%s')} AND p.party_worker = 'full_time'"
    elif all_members:
        cond = member_on("p", "%s")
    moved = f"{cond} AND {covers('s', '%s')}"
    sql = (
        f"WITH {ctx.transfer_spans_cte()} SELECT p.org_id, COUNT(*) FROM dj_person p"
        f" WHERE {cond} AND {ctx.person_scope('p.id')}"
        " AND NOT EXISTS (SELECT 1 FROM dj_transfer tx WHERE tx.person_id = p.id)"
        " GROUP BY p.org_id"
        " UNION ALL SELECT s.org_id, COUNT(*) FROM dj_person p"
        f" JOIN tspans s ON s.person_id = p.id WHERE {moved} GROUP BY s.org_id"
    )
    out: dict[int, int] = {}
    for org_id, n in ctx.query(sql, [ctx.param(day)] * sql.count("%s")):
        if org_id is not None:
            out[org_id] = out.get(org_id, 0) + n
    return out


def posts_on(
    ctx: Context, day: date, roles: Iterable[str] | None = None
) -> list[tuple[int, int, str]]:
    """(org_id, person_id, role) of every post held on `day`."""
    role_sql, rparams = "", []  # type: tuple[str, list[Any]]
    if roles:
        sql, rparams = in_list(list(roles))
        role_sql = f" AND ps.role IN {sql}"
    rows = ctx.query(
        "SELECT ps.org_id, ps.person_id, ps.role FROM dj_position ps"
        ' WHERE ps.start <= %s AND (ps."end" IS NULL OR ps."end" >= %s)' + role_sql,
        [ctx.param(day), ctx.param(day), *rparams],
    )
    return [(r[0], r[1], r[2]) for r in rows]


def _violation(
    ctx: Context,
    rule: Rule,
    org_id: int,
    required: Any,
    actual: Any,
    msg: str,
    evidence: list[str] | None = None,
) -> Finding:
    day = ctx.check_day
    org = ctx.orgs[org_id]
    return rule.finding(
        subject=ctx.org_subject(org_id),
        period=str(ctx.year),
        severity="violation",
        required=required,
        actual=actual,
        due=day,
        evidence=evidence if evidence is not None else [org.ext_id],
        message=msg,
        org=ctx.org_ref(org_id),
    )


class Standing(Kind):
    subject = "org"
    periods = ("year",)

    def subjects(self, ctx: Context, rule: Rule) -> list[Any]:
        if ctx.as_of < ctx.year_start:
            return []
        day = ctx.check_day
        out = [o for o in ctx.orgs_of_types(rule.org_types) if o.exists_on(day)]
        for o in out:
            ctx.evaluated.add(("organization", o.pk))
        return out


@register
class OrgTypeBySize(Standing):
    """The department's organ-level organisation has the type its size calls for.

    机关条例 第五、六条 count 机关党员 (probationary members included) for the organ
    committee (100) and general branch (50); 第七条 counts 正式党员 for a branch (3):
    `full_members_only` lists the types whose threshold counts full members. An
    organisation of a larger type than the size calls for may be set up with the higher
    organisation's approval: a warning asking for it. A smaller one is a violation.
    """

    name = "org_type_by_size"
    params_schema = {
        "type": "object",
        "properties": {
            "thresholds": {
                "type": "object",
                "properties": {t: S_COUNT for t in ORGAN_LEVEL},
                "required": list(ORGAN_LEVEL),
                "additionalProperties": False,
            },
            "full_members_only": {
                "type": "array",
                "items": {"enum": list(ORGAN_LEVEL)},
            },
        },
        "required": ["thresholds"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        groups = self.subjects(ctx, rule)
        if not groups:
            return
        day = ctx.check_day
        full = ctx.subtree_totals(full_members_on(ctx, day), groups)
        everyone = ctx.subtree_totals(full_members_on(ctx, day, all_members=True), groups)
        th = rule.params["thresholds"]
        full_only = set(rule.params.get("full_members_only", ["branch"]))
        order = sorted(ORGAN_LEVEL, key=lambda t: -th[t])
        rank = {t: i for i, t in enumerate(order)}  # 0: the largest type
        for g in groups:
            n_full, n_all = int(full.get(g.pk, 0)), int(everyone.get(g.pk, 0))

            def count(t: str, n_full: int = n_full, n_all: int = n_all) -> int:
                return n_full if t in full_only else n_all

            expected = next((t for t in order if count(t) >= th[t]), None)
            children = [o for o in ctx.children(g.pk) if o.type in ORGAN_LEVEL and o.exists_on(day)]
            children.sort(key=lambda o: ORGAN_LEVEL.index(o.type))
            actual = children[0].type if children else None
            if expected == actual or expected is None:
                continue
            size = f"有党员 {n_all} 名（其中正式党员 {n_full} 名）"
            evidence = [g.ext_id, *(c.ext_id for c in children[:1])]
            if actual is not None and rank[actual] < rank[expected]:
                f = _violation(
                    ctx,
                    rule,
                    g.pk,
                    expected,
                    actual,
                    f"{g.name} {size}，按人数应设{ORG_LABELS[expected]}，现设"
                    f"{children[0].name}（{ORG_LABELS[actual]}），须经上级党组织批准，请核实批准情况",
                    evidence,
                )
                f.severity = "warning"
                yield f
                continue
            shown = f"{children[0].name}（{ORG_LABELS[actual]}）" if actual else "未设机关党组织"
            yield _violation(
                ctx,
                rule,
                g.pk,
                expected,
                actual or "none",
                f"{g.name} {size}，应设{ORG_LABELS[expected]}，现为{shown}",
                evidence,
            )


@register
class CommitteeRequired(Standing):
    name = "committee_required"
    params_schema = {
        "type": "object",
        "properties": {"min_full_members": S_COUNT, "min_posts": S_COUNT},
        "required": ["min_full_members", "min_posts"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        orgs = self.subjects(ctx, rule)
        if not orgs:
            return
        day = ctx.check_day
        sizes = full_members_on(ctx, day)
        holders: dict[int, set[int]] = {}
        for org_id, person_id, role in posts_on(ctx, day):
            if role != "cell_leader":
                holders.setdefault(org_id, set()).add(person_id)
        p = rule.params
        for o in orgs:
            n = sizes.get(o.pk, 0)
            if n < p["min_full_members"]:
                continue
            k = len(holders.get(o.pk, ()))
            if k >= p["min_posts"]:
                continue
            yield _violation(
                ctx,
                rule,
                o.pk,
                p["min_posts"],
                k,
                f"{o.name} 有正式党员 {n} 名，应设立委员会（不少于"
                f" {p['min_posts']} 名委员），现有 {k} 名",
            )


@register
class BodyRequired(Standing):
    name = "body_required"
    key_params = ("body_type",)
    params_schema = {
        "type": "object",
        "properties": {"body_type": {"enum": list(ORG_TYPES)}},
        "required": ["body_type"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        day = ctx.check_day
        body = rule.params["body_type"]
        for o in self.subjects(ctx, rule):
            near = ctx.children(o.pk)
            if o.parent_id is not None:
                near = [*near, *ctx.children(o.parent_id)]
            found = [b for b in near if b.type == body and b.exists_on(day)]
            if found:
                continue
            yield _violation(ctx, rule, o.pk, body, "none", f"{o.name} 未设立{ORG_LABELS[body]}")


@register
class PostRequired(Standing):
    name = "post_required"
    key_params = ("roles",)
    params_schema = {
        "type": "object",
        "properties": {"roles": S_ROLES, "min_full_members": S_COUNT},
        "required": ["roles"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        orgs = self.subjects(ctx, rule)
        if not orgs:
            return
        day = ctx.check_day
        p = rule.params
        sizes = full_members_on(ctx, day) if p.get("min_full_members") else {}
        held = {org_id for org_id, _, _ in posts_on(ctx, day, p["roles"])}
        what = "、".join(ROLE_LABELS[r] for r in p["roles"])
        for o in orgs:
            if p.get("min_full_members") and sizes.get(o.pk, 0) < p["min_full_members"]:
                continue
            if o.pk in held:
                continue
            yield _violation(ctx, rule, o.pk, p["roles"][0], "none", f"{o.name} 未配备{what}")


@register
class StaffShare(Standing):
    name = "staff_share"
    params_schema = {
        "type": "object",
        "properties": {"min_percent": {"type": "number", "exclusiveMinimum": 0, "maximum": 100}},
        "required": ["min_percent"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        groups = [g for g in self.subjects(ctx, rule) if g.staff_count]
        if not groups:
            return
        workers = ctx.subtree_totals(
            full_members_on(ctx, ctx.check_day, full_time_workers=True), groups
        )
        need = rule.params["min_percent"]
        for g in groups:
            n = int(workers.get(g.pk, 0))
            share = round(100 * n / g.staff_count, 2) if g.staff_count else 0
            if share >= need:
                continue
            yield _violation(
                ctx,
                rule,
                g.pk,
                need,
                share,
                f"{g.name} 专职党务工作人员 {n} 名，占机关工作人员"
                f" {g.staff_count} 名的 {share}%，低于 {need}%",
            )


@register
class TermLimit(Standing):
    name = "term_limit"
    key_params = ("roles",)
    params_schema = {
        "type": "object",
        "properties": {"roles": S_ROLES, "max_terms": S_COUNT},
        "required": ["roles", "max_terms"],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        orgs = {o.pk: o for o in self.subjects(ctx, rule)}
        if not orgs:
            return
        day = ctx.check_day
        p = rule.params
        roles_sql, rparams = in_list(p["roles"])
        types_sql, tparams = in_list(rule.org_types)
        where, wparams = ctx.path_like("o")
        posts = ctx.query(
            'SELECT ps.org_id, ps.person_id, ps.role, ps.start, ps."end" FROM dj_position ps'
            " JOIN dj_organization o ON o.id = ps.org_id"
            f" WHERE ps.role IN {roles_sql} AND o.type IN"
            f" {types_sql} AND {where} AND ps.start <= %s",
            [*rparams, *tparams, *wparams, ctx.param(day)],
        )
        terms = ctx.query(
            "SELECT t.org_id, t.elected_on FROM dj_term t JOIN dj_organization o ON o.id = t.org_id"
            f" WHERE o.type IN {types_sql} AND {where} AND t.elected_on <= %s",
            [*tparams, *wparams, ctx.param(day)],
        )
        elections: dict[int, list[date]] = {}
        for org_id, elected in terms:
            elections.setdefault(org_id, []).append(a_date(elected))
        # Merge back-to-back holdings of one post by one person into one tenure.
        tenures: dict[tuple[int, int, str], list[tuple[date, date | None]]] = {}
        for org_id, person_id, role, start, end in sorted(
            posts, key=lambda r: (r[0], r[1], r[2], str(r[3]))
        ):
            begin, finish = a_date(start), to_date(end)
            spans = tenures.setdefault((org_id, person_id, role), [])
            prev_end = spans[-1][1] if spans else None
            if prev_end is not None and (begin - prev_end).days <= 1:
                spans[-1] = (spans[-1][0], finish)
            else:
                spans.append((begin, finish))
        for (org_id, person_id, role), spans in tenures.items():
            if org_id not in orgs:
                continue
            for begin, finish in spans:
                if finish is not None and finish < ctx.year_start:
                    continue
                last = min(finish, day) if finish is not None else day
                n = sum(1 for e in elections.get(org_id, []) if begin <= e <= last)
                if n <= p["max_terms"]:
                    continue
                person = ctx.people[person_id]
                org = orgs[org_id]
                yield _violation(
                    ctx,
                    rule,
                    org_id,
                    p["max_terms"],
                    n,
                    f"{person.name} 自 {begin.isoformat()} 连续"
                    f"任{org.name}{ROLE_LABELS[role]} {n} 届，超过 {p['max_terms']} 届",
                    [f"{person.ext_id}:{role}@{org.ext_id}/{begin.isoformat()}"],
                )


@register
class ConcurrentPost(Standing):
    name = "concurrent_post"
    key_params = ("role", "relation")
    params_schema = {
        "type": "object",
        "properties": {
            "role": {"enum": list(ROLES)},
            "relation": {"enum": ["parent", "child", "parent_or_sibling"]},
            "related_types": S_ORG_TYPES,
            "parent_types": S_ORG_TYPES,  # same as relation: parent + related_types
            "also_roles": S_ROLES,
        },
        "required": ["role"],
        "oneOf": [{"required": ["related_types"]}, {"required": ["parent_types"]}],
        "additionalProperties": False,
    }

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        orgs = self.subjects(ctx, rule)
        if not orgs:
            return
        day = ctx.check_day
        p = rule.params
        posts = posts_on(ctx, day)
        holders: dict[int, list[int]] = {}
        held: set[tuple[int, int]] = set()
        also = set(p.get("also_roles") or ROLES)
        for org_id, person_id, role in posts:
            if role == p["role"]:
                holders.setdefault(org_id, []).append(person_id)
            if role in also:
                held.add((org_id, person_id))
        related_types = set(p.get("related_types") or p["parent_types"])
        for o in orgs:
            relation = p.get("relation", "parent")
            if relation == "parent":
                related = [ctx.orgs[o.parent_id]] if o.parent_id in ctx.orgs else []
            elif relation == "parent_or_sibling":
                # e.g. a discipline committee under its organ committee or beside it
                related = [ctx.orgs[o.parent_id]] if o.parent_id in ctx.orgs else []
                if o.parent_id is not None:
                    related += [
                        c for c in ctx.children(o.parent_id) if c.pk != o.pk and c.exists_on(day)
                    ]
            else:
                related = [c for c in ctx.children(o.pk) if c.exists_on(day)]
            related = [r for r in related if r.type in related_types]
            if not related:
                continue
            for person_id in holders.get(o.pk, []):
                if any((r.pk, person_id) in held for r in related):
                    continue
                person = ctx.people[person_id]
                where = "、".join(r.name for r in related)
                roles = "、".join(ROLE_LABELS[r] for r in p.get("also_roles") or []) or "职务"
                yield _violation(
                    ctx,
                    rule,
                    o.pk,
                    "held",
                    "not_held",
                    f"{o.name}{ROLE_LABELS[p['role']]}{person.name} 未在{where}担任{roles}",
                    [person.ext_id],
                )
