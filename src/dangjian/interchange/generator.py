"""A synthetic but believable `dangjian/1` dataset: a provincial organ work committee.

One work committee (机关工委) leads the departments (party groups); under each,
the organ-level organisation its member count calls for, its branches and
some party cells; people with their milestones, posts, terms; a year of
activities with attendance, trainings, filings, dues and assessments; admission
steps, member reviews (民主评议) and community registrations and services. Most
obligations are met, a believable few are not, so a check finds something.

Deterministic for a seed: every random draw comes from `random.Random`
instances seeded from the seed (one per section, so sections can be produced
lazily and in any order), iteration is over lists only, and nothing reads the
clock except the documented default `as_of` for the current year.

Large sizes are streamed: `write_dataset` writes record by record, and the
big lists (activities, trainings, dues) are produced by generators.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TextIO

from dangjian.interchange import names

FORMAT = "dangjian/1"
SECTIONS = (
    "organizations",
    "people",
    "transfers",
    "positions",
    "terms",
    "activities",
    "trainings",
    "filings",
    "dues",
    "assessments",
    "admission_steps",
    "reviews",
    "community_registrations",
    "community_services",
)

Record = dict[str, Any]

MEMBER = ("full", "probationary")
ELECTED_TYPES = ("organ_committee", "discipline_committee", "general_branch", "branch")
DAY = timedelta(days=1)


# Meetings whose absent members are recorded with a reason (应到 / 实到), and what
# the reasons and make-ups (补学) look like.
ABSENCE_KINDS = frozenset(
    ("branch_assembly", "theme_day", "study_session", "party_lesson", "org_life_meeting")
)
ABSENCE_REASONS = ("sick", "personal", "personal", "official", "official", "official", "other")
ABSENCE_NOTES = ("外出培训", "照顾家人", "驻村工作")
MAKEUP_HOW = ("自学会议材料并交流心得", "参加其他党小组学习", "观看会议录像", "书记当面传达")


def default_as_of(year: int, today: date | None = None) -> date:
    """The last day of `year`, or today while `year` is the current year."""
    today = today or date.today()
    return today if year == today.year else date(year, 12, 31)


def generate_dataset(
    *,
    orgs: int,
    members: int,
    year: int,
    seed: int = 1,
    as_of: date | None = None,
    departments: int | None = None,
) -> dict[str, Any]:
    """The whole dataset in memory (for tests and small sizes)."""
    gen = _Generator(
        orgs=orgs, members=members, year=year, seed=seed, as_of=as_of, departments=departments
    )
    out: dict[str, Any] = {"format": FORMAT}
    for name, records in gen.sections():
        out[name] = list(records)
    return out


def write_dataset(
    out: TextIO,
    *,
    orgs: int,
    members: int,
    year: int,
    seed: int = 1,
    as_of: date | None = None,
    departments: int | None = None,
) -> dict[str, int]:
    """Stream the dataset as JSON to `out`, record by record; returns the list sizes."""
    gen = _Generator(
        orgs=orgs, members=members, year=year, seed=seed, as_of=as_of, departments=departments
    )
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    counts: dict[str, int] = {}
    out.write('{"format":"dangjian/1"')
    for name, records in gen.sections():
        out.write(f',\n"{name}":[')
        n = 0
        buf: list[str] = []
        for rec in records:
            buf.append(dumps(rec))
            n += 1
            if len(buf) >= 2000:
                out.write(("\n" if n == len(buf) else ",\n") + ",\n".join(buf))
                buf.clear()
        if buf:
            out.write(("\n" if n == len(buf) else ",\n") + ",\n".join(buf))
        out.write("\n]")
        counts[name] = n
    out.write("}\n")
    return counts


# --------------------------------------------------------------------------- model


@dataclass(slots=True)
class _Org:
    idx: int
    id: str
    name: str
    type: str
    parent: int | None
    dept: int | None  # index into departments; None for the work committee
    staff_count: int | None = None
    established: date | None = None
    children: list[int] = field(default_factory=list)
    people: list[int] = field(default_factory=list)  # people whose org this is
    weak: bool = False  # misses more of its routine
    quality: float = 0.5
    elected_on: date | None = None  # current term
    years: int = 0


@dataclass(slots=True)
class _Person:
    idx: int
    id: str
    name: str
    org: int
    dept: int
    status: str
    birth: date
    employment: str = "in_service"
    income: int = 0
    applied_on: date | None = None
    activist_on: date | None = None
    candidate_on: date | None = None
    joined_on: date | None = None
    full_on: date | None = None
    probation_extended_to: date | None = None
    leading_cadre: bool = False
    party_worker: str | None = None
    mobile: bool = False
    hosted_by: int | None = None
    left_on: date | None = None
    absentee: bool = False  # often misses organisational life
    # (org idx, first day, day after last) of membership inside the window
    spans: list[tuple[int, int, int]] = field(default_factory=list)


@dataclass(slots=True)
class _Position:
    person: int
    org: int
    role: str
    start: date
    end: date | None = None


@dataclass(slots=True)
class _Dept:
    idx: int
    name: str
    party_group: int
    organ: int  # the organ-level organisation (organ committee, general branch or branch)
    discipline: int | None
    branches: list[int]
    people: list[int]
    staff: int


# --------------------------------------------------------------------------- helpers


def _month_end(y: int, m: int) -> date:
    return date(y + (m == 12), m % 12 + 1, 1) - DAY


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, _month_end(y, m).day))


def _years_before(d: date, years: float) -> date:
    return d - timedelta(days=round(years * 365.25))


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _clean(rec: Record) -> Record:
    return {k: v for k, v in rec.items() if v is not None}


def _dues_rate(employment: str, income: float) -> float | None:
    """2008 rules: a share of monthly income, or None for a fixed amount."""
    if employment == "in_service":
        if income <= 3000:
            return 0.005
        if income <= 5000:
            return 0.01
        if income <= 10000:
            return 0.015
        return 0.02
    if employment == "retired":
        return 0.005 if income <= 5000 else 0.01
    return None


def dues_amount(employment: str, income: float) -> float:
    rate = _dues_rate(employment, income)
    if rate is None:
        return 0.2 if employment in ("student", "unemployed") else 0.5
    return round(income * rate, 2)


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(x, 2)


# --------------------------------------------------------------------------- generator


class _Generator:
    def __init__(
        self,
        *,
        orgs: int,
        members: int,
        year: int,
        seed: int,
        as_of: date | None,
        departments: int | None,
    ) -> None:
        if members < 1:
            raise ValueError("人员数（members）至少为 1")
        self.year = year
        self.seed = seed
        self.as_of = as_of or default_as_of(year)
        self.start = date(year, 1, 1)
        if self.as_of < self.start:
            raise ValueError(f"截止日期 {self.as_of} 早于 {year} 年")
        self.end = min(self.as_of, date(year, 12, 31))
        self.start_ord = self.start.toordinal()
        self.end_ord = self.end.toordinal()
        self.n_orgs = max(orgs, 1)
        self.n_members = members
        self.n_depts = departments
        self.rng = random.Random(f"{seed}/structure")
        self.orgs: list[_Org] = []
        self.people: list[_Person] = []
        self.depts: list[_Dept] = []
        self.positions: list[_Position] = []
        self.pos_by_org: dict[int, list[_Position]] = {}
        self.terms: list[tuple[int, date, int]] = []
        self.transfers: list[Record] = []
        self.root = 0
        self.cells: list[tuple[int, int, list[int]]] = []  # (cell org, branch org, people)
        self._build()

    # ------------------------------------------------------------------ random bits

    def _date(self, rng: random.Random, lo: date, hi: date) -> date:
        if hi <= lo:
            return lo
        return date.fromordinal(rng.randint(lo.toordinal(), hi.toordinal()))

    def _name(self, rng: random.Random) -> str:
        surnames = names.SURNAMES
        # Earlier surnames are more frequent.
        i = min(int(rng.expovariate(1 / 28)), len(surnames) - 1)
        pool = names.GIVEN_MALE if rng.random() < 0.55 else names.GIVEN_FEMALE
        given = rng.choice(pool)
        if rng.random() < 0.72:
            given += rng.choice(pool)
        return surnames[i] + given

    # ------------------------------------------------------------------ structure

    def _plan(self) -> tuple[int, float]:
        """How many departments, and the typical branch size."""
        m, n = self.n_members, self.n_orgs
        size = min(46.0, max(8.0, m / max(1.0, 0.6 * n)))
        if self.n_depts:
            return self.n_depts, size
        branches = m / size
        rest = n - 1 - branches * 1.05
        depts = max(1, round(rest / 2.6), math.ceil(m / 1500))
        return min(depts, max(1, m // 8)), size

    def _dept_sizes(self, depts: int) -> list[int]:
        rng, m = self.rng, self.n_members
        weights: list[float] = []
        for i in range(depts):
            r = rng.random()
            if depts >= 5 and r < 0.10:
                weights.append(rng.uniform(0.12, 0.35))  # a small office: one branch
            elif depts >= 5 and r < 0.22:
                weights.append(rng.uniform(0.45, 0.8))  # a general branch
            else:
                weights.append(rng.lognormvariate(0.35, 0.55) + (0.4 if i < 8 else 0))
        total = sum(weights)
        raw = [m * w / total for w in weights]
        sizes = [max(1, int(x)) for x in raw]
        # Largest remainder to hit the exact total.
        diff = m - sum(sizes)
        order = sorted(range(depts), key=lambda j: (sizes[j] - raw[j], j))
        k = 0
        while diff != 0 and depts:
            j = order[k % depts]
            if diff > 0:
                sizes[j] += 1
                diff -= 1
            elif sizes[j] > 1:
                sizes[j] -= 1
                diff += 1
            k += 1
        return sizes

    def _dept_names(self, depts: int) -> list[str]:
        out = list(names.DEPARTMENTS[:depts])
        if len(out) < depts:
            used = set(out)
            for suffix in names.EXTRA_SUFFIXES:
                for fld in names.EXTRA_FIELDS:
                    candidate = f"省{fld}{suffix}"
                    if candidate not in used:
                        used.add(candidate)
                        out.append(candidate)
                    if len(out) >= depts:
                        return out
            n = 1
            while len(out) < depts:
                out.append(f"省直属第{n}事业单位")
                n += 1
        return out

    def _add_org(
        self, name: str, type_: str, parent: int | None, dept: int | None, **kw: Any
    ) -> int:
        idx = len(self.orgs)
        org = _Org(idx=idx, id=f"O{idx + 1}", name=name, type=type_, parent=parent, dept=dept, **kw)
        self.orgs.append(org)
        if parent is not None:
            self.orgs[parent].children.append(idx)
        return idx

    def _partition(self, total: int, size: float, hi: int = 49, lo: int = 5) -> list[int]:
        rng = self.rng
        if total <= hi:
            return [total]
        k = max(1, round(total / size))
        while k * hi < total:
            k += 1
        weights = [rng.uniform(0.85, 1.15) for _ in range(k)]
        tw = sum(weights)
        parts = [min(hi, max(lo, round(total * w / tw))) for w in weights]
        diff = total - sum(parts)
        i = 0
        while diff != 0:
            j = i % k
            if diff > 0 and parts[j] < hi:
                parts[j] += 1
                diff -= 1
            elif diff < 0 and parts[j] > lo:
                parts[j] -= 1
                diff += 1
            i += 1
        return parts

    def _build(self) -> None:
        n_depts, size = self._plan()
        sizes = self._dept_sizes(n_depts)
        dept_names = self._dept_names(n_depts)
        self.root = self._add_org(
            "省直机关工作委员会", "work_committee", None, None, established=date(1990, 6, 1)
        )
        for d in range(n_depts):
            self._build_dept(d, dept_names[d], sizes[d], size)
        self._build_moves()
        self._build_party_workers()
        self._build_work_committee_posts()
        self._build_spans()

    def _new_person(self, dept: int, org: int, retired: bool) -> int:
        rng, as_of = self.rng, self.as_of
        idx = len(self.people)
        r = rng.random()
        if retired or r < 0.885:
            status = "full"
        elif r < 0.93:
            status = "probationary"
        elif r < 0.95:
            status = "candidate"
        elif r < 0.975:
            status = "activist"
        else:
            status = "applicant"
        if retired:
            age = rng.uniform(60, 86)
        elif status == "full":
            age = rng.triangular(25, 60, 42)
        else:
            age = rng.uniform(23, 38)
        birth = _years_before(as_of, age) - timedelta(days=rng.randint(0, 200))
        p = _Person(
            idx=idx,
            id=f"P{idx + 1}",
            name=self._name(rng),
            org=org,
            dept=dept,
            status=status,
            birth=birth,
        )
        if retired:
            p.employment = "retired"
            p.income = rng.randrange(3400, 8600, 10)
        else:
            p.income = rng.randrange(4200, 9800, 10)
            if rng.random() < 0.08:
                p.income = rng.randrange(2600, 4200, 10)
        if status == "full":
            earliest = _years_before(birth, -20.5)
            latest = as_of - timedelta(days=400)
            p.joined_on = self._date(rng, earliest, max(earliest, latest))
            p.full_on = _add_months(p.joined_on, 12)
            if rng.random() < 0.01:
                p.probation_extended_to = _add_months(p.joined_on, 18)
                p.full_on = p.probation_extended_to
            if p.full_on > as_of:
                p.full_on = as_of
                p.probation_extended_to = None
            if rng.random() < 0.25:  # recent members still have their milestones on file
                p.candidate_on = _add_months(p.joined_on, -rng.randint(3, 10))
                p.activist_on = _add_months(p.candidate_on, -rng.randint(12, 20))
                p.applied_on = _add_months(p.activist_on, -rng.randint(1, 6))
        elif status == "probationary":
            late = rng.random() < 0.02  # overdue for conversion
            lo_days, hi_days = (380, 420) if late else (10, 355)
            p.joined_on = as_of - timedelta(days=rng.randint(lo_days, hi_days))
            p.candidate_on = _add_months(p.joined_on, -rng.randint(3, 10))
            p.activist_on = _add_months(p.candidate_on, -rng.randint(12, 18))
            p.applied_on = _add_months(p.activist_on, -rng.randint(1, 6))
        elif status == "candidate":
            p.candidate_on = as_of - timedelta(days=rng.randint(20, 330))
            gap = rng.randint(12, 20) if rng.random() > 0.05 else rng.randint(8, 11)
            p.activist_on = _add_months(p.candidate_on, -gap)
            p.applied_on = _add_months(p.activist_on, -rng.randint(1, 6))
        elif status == "activist":
            p.activist_on = as_of - timedelta(days=rng.randint(20, 500))
            p.applied_on = _add_months(p.activist_on, -rng.randint(1, 6))
        else:
            p.applied_on = as_of - timedelta(days=rng.randint(5, 330))
        self.people.append(p)
        return idx

    def _pick(self, pool: list[int], k: int, taken: list[int]) -> list[int]:
        free = [i for i in pool if i not in taken]
        if not free:
            return []
        return self.rng.sample(free, min(k, len(free)))

    def _eligible(self, people: list[int]) -> list[int]:
        ps = self.people
        return [
            i
            for i in people
            if ps[i].status == "full" and ps[i].left_on is None and not ps[i].mobile
        ]

    def _build_dept(self, d: int, dname: str, total: int, size: float) -> None:
        rng, as_of = self.rng, self.as_of
        staff = max(total + 2, round(total * rng.uniform(1.15, 1.6)))
        pg = self._add_org(
            f"{dname}党组",
            "party_group",
            self.root,
            d,
            staff_count=staff,
            established=date(rng.randint(1978, 2005), rng.randint(1, 12), 1),
        )
        self.orgs[pg].quality = rng.random()
        # Estimate full members to decide the organ-level type, as the rules count them.
        full_estimate = round(total * 0.885)
        if full_estimate >= 100:
            organ_type = "organ_committee"
        elif full_estimate >= 50:
            organ_type = "general_branch"
        else:
            organ_type = "branch"
        if rng.random() < 0.04:  # a department whose structure lags behind its size
            organ_type = {
                "organ_committee": "general_branch",
                "general_branch": "branch" if total <= 60 else "organ_committee",
                "branch": "general_branch" if total >= 30 else "branch",
            }[organ_type]
        short = dname.removeprefix("省")
        label = {
            "organ_committee": "机关党委",
            "general_branch": "机关党总支",
            "branch": "机关党支部",
        }[organ_type]
        organ = self._add_org(f"{dname}{label}", organ_type, pg, d)
        discipline = None
        if organ_type == "organ_committee" and rng.random() > 0.05:
            discipline = self._add_org(f"{dname}机关纪委", "discipline_committee", pg, d)
        branches: list[int] = []
        people: list[int] = []
        if organ_type == "branch":
            branches.append(organ)
            for _ in range(total):
                people.append(self._new_person(d, organ, retired=False))
            self.orgs[organ].people = list(people)
        else:
            retirees = 0
            if organ_type == "organ_committee" and total >= 150 and rng.random() < 0.5:
                retirees = min(45, max(6, round(total * rng.uniform(0.04, 0.08))))
            eff = min(47.0, size * rng.uniform(0.94, 1.06))
            parts = self._partition(total - retirees, eff) if total > retirees else []
            offices = list(names.OFFICES)
            rng.shuffle(offices)
            for i, n in enumerate(parts):
                if i < len(offices) and rng.random() < 0.75:
                    bname = f"{dname}{offices[i]}党支部"
                else:
                    ordinal = names.ORDINALS[i] if i < len(names.ORDINALS) else f"第{i + 1}"
                    bname = f"{dname}机关{ordinal}党支部"
                b = self._add_org(bname, "branch", organ, d)
                branches.append(b)
                members = [self._new_person(d, b, retired=False) for _ in range(n)]
                self.orgs[b].people = members
                people.extend(members)
            if retirees:
                b = self._add_org(f"{dname}{names.RETIREE_BRANCH}", "branch", organ, d)
                branches.append(b)
                members = [self._new_person(d, b, retired=True) for _ in range(retirees)]
                self.orgs[b].people = members
                people.extend(members)
        dept = _Dept(
            idx=d,
            name=short,
            party_group=pg,
            organ=organ,
            discipline=discipline,
            branches=branches,
            people=people,
            staff=staff,
        )
        self.depts.append(dept)
        for b in branches:
            ob = self.orgs[b]
            ob.weak = rng.random() < 0.08
            ob.quality = min(1.0, max(0.0, rng.gauss(0.6 if not ob.weak else 0.3, 0.2)))
        # Leading cadres: about 8% of in-service full members, at least five per department.
        in_service = [i for i in people if self.people[i].employment == "in_service"]
        full_in_service = [i for i in in_service if self.people[i].status == "full"]
        for i in full_in_service:
            age = (as_of - self.people[i].birth).days / 365.25
            if age >= 35 and rng.random() < 0.09:
                self.people[i].leading_cadre = True
        cadres = [i for i in full_in_service if self.people[i].leading_cadre]
        if len(cadres) < 5:
            for i in self._pick(full_in_service, 5 - len(cadres), cadres):
                self.people[i].leading_cadre = True
                cadres.append(i)
        for i in cadres:
            self.people[i].income = rng.randrange(9000, 16500, 10)
        # Cells in some larger branches.
        for b in branches:
            bp = self.orgs[b].people
            if len(bp) >= 24 and rng.random() < 0.03:
                k = 2 if len(bp) < 40 else 3
                cut = [round(len(bp) * j / k) for j in range(k + 1)]
                for j in range(k):
                    cell_name = f"{self.orgs[b].name.removesuffix('党支部')}第{'一二三'[j]}党小组"
                    c = self._add_org(cell_name, "party_cell", b, d)
                    self.cells.append((c, b, bp[cut[j] : cut[j + 1]]))
        self._build_dept_posts(dept)

    # ------------------------------------------------------------------ posts and terms

    def _term(self, org: int, years: int) -> date:
        """Pick the current term's election date; record this and the previous term."""
        rng, as_of = self.rng, self.as_of
        r = rng.random()
        if r < 0.07:  # overdue
            elected = as_of - timedelta(days=years * 365 + rng.randint(20, 300))
        elif r < 0.17:  # ends within six months
            elected = as_of - timedelta(days=years * 365 - rng.randint(10, 175))
        else:
            elected = as_of - timedelta(days=rng.randint(20, years * 365 - 190))
        prev = elected - timedelta(days=years * 365 + rng.randint(-40, 40))
        o = self.orgs[org]
        o.elected_on, o.years = elected, years
        o.established = min(o.established or prev, prev - timedelta(days=rng.randint(0, 2000)))
        self.terms.append((org, prev, years))
        self.terms.append((org, elected, years))
        return elected

    def _post(self, person: int, org: int, role: str, start: date, end: date | None = None) -> None:
        pos = _Position(person=person, org=org, role=role, start=start, end=end)
        self.positions.append(pos)
        self.pos_by_org.setdefault(org, []).append(pos)

    def _secretary(
        self, org: int, holder: int, elected: date | None, pool: list[int], long_ok: bool
    ) -> None:
        """The secretary post, with re-elections, mid-term changes and vacancies."""
        rng, as_of = self.rng, self.as_of
        start = elected or self._date(rng, _years_before(as_of, 6), as_of - timedelta(days=200))
        years = self.orgs[org].years or 5
        r = rng.random()
        if elected is not None and r < 0.4:
            start = _years_before(elected, years)  # re-elected once
        elif elected is not None and long_ok and r < 0.46:
            start = _years_before(elected, 2 * years)  # three terms running
        if elected is not None and elected >= self.start and start == elected:
            # A new secretary at this year's election: the predecessor's post ends the day before.
            before = self._pick(pool, 1, [holder])
            if before:
                self._post(
                    before[0], org, "secretary", _years_before(elected, years), elected - DAY
                )
        change_rate = 0.12 if self.orgs[org].type in ("branch", "general_branch") else 0.06
        lo = max(start + timedelta(days=60), as_of - timedelta(days=430))
        hi = as_of - timedelta(days=10)
        if rng.random() < change_rate and lo < hi:
            change = self._date(rng, lo, hi)
            self._post(holder, org, "secretary", start, change)
            nxt = self._pick(pool, 1, [holder])
            if not nxt:
                return
            gap = rng.randint(1, 20) if rng.random() < 0.65 else rng.randint(60, 245)
            new_start = change + timedelta(days=gap)
            if new_start <= as_of:
                self._post(nxt[0], org, "secretary", new_start)
            return
        self._post(holder, org, "secretary", start)

    def _build_dept_posts(self, dept: _Dept) -> None:
        rng, as_of, ps = self.rng, self.as_of, self.people
        cadres = [i for i in dept.people if ps[i].leading_cadre and ps[i].status == "full"]
        eligible_all = self._eligible(dept.people)
        # Party group: appointed, no term.
        pg_start = self._date(rng, _years_before(as_of, 7), as_of - timedelta(days=120))
        pg_members = cadres[: max(3, min(len(cadres), rng.randint(5, 8)))]
        if pg_members:
            self._post(pg_members[0], dept.party_group, "secretary", pg_start)
        for i in pg_members[1:]:
            start = self._date(rng, _years_before(as_of, 6), as_of - timedelta(days=60))
            self._post(i, dept.party_group, "committee_member", start)
        organ = self.orgs[dept.organ]
        used: list[int] = list(pg_members)
        if organ.type == "organ_committee":
            elected = self._term(dept.organ, 5)
            if len(pg_members) > 1 and rng.random() < 0.9:
                sec = pg_members[1]
            else:
                sec = (self._pick(cadres, 1, used) or self._pick(eligible_all, 1, used))[0]
            used.append(sec)
            self._secretary(dept.organ, sec, elected, cadres or eligible_all, long_ok=True)
            deputies = self._pick(eligible_all, rng.randint(1, 2), used)
            used.extend(deputies)
            for i in deputies:
                self._post(i, dept.organ, "deputy_secretary", elected)
            for i in self._pick(eligible_all, rng.randint(4, 6), used):
                used.append(i)
                self._post(i, dept.organ, "committee_member", elected)
            if dept.discipline is not None:
                self.orgs[dept.discipline].years = 5
                self.orgs[dept.discipline].elected_on = elected
                self.orgs[dept.discipline].established = organ.established
                self.terms.append((dept.discipline, elected, 5))
                if deputies:
                    self._secretary(dept.discipline, deputies[-1], elected, eligible_all, True)
                for i in self._pick(eligible_all, rng.randint(2, 4), used):
                    used.append(i)
                    self._post(i, dept.discipline, "committee_member", elected)
        elif organ.type == "general_branch":
            elected = self._term(dept.organ, 3)
            sec = (self._pick(cadres, 1, used) or self._pick(eligible_all, 1, used))[0]
            used.append(sec)
            self._secretary(dept.organ, sec, elected, eligible_all, long_ok=False)
            for role, k in (("deputy_secretary", 1), ("committee_member", rng.randint(2, 3))):
                for i in self._pick(eligible_all, k, used):
                    used.append(i)
                    self._post(i, dept.organ, role, elected)
            if rng.random() < 0.92:
                for i in self._pick(eligible_all, 1, used):
                    self._post(i, dept.organ, "discipline_member", elected)
        for b in dept.branches:
            self._branch_posts(b, dept.organ == b)
        for c, _b, members in self.cells:
            if self.orgs[c].dept == dept.idx:
                leader = self._pick(self._eligible(members), 1, [])
                if leader:
                    start = self._date(rng, _years_before(as_of, 4), as_of - timedelta(days=90))
                    self._post(leader[0], c, "cell_leader", start)
                self.orgs[c].established = self.orgs[_b].established

    def _branch_posts(self, b: int, organ_level: bool) -> None:
        rng, ps = self.rng, self.people
        members = self.orgs[b].people
        eligible = self._eligible(members)
        if not eligible:
            self.orgs[b].established = _years_before(self.as_of, 8)
            return
        elected = self._term(b, 3)
        full = sum(1 for i in members if ps[i].status == "full")
        cadres = [i for i in eligible if ps[i].leading_cadre]
        holder = cadres[0] if cadres and rng.random() < 0.7 else rng.choice(eligible)
        self._secretary(b, holder, elected, eligible, long_ok=False)
        used = [holder]
        if full >= 7:
            roles = [("committee_member", rng.randint(1, 3))]
            if rng.random() < 0.5:
                roles.insert(0, ("deputy_secretary", 1))
            if rng.random() < 0.93:
                roles.append(("discipline_member", 1))
        else:
            roles = [("discipline_member", 1)] if rng.random() < 0.8 and full >= 3 else []
        for role, k in roles:
            for i in self._pick(eligible, k, used):
                used.append(i)
                self._post(i, b, role, elected)

    def _build_work_committee_posts(self) -> None:
        rng, as_of = self.rng, self.as_of
        taken = [p.person for p in self.positions if self.orgs[p.org].type == "party_group"]
        pool = [i for d in self.depts[:3] for i in d.people if self.people[i].leading_cadre]
        chosen = self._pick(pool, 6, taken)
        for j, i in enumerate(chosen):
            role = "secretary" if j == 0 else "deputy_secretary" if j < 3 else "committee_member"
            start = self._date(rng, _years_before(as_of, 5), as_of - timedelta(days=100))
            self._post(i, self.root, role, start)

    # ------------------------------------------------------------------ people's changes

    def _build_moves(self) -> None:
        """Transfers, leavers and mobile members (a few of each)."""
        rng, ps = self.rng, self.people
        holders = {p.person for p in self.positions}
        branches = [b for d in self.depts for b in d.branches]
        candidates = [
            p.idx
            for p in ps
            if p.status == "full" and p.employment == "in_service" and p.idx not in holders
        ]
        letter_no = 0

        def letter() -> str:
            nonlocal letter_no
            letter_no += 1
            return f"机关工委介字〔{self.year}〕{letter_no:04d}号"

        win_lo = self.start + timedelta(days=10)
        win_hi = self.end - timedelta(days=5)
        if win_hi <= win_lo:
            return
        for i in candidates:
            p = ps[i]
            r = rng.random()
            if r < 0.004 and len(branches) > 1:  # moved between branches this year
                dest = rng.choice(branches)
                if dest == p.org:
                    continue
                when = self._date(rng, win_lo, win_hi)
                self.transfers.append(
                    {
                        "person": p.id,
                        "from": self.orgs[p.org].id,
                        "to": self.orgs[dest].id,
                        "date": when.isoformat(),
                        "letter": letter(),
                    }
                )
                self.orgs[p.org].people.remove(i)
                self.orgs[dest].people.append(i)
                p.org = dest
                p.dept = self.orgs[dest].dept or p.dept
                p.spans = [(-1, when.toordinal(), 0)]  # marker: joined `dest` on `when`
            elif r < 0.007:  # left the system
                when = self._date(rng, win_lo, win_hi)
                p.left_on = when
                self.transfers.append(
                    {
                        "person": p.id,
                        "from": self.orgs[p.org].id,
                        "to": None,
                        "date": when.isoformat(),
                        "letter": letter(),
                    }
                )
            elif r < 0.009:  # came from outside the system
                when = self._date(rng, win_lo, win_hi)
                self.transfers.append(
                    {
                        "person": p.id,
                        "from": None,
                        "to": self.orgs[p.org].id,
                        "date": when.isoformat(),
                        "letter": letter(),
                    }
                )
                p.spans = [(-2, when.toordinal(), 0)]
            elif r < 0.012:  # working elsewhere for now
                p.mobile = True
                if rng.random() < 0.8 and len(branches) > 1:
                    host = rng.choice(branches)
                    if host != p.org:
                        p.hosted_by = host
            elif r < 0.04:
                p.absentee = True
        # Transfers are kept sorted by person for readability; order is not meaningful.
        self.transfers.sort(key=lambda t: (int(t["person"][1:]), t["date"]))
        # The mover's previous org is needed for spans: recover it from the transfer list.
        self._moved_from: dict[int, tuple[int, int]] = {}
        by_ext = {o.id: o.idx for o in self.orgs}
        for t in self.transfers:
            if t["from"] is not None and t["to"] is not None:
                pidx = int(t["person"][1:]) - 1
                self._moved_from[pidx] = (
                    by_ext[t["from"]],
                    date.fromisoformat(t["date"]).toordinal(),
                )

    def _build_party_workers(self) -> None:
        rng, ps = self.rng, self.people
        for dept in self.depts:
            share = rng.uniform(0.02, 0.03) if rng.random() < 0.8 else rng.uniform(0.007, 0.019)
            want = max(1, round(dept.staff * share))
            first = [
                p.person
                for o in (dept.organ, dept.discipline)
                if o is not None and self.orgs[o].type != "branch"
                for p in self.pos_by_org.get(o, [])
                if p.role == "deputy_secretary" and p.end is None
            ]
            pool = [
                i
                for i in dept.people
                if ps[i].status == "full"
                and ps[i].employment == "in_service"
                and not ps[i].leading_cadre
                and ps[i].left_on is None
            ]
            chosen: list[int] = []
            for i in first:
                if i not in chosen and len(chosen) < want:
                    chosen.append(i)
            chosen.extend(self._pick(pool, want - len(chosen), chosen))
            for i in chosen:
                ps[i].party_worker = "full_time"
            for b in dept.branches:
                for pos in self.pos_by_org.get(b, []):
                    if (
                        pos.role in ("secretary", "deputy_secretary")
                        and pos.end is None
                        and ps[pos.person].party_worker is None
                        and rng.random() < 0.6
                    ):
                        ps[pos.person].party_worker = "part_time"

    def _build_spans(self) -> None:
        """Membership intervals inside the window, per person (ordinal days)."""
        s, e = self.start_ord, self.end_ord + 1
        for p in self.people:
            marker = p.spans
            p.spans = []
            if p.status not in MEMBER or p.joined_on is None:
                continue
            begin = max(s, p.joined_on.toordinal())
            end = e if p.left_on is None else min(e, p.left_on.toordinal())
            if marker and marker[0][0] == -2:  # arrived from outside
                begin = max(begin, marker[0][1])
            moved = self._moved_from.get(p.idx)
            if moved is not None:
                src, when = moved
                if begin < when:
                    p.spans.append((src, begin, when))
                begin = max(begin, when)
            if begin < end:
                p.spans.append((p.org, begin, end))

    # ------------------------------------------------------------------ membership lookups

    def _membership(self) -> dict[int, tuple[list[int], list[tuple[int, int, int]]]]:
        """Per org: members for the whole window, and (person, from, to) for the rest."""
        s, e = self.start_ord, self.end_ord + 1
        out: dict[int, tuple[list[int], list[tuple[int, int, int]]]] = {}
        for p in self.people:
            for org, a, b in p.spans:
                stable, changing = out.setdefault(org, ([], []))
                if a <= s and b >= e:
                    stable.append(p.idx)
                else:
                    changing.append((p.idx, a, b))
        return out

    def _holders(self, org: int, day: date, roles: tuple[str, ...] | None = None) -> list[int]:
        out: list[int] = []
        for p in self.pos_by_org.get(org, []):
            if (
                (roles is None or p.role in roles)
                and p.start <= day
                and (p.end is None or p.end >= day)
                and p.person not in out
            ):
                out.append(p.person)
        return out

    # ------------------------------------------------------------------ sections

    def sections(self) -> Iterator[tuple[str, Iterator[Record]]]:
        producers: dict[str, Callable[[], Iterator[Record]]] = {
            "organizations": self._organizations,
            "people": self._people,
            "transfers": lambda: iter([_clean(t) for t in self.transfers]),
            "positions": self._positions,
            "terms": self._terms,
            "activities": self._activities,
            "trainings": self._trainings,
            "filings": self._filings,
            "dues": self._dues,
            "assessments": self._assessments,
            "admission_steps": self._admission_steps,
            "reviews": self._reviews,
            "community_registrations": self._community_registrations,
            "community_services": self._community_services,
        }
        for name in SECTIONS:
            yield name, producers[name]()

    def _organizations(self) -> Iterator[Record]:
        for o in self.orgs:
            yield _clean(
                {
                    "id": o.id,
                    "name": o.name,
                    "type": o.type,
                    "parent": None if o.parent is None else self.orgs[o.parent].id,
                    "staff_count": o.staff_count,
                    "established": _iso(o.established),
                }
            )

    def _people(self) -> Iterator[Record]:
        for p in self.people:
            yield _clean(
                {
                    "id": p.id,
                    "name": p.name,
                    "org": self.orgs[p.org].id,
                    "status": p.status,
                    "applied_on": _iso(p.applied_on),
                    "activist_on": _iso(p.activist_on),
                    "candidate_on": _iso(p.candidate_on),
                    "joined_on": _iso(p.joined_on),
                    "full_on": _iso(p.full_on),
                    "birth_date": _iso(p.birth),
                    "leading_cadre": p.leading_cadre,
                    "party_worker": p.party_worker,
                    "employment": p.employment,
                    "monthly_income": p.income,
                    "probation_extended_to": _iso(p.probation_extended_to),
                    "mobile": p.mobile,
                    "hosted_by": None if p.hosted_by is None else self.orgs[p.hosted_by].id,
                    "left_on": _iso(p.left_on),
                }
            )

    def _positions(self) -> Iterator[Record]:
        for pos in self.positions:
            yield _clean(
                {
                    "person": self.people[pos.person].id,
                    "org": self.orgs[pos.org].id,
                    "role": pos.role,
                    "start": pos.start.isoformat(),
                    "end": _iso(pos.end),
                }
            )

    def _terms(self) -> Iterator[Record]:
        for org, elected, years in self.terms:
            yield {"org": self.orgs[org].id, "elected_on": elected.isoformat(), "years": years}

    # ------------------------------------------------------------------ activities

    def _months(self) -> list[tuple[date, date]]:
        out = []
        for m in range(1, self.end.month + 1):
            out.append((date(self.year, m, 1), _month_end(self.year, m)))
        return out

    def _quarters(self) -> list[tuple[date, date]]:
        out = []
        for q in range(4):
            lo = date(self.year, 3 * q + 1, 1)
            if lo <= self.end:
                out.append((lo, _month_end(self.year, 3 * q + 3)))
        return out

    def _halves(self) -> list[tuple[date, date]]:
        out = [(date(self.year, 1, 1), date(self.year, 6, 30))]
        if self.end >= date(self.year, 7, 1):
            out.append((date(self.year, 7, 1), date(self.year, 12, 31)))
        return out

    def _activities(self) -> Iterator[Record]:
        rng = random.Random(f"{self.seed}/activities")
        ps, orgs, end = self.people, self.orgs, self.end
        membership = self._membership()
        counter = [0]
        titles = names.TITLES

        def members_at(org: int, day: date) -> list[int]:
            stable, changing = membership.get(org, ([], []))
            if not changing:
                return stable
            d = day.toordinal()
            extra = [i for i, a, b in changing if a <= d < b]
            return sorted(stable + extra) if extra else stable

        # Absences and make-ups draw from their own stream, so the rest of the
        # dataset is the same as before they were generated.
        absence_rng = random.Random(f"{self.seed}/absences")
        pending: list[list[int]] = [[]]  # the last attend()'s absent members, for emit()

        def attend(pool: list[int], absent: float) -> list[str]:
            r = rng.random
            present = []
            missing = []
            for i in pool:
                there = r() >= (absent if not ps[i].absentee else 0.5)  # one draw each
                if ps[i].mobile:
                    continue  # hosted elsewhere: not expected here
                if there:
                    present.append(ps[i].id)
                else:
                    missing.append(i)
            pending[0] = missing
            return present

        def absentees(day: date) -> list[Record]:
            out = []
            for i in pending[0]:
                a: Record = {"person": ps[i].id, "reason": absence_rng.choice(ABSENCE_REASONS)}
                if a["reason"] == "other":
                    a["note"] = absence_rng.choice(ABSENCE_NOTES)
                if absence_rng.random() < 0.5:
                    made_up = day + timedelta(days=absence_rng.randint(2, 20))
                    if made_up <= end:
                        a["made_up_on"] = made_up.isoformat()
                        a["made_up_how"] = absence_rng.choice(MAKEUP_HOW)
                out.append(a)
            return sorted(out, key=lambda a: a["person"])  # the export's order

        def emit(
            org: int,
            kind: str,
            day: date,
            attendees: list[str] | None = None,
            *,
            hours: float | None = None,
            speaker: int | None = None,
            subject: str | None = None,
            title: str | None = None,
        ) -> Record | None:
            missing, pending[0] = pending[0], []
            if day > end or day < self.start:
                return None
            counter[0] += 1
            rec: Record = {
                "id": f"A{counter[0]}",
                "org": orgs[org].id,
                "kind": kind,
                "date": day.isoformat(),
                "title": title or rng.choice(titles[kind]),
            }
            if hours is not None:
                rec["hours"] = _num(hours)
            if speaker is not None:
                rec["speaker"] = ps[speaker].id
            if attendees:
                rec["attendees"] = sorted(attendees)  # the export's order
            if missing and kind in ABSENCE_KINDS:
                pending[0] = missing
                rec["absentees"] = absentees(day)
                pending[0] = []
            if subject is not None:
                rec["subject"] = subject
            return rec

        def in_period(lo: date, hi: date) -> date:
            return self._date(rng, lo, hi)

        months, quarters = self._months(), self._quarters()
        year_end_lo = date(self.year, 11, 15)

        for dept in self.depts:
            # Branches (including a department whose organ-level body is a branch).
            for b in dept.branches:
                ob = orgs[b]
                skip = 0.16 if ob.weak else 0.03
                committee = any(
                    p.role in ("committee_member", "deputy_secretary")
                    for p in self.pos_by_org.get(b, [])
                )
                for lo, hi in months:
                    if rng.random() >= skip:
                        day = in_period(lo, hi)
                        rec = emit(b, "theme_day", day, attend(members_at(b, day), 0.06))
                        if rec:
                            yield rec
                    # Study: monthly, twice in some months.
                    sessions = (rng.random() >= skip + 0.01) + (rng.random() < 0.4)
                    for _ in range(sessions):
                        day = in_period(lo, hi)
                        hours = rng.choice((2, 2, 2.5, 3, 3, 4))
                        rec = emit(
                            b, "study_session", day, attend(members_at(b, day), 0.08), hours=hours
                        )
                        if rec:
                            yield rec
                    if committee and rng.random() >= skip + 0.02:
                        day = in_period(lo, hi)
                        present = [ps[i].id for i in self._holders(b, day)]
                        rec = emit(b, "committee_meeting", day, present)
                        if rec:
                            yield rec
                for lo, hi in quarters:
                    if rng.random() >= skip:
                        day = in_period(lo, hi)
                        rec = emit(b, "branch_assembly", day, attend(members_at(b, day), 0.06))
                        if rec:
                            yield rec
                # Extra assemblies: admitting a probationary member, or making one full.
                events = sorted(
                    {
                        d
                        for i in ob.people
                        for d in (ps[i].joined_on, ps[i].full_on)
                        if d is not None and self.start <= d <= end
                    }
                )
                for day in events:
                    rec = emit(
                        b,
                        "branch_assembly",
                        day,
                        attend(members_at(b, day), 0.05),
                        title=names.TITLES["branch_assembly"][2],
                    )
                    if rec:
                        yield rec
                # Party lessons: the secretary, each leading cadre, then others to one a quarter.
                pool = members_at(b, end)
                speakers = self._holders(b, end, ("secretary",))[:1]
                if speakers and rng.random() < 0.08:
                    speakers = []
                speakers += [
                    i
                    for i in pool
                    if ps[i].leading_cadre and i not in speakers and rng.random() < 0.9
                ]
                others = [i for i in self._holders(b, end) if i not in speakers]
                while len(speakers) < 4 and others:
                    speakers.append(others.pop(0))
                for i in speakers:
                    day = in_period(self.start, end)
                    rec = emit(b, "party_lesson", day, attend(members_at(b, day), 0.08), speaker=i)
                    if rec:
                        yield rec
                # Year-end organisational life and review of members.
                if end >= year_end_lo and rng.random() >= skip + 0.02:
                    day = in_period(year_end_lo, date(self.year, 12, 28))
                    rec = emit(b, "org_life_meeting", day, attend(members_at(b, day), 0.04))
                    if rec:
                        yield rec
                    if rng.random() >= skip:
                        rec = emit(b, "member_review", day, attend(members_at(b, day), 0.04))
                        if rec:
                            yield rec
                # Talks: the secretary with members, a few at a time.
                sec = self._holders(b, end, ("secretary",))
                if sec and pool:
                    talkers = [i for i in pool if i != sec[0] and rng.random() >= 0.015]
                    rng.shuffle(talkers)
                    k = 0
                    while k < len(talkers):
                        n = rng.randint(4, 10)
                        group = sorted(talkers[k : k + n])
                        k += n
                        day = in_period(self.start, end)
                        who = self._holders(b, day, ("secretary",)) or sec
                        ids = [ps[who[0]].id] + [ps[i].id for i in group if i != who[0]]
                        rec = emit(b, "talk", day, ids)
                        if rec:
                            yield rec
                # Whoever applied gets a talk within a month (usually).
                talk_from = self.start - timedelta(days=40)
                for i in ob.people:
                    p = ps[i]
                    if p.applied_on is None or p.applied_on < talk_from or rng.random() < 0.06:
                        continue
                    late = rng.random() < 0.08
                    day = p.applied_on + timedelta(
                        days=rng.randint(32, 60) if late else rng.randint(3, 26)
                    )
                    who = self._holders(b, min(day, end), ("secretary", "committee_member"))
                    rec = emit(b, "talk", day, [ps[j].id for j in who[:1]], subject=p.id)
                    if rec:
                        yield rec

            # Cells.
            for c, b, cell_people in self.cells:
                if orgs[c].dept != dept.idx:
                    continue
                mset = cell_people
                for lo, hi in months:
                    if rng.random() >= (0.2 if orgs[b].weak else 0.06):
                        day = in_period(lo, hi)
                        live = set(members_at(b, day))
                        pool = [i for i in mset if i in live]
                        rec = emit(c, "cell_meeting", day, attend(pool, 0.08))
                        if rec:
                            yield rec

            yield from self._organ_activities(dept, emit, in_period, attend, members_at, rng)
            yield from self._party_group_activities(dept, emit, in_period, rng)

        yield from self._work_committee_activities(emit, in_period, rng)

    def _organ_activities(self, dept, emit, in_period, attend, members_at, rng):
        orgs, ps, end = self.orgs, self.people, self.end
        organ = dept.organ
        if orgs[organ].type == "branch":
            return
        months, quarters, halves = self._months(), self._quarters(), self._halves()
        for lo, hi in months:
            if rng.random() >= 0.06:
                day = in_period(lo, hi)
                rec = emit(
                    organ, "committee_meeting", day, [ps[i].id for i in self._holders(organ, day)]
                )
                if rec:
                    yield rec
        for lo, hi in quarters:
            if rng.random() >= 0.08:
                day = in_period(lo, hi)
                rec = emit(
                    organ, "party_work_meeting", day, [ps[i].id for i in self._holders(organ, day)]
                )
                if rec:
                    yield rec
            if dept.discipline is not None and rng.random() >= 0.1:
                day = in_period(lo, hi)
                present = [ps[i].id for i in self._holders(dept.discipline, day)]
                rec = emit(dept.discipline, "committee_meeting", day, present)
                if rec:
                    yield rec
        # The department's members' congress, once a year (usually in the first half).
        if rng.random() >= 0.08:
            day = in_period(self.start, min(end, date(self.year, 6, 30)))
            pool = [i for b in dept.branches for i in members_at(b, day)]
            rec = emit(organ, "member_congress", day, attend(sorted(pool), 0.15))
            if rec:
                yield rec
        if rng.random() >= 0.3:
            day = in_period(self.start, end)
            pool = [i for b in dept.branches for i in members_at(b, day)]
            rec = emit(organ, "warning_education", day, attend(sorted(pool), 0.2))
            if rec:
                yield rec
        # The secretary's lesson to branch secretaries and the committee.
        sec = self._holders(organ, end, ("secretary",))
        if sec and rng.random() >= 0.06:
            day = in_period(self.start, end)
            who = sorted(
                set(self._holders(organ, day))
                | {i for b in dept.branches for i in self._holders(b, day, ("secretary",))}
            )
            rec = emit(organ, "party_lesson", day, [ps[i].id for i in who], speaker=sec[0])
            if rec:
                yield rec
        for b in dept.branches:
            if b == organ:
                continue
            # Inspection of each branch every half year.
            for lo, hi in halves:
                if rng.random() >= 0.08:
                    day = in_period(lo, hi)
                    who = self._holders(organ, day, ("deputy_secretary", "committee_member"))[:2]
                    rec = emit(
                        organ, "inspection", day, [ps[i].id for i in who], subject=orgs[b].id
                    )
                    if rec:
                        yield rec
            # A talk with the head of each branch once a year.
            if rng.random() >= 0.05:
                day = in_period(self.start, end)
                head = self._holders(b, day, ("secretary",))
                who = self._holders(organ, day, ("secretary",)) + head
                # The talk is about the branch's head; the branch itself while the post is vacant.
                about = ps[head[0]].id if head else orgs[b].id
                rec = emit(organ, "talk", day, sorted({ps[i].id for i in who}), subject=about)
                if rec:
                    yield rec

    def _party_group_activities(self, dept, emit, in_period, rng):
        orgs, ps, end = self.orgs, self.people, self.end
        pg = dept.party_group
        cadres = [i for i in dept.people if ps[i].leading_cadre and ps[i].left_on is None]
        # Central-group study: 8–12 a year, fewer in some departments.
        n = rng.randint(8, 12) if rng.random() >= 0.12 else rng.randint(4, 7)
        n = max(1, round(n * (self.end_ord - self.start_ord + 1) / 365))
        for _ in range(n):
            day = in_period(self.start, end)
            who = sorted(set(self._holders(pg, day)) | set(cadres[:12]))
            rec = emit(
                pg, "central_group_study", day, [ps[i].id for i in who], hours=rng.choice((2, 3, 4))
            )
            if rec:
                yield rec
        subjects = [dept.organ] + ([dept.discipline] if dept.discipline is not None else [])
        for lo, hi in self._halves():
            for s in subjects:
                if rng.random() >= 0.08:
                    day = in_period(lo, hi)
                    speaker = self._holders(s, day, ("secretary",))
                    title = names.TITLES["report_hearing"][1 if s == dept.discipline else 0]
                    rec = emit(
                        pg,
                        "report_hearing",
                        day,
                        [ps[i].id for i in self._holders(pg, day)],
                        speaker=speaker[0] if speaker else None,
                        subject=orgs[s].id,
                        title=title,
                    )
                    if rec:
                        yield rec
        k = 2 if rng.random() >= 0.15 else 1
        for _ in range(k):
            day = in_period(self.start, end)
            rec = emit(pg, "ideology_meeting", day, [ps[i].id for i in self._holders(pg, day)])
            if rec:
                yield rec
        for lo, hi in self._halves():
            day = in_period(lo, hi)
            rec = emit(pg, "party_work_meeting", day, [ps[i].id for i in self._holders(pg, day)])
            if rec:
                yield rec
        if end >= date(self.year, 12, 1):
            day = in_period(date(self.year, 12, 1), date(self.year, 12, 28))
            rec = emit(
                pg, "democratic_life_meeting", day, [ps[i].id for i in self._holders(pg, day)]
            )
            if rec:
                yield rec
        # Field research by each leading cadre, usually twice a year.
        branches = dept.branches
        for i in cadres:
            r = rng.random()
            k = 2 if r < 0.72 else 3 if r < 0.9 else 1 if r < 0.97 else 0
            for _ in range(k):
                day = in_period(self.start, end)
                rec = emit(
                    pg,
                    "field_research",
                    day,
                    [ps[i].id],
                    speaker=i,
                    subject=orgs[rng.choice(branches)].id,
                )
                if rec:
                    yield rec

    def _work_committee_activities(self, emit, in_period, rng):
        ps, orgs, root = self.people, self.orgs, self.root
        for lo, hi in self._months():
            day = in_period(lo, hi)
            rec = emit(root, "committee_meeting", day, [ps[i].id for i in self._holders(root, day)])
            if rec:
                yield rec
        for lo, hi in self._quarters():
            day = in_period(lo, hi)
            rec = emit(
                root, "party_work_meeting", day, [ps[i].id for i in self._holders(root, day)]
            )
            if rec:
                yield rec
            for dept in self.depts:
                if rng.random() >= 0.05:
                    day = in_period(lo, hi)
                    who = self._holders(root, day, ("deputy_secretary", "committee_member"))[:2]
                    rec = emit(
                        root,
                        "inspection",
                        day,
                        [ps[i].id for i in who],
                        subject=orgs[dept.party_group].id,
                    )
                    if rec:
                        yield rec

    # ------------------------------------------------------------------ trainings

    def _trainings(self) -> Iterator[Record]:
        rng = random.Random(f"{self.seed}/trainings")
        ps, as_of, end = self.people, self.as_of, self.end
        titles = names.TRAINING_TITLES
        team = {p.person for p in self.positions if p.end is None or p.end >= self.start}
        share = (self.end_ord - self.start_ord + 1) / (
            date(self.year, 12, 31).toordinal() - self.start_ord + 1
        )
        counter = 0
        chunks = (2, 3, 4, 4, 4, 6, 8)
        for p in ps:
            if not p.spans:
                continue
            lo = date.fromordinal(p.spans[0][1])
            hi = min(end, date.fromordinal(p.spans[-1][2] - 1))
            if hi < lo:
                continue
            r = rng.random()
            if p.idx in team or p.leading_cadre:
                target = (
                    rng.uniform(56, 72)
                    if r < 0.85
                    else rng.uniform(40, 55)
                    if r < 0.95
                    else rng.uniform(24, 39)
                )
            else:
                target = (
                    rng.uniform(32, 56)
                    if r < 0.9
                    else rng.uniform(24, 31.5)
                    if r < 0.97
                    else rng.uniform(8, 23)
                )
            target = round(target * share * 2) / 2
            got = 0.0
            while got < target:
                h = min(rng.choice(chunks), target - got)
                got += h
                counter += 1
                yield {
                    "id": f"T{counter}",
                    "person": p.id,
                    "date": self._date(rng, lo, hi).isoformat(),
                    "hours": _num(h),
                    "kind": "general",
                    "title": rng.choice(titles["general"]),
                }
        # New secretaries: induction within six months, some late or missing.
        recent = as_of - timedelta(days=550)
        for pos in self.positions:
            if pos.role != "secretary" or self.orgs[pos.org].type not in (
                "branch",
                "general_branch",
                "organ_committee",
            ):
                continue
            if pos.start < recent:
                continue
            r = rng.random()
            if r < 0.78:
                day = pos.start + timedelta(days=rng.randint(20, 160))
            elif r < 0.9:
                day = pos.start + timedelta(days=rng.randint(200, 300))
            else:
                continue
            if day > as_of:
                continue
            counter += 1
            yield {
                "id": f"T{counter}",
                "person": ps[pos.person].id,
                "date": day.isoformat(),
                "hours": rng.choice((16, 20, 24)),
                "kind": "secretary_induction",
                "title": titles["secretary_induction"][0],
            }
        # Party workers: two trainings a year (some one); full-timers a party-school course.
        for p in ps:
            if p.party_worker is None or p.left_on is not None:
                continue
            k = 2 if rng.random() >= 0.12 else 1
            for _ in range(k):
                counter += 1
                yield {
                    "id": f"T{counter}",
                    "person": p.id,
                    "date": self._date(rng, self.start, end).isoformat(),
                    "hours": rng.choice((8, 12, 16)),
                    "kind": "party_worker",
                    "title": rng.choice(titles["party_worker"]),
                }
            if p.party_worker == "full_time" and rng.random() < 0.78:
                counter += 1
                yield {
                    "id": f"T{counter}",
                    "person": p.id,
                    "date": self._date(rng, _years_before(as_of, 2.9), as_of).isoformat(),
                    "hours": 40,
                    "kind": "party_school",
                    "title": titles["party_school"][0],
                }

    # ------------------------------------------------------------------ filings

    def _filings(self) -> Iterator[Record]:
        rng = random.Random(f"{self.seed}/filings")
        y, end, orgs, ps = self.year, self.end, self.orgs, self.people
        counter = [0]

        def filing(org: int, kind: str, day: date, period: str) -> Record | None:
            if day > end:
                return None
            counter[0] += 1
            by = self._holders(org, day, ("secretary",))
            rec: Record = {
                "id": f"F{counter[0]}",
                "org": orgs[org].id,
                "kind": kind,
                "date": day.isoformat(),
                "period": period,
            }
            if by:
                rec["by"] = ps[by[0]].id
            return rec

        def maybe(
            org: int, kind: str, lo: date, hi: date, period: str, miss: float
        ) -> Iterator[Record]:
            if rng.random() < miss:
                return
            rec = filing(org, kind, self._date(rng, lo, hi), period)
            if rec:
                yield rec

        dec = (date(y, 12, 1), date(y, 12, 28))
        resp = (date(y, 1, 5), date(y, 3, 25))
        resp_late = (date(y, 4, 5), date(y, 5, 20))
        for dept in self.depts:
            pg, organ = dept.party_group, dept.organ
            for org in (pg, organ):
                yield from maybe(org, "duty_report", *dec, str(y), 0.05)
            for org in [pg, organ, *[b for b in dept.branches if b != organ]]:
                window = resp_late if rng.random() < 0.06 else resp
                yield from maybe(org, "responsibility_list", *window, str(y), 0.05)
            yield from maybe(
                pg, "political_ecology_report", date(y, 11, 1), date(y, 12, 20), str(y), 0.08
            )
            yield from maybe(pg, "thought_report", date(y, 6, 10), date(y, 7, 10), f"{y}-H1", 0.06)
            yield from maybe(pg, "thought_report", date(y, 12, 5), date(y, 12, 28), f"{y}-H2", 0.06)
            for b in dept.branches:
                yield from maybe(b, "duty_report", *dec, str(y), 0.06)
                for q, (_lo, hi) in enumerate(self._quarters(), start=1):
                    miss = 0.15 if orgs[b].weak else 0.04
                    qend = hi
                    # Filed in the quarter's last weeks; a few only after it closed.
                    window = (qend - timedelta(days=25), qend)
                    if rng.random() < 0.05 and q < 4:
                        window = (qend + timedelta(days=5), qend + timedelta(days=30))
                    yield from maybe(b, "work_report", *window, f"{y}-Q{q}", miss)
        yield from maybe(self.root, "work_report", *dec, str(y), 0.0)

    # ------------------------------------------------------------------ dues

    def _dues(self) -> Iterator[Record]:
        rng = random.Random(f"{self.seed}/dues")
        end = self.end
        months = self._months()
        for p in self.people:
            if not p.spans:
                continue
            first = date.fromordinal(p.spans[0][1])
            last = date.fromordinal(p.spans[-1][2] - 1)
            amount = _num(dues_amount(p.employment, p.income))
            quarterly = rng.random() < 0.25
            stop = None
            if rng.random() < 0.012:  # stopped paying a few months ago
                k = rng.randint(3, 7)
                stop = _add_months(date(end.year, end.month, 1), -k + 1)
            pending: date | None = None
            for lo, hi in months:
                if hi < first.replace(day=1) or lo > last:
                    continue
                if stop is not None and lo >= stop:
                    break
                if quarterly:
                    if lo.month % 3 == 1 or pending is None:
                        pending = lo + timedelta(days=rng.randint(4, 25))
                    paid = pending
                else:
                    paid = lo + timedelta(days=rng.randint(4, 25))
                    if rng.random() < 0.02:
                        paid = _add_months(paid, rng.randint(1, 3))  # paid late
                if paid > end:
                    continue
                yield {
                    "person": p.id,
                    "month": f"{lo.year:04d}-{lo.month:02d}",
                    "amount": amount,
                    "paid_on": paid.isoformat(),
                }

    # ------------------------------------------------------------------ assessments

    def _assessments(self) -> Iterator[Record]:
        rng = random.Random(f"{self.seed}/assessments")
        y = self.year
        years = [y - 1] + ([y] if self.end == date(y, 12, 31) else [])
        orgs, ps = self.orgs, self.people

        def grade_for(q: float) -> str:
            return (
                "excellent" if q > 0.72 else "good" if q > 0.25 else "fair" if q > 0.06 else "poor"
            )

        for yr in years:
            noise = random.Random(f"{self.seed}/assessments/{yr}")
            # Departments ranked by a score that persists between years.
            scores = [
                (orgs[d.party_group].quality + noise.gauss(0, 0.15), d.idx) for d in self.depts
            ]
            ranked = sorted(scores, key=lambda s: (-s[0], s[1]))
            n = len(ranked)
            for rank, (_score, di) in enumerate(ranked, start=1):
                q = 1 - (rank - 1) / max(1, n - 1) if n > 1 else 0.5
                grade = (
                    "excellent"
                    if q > 0.75
                    else "good"
                    if q > 0.2
                    else "fair"
                    if q > 0.05
                    else "poor"
                )
                yield {
                    "subject": orgs[self.depts[di].party_group].id,
                    "year": yr,
                    "kind": "party_building",
                    "grade": grade,
                    "rank": rank,
                    "out_of": n,
                }
            secretary_day = date(yr, 12, 31) if yr < y else self.end
            rated: set[int] = set()
            for dept in self.depts:
                for o in [dept.organ, *[b for b in dept.branches if b != dept.organ]]:
                    q = orgs[o].quality + noise.gauss(0, 0.12)
                    grade = grade_for(q)
                    yield {
                        "subject": orgs[o].id,
                        "year": yr,
                        "kind": "party_building",
                        "grade": grade,
                    }
                    if orgs[o].type == "branch":
                        stars = max(1, min(5, round(1 + q * 4.3 + noise.gauss(0, 0.4))))
                        yield {
                            "subject": orgs[o].id,
                            "year": yr,
                            "kind": "star_rating",
                            "grade": stars,
                        }
                    sec = self._holders(o, min(secretary_day, self.as_of), ("secretary",))
                    if sec and ps[sec[0]].left_on is None and sec[0] not in rated:
                        rated.add(sec[0])
                        if grade == "excellent":
                            perf = "excellent" if rng.random() < 0.35 else "good"
                        else:
                            r = rng.random()
                            perf = "excellent" if r < 0.03 else "fair" if r < 0.07 else "good"
                        yield {
                            "subject": ps[sec[0]].id,
                            "year": yr,
                            "kind": "performance",
                            "grade": perf,
                        }

    # ------------------------------------------------------------------ admission steps

    def _admission_steps(self) -> Iterator[Record]:
        """The dated steps behind the milestone dates of people in the pipeline and of
        members converted in the last two years (older files were never digitised)."""
        rng = random.Random(f"{self.seed}/admission")
        as_of, ev = self.as_of, names.ADMISSION_EVIDENCE
        recent = _years_before(self.start, 1)
        for p in self.people:
            if p.applied_on is None:
                continue
            if p.status == "full" and (p.full_on is None or p.full_on < recent):
                continue
            steps: list[tuple[str, date, date | None]] = [("applied", p.applied_on, None)]
            talk = p.applied_on + timedelta(days=rng.randint(3, 25))
            if talk <= as_of:
                steps.append(("talked", talk, None))
            for step, day in (
                ("activist", p.activist_on),
                ("candidate", p.candidate_on),
                ("admitted", p.joined_on),
            ):
                if day is not None:
                    steps.append((step, day, None))
            if p.joined_on is not None and p.probation_extended_to is not None:
                steps.append(("extended", _add_months(p.joined_on, 12), p.probation_extended_to))
            if p.status == "full" and p.full_on is not None:
                steps.append(("converted", p.full_on, None))
            for step, day, until in steps:
                yield _clean(
                    {
                        "person": p.id,
                        "step": step,
                        "date": day.isoformat(),
                        "evidence": ev[step],
                        "until": _iso(until),
                    }
                )

    # ------------------------------------------------------------------ member reviews

    def _reviews(self) -> Iterator[Record]:
        """民主评议党员: the outcome category per member and year, nothing said.

        Last year's review (held at its end) always; this year's once the year is over.
        Most branches review every member; 不合格 gets a correction deadline and, mostly,
        a decision in time — a few are left overdue."""
        rng = random.Random(f"{self.seed}/reviews")
        ps, as_of = self.people, self.as_of
        years = [self.year - 1] + ([self.year] if self.end == date(self.year, 12, 31) else [])
        overdue_seen = False
        for yr in years:
            for dept in self.depts:
                for b in dept.branches:
                    ob = self.orgs[b]
                    if rng.random() < (0.2 if ob.weak else 0.06):
                        continue  # this branch has not recorded its review
                    day = self._date(rng, date(yr, 11, 20), date(yr, 12, 28))
                    if day > as_of:
                        continue
                    for i in ob.people:
                        p = ps[i]
                        if p.status not in MEMBER or p.joined_on is None or p.joined_on > day:
                            continue
                        if p.left_on is not None and p.left_on <= day:
                            continue
                        r = rng.random()
                        if p.absentee:
                            r = min(1.0, r + 0.1)
                        outcome = (
                            "excellent"
                            if r < 0.12
                            else "qualified"
                            if r < 0.985
                            else "basically_qualified"
                            if r < 0.997
                            else "unqualified"
                        )
                        rec: Record = {
                            "person": p.id,
                            "year": yr,
                            "outcome": outcome,
                            "reviewed_on": day.isoformat(),
                        }
                        if outcome == "unqualified":
                            due = day + timedelta(days=rng.choice((90, 120, 180)))
                            rec["correction_due"] = due.isoformat()
                            decided = day + timedelta(days=rng.randint(30, (due - day).days))
                            # A few are left undecided past the deadline (at least one
                            # where a deadline has passed, so a check has one to find).
                            late = rng.random() < 0.15 or (not overdue_seen and due < as_of)
                            if due < as_of and late:
                                overdue_seen = True
                            elif decided <= as_of:
                                rec["decision"] = "corrected" if rng.random() < 0.85 else "other"
                                rec["decided_on"] = decided.isoformat()
                        yield rec

    # ------------------------------------------------------------------ community

    def _community_plan(self) -> Iterator[tuple[_Person, list[tuple[str, date, date | None]]]]:
        """Per serving member, the registrations with communities (到社区报到): most
        registered in earlier years, some this year, a few moved (ended, mostly
        re-registered), a few never. The same for both community lists."""
        rng = random.Random(f"{self.seed}/community")
        as_of, start = self.as_of, self.start
        d, s, c = names.DISTRICTS, names.STREETS, names.COMMUNITIES
        for p in self.people:
            if p.status not in MEMBER or p.joined_on is None or p.employment == "retired":
                continue
            weak = self.orgs[p.org].weak
            r = rng.random()
            community = f"{rng.choice(d)}{rng.choice(s)}街道{rng.choice(c)}社区"
            if r < (0.05 if weak else 0.012):
                continue  # never registered
            earliest = max(p.joined_on, date(self.year - 5, 3, 1))
            if r < 0.14 or earliest >= start:
                lo = max(earliest, start)
                registered = self._date(rng, lo, max(lo, as_of - timedelta(days=7)))
            else:
                registered = self._date(rng, earliest, start - timedelta(days=20))
            regs: list[tuple[str, date, date | None]] = []
            ended: date | None = None
            if p.left_on is not None and p.left_on > registered:
                ended = p.left_on
            elif rng.random() < 0.03:  # moved house
                lo = registered + timedelta(days=60)
                if lo < as_of:
                    ended = self._date(rng, max(lo, start), as_of)
            regs.append((community, registered, ended))
            if ended is not None and p.left_on is None and rng.random() < 0.8:
                again = ended + timedelta(days=rng.randint(7, 40))
                if again <= as_of:
                    other = f"{rng.choice(d)}{rng.choice(s)}街道{rng.choice(c)}社区"
                    regs.append((other, again, None))
            yield p, regs

    def _community_registrations(self) -> Iterator[Record]:
        for p, regs in self._community_plan():
            for community, registered, ended in regs:
                yield _clean(
                    {
                        "person": p.id,
                        "community": community,
                        "registered_on": registered.isoformat(),
                        "ended_on": _iso(ended),
                    }
                )

    def _community_services(self) -> Iterator[Record]:
        """Volunteer services this year while registered: a few each, hours on the day."""
        rng = random.Random(f"{self.seed}/community-services")
        share = (self.end_ord - self.start_ord + 1) / 365
        for p, regs in self._community_plan():
            days: set[int] = set()
            out: list[Record] = []
            for community, registered, ended in regs:
                lo = max(registered, self.start).toordinal()
                hi = (self.end if ended is None else min(self.end, ended - DAY)).toordinal()
                if hi < lo:
                    continue
                want = rng.choice((0, 1, 2, 2, 3, 3, 4, 4, 5, 6)) * share
                want *= (hi - lo + 1) / (self.end_ord - self.start_ord + 1)
                for _ in range(round(want)):
                    day = rng.randint(lo, hi)
                    if day in days:
                        continue
                    days.add(day)
                    out.append(
                        {
                            "person": p.id,
                            "date": date.fromordinal(day).isoformat(),
                            "hours": _num(rng.choice((1, 1.5, 2, 2, 2.5, 3, 4))),
                            "community": community,
                        }
                    )
            yield from sorted(out, key=lambda r: r["date"])
