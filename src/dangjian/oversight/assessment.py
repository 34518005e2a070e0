"""Reads for the annual assessment (党建工作考核) and the star rating (星级评定).

Both are derived from the STORED findings (`policy.store`): a rule is interpreted only in
the engine; here a finding is just a row with a rule id, a severity and the organisation
it belongs to. The scoring (points per finding, caps, grade thresholds, who ranks whom)
and the star criteria are the pack's data (`assessment` / `star_rating` blocks).

Every figure is traceable: `breakdown()` lists the findings behind a score, rule by rule,
with the deduction of each, and the adjustments with reason and who recorded them; its
total equals the score of the same organisation in `ranking()`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from dangjian.orgs.models import Organization
from dangjian.oversight.models import (
    Assessment,
    AssessmentAdjustment,
    AssessmentKind,
    DutyReview,
    Grade,
)
from dangjian.people.models import MEMBER_STATUSES, Person

# Findings about assessments themselves (a grade that may not be given, a ranking streak,
# an award, a missing assessment) are consequences of the assessment, not inputs to it.
CONSEQUENCE_KINDS = ("grade_cap", "ranking_streak", "award_requires_election", "assessed_yearly")
GRADE_LABELS = dict(Grade.choices)
GRADE_SHORT = {"excellent": "优秀", "good": "良好", "fair": "一般", "poor": "较差"}
CENT = Decimal("0.01")


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- the pack's scheme --------------------------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    """The pack's `assessment` block, read once."""

    pack_id: str
    document: str
    clause: str
    quote: str
    note: str
    base: Decimal
    per_finding: dict[str, Decimal]
    rules: dict[str, dict[str, Decimal]]
    rule_cap: Decimal
    grades: list[tuple[str, Decimal]]  # (grade, min), highest first
    normalise: str
    ranked: dict[str, list[str]]
    award_blocked_by: list[str]
    award_grades: list[str]

    def weight(self, rule: str, severity: str) -> Decimal:
        own = self.rules.get(rule)
        return (own or self.per_finding).get(severity, Decimal(0))

    def grade_for(self, score: Decimal) -> str:
        for grade, floor in self.grades:
            if score >= floor:
                return grade
        return self.grades[-1][0]

    def grade_without_award(self, score: Decimal) -> str:
        """The grade when award grades are barred: the best grade below them."""
        grade = self.grade_for(score)
        if grade not in self.award_grades:
            return grade
        allowed = [g for g, _ in self.grades if g not in self.award_grades]
        return allowed[0] if allowed else grade

    def ranked_types(self, org: Organization) -> list[str]:
        return list(self.ranked.get(org.type, []))


def scheme_for(org: Organization) -> Scheme | None:
    """The assessment scheme of the pack in force for `org` (None: its pack has none)."""
    from dangjian.policy.packs import load_pack
    from dangjian.policy.selectors import pack_for_org

    pack = load_pack(pack_for_org(org))
    block = pack.assessment
    if not block:
        return None
    return Scheme(
        pack_id=pack.id,
        document=pack.title,
        clause=str(block.get("clause", "")),
        quote=str(block["quote"]),
        note=str(block["note"]),
        base=_d(block["base"]),
        per_finding={k: _d(v) for k, v in block["per_finding"].items()},
        rules={r: {k: _d(v) for k, v in w.items()} for r, w in (block.get("rules") or {}).items()},
        rule_cap=_d(block["rule_cap"]),
        grades=[(g["grade"], _d(g["min"])) for g in block["grades"]],
        normalise=str(block["normalise"]),
        ranked={k: list(v) for k, v in block["ranked"].items()},
        award_blocked_by=list(block.get("award_blocked_by") or []),
        award_grades=list(block.get("award_grades") or ["excellent"]),
    )


# --- who is ranked ------------------------------------------------------------------------


def ranked_orgs(org: Organization, types: list[str], year: int) -> list[Organization]:
    """The organisations of `types` under `org` existing in `year`, nearest first: one
    inside another of these types is part of that one's subtree, not ranked itself."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    found = list(
        Organization.objects.filter(path__startswith=org.path, type__in=types)
        .exclude(pk=org.pk)
        .filter(Q(dissolved__isnull=True) | Q(dissolved__gte=start))
        .filter(Q(established__isnull=True) | Q(established__lte=end))
        .order_by("path")
    )
    out: list[Organization] = []
    for o in found:  # sorted by path: an enclosing organisation comes before what it holds
        if out and o.path.startswith(out[-1].path):
            continue
        out.append(o)
    return out


def _owner(path: str, pks: set[int]) -> int | None:
    """The ranked organisation whose subtree holds `path` (its pk is a part of the path)."""
    for part in path.strip("/").split("/"):
        if part.isdigit() and int(part) in pks:
            return int(part)
    return None


def _member_counts(org: Organization, pks: set[int]) -> dict[int, int]:
    """Members (full and probationary, not left) in each ranked organisation's subtree."""
    counts: dict[int, int] = defaultdict(int)
    rows = (
        Person.objects.filter(
            status__in=MEMBER_STATUSES, left_on__isnull=True, org__path__startswith=org.path
        )
        .values_list("org__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for path, n in rows:
        owner = _owner(path, pks)
        if owner is not None:
            counts[owner] += n
    return counts


# --- the ranking --------------------------------------------------------------------------


@dataclass
class Row:
    org: Organization
    members: int
    findings: int
    deduction: Decimal  # after each rule's cap
    adjustment: Decimal
    score: Decimal  # base − deduction + adjustment
    factor: Decimal  # normalisation factor applied to the deduction
    normalised: Decimal  # base − deduction × factor + adjustment: graded and ranked
    grade: str = ""
    award_blocked: list[str] = field(default_factory=list)  # rule titles barring an award
    rank: int = 0
    previous: tuple[int | None, int | None] | None = None  # last year's published rank

    @property
    def grade_label(self) -> str:
        return GRADE_SHORT.get(self.grade, self.grade)

    @property
    def award_eligible(self) -> bool:
        return not self.award_blocked


@dataclass
class Ranking:
    org: Organization
    year: int
    scheme: Scheme
    rows: list[Row]
    mean_members: Decimal
    published: dict[int, Assessment]

    @property
    def out_of(self) -> int:
        return len(self.rows)

    def row(self, pk: int) -> Row | None:
        return next((r for r in self.rows if r.org.pk == pk), None)


def _deductions(
    scheme: Scheme, counts: dict[str, dict[str, int]]
) -> tuple[Decimal, dict[str, Decimal]]:
    """Total deduction and each rule's (capped) deduction from {rule: {severity: n}}."""
    per_rule: dict[str, Decimal] = {}
    for rule, by_sev in counts.items():
        raw = sum((scheme.weight(rule, sev) * n for sev, n in by_sev.items()), start=Decimal(0))
        per_rule[rule] = min(raw, scheme.rule_cap)
    return sum(per_rule.values(), start=Decimal(0)), per_rule


def _finding_rows(org: Organization, scheme: Scheme, year: int) -> Any:
    from dangjian.policy import store

    return store.stored(org, scheme.pack_id, year).exclude(rule_kind__in=CONSEQUENCE_KINDS)


def rule_titles(pack_id: str) -> dict[str, str]:
    from dangjian.policy.packs import load_pack

    return {r.qualified_id: r.title for r in load_pack(pack_id).rules}


def ranking(org: Organization, year: int, scheme: Scheme | None = None) -> Ranking | None:
    """The year's assessment of the organisations `org` ranks (None: no scheme or no level).

    A fixed number of grouped queries whatever the number of organisations: findings per
    organisation path, rule and severity; members per path; adjustments; award bars; the
    published records of this year and the last.
    """
    scheme = scheme or scheme_for(org)
    if scheme is None or not scheme.ranked_types(org):
        return None
    orgs = ranked_orgs(org, scheme.ranked_types(org), year)
    pks = {o.pk for o in orgs}
    counts: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    totals: dict[int, int] = defaultdict(int)
    for path, rule, severity, n in (
        _finding_rows(org, scheme, year)
        .values_list("org_path", "rule", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        owner = _owner(path, pks)
        if owner is None:
            continue
        by_sev = counts[owner][rule]
        by_sev[severity] = by_sev.get(severity, 0) + n
        totals[owner] += n
    members = _member_counts(org, pks)
    adjustments = dict(
        AssessmentAdjustment.objects.filter(subject_id__in=pks, year=year)
        .values_list("subject_id")
        .annotate(total=Sum("points"))
        .order_by()
        .values_list("subject_id", "total")
    )
    blocked: dict[int, list[str]] = defaultdict(list)
    if scheme.award_blocked_by:
        titles = rule_titles(scheme.pack_id)
        for subject_pk, rule in (
            _finding_rows(org, scheme, year)
            .filter(
                rule__in=scheme.award_blocked_by,
                severity="violation",
                subject_type="organization",
                subject_pk__in=pks,
            )
            .values_list("subject_pk", "rule")
            .distinct()
        ):
            blocked[subject_pk].append(titles.get(rule, rule))
    sizes = [members.get(pk, 0) for pk in pks]
    mean = _d(sum(sizes)) / len(sizes) if sizes else Decimal(0)
    rows: list[Row] = []
    for o in orgs:
        deduction, _ = _deductions(scheme, counts.get(o.pk, {}))
        adjustment = _d(adjustments.get(o.pk) or 0)
        n = members.get(o.pk, 0)
        factor = Decimal(1)
        if scheme.normalise == "per_member" and n and mean:
            factor = mean / n
        factor = factor.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        score = _round(scheme.base - deduction + adjustment)
        normalised = _round(scheme.base - deduction * factor + adjustment)
        row = Row(
            org=o,
            members=n,
            findings=totals.get(o.pk, 0),
            deduction=_round(deduction),
            adjustment=_round(adjustment),
            score=score,
            factor=factor,
            normalised=normalised,
            award_blocked=blocked.get(o.pk, []),
        )
        row.grade = (
            scheme.grade_without_award(normalised)
            if row.award_blocked
            else scheme.grade_for(normalised)
        )
        rows.append(row)
    rows.sort(key=lambda r: (-r.normalised, r.org.path))
    for i, row in enumerate(rows):
        # equal scores share a place (1, 2, 2, 4)
        same = i > 0 and rows[i - 1].normalised == row.normalised
        row.rank = rows[i - 1].rank if same else i + 1
    records = list(
        Assessment.objects.filter(
            subject_org_id__in=pks, kind=AssessmentKind.PARTY_BUILDING, year__in=[year, year - 1]
        )
    )
    last = {a.subject_org_id: (a.rank, a.out_of) for a in records if a.year == year - 1}
    for row in rows:
        row.previous = last.get(row.org.pk)
    this_year = {a.subject_org_id: a for a in records if a.year == year and a.subject_org_id}
    return Ranking(
        org=org, year=year, scheme=scheme, rows=rows, mean_members=mean, published=this_year
    )


# --- one organisation's breakdown ---------------------------------------------------------


@dataclass
class FindingLine:
    finding: Any  # a policy.models.StoredFinding
    points: Decimal


@dataclass
class RuleLine:
    rule: str
    title: str
    clause: str
    document: str
    lines: list[FindingLine]
    raw: Decimal
    deduction: Decimal  # after the cap

    @property
    def capped(self) -> bool:
        return self.raw > self.deduction


@dataclass
class Breakdown:
    ranking: Ranking
    row: Row
    rules: list[RuleLine]
    adjustments: list[AssessmentAdjustment]
    reviews: list[DutyReview]

    @property
    def deduction(self) -> Decimal:
        return _round(sum((r.deduction for r in self.rules), start=Decimal(0)))

    @property
    def adjustment(self) -> Decimal:
        return _round(sum((a.points for a in self.adjustments), start=Decimal(0)))

    @property
    def score(self) -> Decimal:
        """The page's own sum: base − Σ rule deductions + Σ adjustments."""
        return _round(self.ranking.scheme.base - self.deduction + self.adjustment)

    @property
    def normalised_deduction(self) -> Decimal:
        return _round(self.deduction * self.row.factor)


def breakdown(org: Organization, subject: Organization, year: int) -> Breakdown | None:
    """Every finding behind `subject`'s score on `org`'s ranking, rule by rule."""
    result = ranking(org, year)
    if result is None:
        return None
    row = result.row(subject.pk)
    if row is None:
        return None
    scheme = result.scheme
    stored = (
        _finding_rows(org, scheme, year)
        .filter(org_path__startswith=subject.path)
        .order_by("rule", "severity", "org_path", "subject_ext", "period")
    )
    by_rule: dict[str, list[FindingLine]] = defaultdict(list)
    for f in stored:
        by_rule[f.rule].append(FindingLine(finding=f, points=scheme.weight(f.rule, f.severity)))
    titles = rule_titles(scheme.pack_id)
    rules: list[RuleLine] = []
    for rule, lines in by_rule.items():
        raw = sum((ln.points for ln in lines), start=Decimal(0))
        source = lines[0].finding.source or {}
        rules.append(
            RuleLine(
                rule=rule,
                title=titles.get(rule, rule),
                clause=str(source.get("clause", "")),
                document=str(source.get("document", "")),
                lines=lines,
                raw=_round(raw),
                deduction=_round(min(raw, scheme.rule_cap)),
            )
        )
    rules.sort(key=lambda r: (-r.deduction, r.rule))
    adjustments = list(
        AssessmentAdjustment.objects.filter(subject=subject, year=year).order_by("created_at", "pk")
    )
    reviews = list(
        DutyReview.objects.filter(org=subject, year=year).select_related("reporter", "reviewed_by")
    )
    return Breakdown(ranking=result, row=row, rules=rules, adjustments=adjustments, reviews=reviews)


# --- star rating --------------------------------------------------------------------------


@dataclass
class Criterion:
    id: str
    title: str
    rules: list[str]


@dataclass
class StarScheme:
    pack_id: str
    document: str
    clause: str
    quote: str
    note: str
    orgs: list[str]
    min_stars: int
    criteria: list[Criterion]


def star_scheme_for(org: Organization) -> StarScheme | None:
    from dangjian.policy.packs import load_pack
    from dangjian.policy.selectors import pack_for_org

    pack = load_pack(pack_for_org(org))
    block = pack.star_rating
    if not block:
        return None
    return StarScheme(
        pack_id=pack.id,
        document=pack.title,
        clause=str(block.get("clause", "")),
        quote=str(block["quote"]),
        note=str(block["note"]),
        orgs=list(block["orgs"]),
        min_stars=int(block["min_stars"]),
        criteria=[Criterion(c["id"], c["title"], list(c["rules"])) for c in block["criteria"]],
    )


@dataclass
class StarReason:
    criterion: Criterion
    met: bool
    violations: list[tuple[str, int]]  # (rule title, how many violations)


@dataclass
class StarRow:
    org: Organization
    reasons: list[StarReason]
    stars: int
    published: str | None = None

    @property
    def met(self) -> int:
        return sum(1 for r in self.reasons if r.met)


@dataclass
class StarRatings:
    org: Organization
    year: int
    scheme: StarScheme
    rows: list[StarRow]


def star_ratings(org: Organization, year: int) -> StarRatings | None:
    """Each branch (the scheme's `orgs`) in `org`'s subtree: a star per criterion whose
    rules have no violation in the branch's subtree this year (three grouped queries)."""
    from dangjian.policy import store

    scheme = star_scheme_for(org)
    if scheme is None:
        return None
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    branches = list(
        Organization.objects.filter(path__startswith=org.path, type__in=scheme.orgs)
        .filter(Q(dissolved__isnull=True) | Q(dissolved__gte=start))
        .filter(Q(established__isnull=True) | Q(established__lte=end))
        .order_by("path")
    )
    pks = {b.pk for b in branches}
    wanted = {r for c in scheme.criteria for r in c.rules}
    # A finding counts for the innermost rated organisation holding it (a branch under a
    # general branch counts for itself, not for the general branch too).
    violations: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path, rule, n in (
        store.stored(org, scheme.pack_id, year)
        .filter(rule__in=wanted, severity="violation")
        .values_list("org_path", "rule")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        owner = None
        for part in path.strip("/").split("/"):
            if part.isdigit() and int(part) in pks:
                owner = int(part)
        if owner is not None:
            violations[owner][rule] += n
    titles = rule_titles(scheme.pack_id)
    published = dict(
        Assessment.objects.filter(
            subject_org_id__in=pks, kind=AssessmentKind.STAR_RATING, year=year
        ).values_list("subject_org_id", "grade")
    )
    rows: list[StarRow] = []
    for b in branches:
        reasons = []
        for c in scheme.criteria:
            found = [
                (titles.get(r, r), violations[b.pk][r]) for r in c.rules if violations[b.pk][r]
            ]
            reasons.append(StarReason(criterion=c, met=not found, violations=found))
        met = sum(1 for r in reasons if r.met)
        rows.append(
            StarRow(
                org=b,
                reasons=reasons,
                stars=max(scheme.min_stars, met),
                published=published.get(b.pk),
            )
        )
    return StarRatings(org=org, year=year, scheme=scheme, rows=rows)


def duty_reviews(org: Organization, year: int) -> Any:
    """述职评议 records of `org`'s subtree or held by it in `year`."""
    return (
        DutyReview.objects.filter(Q(org__path__startswith=org.path) | Q(reviewed_by=org), year=year)
        .select_related("org", "reporter", "reviewed_by")
        .order_by("-held_on", "pk")
    )
