"""Background refresh of stored findings (huey: `dangjian run_huey` runs the worker)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task, on_startup

SCHEDULED_KEY = "dangjian:findings:refresh-scheduled"


@db_task()
def refresh_stale_findings() -> int:
    """Refresh every stale scope that has been quiet for the debounce delay; ask again
    later for those still within it (or claimed by another worker)."""
    from dangjian.policy.store import run_pending

    done = run_pending()
    cache.delete(SCHEDULED_KEY)
    ask_if_stale()
    return done


@db_periodic_task(crontab(hour=str(settings.FINDINGS_NIGHTLY_HOUR), minute="10"))
def nightly_refresh_findings() -> int:
    """The full refresh: every tree re-evaluated for today (the check day rolls forward)."""
    from dangjian.policy.store import refresh_all

    return refresh_all()


@db_periodic_task(crontab(minute="*"))
def refresh_left_behind() -> bool:
    """Once a minute: stale scopes that no queued refresh will reach (the worker was
    stopped mid-refresh, or the queue was lost: Redis keeps nothing on disk) are asked
    for again, so they do not wait for the next write or the night. One query."""
    return ask_if_stale()


@on_startup()
def ask_again_on_startup() -> None:
    """A worker starting (again): the refresh asked for last may have gone with a worker
    stopped while it held it, and its mark stays set for the debounce delay plus 30 s,
    so a write meanwhile would ask for nothing and wait for `refresh_left_behind`'s next
    minute (seen: 68 s after the page benchmark's worker was stopped). The mark is
    cleared and stale scopes are asked for now."""
    cache.delete(SCHEDULED_KEY)
    ask_if_stale()


def ask_if_stale() -> bool:
    """Ask for a refresh if any scope is stale (one query); whether one was."""
    from dangjian.policy.models import FindingScope

    if not FindingScope.objects.filter(dirty__gt=F("refreshed")).exists():
        return False
    request_refresh()
    return True


def request_refresh() -> None:
    """Schedule one refresh after the debounce delay; writes within it share it.

    In immediate mode (tests, DANGJIAN_TASKS_IMMEDIATE) the refresh runs at once, in this
    process, through the same claim-refresh-release path the worker takes."""
    from dangjian.policy.store import debounce_seconds, run_pending

    if HUEY.immediate:
        run_pending(debounce=0)
        return
    delay = debounce_seconds()
    if cache.add(SCHEDULED_KEY, 1, timeout=int(delay) + 30):
        refresh_stale_findings.schedule(delay=delay)
