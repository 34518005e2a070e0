"""Reads for the web app: which pack applies, and cached findings for a subtree."""

from __future__ import annotations

import uuid
from datetime import date

from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from dangjian.orgs.models import Organization
from dangjian.policy.days import check_day
from dangjian.policy.engine import evaluate
from dangjian.policy.findings import Report
from dangjian.policy.models import DEFAULT_PACK, DataVersion, PackAssignment
from dangjian.policy.packs import load_pack
from dangjian.policy.schedule import Schedule, build_schedule

CACHE_SECONDS = 24 * 3600


def pack_for_org(org: Organization) -> str:
    """The pack assigned at the nearest organisation above (or at) `org`; default yunnan-2019."""
    ancestors = [int(pk) for pk in org.path.strip("/").split("/") if pk]
    found = (
        PackAssignment.objects.filter(org_id__in=ancestors)
        .order_by("-org__depth")
        .values_list("pack_id", flat=True)
        .first()
    )
    return found or DEFAULT_PACK


def data_version() -> str | None:
    """ "<token>:<n>", changed by every audited write; None before the first one."""
    row = DataVersion.objects.filter(pk=1).values_list("token", "version").first()
    return f"{row[0]}:{row[1]}" if row else None


def bump_data_version() -> None:
    """Called (through core.audit's signal) inside every audited write's transaction."""
    with transaction.atomic():
        if not DataVersion.objects.filter(pk=1).update(version=F("version") + 1):
            DataVersion.objects.get_or_create(
                pk=1, defaults={"version": 1, "token": uuid.uuid4().hex}
            )


def findings_for_org(*, org: Organization, year: int, as_of: date | None = None) -> Report:
    """The findings for `org`'s subtree, cached until any audited write changes the records.

    Without `as_of`, as of the year's check day (`days.check_day`): today for the current
    year, the year's end for a past one — the same day on every surface."""
    as_of = as_of or check_day(year)
    pack_id = pack_for_org(org)
    pack = load_pack(pack_id)
    version = data_version()
    if version is None:  # no audited write yet: nothing to key a cache on
        return evaluate(pack=pack, year=year, as_of=as_of, org_ext_id=org.ext_id)
    key = f"dj:findings:{org.pk}:{pack_id}:{pack.version}:{year}:{as_of}:{version}"
    report = cache.get(key)
    if report is None:
        report = evaluate(pack=pack, year=year, as_of=as_of, org_ext_id=org.ext_id)
        cache.set(key, report, CACHE_SECONDS)
    return report


def schedule_for_org(*, org: Organization, year: int, as_of: date | None = None) -> Schedule:
    """The year's schedule for `org`'s subtree on the check day, cached like the findings."""
    as_of = as_of or check_day(year)
    pack_id = pack_for_org(org)
    pack = load_pack(pack_id)
    version = data_version()
    if version is None:
        return build_schedule(pack=pack, year=year, as_of=as_of, org_ext_id=org.ext_id)
    key = f"dj:schedule:{org.pk}:{pack_id}:{pack.version}:{year}:{as_of}:{version}"
    found = cache.get(key)
    if found is None:
        found = build_schedule(pack=pack, year=year, as_of=as_of, org_ext_id=org.ext_id)
        cache.set(key, found, CACHE_SECONDS)
    return found
