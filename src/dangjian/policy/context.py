"""What a rule kind gets to evaluate a rule: the year, as_of, the subtree, and
SQL helpers over the fact tables, in the dialect SQLite, PostgreSQL and DuckDB share."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connections

from dangjian.policy.findings import Entry
from dangjian.policy.periods import Period, check_day, judge, periods_of_year

MEMBER_STATUSES = ("full", "probationary")


# Membership spans: (person_id, org_id, start_d, end_d), end exclusive, NULL = open.
# With transfers, a person belongs to `to` from the transfer's date, and to the
# first transfer's `from` before it; without, to their own org throughout.
def _transfer_spans(scope: str = "1 = 1") -> str:
    """`scope`: a condition on `t.person_id` (the people whose spans are wanted)."""
    return f"""
  SELECT t.person_id AS person_id, t.to_org_id AS org_id, t.date AS start_d,
         LEAD(t.date) OVER (PARTITION BY t.person_id ORDER BY t.date) AS end_d
  FROM dj_transfer t
  WHERE {scope}
  UNION ALL
  SELECT t.person_id, t.from_org_id, NULL, t.date
  FROM dj_transfer t
  WHERE {scope} AND NOT EXISTS (SELECT 1 FROM dj_transfer t2
                    WHERE t2.person_id = t.person_id AND t2.date < t.date)"""


def _person_spans(scope: str = "1 = 1") -> str:
    """`scope`: a condition on `p.id`."""
    return f"""
  UNION ALL
  SELECT p.id, p.org_id, NULL, NULL
  FROM dj_person p
  WHERE {scope} AND NOT EXISTS (SELECT 1 FROM dj_transfer t3 WHERE t3.person_id = p.id)"""


# Over the whole database; a kind asks `ctx.spans_cte()`, scoped to the checked subtree.
SPANS_CTE = "spans AS (" + _transfer_spans() + _person_spans() + ")"
# The same, for people with transfers only (the few whose org changes over time).
TRANSFER_SPANS_CTE = "tspans AS (" + _transfer_spans() + ")"
_PATH = re.compile(r"/(?:[0-9]+/)+")


def org_on(p: str, day: str) -> tuple[str, int]:
    """SQL expression: the org person `p` belonged to on `day`, and how many times `day` occurs.

    Without transfers (most people), the person's own org, after one index probe; with
    transfers, the `to` of the latest transfer on or before the day, else the first
    transfer's `from`. Cheaper than joining the `spans` CTE when every person is read.
    """
    sql = (
        f"CASE WHEN NOT EXISTS (SELECT 1 FROM dj_transfer tx WHERE tx.person_id = {p}.id)"
        f" THEN {p}.org_id"
        f" WHEN EXISTS (SELECT 1 FROM dj_transfer tx WHERE tx.person_id = {p}.id"
        f" AND tx.date <= {day})"
        f" THEN (SELECT tx.to_org_id FROM dj_transfer tx WHERE tx.person_id = {p}.id"
        f" AND tx.date <= {day} ORDER BY tx.date DESC LIMIT 1)"
        f" ELSE (SELECT tx.from_org_id FROM dj_transfer tx WHERE tx.person_id = {p}.id"
        " ORDER BY tx.date LIMIT 1) END"
    )
    return sql, 2


def covers(span: str, day: str) -> str:
    """SQL: membership span `span` holds on the day expression `day`."""
    return (
        f"{span}.org_id IS NOT NULL AND ({span}.start_d IS NULL OR {span}.start_d <= {day})"
        f" AND ({span}.end_d IS NULL OR {span}.end_d > {day})"
    )


def member_on(p: str, day: str) -> str:
    """SQL: person `p` is a member (full or probationary, joined, not left) on `day`."""
    return (
        f"{p}.status IN ('full', 'probationary') AND ({p}"
        f".joined_on IS NULL OR {p}.joined_on <= {day})"
        f" AND ({p}.left_on IS NULL OR {p}.left_on > {day})"
    )


def full_member_on(p: str, day: str) -> str:
    return (
        f"{p}.status = 'full' AND ({p}.full_on IS NULL OR {p}.full_on <= {day})"
        f" AND ({p}.left_on IS NULL OR {p}.left_on > {day})"
    )


def in_list(values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`IN (...)` placeholders for a non-empty list."""
    if not values:
        return "(NULL)", []
    return "(" + ", ".join(["%s"] * len(values)) + ")", list(values)


def to_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def a_date(value: Any) -> date:
    """A date from a column that is never NULL (SQLite gives text, PostgreSQL dates)."""
    d = to_date(value)
    if d is None:
        raise ValueError("unexpected NULL date")
    return d


def to_num(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


def num_out(value: float) -> int | float:
    """A figure for the report: an int when whole, else rounded to 2 decimals."""
    value = round(float(value), 2)
    return int(value) if value == int(value) else value


def split_ids(value: Any) -> list[str]:
    if not value:
        return []
    return sorted(set(str(value).split(",")))


@dataclass
class OrgInfo:
    pk: int
    ext_id: str
    name: str
    type: str
    parent_id: int | None
    path: str
    established: date | None
    dissolved: date | None
    staff_count: int | None

    def exists_on(self, day: date) -> bool:
        return (self.established is None or self.established <= day) and (
            self.dissolved is None or self.dissolved > day
        )

    def exists_during(self, start: date, end: date) -> bool:
        return (self.established is None or self.established <= end) and (
            self.dissolved is None or self.dissolved > start
        )


@dataclass
class PersonInfo:
    pk: int
    ext_id: str
    name: str


def run_query(using: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of `sql` on this thread's connection to `using` (none for a statement)."""
    with connections[using].cursor() as cur:
        cur.execute(sql, list(params))
        return list(cur.fetchall()) if cur.description is not None else []


class _People(dict[int, PersonInfo]):
    """The subtree's people; one outside it that a rule names is read on demand.

    It keeps the database alias, not the context: the context's memo holds this dict,
    and a reference back would make a cycle that keeps a whole evaluation (a province's
    people, schedule lines and shared results) alive until the cycle collector runs.
    """

    def __init__(self, using: str, rows: dict[int, PersonInfo]) -> None:
        super().__init__(rows)
        self._using = using

    def __missing__(self, pk: int) -> PersonInfo:
        rows = run_query(self._using, "SELECT id, ext_id, name FROM dj_person WHERE id = %s", [pk])
        if not rows:
            raise KeyError(pk)
        info = PersonInfo(rows[0][0], rows[0][1], rows[0][2])
        self[pk] = info
        return info


@dataclass
class Context:
    year: int
    as_of: date
    using: str
    root_path: str | None  # restrict to this subtree ("/1/7/")
    orgs: dict[int, OrgInfo] = field(default_factory=dict)
    # (type, pk) of every subject a rule was evaluated for: the report's summary.subjects
    evaluated: set[tuple[str, int]] = field(default_factory=set)
    _people: dict[int, PersonInfo] | None = None
    # Results several rules share within one evaluation (keyed by their SQL and params):
    # read and filled through `once`, which rules running on other threads share.
    memo: dict[Any, Any] = field(default_factory=dict)
    _memo_locks: dict[Any, threading.Lock] = field(default_factory=dict, repr=False)
    # When the schedule is asked for: every (rule, subject, period) a kind judged, met or not.
    schedule: list[Entry] | None = None
    # The subtree holds every organisation of the database (a lone committee's root, as
    # its nightly refresh evaluates): its people are everyone, so nothing is restricted.
    every_org: bool = False
    # A finding's "org" and a person's "subject": one read-only dict each, however many
    # findings name them (a province-wide report holds hundreds of thousands).
    _org_refs: dict[int | None, dict[str, str]] = field(default_factory=dict, repr=False)
    _person_subjects: dict[int, dict[str, str]] = field(default_factory=dict, repr=False)

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """`memo[key]`, computed by the first rule that asks; a rule on another thread that
        asks meanwhile waits for it rather than computing it a second time."""
        if key in self.memo:
            return self.memo[key]
        lock = self._memo_locks.setdefault(key, threading.Lock())  # setdefault is atomic
        with lock:
            if key not in self.memo:
                self.memo[key] = compute()
        return self.memo[key]

    def for_rule(self) -> Context:
        """A context for one rule: the same organisations, people, shared results and
        subjects evaluated; its own schedule lines (put back in rule order afterwards)."""
        return dataclasses.replace(self, schedule=[] if self.schedule is not None else None)

    @property
    def people_scoped(self) -> bool:
        """Whether person queries must be restricted to the subtree's people."""
        return bool(self.root_path) and not self.every_org

    def record(
        self,
        rule: Any,
        *,
        subject_pk: int,
        period: Period,
        due: date,
        required: Any,
        actual: Any,
        met: bool,
        evidence: Sequence[str] = (),
        subject_type: str = "organization",
        org_pk: int | None = None,
        made_on: date | None = None,
    ) -> None:
        """Note one schedule line (a no-op unless the schedule was asked for)."""
        if self.schedule is None:
            return
        self.schedule.append(
            Entry(
                rule=rule.qualified_id,
                subject_type=subject_type,
                subject_pk=subject_pk,
                period=period.key,
                start=period.start,
                due=due,
                required=required,
                actual=actual,
                met=met,
                evidence=sorted(set(evidence)),
                org_pk=org_pk if org_pk is not None else subject_pk,
                made_on=made_on,
            )
        )

    @property
    def vendor(self) -> str:
        return connections[self.using].vendor

    @property
    def check_day(self) -> date:
        return check_day(self.year, self.as_of)

    @property
    def year_start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def year_end(self) -> date:
        return date(self.year, 12, 31)

    def judge(
        self, start: date, due: date, actual: float, required: float, reminder_days: int
    ) -> str | None:
        return judge(
            start=start,
            due=due,
            actual=actual,
            required=required,
            as_of=self.as_of,
            reminder_days=reminder_days,
        )

    def agg_ids(self, expr: str) -> str:
        """Comma-joined ids of a group (the one spelling SQLite and PostgreSQL differ on)."""
        if self.vendor == "postgresql":
            return f"STRING_AGG({expr}, ',')"
        return f"GROUP_CONCAT({expr}, ',')"

    def person_scope(self, col: str) -> str:
        """SQL: person id `col` is one of the checked subtree's people (see `people`).

        Without parameters (the path, digits and slashes only, is written into the SQL),
        so a kind adds it to any query without reordering its parameters. A whole-database
        check restricts nothing.
        """
        if not self.people_scoped:
            return "1 = 1"
        return f"{col} IN ({self._scope_people_sql()})"

    def _scope_people_sql(self) -> str:
        """Members of the subtree's organisations now, and whoever was transferred into or
        out of them: everyone who may belong to the subtree on some day."""
        under = self._scope_orgs_sql()
        # Two arms, not one join on `from OR to`: an OR join is planned as a nested loop.
        return (
            f"SELECT sp.id FROM dj_person sp WHERE sp.org_id IN ({under})"
            f" UNION SELECT st.person_id FROM dj_transfer st WHERE st.from_org_id IN ({under})"
            f" UNION SELECT st.person_id FROM dj_transfer st WHERE st.to_org_id IN ({under})"
        )

    def _scope_orgs_sql(self) -> str:
        """The subtree's organisation ids, without parameters.

        Once the organisations are loaded, as a list of ids: PostgreSQL estimates a list
        from its statistics, while a prefix test by an expression is estimated at a fixed
        0.5 % of the rows, which at the root of a province (every person in scope) made it
        choose nested loops that ran for minutes.
        """
        if self.orgs:
            return str(
                self.once(
                    ("scope_orgs", len(self.orgs)),
                    lambda: ", ".join(str(pk) for pk in sorted(self.orgs)),
                )
            )
        path = self.root_path or ""
        if not _PATH.fullmatch(path):
            raise ValueError(f"not an organisation path: {path!r}")
        # A prefix by substr, not LIKE: no "%" in SQL run with parameters, on both databases.
        return (
            f"SELECT so.id FROM dj_organization so WHERE substr(so.path, 1, {len(path)}) = '{path}'"
        )

    def spans_cte(self) -> str:
        """`spans(person_id, org_id, start_d, end_d)` of the subtree's people (SPANS_CTE)."""
        if not self.people_scoped:
            return SPANS_CTE
        scope = self.person_scope
        return (
            "spans AS ("
            + _transfer_spans(scope("t.person_id"))
            + _person_spans(scope("p.id"))
            + ")"
        )

    def transfer_spans_cte(self) -> str:
        """`tspans`: the transfer spans of the subtree's people (TRANSFER_SPANS_CTE)."""
        if not self.people_scoped:
            return TRANSFER_SPANS_CTE
        return "tspans AS (" + _transfer_spans(self.person_scope("t.person_id")) + ")"

    def id_list_sql(self, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """A subquery of `ids` (one column) in one parameter, however many there are: a
        query stays one query whatever the number of people it is about."""
        if self.vendor == "postgresql":
            return "SELECT unnest(%s::bigint[])", [list(ids)]
        return "SELECT value FROM json_each(%s)", [json.dumps(list(ids))]

    def attendance_of(self, activities: str, columns: str) -> str:
        """`SELECT columns FROM dj_attendance at WHERE` the attendance's activity `a`
        meets `activities` (more conditions may follow, with AND; `columns` name `at` only).

        Over the whole database on PostgreSQL, the activities' ids first, then each
        one's attendance by the (activity, person) index: as a join, PostgreSQL reads and
        hashes the whole attendance table (7.7 million rows at 200,000 members) even for
        one quarter's activities, 2.4 times the CPU. Not for a subtree (a department's
        refresh): there the join starts from the subtree's people, ten times faster than
        the province's quarter by activity. SQLite walks an index either way. For the
        activity's own columns too, `with_activity` (by `LATERAL`: 10 % slower than this
        for attendance alone, measured on the absences' quarter).
        """
        if self.vendor == "postgresql" and not self.people_scoped:
            return (
                f"SELECT {columns} FROM dj_attendance at WHERE at.activity_id = ANY(ARRAY("
                f"SELECT a.id FROM dj_activity a WHERE {activities}))"
            )
        return (
            f"SELECT {columns} FROM dj_activity a JOIN dj_attendance at"
            f" ON at.activity_id = a.id WHERE {activities}"
        )

    def with_activity(self, table: str, alias: str, columns: str, *, few: bool = False) -> str:
        """FROM-clause text: rows of `table` (an activity's attendance or absences, as
        `alias`, its `columns` only) with their activity `a`; the WHERE that follows names
        the activities (`a`'s kind and dates) and may filter `alias`'s columns.

        Over the whole database on PostgreSQL, activity by activity through the table's
        (activity, person) index: joined, the planner takes an activity's attendance for
        the table's average (24 rows) and, for a kind with few (a talk has 6), reads and
        hashes the whole attendance table (7.7 million rows at 200,000 members: talks
        0.59 s against 0.27 s). `OFFSET 0` keeps it from folding the subquery back into a
        join. Not for a subtree, or `few` people (the evidence of those short), whose
        join starts from the people: activity by activity, PostgreSQL probes the few
        for each of the year's 27,000 field researches (2.2 s against 0.05 s).
        """
        if self.vendor == "postgresql" and not self.people_scoped and not few:
            return (
                f"dj_activity a CROSS JOIN LATERAL (SELECT {columns} FROM {table} {alias}"
                f" WHERE {alias}.activity_id = a.id OFFSET 0) {alias}"
            )
        return f"{table} {alias} JOIN dj_activity a ON a.id = {alias}.activity_id"

    def path_like(self, alias: str) -> tuple[str, list[Any]]:
        """SQL restricting organisation `alias` to the checked subtree."""
        if not self.root_path:
            return "1 = 1", []
        return f"{alias}.path LIKE %s", [self.root_path + "%"]

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return run_query(self.using, sql, params)

    def periods(self, period: str) -> list[Period]:
        """The year's periods that have begun on as_of."""
        return [p for p in periods_of_year(self.year, period) if p.start <= self.as_of]

    def periods_cte(
        self, periods: Sequence[Period], *, extra: Sequence[Sequence[Any]] | None = None
    ) -> tuple[str, list[Any]]:
        """`periods(pkey, start_d, end_d, check_d[, x1...])` as a VALUES list.

        check_d is the day membership is read on: the period's end, or as_of if earlier.
        """
        rows = []
        params: list[Any] = []
        for i, p in enumerate(periods):
            cols = [p.key, p.start, p.end, min(p.end, self.as_of)]
            if extra is not None:
                cols.extend(extra[i])
            rows.append("(" + ", ".join(["%s"] * len(cols)) + ")")
            params.extend(self.param(c) for c in cols)
        names = "pkey, start_d, end_d, check_d"
        if extra is not None and extra:
            names += "".join(f", x{i + 1}" for i in range(len(extra[0])))
        return f"periods({names}) AS (VALUES {', '.join(rows)})", params

    def dated(self, col: str, periods: Sequence[Period]) -> tuple[str, list[Any]]:
        """SQL: the day `col` falls from the first period's first day to the last one's
        end. Joined to the periods alone, a database reads every record ever kept of the
        kinds asked for; bounded, only the days read get past the first filter."""
        return self.between(col), [
            self.param(min(p.start for p in periods)),
            self.param(max(p.end for p in periods)),
        ]

    def between(self, col: str) -> str:
        """SQL: `col` from one %s to the next. On SQLite the column goes in as `+col`, which
        keeps the filter but lets no date index be chosen for it: without a histogram
        SQLite takes any date range for a small part of a table and, for a department's
        evaluation, read the whole province's year by date instead of the department's
        people's or organisations' records by their index (talks: 0.05 → 0.18 s)."""
        if self.vendor == "sqlite":
            return f"+{col} >= %s AND +{col} <= %s"
        return f"{col} >= %s AND {col} <= %s"

    def param(self, value: Any) -> Any:
        """Dates go to SQLite as ISO text (how Django stores them), to PostgreSQL as dates."""
        if isinstance(value, date) and self.vendor == "sqlite":
            return value.isoformat()
        return value

    def orgs_of_types(self, types: Sequence[str]) -> list[OrgInfo]:
        wanted = set(types)
        return [o for o in self.orgs.values() if o.type in wanted]

    @property
    def people(self) -> dict[int, PersonInfo]:
        """The people of the checked subtree: members of its organisations now, and whoever
        was transferred into or out of them (a whole-database check reads everyone)."""
        if self._people is None:
            # Once for the evaluation, whichever rule's context (and thread) asks first.
            self._people = self.once(("people",), self._load_people)
        return self._people

    def _load_people(self) -> _People:
        if self.people_scoped:
            rows = self.query(
                f"SELECT p.id, p.ext_id, p.name FROM dj_person p WHERE {self.person_scope('p.id')}"
            )
        else:
            rows = self.query("SELECT id, ext_id, name FROM dj_person")
        return _People(self.using, {r[0]: PersonInfo(r[0], r[1], r[2]) for r in rows})

    def load_orgs(self) -> None:
        where, params = self.path_like("o")
        rows = self.query(
            "SELECT o.id, o.ext_id, o.name, o.type, o.parent_id, o.path, o.established,"
            f" o.dissolved, o.staff_count FROM dj_organization o WHERE {where}",
            params,
        )
        self.orgs = {
            r[0]: OrgInfo(r[0], r[1], r[2], r[3], r[4], r[5], to_date(r[6]), to_date(r[7]), r[8])
            for r in rows
        }
        if self.root_path:
            (total,) = self.query("SELECT COUNT(*) FROM dj_organization")[0]
            self.every_org = total == len(self.orgs)

    def org_ref(self, pk: int | None) -> dict[str, str]:
        ref = self._org_refs.get(pk)
        if ref is None:
            o = self.orgs.get(pk) if pk is not None else None
            ref = self._org_refs[pk] = {"id": o.ext_id, "name": o.name} if o else {}
        return ref

    def org_subject(self, pk: int) -> dict[str, str]:
        o = self.orgs[pk]
        return {"type": "organization", "id": o.ext_id, "name": o.name}

    def person_subject(self, pk: int) -> dict[str, str]:
        subject = self._person_subjects.get(pk)
        if subject is None:
            p = self.people[pk]
            subject = {"type": "person", "id": p.ext_id, "name": p.name}
            self._person_subjects[pk] = subject
        return subject

    def children(self, pk: int | None) -> list[OrgInfo]:
        """The organisations directly under `pk` (in the order of `orgs`), from an index
        built once for the evaluation."""

        def index() -> dict[int | None, list[OrgInfo]]:
            out: dict[int | None, list[OrgInfo]] = {}
            for o in self.orgs.values():
                out.setdefault(o.parent_id, []).append(o)
            return out

        by_parent: dict[int | None, list[OrgInfo]] = self.once(("children", len(self.orgs)), index)
        return by_parent.get(pk, [])

    def descendants(self, pk: int) -> list[OrgInfo]:
        path = self.orgs[pk].path
        return [o for o in self.orgs.values() if o.path.startswith(path) and o.pk != pk]

    def subtree_totals(
        self, per_org: Mapping[int, float], roots: Sequence[OrgInfo]
    ) -> dict[int, float]:
        """Sum a per-organisation figure over each root's subtree (in Python, from one query).

        Each figure goes up its own path ("/1/7/9/": "/1/", "/1/7/", "/1/7/9/") to whichever
        of those is a root: the organisations times their depth, not times the roots."""
        by_root_path: dict[str, float] = {root.path: 0 for root in roots}
        for pk, v in per_org.items():
            org = self.orgs.get(pk)
            if org is None:
                continue
            path = org.path
            end = path.find("/", 1)
            while end != -1:
                prefix = path[: end + 1]
                if prefix in by_root_path:
                    by_root_path[prefix] += v
                end = path.find("/", end + 1)
        return {root.pk: by_root_path[root.path] for root in roots}
