"""The synthetic dataset generator: deterministic, valid, believable, round-trips."""

import io
import json
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from dangjian.core.actor import Actor
from dangjian.interchange.canonical import canonical_dataset
from dangjian.interchange.exporter import dataset_export
from dangjian.interchange.generator import dues_amount, generate_dataset, write_dataset
from dangjian.interchange.importer import dataset_import
from dangjian.interchange.validation import parse_dataset

SMALL = {"orgs": 40, "members": 600, "year": 2024, "seed": 7}


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    return generate_dataset(**SMALL)


@pytest.fixture(scope="module")
def medium() -> dict[str, Any]:
    return generate_dataset(orgs=400, members=9000, year=2024, seed=11)


def test_same_seed_gives_identical_output(small):
    again = generate_dataset(**SMALL)
    assert again == small
    one, two = io.StringIO(), io.StringIO()
    write_dataset(one, **SMALL)
    write_dataset(two, **SMALL)
    assert one.getvalue() == two.getvalue()


def test_different_seed_gives_different_output(small):
    other = generate_dataset(**{**SMALL, "seed": 8})
    assert other["people"] != small["people"]
    assert other["activities"] != small["activities"]


def test_streamed_json_equals_in_memory_dataset(small):
    out = io.StringIO()
    counts = write_dataset(out, **SMALL)
    assert json.loads(out.getvalue()) == small
    assert counts == {k: len(v) for k, v in small.items() if k != "format"}


def test_generate_command_writes_the_dataset(tmp_path, small):
    path = tmp_path / "g.json"
    call_command(
        "generate",
        orgs=40,
        members=600,
        year=2024,
        seed=7,
        output=str(path),
        stderr=io.StringIO(),
    )
    assert json.loads(path.read_text(encoding="utf-8")) == small


def test_dataset_is_valid_and_in_export_shape(small):
    parse_dataset(small)  # raises DatasetError on any problem
    canon = canonical_dataset(small)
    for name, records in small.items():
        if name == "format":
            continue

        def key(r: dict[str, Any]) -> str:
            return json.dumps(r, sort_keys=True, ensure_ascii=False)

        assert sorted(map(key, records)) == sorted(map(key, canon[name])), name


def test_sizes_are_close_to_what_was_asked(medium):
    assert len(medium["people"]) == 9000
    assert 300 <= len(medium["organizations"]) <= 520
    roots = [o for o in medium["organizations"] if o["type"] == "work_committee"]
    assert len(roots) == 1 and "parent" not in roots[0]
    assert all(o.get("parent") for o in medium["organizations"] if o is not roots[0])


def _full_members_by_org(data: dict[str, Any]) -> Counter[str]:
    return Counter(p["org"] for p in data["people"] if p["status"] == "full" and "left_on" not in p)


def test_structure_follows_size_rules_for_most_departments(medium):
    orgs = {o["id"]: o for o in medium["organizations"]}
    children: dict[str, list[str]] = defaultdict(list)
    for o in medium["organizations"]:
        if o.get("parent"):
            children[o["parent"]].append(o["id"])
    full = _full_members_by_org(medium)

    def subtree_full(oid: str) -> int:
        return full[oid] + sum(subtree_full(c) for c in children[oid])

    departments = [o for o in medium["organizations"] if o["type"] == "party_group"]
    assert len(departments) >= 10
    right = 0
    for dept in departments:
        n = subtree_full(dept["id"])
        expected = "organ_committee" if n >= 100 else "general_branch" if n >= 50 else "branch"
        organ_types = {orgs[c]["type"] for c in children[dept["id"]]} - {"discipline_committee"}
        assert len(organ_types) == 1
        right += organ_types == {expected}
        assert dept["staff_count"] > n
    assert right >= 0.85 * len(departments)

    branches = [o for o in medium["organizations"] if o["type"] == "branch"]
    sizes = Counter(p["org"] for p in medium["people"])
    within = sum(1 for b in branches if 3 <= sizes[b["id"]] <= 49)
    assert within >= 0.95 * len(branches)
    # Most organ committees have a discipline committee beside them.
    organ_committees = [o for o in orgs.values() if o["type"] == "organ_committee"]
    with_discipline = sum(
        1
        for oc in organ_committees
        if any(orgs[s]["type"] == "discipline_committee" for s in children[oc["parent"]])
    )
    assert with_discipline >= 0.85 * len(organ_committees)
    # Branches with 7+ full members have committee members.
    committees = {
        p["org"] for p in medium["positions"] if p["role"] == "committee_member" and "end" not in p
    }
    big = [b["id"] for b in branches if full[b["id"]] >= 7]
    assert sum(1 for b in big if b in committees) >= 0.9 * len(big)


def _dates(value: Any) -> list[str]:
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in ("month", "period", "correction_due"):
                continue  # a 限期改正 deadline may lie ahead; it is not an event
            out.extend(_dates(v))
    elif isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        out.append(value)
    return out


def test_nothing_is_dated_after_as_of():
    as_of = date(2025, 8, 15)
    data = generate_dataset(orgs=60, members=1200, year=2025, seed=3, as_of=as_of)
    latest = max(
        d for name, recs in data.items() if name != "format" for r in recs for d in _dates(r)
    )
    assert latest <= as_of.isoformat()
    assert latest >= "2025-08-01"  # records do run up to as_of
    assert max(d["month"] for d in data["dues"]) <= "2025-08"
    assert max(a["date"] for a in data["activities"]) >= "2025-07-01"
    # An unfinished year has no assessments for itself, only for the year before.
    assert {a["year"] for a in data["assessments"]} == {2024}


def test_people_are_believable(medium):
    people = medium["people"]
    status = Counter(p["status"] for p in people)
    assert status["full"] > 0.8 * len(people)
    assert all(status[s] > 0 for s in ("probationary", "candidate", "activist", "applicant"))
    order = ("applied_on", "activist_on", "candidate_on", "joined_on", "full_on")
    for p in people:
        dates = [p[k] for k in order if k in p]
        assert dates == sorted(dates), p["id"]
        assert p["birth_date"] < dates[0] if dates else True
    cadres = sum(p["leading_cadre"] for p in people) / len(people)
    assert 0.05 < cadres < 0.12
    assert any(p["mobile"] and "hosted_by" in p for p in people)
    assert any("left_on" in p for p in people)
    assert any(p.get("party_worker") == "full_time" for p in people)
    assert any(p.get("party_worker") == "part_time" for p in people)
    assert any(t.get("letter") for t in medium["transfers"])
    names = {p["name"] for p in people}
    assert len(names) > 0.5 * len(people)
    assert all(2 <= len(p["name"]) <= 4 for p in people)


def test_dues_follow_the_2008_rates_with_a_few_gaps(medium):
    people = {p["id"]: p for p in medium["people"]}
    paid = Counter(d["person"] for d in medium["dues"])
    for d in medium["dues"][:5000]:
        p = people[d["person"]]
        assert d["amount"] == dues_amount(p["employment"], p["monthly_income"])
        y, m = int(d["month"][:4]), int(d["month"][5:])
        quarter_start = date(y, (m - 1) // 3 * 3 + 1, 1).isoformat()
        assert d["paid_on"] >= quarter_start  # monthly, or in advance for the quarter
    assert dues_amount("in_service", 3000) == 15
    assert dues_amount("in_service", 3000.01) == pytest.approx(30.0, abs=0.01)
    assert dues_amount("in_service", 10000) == 150
    assert dues_amount("in_service", 12000) == 240
    assert dues_amount("retired", 5000) == 25
    assert dues_amount("retired", 6000) == 60
    members = [
        p["id"]
        for p in medium["people"]
        if p["status"] == "full" and "left_on" not in p and p["joined_on"] < "2024-01-01"
    ]
    short = [m for m in members if paid[m] <= 9]
    assert 0 < len(short) < 0.05 * len(members)


def test_a_check_would_find_some_problems_but_not_many(medium):
    """Training hours, theme days, vacancies and terms: mostly in order, a few not."""
    hours: Counter[str] = Counter()
    for t in medium["trainings"]:
        if t["kind"] == "general":
            hours[t["person"]] += Decimal(str(t["hours"]))
    members = [
        p["id"]
        for p in medium["people"]
        if p["status"] in ("full", "probationary") and "left_on" not in p
    ]
    reached = sum(1 for m in members if hours[m] >= 32)
    assert 0.7 * len(members) < reached < 0.97 * len(members)
    assert min(hours[m] for m in members) < 24 < max(hours[m] for m in members) > 56

    branches = [o["id"] for o in medium["organizations"] if o["type"] == "branch"]
    months = defaultdict(set)
    for a in medium["activities"]:
        if a["kind"] == "theme_day":
            months[a["org"]].add(a["date"][:7])
    complete = sum(1 for b in branches if len(months[b]) == 12)
    assert 0.4 * len(branches) < complete < len(branches)
    missed = sum(12 - len(months[b]) for b in branches)
    assert missed < 2 * len(branches)

    # Attendance: drawn from the organisation's members, most attend.
    home = {p["id"]: p["org"] for p in medium["people"]}
    theme_days = [a for a in medium["activities"] if a["kind"] == "theme_day"]
    foreign = sum(1 for a in theme_days for pid in a.get("attendees", []) if home[pid] != a["org"])
    total = sum(len(a.get("attendees", [])) for a in theme_days)
    assert foreign < 0.01 * total

    # Some secretary posts went vacant; some terms are overdue, most are not.
    terms = defaultdict(list)
    for t in medium["terms"]:
        terms[t["org"]].append(t)
    current = [max(ts, key=lambda t: t["elected_on"]) for ts in terms.values()]
    overdue = sum(
        1
        for t in current
        if date.fromisoformat(t["elected_on"]).replace(year=int(t["elected_on"][:4]) + t["years"])
        < date(2024, 12, 31)
    )
    assert 0 < overdue < 0.2 * len(current)
    ended = [p for p in medium["positions"] if p["role"] == "secretary" and "end" in p]
    assert ended

    grades = Counter(a["grade"] for a in medium["assessments"] if a["kind"] == "star_rating")
    assert set(grades) <= {1, 2, 3, 4, 5} and len(grades) >= 3
    ranked = [a for a in medium["assessments"] if "rank" in a]
    assert ranked and all(a["rank"] <= a["out_of"] for a in ranked)


def test_activities_cover_the_kinds_a_year_calls_for(medium):
    kinds = Counter(a["kind"] for a in medium["activities"])
    for kind in (
        "theme_day",
        "branch_assembly",
        "committee_meeting",
        "cell_meeting",
        "party_lesson",
        "org_life_meeting",
        "member_review",
        "talk",
        "study_session",
        "central_group_study",
        "report_hearing",
        "member_congress",
        "inspection",
        "field_research",
        "ideology_meeting",
        "party_work_meeting",
    ):
        assert kinds[kind] > 0, kind
    assert all("hours" in a for a in medium["activities"] if a["kind"] == "study_session")
    assert all("subject" in a for a in medium["activities"] if a["kind"] == "inspection")
    filings = Counter(f["kind"] for f in medium["filings"])
    assert set(filings) == {
        "duty_report",
        "responsibility_list",
        "political_ecology_report",
        "thought_report",
        "work_report",
    }
    trainings = Counter(t["kind"] for t in medium["trainings"])
    assert set(trainings) == {"general", "secretary_induction", "party_worker", "party_school"}


def test_member_records_are_believable(medium):
    """Community registration for most serving members, reviews with a few 不合格
    handled (one overdue), admission steps in the order of the milestone dates."""
    people = {p["id"]: p for p in medium["people"]}
    serving = [
        p["id"]
        for p in medium["people"]
        if p["status"] in ("full", "probationary") and p["employment"] != "retired"
    ]
    end = "2024-12-31"
    in_force = {
        r["person"]
        for r in medium["community_registrations"]
        if r["registered_on"] <= end and r.get("ended_on", "9999") > end
    }
    missing = [pid for pid in serving if pid not in in_force and "left_on" not in people[pid]]
    assert 0.01 * len(serving) < len(missing) < 0.08 * len(serving)
    assert all(
        people[r["person"]]["employment"] != "retired" for r in medium["community_registrations"]
    )
    assert any("ended_on" in r for r in medium["community_registrations"])
    assert any(r["registered_on"] >= "2024-01-01" for r in medium["community_registrations"])
    served = {s["person"] for s in medium["community_services"]}
    assert served <= {r["person"] for r in medium["community_registrations"]}
    assert len(served) > 0.5 * len(serving)
    assert all(0 < s["hours"] <= 24 for s in medium["community_services"])

    outcomes = Counter(r["outcome"] for r in medium["reviews"])
    assert outcomes["qualified"] > 0.7 * len(medium["reviews"])
    assert 0 < outcomes["unqualified"] < outcomes["basically_qualified"] < outcomes["excellent"]
    assert {r["year"] for r in medium["reviews"]} == {2023, 2024}
    unqualified = [r for r in medium["reviews"] if r["outcome"] == "unqualified"]
    assert all(r["correction_due"] > r["reviewed_on"] for r in unqualified)
    overdue = [r for r in unqualified if "decision" not in r and r["correction_due"] < end]
    decided = [r for r in unqualified if "decision" in r]
    assert overdue and len(decided) > len(overdue)
    assert all(r["reviewed_on"] < r["decided_on"] <= r["correction_due"] for r in decided)
    assert all("decision" not in r for r in medium["reviews"] if r["outcome"] != "unqualified")

    steps: dict[str, dict[str, str]] = defaultdict(dict)
    for s in medium["admission_steps"]:
        steps[s["person"]][s["step"]] = s["date"]
    milestone = {
        "applied": "applied_on",
        "activist": "activist_on",
        "candidate": "candidate_on",
        "admitted": "joined_on",
    }
    for pid, taken in steps.items():
        p = people[pid]
        for step, key in milestone.items():
            assert taken.get(step) == p.get(key), (pid, step)
        order = [taken[k] for k in ("applied", "talked", "activist") if k in taken]
        assert order == sorted(order), pid
    pipeline = [
        p for p in medium["people"] if p["status"] in ("applicant", "activist", "candidate")
    ]
    assert all(p["id"] in steps for p in pipeline)


@pytest.mark.django_db
def test_generate_import_export_round_trip(small):
    summary = dataset_import(small, actor=Actor.system("test"))
    assert summary.counts["people"].created == len(small["people"])
    assert summary.attendance == sum(len(a.get("attendees", [])) for a in small["activities"])
    exported = dataset_export()
    assert canonical_dataset(exported) == canonical_dataset(small)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pack", ["national", "ningxia-2018"])
def test_a_policy_check_finds_a_believable_number_of_problems(tmp_path, pack):
    """Run the real `check FILE` over a generated year: some problems, nowhere near all."""
    data = generate_dataset(orgs=120, members=2500, year=2024, seed=5)
    path = tmp_path / "year.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("check", str(path), policy=pack, year=2024, format="json", stdout=out)
    report = json.loads(out.getvalue())
    violations = [f for f in report["findings"] if f["severity"] == "violation"]
    rules = Counter(f["rule"] for f in violations)
    assert len(rules) >= 5  # problems of several kinds, not one systematic gap
    assert 0.02 * len(data["people"]) < len(violations) < 0.25 * len(data["people"])
    per_org = Counter(f["org"]["id"] for f in report["findings"] if f.get("org"))
    counts = sorted(per_org.values())
    assert counts[-1] < 60
    assert counts[len(counts) // 2] <= 6  # a typical organisation has a few things to fix
