"""The dues ledger and the pipeline pages run a fixed number of queries whatever the size."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dangjian.people.models import Due, Person
from dangjian.web.testing import PASSWORD

TODAY = datetime.date.today()


def _grow(tree, n):
    people = Person.objects.bulk_create(
        [
            Person(
                ext_id=f"Q{len(Person.objects.all())}-{i}",
                name=f"党员{i}",
                org=tree.branch1,
                status="full" if i % 2 else "applicant",
                joined_on=datetime.date(2015, 1, 1) if i % 2 else None,
                full_on=datetime.date(2016, 1, 1) if i % 2 else None,
                applied_on=None if i % 2 else datetime.date(2025, 1, 1),
                monthly_income=Decimal("4000"),
            )
            for i in range(n)
        ]
    )
    Due.objects.bulk_create(
        [
            Due(person=p, month=TODAY.replace(day=1), amount=Decimal("40"), paid_on=TODAY)
            for p in people
            if p.status == "full"
        ]
    )


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_fixed_query_counts(tree):
    c = Client()
    assert c.login(username=tree.users["b1"].get_username(), password=PASSWORD)
    urls = [f"/orgs/{tree.branch1.pk}/dues/", f"/orgs/{tree.branch1.pk}/pipeline/"]
    _grow(tree, 4)
    small = [_count(c, u) for u in urls]
    _grow(tree, 40)
    large = [_count(c, u) for u in urls]
    assert large == small
