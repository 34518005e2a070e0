"""The pages' view of the rule engine: findings for a subtree, the pack, rule metadata.

Wraps `dangjian.policy` so templates get plain objects with links resolved, and so
one request never evaluates the same subtree twice.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.cache import cache as shared_cache

from dangjian.orgs.models import Organization
from dangjian.people.models import Person
from dangjian.records.models import Activity, Filing, Training

DEFAULT_PACK = "national"


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


@dataclass
class Finding:
    rule: str
    rule_title: str
    rule_kind: str
    document: str
    clause: str
    quote: str
    note: str
    subject_type: str
    subject_id: str
    subject_name: str
    period: str
    severity: str
    required: Any
    actual: Any
    due: str | None
    evidence: list[str]
    message: str
    org_id: str
    org_name: str
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    year: int = 0  # the report year: with the key, addresses the finding's page
    # Filled by resolve(): primary keys for links.
    subject_pk: int | None = None
    org_pk: int | None = None

    @property
    def is_violation(self) -> bool:
        return self.severity == "violation"

    @property
    def severity_label(self) -> str:
        return "违规" if self.severity == "violation" else "预警"

    @property
    def rule_short(self) -> str:
        return self.rule.split("/", 1)[-1]

    @property
    def pack(self) -> str:
        return self.rule.split("/", 1)[0]

    @property
    def due_date(self) -> datetime.date | None:
        try:
            return datetime.date.fromisoformat(self.due) if self.due else None
        except ValueError:
            return None


def finding_key(rule: str, subject_type: str, subject_id: str, period: str) -> str:
    raw = f"{rule}|{subject_type}|{subject_id}|{period}".encode()
    return hashlib.sha1(raw).hexdigest()[:16]


def available() -> bool:
    try:
        from dangjian.policy import selectors  # noqa: F401
    except ImportError:
        return False
    return True


def pack_id_for(org: Organization) -> str:
    """The organisation's pack id, read once per organisation object (one request)."""
    known = org.__dict__.get("_web_pack_id")
    if known is not None:
        return str(known)
    try:
        from dangjian.policy.selectors import pack_for_org
    except ImportError:
        return DEFAULT_PACK
    pack = pack_for_org(org)
    org.__dict__["_web_pack_id"] = pack_id = str(_get(pack, "id", pack) or DEFAULT_PACK)
    return pack_id


@lru_cache(maxsize=32)
def _pack(pack_id: str) -> Any:
    from dangjian.policy.packs import load_pack

    return load_pack(pack_id)


def pack_title(pack_id: str) -> str:
    """The document's name for a pack id (users never read pack ids)."""
    from dangjian.policy.packs import PackError

    try:
        return str(_pack(pack_id).title)
    except PackError:
        return pack_id


def pack_rules(pack_id: str) -> dict[str, Any]:
    """Rules of a pack (with the national rules it extends), by qualified and short id."""
    from dangjian.policy.packs import PackError

    try:
        pack = _pack(pack_id)
    except PackError:
        return {}
    rules: dict[str, Any] = {}
    for rule in _get(pack, "rules", []) or []:
        rid = str(_get(rule, "id", ""))
        qualified = _get(rule, "qualified_id", None) or (
            rid if "/" in rid else f"{_get(rule, 'pack', pack_id) or pack_id}/{rid}"
        )
        rules[qualified] = rule
        rules.setdefault(rid, rule)
    return rules


def rule_titles(org: Organization) -> dict[str, str]:
    """Rule titles of the organisation's pack by qualified id (for exports)."""
    return {
        q: str(_get(r, "title", q)) for q, r in pack_rules(pack_id_for(org)).items() if "/" in q
    }


def _normalise(raw: Any, rules: dict[str, Any]) -> Finding:
    rule_id = str(_get(raw, "rule", ""))
    source = _get(raw, "source", {}) or {}
    subject = _get(raw, "subject", {}) or {}
    org = _get(raw, "org", {}) or {}
    rule = rules.get(rule_id) or rules.get(rule_id.split("/", 1)[-1])
    subject_type = str(_get(subject, "type", ""))
    subject_id = str(_get(subject, "id", ""))
    period = str(_get(raw, "period", ""))
    return Finding(
        rule=rule_id,
        rule_title=str(_get(rule, "title", "") or rule_id),
        rule_kind=str(_get(rule, "kind", "") or ""),
        note=str(_get(rule, "note", "") or ""),
        params=dict(_get(rule, "params", {}) or {}),
        document=str(_get(source, "document", "")),
        clause=str(_get(source, "clause", "")),
        quote=str(_get(source, "quote", "")),
        subject_type=subject_type,
        subject_id=subject_id,
        subject_name=str(_get(subject, "name", "")),
        period=period,
        severity=str(_get(raw, "severity", "")),
        required=_get(raw, "required"),
        actual=_get(raw, "actual"),
        due=_get(raw, "due"),
        evidence=[str(x) for x in (_get(raw, "evidence", []) or [])],
        message=str(_get(raw, "message", "")),
        org_id=str(_get(org, "id", "") or (subject_id if subject_type == "organization" else "")),
        org_name=str(_get(org, "name", "") or ""),
        key=finding_key(rule_id, subject_type, subject_id, period),
    )


def _from_row(row: Any, rules: dict[str, Any]) -> Finding:
    """A page's finding from a stored row (links already resolved when it was stored)."""
    rule = rules.get(row.rule) or rules.get(row.rule.split("/", 1)[-1])
    source = row.source or {}
    return Finding(
        rule=row.rule,
        rule_title=str(_get(rule, "title", "") or row.rule),
        rule_kind=str(_get(rule, "kind", "") or row.rule_kind),
        note=str(_get(rule, "note", "") or ""),
        params=dict(_get(rule, "params", {}) or {}),
        document=str(source.get("document", "")),
        clause=str(source.get("clause", "")),
        quote=str(source.get("quote", "")),
        subject_type=row.subject_type,
        subject_id=row.subject_ext,
        subject_name=row.subject_name,
        period=row.period,
        severity=row.severity,
        required=row.required,
        actual=row.actual,
        due=row.due.isoformat() if row.due else None,
        evidence=[str(x) for x in (row.evidence or [])],
        message=row.message,
        org_id=row.org_ext or (row.subject_ext if row.subject_type == "organization" else ""),
        org_name=row.org_name,
        key=row.key,
        year=row.year,
        subject_pk=row.subject_pk,
        org_pk=row.org_id,
    )


def from_rows(rows: Any, pack_id: str) -> list[Finding]:
    rules = pack_rules(pack_id)
    return [_from_row(r, rules) for r in rows]


def stored(org: Organization, year: int) -> Any:
    """The stored findings of `org`'s subtree in `year` (a queryset: count, group, page)."""
    from dangjian.policy import store

    return store.stored(org, pack_id_for(org), year)


def tallies(org: Organization, year: int) -> Any:
    """Counts of the stored findings per organisation, severity and due month (a queryset)."""
    from dangjian.policy import store

    return store.tallies(org, pack_id_for(org), year)


def committee_sized(org: Organization) -> bool:
    """A work committee or a department: big subtrees (a branch is a few dozen people),
    whose pages are kept for all their readers and follow a shown state."""
    return org.depth <= 1


def freshness(org: Organization, year: int) -> Any:
    """When `org`'s figures were computed (截至) and whether a refresh is pending; asks for
    one where they are missing or from an earlier day. Never evaluates."""
    from dangjian.policy import store

    cache: dict[Any, Any] = org.__dict__.setdefault("_web_freshness", {})
    if year not in cache:
        live = store.status(org, pack_id_for(org), year)
        cache[year] = _shown_status(org, year, live) if committee_sized(org) else live
    return cache[year]


def _shown_status(org: Organization, year: int, live: Any) -> Any:
    """What a committee's or department's pages show: the stored findings' state as it
    was when they last moved on, moving on to the live one at most every
    PAGE_REBUILD_SECONDS. Its pages, their shared parts (a province's 学时 or 问题清单
    figures, seconds to build) and their 截至 all follow it, so while departments refresh
    every few seconds they are built again once a while — by one reader, for all."""
    key = f"web:shown-status:{org.pk}:{pack_id_for(org)}:{year}"
    kept = shared_cache.get(key)
    if kept is not None:
        status, since = kept
        same = status.version == live.version and status.pending == live.pending
        if same or (status.complete and time.time() - since < settings.PAGE_REBUILD_SECONDS):
            return status
    shared_cache.set(key, (live, time.time()), 3600)
    return live


def findings(org: Organization, year: int, as_of: datetime.date | None = None) -> list[Finding]:
    """Every stored finding for the organisation's subtree in `year`, resolved: computed
    for the year's check day (`policy.days.check_day`; the store refreshes for it).

    For branch-sized subtrees (and a few items): committee pages use `stored()` queries.
    A branch whose department has never been computed is evaluated on the spot, once.
    `as_of` is kept for callers; stored findings are for the day shown by `freshness()`.
    """
    cache: dict[Any, list[Finding]] = org.__dict__.setdefault("_web_findings", {})
    if year in cache:
        return cache[year]
    try:
        from dangjian.policy import store
    except ImportError:
        return []
    pack_id = pack_id_for(org)
    status = freshness(org, year)
    result: list[Finding] | None = None
    if not status.complete and org.depth > 0:
        report = store.evaluate_branch_now(org, pack_id, year)
        if report is not None:
            rules = pack_rules(pack_id)
            result = [_normalise(f, rules) for f in _get(report, "findings", []) or []]
            for f in result:
                f.year = year
            resolve(result)
        else:
            org.__dict__.pop("_web_freshness", None)
    if result is None:
        rows = store.stored(org, pack_id, year).order_by("org_ext", "subject_ext", "rule", "period")
        result = from_rows(rows, pack_id)
    cache[year] = result
    return result


def finding_by_key(org: Organization, year: int, key: str) -> Finding | None:
    """One finding of the subtree by its key (an indexed look-up)."""
    row = stored(org, year).filter(key=key).first()
    if row is None:
        if org.depth == 0 or freshness(org, year).complete:
            return None
        # a branch whose department was never computed: its findings, evaluated once
        return next((f for f in findings(org, year) if f.key == key), None)
    return _from_row(row, pack_rules(pack_id_for(org)))


def own_findings(org: Organization, year: int) -> list[Finding]:
    """Findings about the organisation itself (not its subtree)."""
    rows = stored(org, year).filter(subject_type="organization", subject_pk=org.pk)
    return from_rows(rows, pack_id_for(org))


def resolve(items: list[Finding]) -> None:
    """Attach primary keys for subjects and owning organisations (two queries)."""
    org_ids = {f.org_id for f in items if f.org_id}
    org_ids |= {f.subject_id for f in items if f.subject_type == "organization"}
    person_ids = {f.subject_id for f in items if f.subject_type == "person"}
    orgs = dict(Organization.objects.filter(ext_id__in=org_ids).values_list("ext_id", "pk"))
    people = dict(Person.objects.filter(ext_id__in=person_ids).values_list("ext_id", "pk"))
    for f in items:
        f.org_pk = orgs.get(f.org_id)
        f.subject_pk = (people if f.subject_type == "person" else orgs).get(f.subject_id)


def evidence_links(ext_ids: list[str]) -> list[dict[str, Any]]:
    """Each evidence id with what it is and a page, in five queries."""
    from django.urls import reverse

    from dangjian.policy.labels import period_label

    acts = {a.ext_id: a for a in Activity.objects.filter(ext_id__in=ext_ids).select_related("org")}
    trains = {
        t.ext_id: t for t in Training.objects.filter(ext_id__in=ext_ids).select_related("person")
    }
    fils = {f.ext_id: f for f in Filing.objects.filter(ext_id__in=ext_ids).select_related("org")}
    parts = [_split_evidence(x) for x in ext_ids]
    people = {p.ext_id: p for p in Person.objects.filter(ext_id__in={x[0] for x in parts if x[0]})}
    orgs = {
        o.ext_id: o for o in Organization.objects.filter(ext_id__in={x[2] for x in parts if x[2]})
    }
    out: list[dict[str, Any]] = []
    for ext_id in ext_ids:
        if ext_id in acts:
            a = acts[ext_id]
            out.append(
                {
                    "id": ext_id,
                    "label": f"{a.date:%Y-%m-%d} {a.org.name} {a.get_kind_display()} {a.title}",
                    "url": reverse("web:activity", args=[a.pk]),
                }
            )
        elif ext_id in trains:
            t = trains[ext_id]
            out.append(
                {
                    "id": ext_id,
                    "label": f"{t.date:%Y-%m-%d} {t.person.name} {t.get_kind_display()} "
                    f"{t.hours}学时 {t.title}",
                    "url": reverse("web:person", args=[t.person_id]),
                }
            )
        elif ext_id in fils:
            f = fils[ext_id]
            out.append(
                {
                    "id": ext_id,
                    "label": f"{f.date:%Y-%m-%d} {f.org.name} 报送{f.get_kind_display()}"
                    f"（{period_label(f.period)}）",
                    "url": reverse("web:org_filings", args=[f.org_id]) + f"?year={f.date.year}",
                }
            )
        else:
            out.append(_other_evidence(ext_id, people, orgs))
    return out


def _split_evidence(ext_id: str) -> tuple[str, str, str, str]:
    """(person, role, org, date) of a post "P:role@O/date"; a term "O@date"; dues "P/month"."""
    person = role = org = day = ""
    rest = ext_id
    if ":" in rest:
        person, _, rest = rest.partition(":")
        role, _, rest = rest.partition("@")
        org, _, day = rest.partition("/")
    elif "@" in rest:
        org, _, day = rest.partition("@")
    elif "/" in rest:
        person, _, day = rest.partition("/")
    else:
        person = org = rest
    return person, role, org, day


def _other_evidence(
    ext_id: str, people: dict[str, Person], orgs: dict[str, Organization]
) -> dict[str, Any]:
    """A person, an organisation, a post, a term or a month of dues, in words, with a page."""
    from django.urls import reverse

    from dangjian.policy.labels import date_label, period_label, value_labels

    person_id, role, org_id, day = _split_evidence(ext_id)
    person, org = people.get(person_id), orgs.get(org_id)
    if role and person is not None and org is not None:
        label = f"{person.name}（{org.name}{value_labels().get(role, '')}，{date_label(day)}）"
        return {"id": ext_id, "label": label, "url": reverse("web:person", args=[person.pk])}
    if day and org is not None and person is None:
        return {
            "id": ext_id,
            "label": f"{org.name} 换届记录：{date_label(day)} 选举",
            "url": reverse("web:org", args=[org.pk]),
        }
    if person is not None:
        label = person.name + (f" 党费记录：{period_label(day)}" if day else "")
        return {"id": ext_id, "label": label, "url": reverse("web:person", args=[person.pk])}
    if org is not None:
        return {"id": ext_id, "label": org.name, "url": reverse("web:org", args=[org.pk])}
    return {"id": ext_id, "label": "记录（已不在系统中）", "url": None}


def person_findings(person: Person, year: int) -> list[Finding]:
    from dangjian.policy import store

    pack_id = pack_id_for(person.org)
    freshness(person.org, year)
    rows = store.stored(person.org, pack_id, year).filter(
        subject_type="person", subject_pk=person.pk
    )
    found = from_rows(rows.order_by("rule", "period"), pack_id)
    if found or freshness(person.org, year).complete:
        return found
    return [
        f
        for f in findings(person.org, year)
        if f.subject_type == "person" and f.subject_id == person.ext_id
    ]


def _is_hours_rule(f: Finding) -> bool:
    return f.params.get("measure") == "training_hours" or "hours" in f.rule_short


def default_required_hours(org: Organization) -> Decimal | None:
    """The plain members' yearly hours of the organisation's pack."""
    rules = pack_rules(pack_id_for(org))
    best: Decimal | None = None
    for rule in rules.values():
        params = _get(rule, "params", {}) or {}
        applies = _get(rule, "applies_to", {}) or {}
        if params.get("measure") == "training_hours" and _get(applies, "people") == "members":
            value = Decimal(str(params.get("min")))
            best = value if best is None else min(best, value)
    return best


def required_hours(org: Organization, year: int, person_pks: list[int]) -> dict[int, Decimal]:
    """Hours each person must reach in `year`: the highest short figure the engine
    reports for them (stored findings, one query), else the pack's plain members' minimum."""
    default = default_required_hours(org)
    out: dict[int, Decimal] = {pk: default for pk in person_pks if default is not None}
    if not person_pks:
        return out
    pack_id = pack_id_for(org)
    from dangjian.policy import store

    freshness(org, year)
    rows = (
        store.StoredFinding.objects.filter(
            pack_id=pack_id,
            year=year,
            subject_type="person",
            subject_pk__in=person_pks,
            hours=True,
        )
        .values_list("subject_pk", "required")
        .order_by()
    )
    for pk, required in rows:
        try:
            value = Decimal(str(required))
        except ArithmeticError:
            continue
        if pk is not None and (pk not in out or value > out[pk]):
            out[pk] = value
    return out


def record_link(f: Finding) -> str | None:
    """Where to record what a finding asks for (an activity of the missing kind), if simple."""
    from django.urls import reverse

    if f.subject_type != "organization" or f.subject_pk is None:
        return None
    kinds = f.params.get("activity_kinds") or []
    if f.rule_kind == "org_frequency" and kinds:
        today = datetime.date.today()
        due = f.due_date or today
        date = min(due, today)
        return f"{reverse('web:activity_new', args=[f.subject_pk])}?kind={kinds[0]}&date={date}"
    # Posts and elections are kept on the leadership page (appoint, record an election).
    if f.rule_kind in ("post_required", "vacancy_filled", "committee_required"):
        return reverse("web:leadership", args=[f.subject_pk])
    if f.rule_kind == "term_due":
        return reverse("web:election_new", args=[f.subject_pk])
    filing_kind = f.params.get("filing_kind")
    if f.rule_kind == "filing" and filing_kind:
        url = reverse("web:filing_new", args=[f.subject_pk])
        return f"{url}?kind={filing_kind}&period={f.period}"
    return None
