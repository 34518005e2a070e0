"""Rule kinds: a registry that kind modules add themselves to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from dangjian.policy.context import Context, in_list, member_on, org_on
from dangjian.policy.findings import Finding
from dangjian.policy.periods import Period

REGISTRY: dict[str, Kind] = {}

PERSON_SELECTORS = (
    "members",
    "serving_members",
    "full_members",
    "leading_cadres",
    "leadership_team",
    "secretaries",
    "party_workers",
    "full_time_party_workers",
    "applicants",
    "activists",
    "candidates",
    "probationary",
)

# The selectors people_cte() reads (kinds built on it honour all of them).
CTE_SELECTORS = (
    "members",
    "serving_members",
    "full_members",
    "leading_cadres",
    "leadership_team",
    "secretaries",
    "party_workers",
    "full_time_party_workers",
)

ORG_TYPES = (
    "work_committee",
    "party_group",
    "organ_committee",
    "general_branch",
    "branch",
    "party_cell",
    "discipline_committee",
)

ACTIVITY_KINDS = (
    "branch_assembly",
    "committee_meeting",
    "cell_meeting",
    "party_lesson",
    "theme_day",
    "org_life_meeting",
    "democratic_life_meeting",
    "member_review",
    "talk",
    "study_session",
    "central_group_study",
    "report_hearing",
    "party_work_meeting",
    "ideology_meeting",
    "member_congress",
    "inspection",
    "warning_education",
    "field_research",
)
TRAINING_KINDS = ("general", "secretary_induction", "party_worker", "party_school")
FILING_KINDS = (
    "duty_report",
    "responsibility_list",
    "political_ecology_report",
    "thought_report",
    "work_report",
)
ROLES = ("secretary", "deputy_secretary", "committee_member", "discipline_member", "cell_leader")
GRADES = ("excellent", "good", "fair", "poor")
ASSESSMENT_KINDS = ("party_building", "performance", "star_rating")

# Schema fragments for kinds' params.
S_ACTIVITY_KINDS = {"type": "array", "items": {"enum": list(ACTIVITY_KINDS)}, "minItems": 1}
S_TRAINING_KINDS = {"type": "array", "items": {"enum": list(TRAINING_KINDS)}, "minItems": 1}
S_ORG_TYPES = {"type": "array", "items": {"enum": list(ORG_TYPES)}, "minItems": 1}
S_ROLES = {"type": "array", "items": {"enum": list(ROLES)}, "minItems": 1}
S_GRADES = {"type": "array", "items": {"enum": [*GRADES, "1", "2", "3", "4", "5"]}, "minItems": 1}
S_COUNT = {"type": "integer", "minimum": 1}
S_NUMBER = {"type": "number", "exclusiveMinimum": 0}


@dataclass
class Rule:
    pack: str  # the pack that defines it
    id: str
    kind: str
    title: str
    citation: dict[str, str]
    applies_to: dict[str, Any]
    params: dict[str, Any]
    period: str = "year"
    reminder_days: int = 0
    note: str = ""
    replaces: list[str] = field(default_factory=list)
    # Base rules this rule stands beside (a local figure that may not lower a national
    # minimum): both stay in force, and their findings on one subject and period merge.
    adds_to: list[str] = field(default_factory=list)
    # The most a finding of this rule can be: "warning" for a reading the pack chose
    # where the text is silent, or where the records cannot show every condition.
    severity: str = "violation"

    @property
    def qualified_id(self) -> str:
        return f"{self.pack}/{self.id}"

    @property
    def org_types(self) -> list[str]:
        return list(self.applies_to.get("orgs") or [])

    @property
    def people(self) -> str | None:
        return self.applies_to.get("people")

    def source(self) -> dict[str, str]:
        return {
            "document": self.citation["document"],
            "clause": self.citation.get("clause", ""),
            "quote": self.citation["quote"],
        }

    @cached_property
    def _source(self) -> dict[str, str]:
        # One dict for all of the rule's findings (read-only, like the rest of a finding).
        return self.source()

    def finding(
        self,
        *,
        subject: dict[str, str],
        period: str,
        severity: str,
        required: Any,
        actual: Any,
        due: Any,
        evidence: Iterable[str],
        message: str,
        org: dict[str, str] | None = None,
    ) -> Finding:
        return Finding(
            rule=self.qualified_id,
            source=self._source,
            subject=subject,
            period=period,
            severity=severity,
            required=required,
            actual=actual,
            due=due.isoformat() if hasattr(due, "isoformat") else due,
            evidence=sorted(set(evidence)) if evidence else [],
            message=message,
            org=org or {},
        )


class Kind:
    """One kind of rule. Subclasses set the class attributes and implement evaluate()."""

    name: ClassVar[str]
    subject: ClassVar[str] = "org"  # "org" or "person": what applies_to must name
    # What the kind can honour in applies_to (the pack loader refuses anything else):
    # the people selectors a person kind reads, and whether it filters by org type.
    selectors: ClassVar[tuple[str, ...]] = ()
    org_types_honoured: ClassVar[bool] = True
    params_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    periods: ClassVar[tuple[str, ...]] = ("month", "quarter", "half", "year")
    # The params that say what is counted: part of the obligation key (see docs/policy-packs.md).
    key_params: ClassVar[tuple[str, ...]] = ()
    # How much a rule of the kind costs beside others (a pass over a large fact table: more):
    # the engine's threads take the heaviest kinds first.
    weight: ClassVar[int] = 1
    # Whether its time goes to Python rather than to the database: it brings a row per
    # subject (every member) into Python. The engine's threads pair such a group with one
    # whose time is the database's (see `engine._in_threads`).
    python_heavy: ClassVar[bool] = False

    def measure_key(self, params: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for k in self.key_params:
            v = params.get(k)
            out.append(tuple(sorted(v)) if isinstance(v, list) else v)
        return tuple(out)

    def evaluate(self, ctx: Context, rule: Rule) -> Iterable[Finding]:
        raise NotImplementedError

    def subjects_seen(self) -> int:
        return 0


def register(cls: type[Kind]) -> type[Kind]:
    if cls.name in REGISTRY:
        raise ValueError(f"rule kind {cls.name!r} registered twice")
    REGISTRY[cls.name] = cls()
    return cls


def people_cte(ctx: Context, rule: Rule) -> tuple[str, list[Any]]:
    """`subj(pkey, person_id, org_id)`: the rule's people per period, in the org they
    belonged to on the period's check day (transfers honoured). Needs the `periods` CTE."""
    selector = rule.people or "members"
    types = rule.org_types
    inner: list[str] = []
    params: list[Any] = []
    if selector == "full_members":
        inner.append("p.status = 'full'")
    elif selector == "serving_members":
        inner.append("p.employment <> 'retired'")
    elif selector == "leading_cadres":
        inner.append("p.leading_cadre = %s")
        params.append(True)
    elif selector in ("party_workers", "full_time_party_workers"):
        kinds = (
            ["full_time"] if selector == "full_time_party_workers" else ["full_time", "part_time"]
        )
        sql, ps = in_list(kinds)
        inner.append(f"p.party_worker IN {sql}")
        params.extend(ps)
    outer_types = bool(types)
    if selector in ("leadership_team", "secretaries"):
        outer_types = False
        pos = [
            "ps.person_id = p.id",
            "ps.start <= pr.check_d",
            '(ps."end" IS NULL OR ps."end" >= pr.start_d)',
        ]
        if selector == "secretaries":
            pos.append("ps.role = 'secretary'")
        else:
            # 领导班子成员: a cell leader (党小组组长) is not in an organisation's leadership team
            pos.append("ps.role <> 'cell_leader'")
        if types:
            sql, ps_ = in_list(types)
            pos.append(f"po.type IN {sql}")
            params.extend(ps_)
        inner.append(
            "EXISTS (SELECT 1 FROM dj_position ps JOIN dj_organization po ON po.id = ps.org_id"
            f" WHERE {' AND '.join(pos)})"
        )
    org_sql, n_day = org_on("p", "pr.check_d")
    where, wparams = ctx.path_like("o")
    outer = [where]
    if outer_types:
        sql, ps_ = in_list(types)
        outer.append(f"o.type IN {sql}")
        wparams = [*wparams, *ps_]
    # The checked subtree's people only (no parameters: the order above stays).
    inner.append(ctx.person_scope("p.id"))
    inner_sql = " AND ".join([member_on("p", "pr.check_d"), *inner])
    cte = (
        "subj(pkey, person_id, org_id) AS (SELECT x.pkey, x.person_id, x.org_id FROM"
        f" (SELECT pr.pkey AS pkey, p.id AS person_id, {org_sql} AS org_id"
        f" FROM periods pr JOIN dj_person p ON {inner_sql}) x"
        f" JOIN dj_organization o ON o.id = x.org_id WHERE {' AND '.join(outer)})"
    )
    assert n_day == 2  # the day is a column reference here: no parameters to repeat
    return cte, [*params, *wparams]


def subject_rows(ctx: Context, rule: Rule, periods: Sequence[Period]) -> list[tuple[str, int, int]]:
    """`(pkey, person_id, org_id)` of people_cte() over `periods`: read once per context
    for every rule that selects the same people over the same periods (ctx.memo)."""
    pcte, pparams = ctx.periods_cte(periods)
    scte, sparams = people_cte(ctx, rule)
    key = ("subject_rows", pcte, tuple(pparams), scte, tuple(sparams))
    return ctx.once(  # type: ignore[no-any-return]
        key,
        lambda: ctx.query(
            f"WITH {pcte}, {scte} SELECT pkey, person_id, org_id FROM subj", [*pparams, *sparams]
        ),
    )


def person_label(selector: str | None) -> str:
    return {
        "members": "党员",
        "serving_members": "在职党员",
        "full_members": "正式党员",
        "leading_cadres": "党员领导干部",
        "leadership_team": "领导班子成员",
        "secretaries": "党组织书记",
        "party_workers": "党务干部",
        "full_time_party_workers": "专职党务干部",
    }.get(selector or "members", "党员")
