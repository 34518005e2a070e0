"""What committee-sized pages build from the stored findings, kept in the shared cache.

Keyed by the organisation, the year, what the part depends on (page, filters) and the
stored findings' version of the organisation's scopes (`store.Status.version`, which
changes with every refresh of a scope under it): after a refresh the key is new, so
nothing older than the last refresh is served, and a part of one organisation is never
served for another. The cache is settings' CACHES (the database cache, or Redis),
shared by every worker process; never a per-process memory.

Only subtrees too big to build in a request are cached (`worth_caching`): a branch's
pages read its few rows directly and show its own writes as soon as they are stored.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.paginator import Page, Paginator

from dangjian.orgs.models import Organization
from dangjian.web import page_findings

T = TypeVar("T")

# Kept until replaced by a newer version's key (a refresh) or for an hour.
TIMEOUT = 3600
# One process builds a missing part; the others wait for it up to this long.
BUILD_WAIT = 20.0
_MISSING = object()


def worth_caching(org: Organization) -> bool:
    """A work committee or a department: big subtrees (a branch is a few dozen people)."""
    return org.depth <= 1


def key(org: Organization, year: int, part: str, *extra: Any) -> str | None:
    """The part's cache key for the current stored version, or None (nothing stored yet,
    or a refresh asked for: then the page builds it fresh)."""
    status = page_findings.freshness(org, year)
    if not status.version or not status.complete:
        return None
    raw = "|".join([part, page_findings.pack_id_for(org), str(year), str(org.pk), *map(str, extra)])
    digest = hashlib.sha1(f"{raw}|{status.version}".encode()).hexdigest()[:24]
    return f"web:{part}:{org.pk}:{digest}"


def cached(org: Organization, year: int, part: str, build: Callable[[], T], *extra: Any) -> T:
    """`build()`, or its value stored under the current version. When it is missing, one
    process builds it while the others wait for it (a refresh does not make every
    worker rebuild the same part at once)."""
    if not worth_caching(org):
        return build()
    k = key(org, year, part, *extra)
    if k is None:
        return build()
    hit = cache.get(k, _MISSING)
    if hit is not _MISSING:
        return hit  # type: ignore[no-any-return]
    lock = f"{k}:building"
    if not cache.add(lock, 1, timeout=int(BUILD_WAIT) + 10):
        waited = time.monotonic() + BUILD_WAIT
        while time.monotonic() < waited:
            time.sleep(0.05)
            hit = cache.get(k, _MISSING)
            if hit is not _MISSING:
                return hit  # type: ignore[no-any-return]
    try:
        value = build()
        cache.set(k, value, TIMEOUT)
    finally:
        cache.delete(lock)
    return value


@dataclass
class ReadPage:
    """One page of a paginated list, read: kept in the cache and made a `Page` again."""

    lines: list[Any]
    number: int
    total: int
    per_page: int

    @classmethod
    def of(cls, page: Page) -> ReadPage:
        paginator = page.paginator
        return cls(list(page.object_list), page.number, paginator.count, paginator.per_page)

    def page(self) -> Page:
        lines: Any = _Read(self)  # a sequence of the list's length
        return Paginator(lines, self.per_page).page(self.number)


class _Read:
    """Stands in for the whole list: its length, and the one page that was read."""

    def __init__(self, read: ReadPage) -> None:
        self.read = read

    def __len__(self) -> int:
        return self.read.total

    def count(self) -> int:
        return self.read.total

    def __getitem__(self, index: slice) -> list[Any]:
        return self.read.lines
