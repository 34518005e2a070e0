"""Reads for the rectification loop."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from dangjian.orgs.models import Organization
from dangjian.oversight.models import Rectification

FILTERS = ("open", "overdue", "closed", "all")


def rectifications_of_subtree(
    org: Organization, *, state: str = "open", as_of: datetime.date | None = None
) -> QuerySet[Rectification]:
    """Rectifications of `org` and the organisations under it.

    `open`: not yet closed; `overdue`: open and past its 整改期限 without 整改完成;
    `closed`: closed; anything else: all of them.
    """
    qs = Rectification.objects.filter(org__path__startswith=org.path).select_related("org")
    if state == "open":
        qs = qs.filter(closed_on__isnull=True)
    elif state == "overdue":
        day = as_of or datetime.date.today()
        qs = qs.filter(closed_on__isnull=True, rectified_on__isnull=True, due_on__lt=day)
    elif state == "closed":
        qs = qs.filter(closed_on__isnull=False)
    return qs.order_by("-found_on", "-pk")


def rectification_counts(org: Organization, as_of: datetime.date | None = None) -> dict[str, int]:
    """How many are open, overdue and closed in the subtree (one query)."""
    from django.db.models import Count

    day = as_of or datetime.date.today()
    return Rectification.objects.filter(org__path__startswith=org.path).aggregate(
        open=Count("pk", filter=Q(closed_on__isnull=True)),
        overdue=Count(
            "pk", filter=Q(closed_on__isnull=True, rectified_on__isnull=True, due_on__lt=day)
        ),
        closed=Count("pk", filter=Q(closed_on__isnull=False)),
        all=Count("pk"),
    )
