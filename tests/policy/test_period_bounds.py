"""Rules count only the records dated within the periods they judge: a database keeps
years of them, and each query is bounded by the first and last day it reads (for a rule
over several years, the window's first day)."""

import pytest

from policy.builders import activity, only, org, person, run, training

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("on", "counts"),
    [("2021-12-31", False), ("2022-01-01", True), ("2022-12-31", True), ("2023-01-01", False)],
)
def test_a_talk_counts_in_its_own_year_only(on, counts):
    br = org("B1", "branch")
    listener, speaker, about = person(br, "P1"), person(br, "P2"), person(br, "P3")
    activity(br, "talk", on, attendees=[listener], speaker=speaker, subject=about)
    short = {f.subject["id"] for f in only(run("national", 2022), "talk-every-member")}
    # attending, leading and being talked with all count (participated), on the same day
    assert short == (set() if counts else {"P1", "P2", "P3"})


@pytest.mark.parametrize(
    ("on", "hours", "short"),
    [("2021-12-31", 32, True), ("2022-01-01", 32, False), ("2023-01-01", 32, True)],
)
def test_study_hours_count_in_their_own_year_only(on, hours, short):
    br = org("B1", "branch")
    member = person(br, "P1")
    training(member, on, hours)
    found = only(run("national", 2022), "training-hours-member", "P1")
    assert bool(found) is short


@pytest.mark.parametrize(("on", "counts"), [("2019-12-31", False), ("2020-01-01", True)])
def test_a_window_of_three_years_reads_back_to_its_first_day(on, counts):
    """云南 party-school-rotation: 检查年度及前两年（共3个自然年）内至少1次党校轮训."""
    br = org("B1", "branch")
    worker = person(br, "W1", party_worker="full_time")
    training(worker, on, 8, kind="party_school")
    found = only(run("yunnan-2019", 2022), "party-school-rotation", "W1")
    assert bool(found) is not counts


@pytest.mark.parametrize(
    ("on", "month"),
    [
        ("2021-12-31", None),
        ("2022-01-01", "2022-01"),
        ("2022-12-31", "2022-12"),
        ("2023-01-01", None),
    ],
)
def test_a_theme_day_counts_in_its_own_month_only(on, month):
    br = org("B1", "branch")
    person(br, "P1")
    activity(br, "theme_day", on)
    short = {f.period for f in only(run("national", 2022), "theme-day-monthly")}
    months = {f"2022-{m:02d}" for m in range(1, 13)}
    assert short == months - ({month} if month else set())
