"""The engine pauses Python's cycle collector while it evaluates, and puts it back."""

import gc
import io
import threading

import pytest
from django.core.management import call_command

from dangjian.policy import store
from dangjian.policy.engine import gc_paused
from policy.builders import activity, members, org, training


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_off_inside_and_back_on_after(collector_on):
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # an evaluation inside another (a refresh's)
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still runs
    assert gc.isenabled()


def test_back_on_after_an_error(collector_on):
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("a rule failed")
    assert gc.isenabled()


def test_overlapping_blocks_on_two_threads_leave_it_on_only_when_both_end(collector_on):
    first_inside, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with gc_paused():
            first_inside.set()
            second_done.wait(5)
            seen.append(gc.isenabled())  # the other thread's block ended meanwhile

    t = threading.Thread(target=first)
    t.start()
    first_inside.wait(5)
    with gc_paused():
        pass
    second_done.set()
    t.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_caller_stays_off():
    was = gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_freeze_when_the_outermost_block_ends(collector_on):
    before = gc.get_freeze_count()
    try:
        with gc_paused(freeze=True):
            with gc_paused():  # the engine's own block inside the command's
                pass
            assert gc.get_freeze_count() == before  # not yet: the command is still running
            kept = [[n] for n in range(100)]  # tracked objects that outlive the block
        assert gc.get_freeze_count() >= before + len(kept)
        assert gc.isenabled()
    finally:
        gc.unfreeze()


@pytest.mark.django_db
def test_check_called_in_a_running_process_freezes_nothing(collector_on):
    before = gc.get_freeze_count()
    call_command("check", "--db", "--policy", "national", "--year", "2025", stdout=io.StringIO())
    assert gc.get_freeze_count() == before
    assert gc.isenabled()


@pytest.mark.django_db
def test_a_refresh_leaves_no_garbage_in_cycles(settings):
    """The refresh keeps the collector paused throughout (`store.refresh_claimed`): that
    is safe only while an evaluation and its storing make no garbage in cycles. A context
    held in a cycle kept a province's people and schedule alive until a collection."""
    settings.FINDINGS_REFRESH_ON_WRITE = False
    root = org("W", "work_committee", established="2000-01-01")
    dept = org("D1", "party_group", parent=root, established="2000-01-01")
    branch = org("B1", "branch", parent=dept, established="2000-01-01")
    people = members(branch, 3)
    training(people[0], "2022-03-01", 4)
    activity(branch, "talk", "2022-04-01", attendees=people[:2])
    ours = {"Context", "OrgInfo", "PersonInfo", "Entry", "Finding", "Item", "Report"}
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert store.refresh_all(year=2022) > 0
        gc.collect()
        left = {type(o).__name__ for o in gc.garbage} & ours
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    assert left == set()
