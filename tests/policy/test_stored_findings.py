"""Stored findings: writes mark only their department stale, the worker refreshes just
those scopes (one worker per scope at a time), and the result equals a full evaluation."""

import json
import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from dangjian.core.actor import Actor
from dangjian.people import services as people_services
from dangjian.policy import store
from dangjian.policy.engine import evaluate
from dangjian.policy.models import FindingScope, StoredFinding, StoredScheduleLine
from dangjian.policy.selectors import findings_for_org
from dangjian.policy.tasks import refresh_left_behind, refresh_stale_findings
from dangjian.records import services as records_services
from policy.builders import due, members, org, transfer

pytestmark = pytest.mark.django_db

YEAR = 2022
PACK = "yunnan-2019"
ACTOR = Actor.system("test")


@pytest.fixture
def province(settings):
    """A work committee with two departments, a branch each, three members per branch;
    writes do not refresh by themselves (as with a worker that has not run yet)."""
    settings.FINDINGS_REFRESH_ON_WRITE = False
    root = org("W", "work_committee", established="2000-01-01")
    d1 = org("D1", "party_group", parent=root, established="2000-01-01")
    d2 = org("D2", "party_group", parent=root, established="2000-01-01")
    b1 = org("B1", "branch", parent=d1, established="2000-01-01")
    b2 = org("B2", "branch", parent=d2, established="2000-01-01")
    m1 = members(b1, 3, joined_on=date(2010, 1, 1))
    m2 = members(b2, 3, joined_on=date(2010, 1, 1))
    store.refresh_all(year=YEAR)
    return {"root": root, "d1": d1, "d2": d2, "b1": b1, "b2": b2, "m1": m1, "m2": m2}


def scope(o) -> FindingScope:
    return FindingScope.objects.get(pack_id=PACK, year=YEAR, org=o)


def rows_of(o) -> list[tuple]:
    return sorted(
        StoredFinding.objects.filter(scope__org=o, year=YEAR).values_list("pk", "key", "severity")
    )


def canonical(report) -> list[str]:
    return sorted(json.dumps(f, sort_keys=True, ensure_ascii=False) for f in report["findings"])


def hours_finding(person) -> bool:
    return StoredFinding.objects.filter(
        year=YEAR, subject_pk=person.pk, subject_type="person", hours=True
    ).exists()


def test_full_refresh_stores_every_department_and_the_top(province):
    for key in ("root", "d1", "d2"):
        s = scope(province[key])
        assert not s.stale and s.as_of == date(YEAR, 12, 31) and s.computed_at is not None
    assert scope(province["root"]).top
    assert all(hours_finding(p) for p in province["m1"] + province["m2"])


def test_write_marks_its_department_stale_and_leaves_the_others_untouched(province):
    d2_rows = rows_of(province["d2"])
    d2_before = scope(province["d2"])
    person = province["m1"][0]
    records_services.training_record(
        person=person, date=date(YEAR, 5, 1), hours=Decimal("40"), kind="general", actor=ACTOR
    )
    assert scope(province["d1"]).stale
    assert not scope(province["d2"]).stale
    assert not scope(province["root"]).stale
    # the page still reads the old figures, saying a refresh is pending
    status = store.status(province["d1"], PACK, YEAR)
    assert status.pending and status.complete
    assert hours_finding(person)

    assert store.run_pending("worker-a", debounce=0) == 1
    assert not scope(province["d1"]).stale
    assert not hours_finding(person)
    assert all(hours_finding(p) for p in province["m1"][1:])
    # the other department: the same rows (same primary keys), the same computed time
    assert rows_of(province["d2"]) == d2_rows
    d2_after = scope(province["d2"])
    assert (d2_after.computed_at, d2_after.refreshed) == (
        d2_before.computed_at,
        d2_before.refreshed,
    )


def test_incremental_refresh_equals_a_full_evaluation(province):
    person, other = province["m1"][0], province["m2"][1]
    records_services.training_record(
        person=person, date=date(YEAR, 3, 1), hours=Decimal("40"), kind="general", actor=ACTOR
    )
    people_services.person_update(person=other, leading_cadre=True, actor=ACTOR)
    assert scope(province["d1"]).stale and scope(province["d2"]).stale
    store.run_pending("worker-a", debounce=0)
    stored = findings_for_org(org=province["root"], year=YEAR).as_dict()
    full = evaluate(pack=PACK, year=YEAR, org_ext_id=province["root"].ext_id).as_dict()
    assert canonical(stored) == canonical(full)
    assert len(stored["findings"]) > 0
    # a department's report equals the engine's for that department alone
    dept = findings_for_org(org=province["d2"], year=YEAR).as_dict()
    alone = evaluate(pack=PACK, year=YEAR, org_ext_id=province["d2"].ext_id).as_dict()
    assert canonical(dept) == canonical(alone)


def test_stored_text_keeps_every_character(province):
    """Stored rows go in by COPY on PostgreSQL: tabs, line breaks, backslashes and quotes
    in names come back as they were, in the findings and in the schedule."""
    from policy.builders import person

    odd = 'A\tB\nC\\D "E" \\N 党员'
    person(province["b1"], "ODD", name=odd, joined_on=date(2010, 1, 1))
    store.refresh_all(year=YEAR)
    stored = findings_for_org(org=province["root"], year=YEAR).as_dict()
    full = evaluate(pack=PACK, year=YEAR, org_ext_id=province["root"].ext_id).as_dict()
    assert canonical(stored) == canonical(full)
    names = {f["subject"]["name"] for f in stored["findings"] if f["subject"]["id"] == "ODD"}
    assert names == {odd}
    lines = store.schedule_lines(province["root"], PACK, YEAR).filter(subject_ext="ODD")
    assert lines.exists() and {line.subject_name for line in lines} == {odd}


def test_every_line_is_stored_whatever_the_batch(province, monkeypatch):
    """A scope's lines go to the database as they are made, a batch at a time (on
    SQLite; PostgreSQL takes one COPY): none is lost or doubled at a batch's edge."""
    from dangjian.policy.schedule import build_schedule

    monkeypatch.setattr(store, "BATCH", 4)
    store.refresh_all(year=YEAR)
    schedule = build_schedule(
        pack=PACK, year=YEAR, as_of=store.as_of_for(YEAR), org_ext_id=province["root"].ext_id
    )
    made = sorted((i.rule.qualified_id, i.subject_id, i.period, i.status) for i in schedule.items)
    stored = sorted(
        store.schedule_lines(province["root"], PACK, YEAR).values_list(
            "rule", "subject_ext", "period", "status"
        )
    )
    assert len(made) > 3 * 4
    assert stored == made


def test_a_department_evaluation_reads_only_its_own_people(province):
    """The engine scoped to D1 loads D1's people only, and its SQL scope (what every kind
    adds to its person queries) and membership spans admit D1's people and no one of D2's
    (except one who moved from D2 to D1, who belongs to both over the year); its findings
    equal the whole tree's for D1."""
    moved = province["m2"][0]
    transfer(moved, province["b2"], province["b1"], date(YEAR, 6, 1))
    for p in [*province["m1"], *province["m2"]]:
        due(p, f"{YEAR}-01", 10)
    d1_people = {p.pk for p in province["m1"]} | {moved.pk}
    out: dict = {}
    report = evaluate(pack=PACK, year=YEAR, org_ext_id=province["d1"].ext_id, context_out=out)
    ctx = out["ctx"]
    assert set(ctx.people) == d1_people
    scoped = ctx.query(f"SELECT p.id FROM dj_person p WHERE {ctx.person_scope('p.id')}")
    assert {pk for (pk,) in scoped} == d1_people
    spans = ctx.query(f"WITH {ctx.spans_cte()} SELECT DISTINCT person_id FROM spans")
    assert {pk for (pk,) in spans} == d1_people
    tspans = ctx.query(f"WITH {ctx.transfer_spans_cte()} SELECT DISTINCT person_id FROM tspans")
    assert {pk for (pk,) in tspans} == {moved.pk}
    dues = ctx.query(
        f"SELECT DISTINCT d.person_id FROM dj_due d WHERE {ctx.person_scope('d.person_id')}"
    )
    assert {pk for (pk,) in dues} == d1_people
    assert {pk for kind, pk in ctx.evaluated if kind == "person"} <= d1_people
    whole = evaluate(pack=PACK, year=YEAR, org_ext_id=province["root"].ext_id).as_dict()
    d1_orgs = {province["d1"].ext_id, province["b1"].ext_id}
    mine = [f for f in whole["findings"] if f["org"].get("id") in d1_orgs]
    assert canonical(report.as_dict()) == canonical({"findings": mine})


def test_transfer_marks_both_sides(province):
    person = province["m1"][0]
    people_services.person_transfer(
        person=person, to_org=province["b2"], date=date(YEAR, 7, 1), letter="X-1", actor=ACTOR
    )
    assert scope(province["d1"]).stale and scope(province["d2"]).stale
    assert not scope(province["root"]).stale


def test_an_import_marks_everything(province):
    store.mark_stale(None)
    assert all(s.stale for s in FindingScope.objects.all())


def test_two_workers_never_refresh_the_same_scope(province):
    records_services.training_record(
        person=province["m1"][0],
        date=date(YEAR, 5, 1),
        hours=Decimal("40"),
        kind="general",
        actor=ACTOR,
    )
    records_services.training_record(
        person=province["m2"][0],
        date=date(YEAR, 5, 1),
        hours=Decimal("40"),
        kind="general",
        actor=ACTOR,
    )
    d1 = scope(province["d1"])
    held = store.claim(d1.pk, "worker-a")
    assert held is not None
    assert store.claim(d1.pk, "worker-b") is None
    # worker b takes what is free (department 2) and leaves department 1 to worker a
    assert store.run_pending("worker-b", debounce=0) == 1
    assert scope(province["d1"]).stale and not scope(province["d2"]).stale
    assert scope(province["d1"]).claimed_by == "worker-a"
    store.refresh_claimed(held, "worker-a")
    refreshed = scope(province["d1"])
    assert not refreshed.stale and refreshed.claimed_by == "" and refreshed.claimed_until is None


def test_a_write_during_a_refresh_keeps_the_scope_stale(province):
    person = province["m1"][0]
    records_services.training_record(
        person=person, date=date(YEAR, 5, 1), hours=Decimal("10"), kind="general", actor=ACTOR
    )
    held = store.claim(scope(province["d1"]).pk, "worker-a")
    # a write lands after the claim was taken, before the refresh stores its result
    records_services.training_record(
        person=person, date=date(YEAR, 6, 1), hours=Decimal("10"), kind="general", actor=ACTOR
    )
    store.refresh_claimed(held, "worker-a")
    assert scope(province["d1"]).stale
    assert store.run_pending("worker-a", debounce=0) == 1
    assert not scope(province["d1"]).stale


def test_an_expired_claim_is_taken_over(province):
    d1 = scope(province["d1"])
    assert store.claim(d1.pk, "worker-a") is not None
    FindingScope.objects.filter(pk=d1.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert store.claim(d1.pk, "worker-b") is not None


def test_debounce_waits_for_a_quiet_department(province, settings):
    settings.FINDINGS_DEBOUNCE_SECONDS = 3600
    records_services.training_record(
        person=province["m1"][0],
        date=date(YEAR, 5, 1),
        hours=Decimal("40"),
        kind="general",
        actor=ACTOR,
    )
    assert store.run_pending("worker-a") == 0  # written a moment ago: not yet
    assert scope(province["d1"]).stale
    FindingScope.objects.filter(org=province["d1"]).update(
        marked_at=timezone.now() - timedelta(hours=2)
    )
    assert store.run_pending("worker-a") == 1


def test_the_worker_task_refreshes_stale_scopes(province, settings):
    settings.FINDINGS_DEBOUNCE_SECONDS = 0
    records_services.training_record(
        person=province["m1"][0],
        date=date(YEAR, 5, 1),
        hours=Decimal("40"),
        kind="general",
        actor=ACTOR,
    )
    # the task's own function, as the huey consumer runs it
    assert refresh_stale_findings.call_local() == 1
    assert not scope(province["d1"]).stale


def test_stale_scopes_left_behind_are_asked_for_again(province, settings):
    """A worker stopped mid-refresh, or a queue lost: the periodic check asks again."""
    settings.FINDINGS_DEBOUNCE_SECONDS = 0
    store.mark_stale([province["d1"].pk])  # marked, but no refresh asked for
    assert scope(province["d1"]).stale
    assert refresh_left_behind.call_local() is True
    assert not scope(province["d1"]).stale
    assert refresh_left_behind.call_local() is False  # nothing stale: nothing asked


def test_a_starting_worker_clears_a_lost_mark_and_asks_for_stale_scopes(province, settings):
    """A worker stopped while it held the scheduled refresh leaves the mark set: the next
    worker to start clears it and asks for the stale scopes at once."""
    from django.core.cache import cache

    from dangjian.policy.tasks import SCHEDULED_KEY, ask_again_on_startup

    settings.FINDINGS_DEBOUNCE_SECONDS = 0
    store.mark_stale([province["d1"].pk])
    cache.set(SCHEDULED_KEY, 1, timeout=60)  # left by the stopped worker
    ask_again_on_startup()
    assert cache.get(SCHEDULED_KEY) is None
    assert not scope(province["d1"]).stale


def test_the_top_scope_refreshes_the_whole_tree_it_can_claim(province):
    store.mark_stale([province["root"].pk, province["b2"].pk])
    assert scope(province["root"]).stale and scope(province["d2"]).stale
    assert not scope(province["d1"]).stale
    d1_rows = rows_of(province["d1"])
    assert store.run_pending("worker-a", debounce=0) == 1  # one evaluation of the tree
    assert not any(s.stale for s in FindingScope.objects.all())
    assert rows_of(province["d1"]) == d1_rows  # not stale, not claimed: left as it was


def test_a_page_of_a_new_year_asks_for_a_refresh_without_evaluating(province):
    root = province["root"]
    status = store.status(root, PACK, YEAR - 1)
    assert status.pending and not status.complete
    assert FindingScope.objects.filter(year=YEAR - 1).count() == 3
    assert not StoredFinding.objects.filter(year=YEAR - 1).exists()
    report = findings_for_org(org=root, year=YEAR - 1)
    assert report.findings == []
    assert not StoredFinding.objects.filter(year=YEAR - 1).exists()


def test_figures_of_an_earlier_day_roll_forward(province):
    today = date.today()  # the day policy.days counts from
    store.refresh_all(year=today.year, today=today - timedelta(days=1))
    root = province["root"]
    old = FindingScope.objects.get(pack_id=PACK, year=today.year, org=root)
    assert old.as_of == today - timedelta(days=1) and not old.stale
    status = store.status(root, PACK, today.year)
    assert status.pending  # computed for yesterday: asked again, the page does not wait
    assert all(s.stale for s in FindingScope.objects.filter(pack_id=PACK, year=today.year))
    store.run_pending("worker-a", debounce=0)
    assert set(
        FindingScope.objects.filter(pack_id=PACK, year=today.year).values_list("as_of", flat=True)
    ) == {today}


def test_refresh_findings_command(province):
    from io import StringIO

    from django.core.management import call_command

    store.mark_stale([province["b1"].pk])
    out = StringIO()
    call_command("refresh-findings", stdout=out)
    assert "1" in out.getvalue() and not scope(province["d1"]).stale
    out = StringIO()
    call_command("refresh-findings", "--all", "--year", str(YEAR), stdout=out)
    assert "3" in out.getvalue()
    assert not FindingScope.objects.filter(year=YEAR, dirty__gt=F("refreshed")).exists()


@pytest.mark.django_db(transaction=True)
def test_two_threads_claiming_at_once_get_one_claim(settings):
    """Two workers (threads, each with its own database connection) race for one scope:
    the conditional UPDATE lets exactly one of them have it."""
    import threading

    from django.db import OperationalError, connection

    settings.FINDINGS_REFRESH_ON_WRITE = False
    root = org("WT", "work_committee")
    dept = org("DT", "party_group", parent=root)
    store.ensure_scopes(PACK, YEAR, [dept])
    pk = FindingScope.objects.get(org=dept).pk
    barrier = threading.Barrier(2)
    won: list[str] = []

    def worker(name: str) -> None:
        try:
            barrier.wait()
            if store.claim(pk, name) is not None:
                won.append(name)
        except OperationalError:
            pass  # SQLite: the other writer held the database; this one did not claim
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert FindingScope.objects.get(pk=pk).claimed_by == won[0]


def test_a_lone_committees_root_restricts_no_person_query(province):
    """Evaluating the root of the database's only tree (the nightly refresh) adds no person
    restriction (it would admit everyone, at the price of a subquery in every person
    query) and reports what a whole-database check does; with a second tree beside it,
    the same root is restricted to its own people again."""
    moved = province["m2"][0]
    transfer(moved, province["b2"], province["b1"], date(YEAR, 6, 1))
    out: dict = {}
    rooted = evaluate(pack=PACK, year=YEAR, org_ext_id=province["root"].ext_id, context_out=out)
    ctx = out["ctx"]
    assert ctx.every_org and ctx.person_scope("p.id") == "1 = 1"
    everyone = {p.pk for p in [*province["m1"], *province["m2"]]}
    assert set(ctx.people) == everyone
    whole = evaluate(pack=PACK, year=YEAR).as_dict()
    assert canonical(rooted.as_dict()) == canonical(whole) and whole["findings"]
    assert rooted.subjects == evaluate(pack=PACK, year=YEAR).subjects

    other_root = org("W2", "work_committee", established="2000-01-01")
    outsider = members(org("X1", "branch", parent=other_root, established="2000-01-01"), 2)
    out = {}
    evaluate(pack=PACK, year=YEAR, org_ext_id=province["root"].ext_id, context_out=out)
    ctx = out["ctx"]
    assert not ctx.every_org and ctx.person_scope("p.id") != "1 = 1"
    assert set(ctx.people) == everyone
    scoped = ctx.query(f"SELECT p.id FROM dj_person p WHERE {ctx.person_scope('p.id')}")
    assert {pk for (pk,) in scoped} == everyone and not {p.pk for p in outsider} & everyone


def test_a_killed_workers_claim_is_released_without_waiting_for_the_lease(province):
    """A worker killed mid-refresh leaves its claim; the next run on the same machine sees
    that process has ended and takes the scope. A live process's claim, and another
    machine's (whose processes cannot be seen from here), wait for the lease."""
    import socket
    import subprocess

    ended = subprocess.Popen(["true"])
    ended.wait()
    host = socket.gethostname()
    until = timezone.now() + store.LEASE
    d1, d2, root = scope(province["d1"]), scope(province["d2"]), scope(province["root"])
    FindingScope.objects.filter(pk=d1.pk).update(
        claimed_by=f"{host}:{ended.pid}:1", claimed_until=until
    )
    FindingScope.objects.filter(pk=d2.pk).update(
        claimed_by=f"{host}:{os.getppid()}:1", claimed_until=until
    )
    FindingScope.objects.filter(pk=root.pk).update(
        claimed_by=f"elsewhere:{ended.pid}:1", claimed_until=until
    )
    FindingScope.objects.filter(pk__in=[d1.pk, d2.pk]).update(dirty=F("dirty") + 1)

    assert store.run_pending("worker-a", debounce=0) == 1
    assert not scope(province["d1"]).stale and scope(province["d1"]).claimed_by == ""
    assert scope(province["d2"]).stale and scope(province["d2"]).claimed_by.startswith(host)
    assert scope(province["root"]).claimed_by.startswith("elsewhere:")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="VACUUM is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_full_refresh_vacuums_the_stored_rows_on_postgresql(settings):
    """Outside a transaction the full refresh VACUUMs what it replaced: the old rows are
    freed and the new pages marked all-visible (autovacuum may be off)."""
    settings.FINDINGS_REFRESH_ON_WRITE = False
    root = org("W", "work_committee", established="2000-01-01")
    dept = org("D1", "party_group", parent=root, established="2000-01-01")
    members(org("B1", "branch", parent=dept, established="2000-01-01"), 3)

    def all_visible(model) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relallvisible FROM pg_class WHERE relname = %s", [model._meta.db_table]
            )
            return int(cursor.fetchone()[0])

    assert all_visible(StoredScheduleLine) == 0
    store.refresh_all(year=YEAR)
    assert StoredScheduleLine.objects.exists()
    assert all_visible(StoredScheduleLine) > 0 and all_visible(StoredFinding) > 0
