"""Reads for the web app: which pack applies, and the stored findings of a subtree."""

from __future__ import annotations

from datetime import date

from django.core.cache import cache
from django.db.models import Count, Sum

from dangjian.orgs.models import Organization
from dangjian.policy import store
from dangjian.policy.days import check_day
from dangjian.policy.engine import evaluate, rules_in_force
from dangjian.policy.findings import Report
from dangjian.policy.models import DEFAULT_PACK, PackAssignment
from dangjian.policy.packs import load_pack
from dangjian.policy.schedule import Schedule, build_schedule

CACHE_SECONDS = 24 * 3600


def pack_for_org(org: Organization) -> str:
    """The pack assigned at the nearest organisation above (or at) `org`; default yunnan-2019."""
    ancestors = [int(pk) for pk in org.path.strip("/").split("/") if pk]
    assigned = dict(
        PackAssignment.objects.filter(org_id__in=ancestors).values_list("org_id", "pack_id")
    )
    # the nearest: the path lists the ancestors from the top down
    return next((assigned[pk] for pk in reversed(ancestors) if pk in assigned), DEFAULT_PACK)


def findings_for_org(*, org: Organization, year: int, as_of: date | None = None) -> Report:
    """The findings of `org`'s subtree as stored (computed for the day in `as_of`).

    An explicit `as_of` other than the stored day evaluates the subtree for that day.
    A branch whose department has never been computed is evaluated on the spot; a work
    committee's tree never is: its report holds what is stored, and a refresh is asked for.
    """
    pack_id = pack_for_org(org)
    pack = load_pack(pack_id)
    status = store.status(org, pack_id, year)
    if as_of is not None and as_of != status.as_of:
        return evaluate(pack=pack, year=year, as_of=as_of, org_ext_id=org.ext_id)
    if not status.complete and org.depth > 0:
        report = store.evaluate_branch_now(org, pack_id, year)
        if report is not None:
            return report
        status = store.status(org, pack_id, year)
    rows = store.stored(org, pack_id, year).order_by(
        "org_ext", "subject_ext", "rule", "period", "severity"
    )
    subjects = store.scopes_for(org, pack_id, year).aggregate(n=Sum("subjects"))["n"] or 0
    return store.report_from_rows(
        rows.iterator(chunk_size=2000),
        pack_id=pack_id,
        year=year,
        as_of=status.as_of or store.as_of_for(year),
        rules=len(rules_in_force(pack, year)),
        subjects=subjects,
        pack_version=pack.version,
    )


def schedule_for_org(*, org: Organization, year: int, as_of: date | None = None) -> Schedule:
    """The year's schedule for `org`'s subtree on the check day (`days.check_day`).

    Where the subtree's scopes have been computed, the stored schedule lines are read
    (`store.stored_schedule`, refreshed with the findings by the worker, a few seconds
    after a write): no evaluation in the request; `Schedule.freshness` says when they were
    computed and whether a refresh is pending. A subtree never computed yet, or asked
    for another day, is evaluated (the same engine schedule), cached in the shared cache
    under the write counters of the scopes holding it: every audited write that can
    change it marks those scopes (see `store.mark_stale`), which changes the key."""
    pack_id = pack_for_org(org)
    status = store.status(org, pack_id, year)  # makes sure the scopes exist, so writes mark them
    if (org.depth == 0 or status.complete) and (as_of is None or as_of == status.as_of):
        return store.stored_schedule(org, pack_id, year, status)
    as_of = as_of or check_day(year)
    pack = load_pack(pack_id)
    written = store.scopes_for(org, pack_id, year).aggregate(n=Count("pk"), dirty=Sum("dirty"))
    key = (
        f"dj:schedule:{org.pk}:{pack_id}:{pack.version}:{year}:{as_of}:"
        f"{written['n']}:{written['dirty'] or 0}"
    )
    found = cache.get(key)
    if found is None:
        found = build_schedule(pack=pack, year=year, as_of=as_of, org_ext_id=org.ext_id)
        cache.set(key, found, CACHE_SECONDS)
    return found
