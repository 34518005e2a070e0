"""List endpoints run a bounded number of queries whatever the data size."""

import datetime
from decimal import Decimal

import pytest

from dangjian.orgs.models import Position, Term
from dangjian.people.models import Person
from dangjian.records.models import Activity, Attendance, Filing, Training

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/organizations/",
    "/api/v1/people/",
    "/api/v1/positions/",
    "/api/v1/terms/",
    "/api/v1/activities/",
    "/api/v1/trainings/",
    "/api/v1/filings/",
]
MAX_QUERIES = 8


def grow(tree, n):
    """Add n people, activities (each attended by everyone), trainings, filings, posts, terms."""
    people = Person.objects.bulk_create(
        Person(ext_id=f"G{n}P{i}", name=f"新人{i}", org=tree.branch1, status="full")
        for i in range(n)
    )
    everyone = people + tree.members1
    activities = Activity.objects.bulk_create(
        Activity(
            ext_id=f"G{n}A{i}",
            org=tree.branch1,
            kind="theme_day",
            date=datetime.date(2024, 1 + i % 12, 1),
            speaker=people[i],
            subject_person=people[-1 - i],
        )
        for i in range(n)
    )
    Attendance.objects.bulk_create(
        Attendance(activity=a, person=p) for a in activities for p in everyone
    )
    Training.objects.bulk_create(
        Training(
            ext_id=f"G{n}T{i}",
            person=p,
            date=datetime.date(2024, 3, 1),
            hours=Decimal(2),
            kind="general",
        )
        for i, p in enumerate(people)
    )
    Filing.objects.bulk_create(
        Filing(
            ext_id=f"G{n}F{i}",
            org=tree.branch1,
            kind="work_report",
            date=datetime.date(2024, 1, 1),
            period=f"2024-{1 + i % 12:02d}",
            by=people[i],
        )
        for i in range(n)
    )
    Position.objects.bulk_create(
        Position(
            person=p,
            org=tree.branch1,
            role="committee_member",
            start=datetime.date(2020, 1, 1 + i % 28),
        )
        for i, p in enumerate(people)
    )
    Term.objects.bulk_create(
        Term(org=tree.branch2, elected_on=datetime.date(1900 + n + i, 1, 1), years=3)
        for i in range(n)
    )


@pytest.mark.parametrize("role", ["wc", "member"])
def test_lists_have_bounded_queries_at_two_sizes(
    clients, tree, role, django_assert_max_num_queries
):
    counts = {}
    for n in (3, 40):
        grow(tree, n)
        for url in LISTS:
            with django_assert_max_num_queries(MAX_QUERIES) as ctx:
                response = clients[role].get(url, {"page_size": 500})
            assert response.status_code == 200
            counts[(url, n)] = len(ctx.captured_queries)
    # Same number of queries at both sizes: nothing runs per row.
    for url in LISTS:
        assert counts[(url, 3)] == counts[(url, 40)], url
    if role == "wc":
        body = clients["wc"].get("/api/v1/activities/", {"page_size": 500}).json()
        assert body["count"] == 1 + 3 + 40
        assert max(len(a["attendees"]) for a in body["results"]) == 5 + 40
