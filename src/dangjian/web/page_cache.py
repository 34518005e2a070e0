"""What pages build from the stored findings, kept in the shared cache: parts of
committee-sized pages (`cached`), and whole pages (`page`).

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

import datetime
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from dangjian.orgs.models import Organization
from dangjian.web import page_findings

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Kept until replaced by a newer version's key (a refresh) or for an hour.
TIMEOUT = 3600
# One process builds a missing part; the others wait for it up to this long.
BUILD_WAIT = 20.0
_MISSING = object()


# A work committee or a department: big subtrees (a branch is a few dozen people).
worth_caching = page_findings.committee_sized


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


# --- whole pages --------------------------------------------------------------------------
#
# A page is kept as its HTML, per user and address, under what its content depends on:
#  - the stored findings of the organisation's scopes: for a committee or department
#    their version (a refresh) and whether one is pending;
#  - for a branch (depth 2 and below), the check day and the pack's version, when a record
#    of its subtree was last written and whether the refresh that stores that write has
#    been (`models.OrgChange`, marked in the write's transaction): a branch sees its own
#    write on the next load and its findings after their refresh, while refreshes for
#    other branches of its department do not rebuild its pages (a branch's findings are
#    read from its own records);
#  - every other write (notices, accounts and grants, organisation names, a whole-tree
#    import): `GENERATION`, renewed after each such write commits (`on_record_written`),
#    kept with the page and read with it (a page of another generation is not served);
#  - the day (due dates and 截至 count from it).
# The form token and script nonce of the request that built it are placeholders in the
# kept copy, filled in for each request. A page with a message to show is not kept.
# A committee's or department's key moves on to a newer refresh at most every
# `PAGE_REBUILD_SECONDS` (`page_findings.freshness`: its pages' shared parts and their 截至
# follow the same state). When it has, the first request is served the previous page
# and builds the new one after its response has gone, while the others are still served
# the previous one: no reader waits for a committee page that was built before. A kept
# page's figures and its 截至 are consistent with each other.

GENERATION = "web:pages:generation"
# Records the branch's 工作台, 概况 and 问题清单 show only through their findings (a
# training counts toward study hours, a filing closes a schedule line): writing one
# rebuilds those pages once its refresh is stored, not at once (学时 shows trainings).
SHOWN_THROUGH_FINDINGS = frozenset({"training", "filing"})
# In the keys: a release that keeps pages in another shape never reads the older ones.
KEPT_FORMAT = 3
CSRF_PLACEHOLDER = "__dangjian_page_cache_csrf__"
NONCE_PLACEHOLDER = "__dangjian_page_cache_nonce__"


def generation() -> str:
    """The current generation (started anew if the cache lost it: never reused)."""
    value = cache.get(GENERATION)
    if value is None:
        cache.add(GENERATION, time.time_ns(), None)
        value = cache.get(GENERATION)
    return str(value)


def renew_generation() -> None:
    cache.set(GENERATION, time.time_ns(), None)


def page_version(
    org: Organization, year: int, *, every_record: bool = True, findings: bool = True
) -> str | None:
    """What `org`'s pages for `year` depend on in the stored findings (None: nothing
    stored yet; the page is built every time until it is). `every_record=False`: the page
    shows trainings and filings only through their findings; `findings=False`: it shows
    no findings (nor whether a refresh is pending)."""
    status = page_findings.freshness(org, year)
    if not status.version or not status.complete:
        return None
    if worth_caching(org):
        return f"{status.version}|{status.pending}"
    from dangjian.policy.packs import load_pack

    pack_id = page_findings.pack_id_for(org)
    mark = changed(org.pk)
    written = mark.at if every_record else mark.shown_at
    if findings:
        stored = status.refreshed >= mark.waiting_for.get(f"{pack_id}:{year}", 0)
        shown = f"{mark.pending_since}|{stored}"
    else:
        shown = "-"
    return f"{status.as_of}|{load_pack(pack_id).version}|{written}|{shown}"


@dataclass(frozen=True)
class Changed:
    """An organisation's marks ("-": never since marks were kept): when a record of its
    subtree was last written, a record other than a training or filing, and since when
    writes wait for a refresh; per pack and year the dirty count that refresh must reach."""

    at: str = "-"
    shown_at: str = "-"
    pending_since: str = "-"
    waiting_for: dict[str, int] = field(default_factory=dict)


def changed(org_pk: int) -> Changed:
    from dangjian.web.models import OrgChange

    row = (
        OrgChange.objects.filter(org_id=org_pk)
        .values_list("at", "shown_at", "pending_since", "waiting_for")
        .first()
    )
    if row is None:
        return Changed()
    at, shown_at, pending_since, waiting_for = row
    return Changed(
        at=_stamp(at),
        shown_at=_stamp(shown_at),
        pending_since=_stamp(pending_since),
        waiting_for=dict(waiting_for or {}),
    )


def _stamp(at: datetime.datetime | None) -> str:
    return at.isoformat() if at is not None else "-"


def page_keys(
    request: HttpRequest,
    org: Organization,
    year: int,
    *,
    every_record: bool = True,
    findings: bool = True,
) -> tuple[str, str] | None:
    """The keys of this user's page at this address: for what it shows now, and for the
    last one built (None: not kept)."""
    version = page_version(org, year, every_record=every_record, findings=findings)
    if version is None:
        return None
    who = getattr(request.user, "pk", None)
    # the generation is not in the key but in the kept value (read with it, one query)
    raw = f"{who}|{org.pk}|{request.get_full_path()}|{datetime.date.today()}"
    base = f"web:page{KEPT_FORMAT}:" + hashlib.sha1(raw.encode()).hexdigest()[:24]
    return f"{base}:{hashlib.sha1(version.encode()).hexdigest()[:16]}", f"{base}:latest"


def page(
    request: HttpRequest,
    org: Organization,
    year: int,
    build: Callable[[], HttpResponse],
    *,
    every_record: bool = True,
    findings: bool = True,
) -> HttpResponse:
    """`build()`'s page for this user and address, or the kept one while nothing it shows
    has changed. `every_record=False` for a page that shows trainings and filings only
    through their findings (`SHOWN_THROUGH_FINDINGS`); `findings=False` for a branch's
    page that shows no findings."""
    if request.method != "GET" or len(get_messages(request)):
        return build()
    keys = page_keys(request, org, year, every_record=every_record, findings=findings)
    if keys is None:
        return build()
    k, latest = keys
    if not worth_caching(org):
        # A branch's page: one reader builds it (the key is per user) in tens of
        # milliseconds; no lock, no previous copy to fall back on.
        found = cache.get_many([k, GENERATION])
        now = _current(found)
        hit = _valid(found.get(k), now)
        if hit is not None:
            return _serve(request, hit)
        return _build(request, build, (k,), now)
    found = cache.get_many([k, latest, GENERATION])
    now = _current(found)
    hit = _valid(found.get(k), now)
    if hit is not None:
        return _serve(request, hit)
    # (a committee's key moves on at most every PAGE_REBUILD_SECONDS: `page_findings.freshness`)
    stale = _valid(found.get(latest), now)
    lock = f"{k}:building"
    if cache.add(lock, 1, timeout=int(BUILD_WAIT) + 10):
        if stale is not None:
            # This reader, too, is served the last page at once; the new one is built
            # once the response has gone (`close`), for the next load.
            served = _serve(request, stale)
            return _ServedThenBuilt(served, lambda: _build(request, build, keys, now), lock)
        try:
            return _build(request, build, keys, now)
        finally:
            cache.delete(lock)
    if stale is not None:
        return _serve(request, stale)
    waited = time.monotonic() + BUILD_WAIT
    while time.monotonic() < waited:
        time.sleep(0.1)
        hit = _valid(cache.get(k), now)
        if hit is not None:
            return _serve(request, hit)
    return _build(request, build, None, now)


Kept = tuple[str, str, float, str]  # content type, page, when built, generation


def _current(found: dict[str, Any]) -> str:
    """The generation read with the page (started anew if the cache lost it)."""
    value = found.get(GENERATION)
    return str(value) if value is not None else generation()


def _valid(kept: Kept | None, now: str) -> Kept | None:
    """The kept page, if it was built in the current generation."""
    return kept if kept is not None and kept[3] == now else None


def _build(
    request: HttpRequest,
    build: Callable[[], HttpResponse],
    keys: tuple[str, ...] | None,
    now: str,
) -> HttpResponse:
    request._page_cache_building = True  # type: ignore[attr-defined]
    try:
        response = build()
    finally:
        request._page_cache_building = False  # type: ignore[attr-defined]
    if response.streaming:
        return response
    body = response.content.decode(response.charset)
    nonce = getattr(request, "_csp_nonce", None)
    kept = body.replace(nonce, NONCE_PLACEHOLDER) if nonce else body
    content_type = response.get("Content-Type", "")
    if (
        keys is not None
        and response.status_code == 200
        and content_type.startswith("text/html")
        and not response.cookies
    ):
        cache.set_many({key: (content_type, kept, time.time(), now) for key in keys}, TIMEOUT)
    if CSRF_PLACEHOLDER in body:
        response.content = body.replace(CSRF_PLACEHOLDER, get_token(request)).encode(
            response.charset
        )
    return response


class _ServedThenBuilt(HttpResponse):
    """The last page served, and the new one built after it has been sent: the server
    calls `close()` once the response is written (WSGI), before it takes the next
    request; the build holds the page's lock until then."""

    def __init__(self, served: HttpResponse, after: Callable[[], Any], lock: str) -> None:
        super().__init__(served.content, content_type=served["Content-Type"])
        self._after = after
        self._lock = lock

    def close(self) -> None:
        try:
            self._after()
        except Exception:
            logger.exception("页面后台生成失败 (building a kept page after serving the last one)")
        finally:
            cache.delete(self._lock)
            super().close()


def _serve(request: HttpRequest, kept: Kept) -> HttpResponse:
    content_type, body = kept[0], kept[1]
    if CSRF_PLACEHOLDER in body:
        body = body.replace(CSRF_PLACEHOLDER, get_token(request))
    if NONCE_PLACEHOLDER in body:
        body = body.replace(NONCE_PLACEHOLDER, str(request.csp_nonce))  # type: ignore[attr-defined]
    return HttpResponse(body, content_type=content_type)


def csrf_placeholder(request: HttpRequest) -> dict[str, str]:
    """Context processor: while a page is built to be kept, its form token is a
    placeholder (each request that is served the page gets its own token)."""
    if getattr(request, "_page_cache_building", False):
        return {"csrf_token": CSRF_PLACEHOLDER}
    return {}


def on_record_written(*, entry: Any, **kwargs: Any) -> None:
    """In the write's transaction: the organisations whose records it wrote (and their
    ancestors) are marked changed (`OrgChange`, one upsert); a write not confined to them
    (`store.marks_its_scopes`, or one that could touch anything) renews the generation
    once it commits."""
    from dangjian.policy.store import after_commit, marks_its_scopes, orgs_of_entry

    if not marks_its_scopes(str(entry.object_type)):
        orgs = None
    elif hasattr(entry, "affected_orgs"):
        orgs = entry.affected_orgs  # policy's receiver read them already (it runs first)
    else:
        orgs = orgs_of_entry(entry)
    if not orgs:
        after_commit(renew_generation)
        return
    mark_changed(
        orgs,
        using=entry._state.db or "default",
        shown=str(entry.object_type) not in SHOWN_THROUGH_FINDINGS,
    )


def mark_changed(org_pks: set[int], *, using: str = "default", shown: bool = True) -> None:
    """The organisations and their ancestors changed now; their pages wait for the
    refresh that reads their scopes' dirty counts as they are now (policy's receiver has
    marked them: it runs first)."""
    from django.utils import timezone

    from dangjian.policy.models import FindingScope
    from dangjian.web.models import OrgChange

    paths = Organization.objects.using(using).filter(pk__in=org_pks).values_list("path", flat=True)
    scope_of: dict[int, int] = {}
    for path in paths:
        ids = [int(p) for p in path.strip("/").split("/") if p.isdigit()]
        for depth, pk in enumerate(ids):
            # the top is its own scope; everything below it, its department
            scope_of[pk] = pk if depth == 0 else ids[1]
    dirty: dict[int, dict[str, int]] = {}
    refreshed: dict[int, dict[str, int]] = {}
    for scope_pk, pack_id, year, n, done in (
        FindingScope.objects.using(using)
        .filter(org_id__in=set(scope_of.values()))
        .values_list("org_id", "pack_id", "year", "dirty", "refreshed")
    ):
        dirty.setdefault(scope_pk, {})[f"{pack_id}:{year}"] = n
        refreshed.setdefault(scope_pk, {})[f"{pack_id}:{year}"] = done
    before = dict(
        OrgChange.objects.using(using)
        .filter(org_id__in=scope_of)
        .values_list("org_id", "waiting_for")
    )
    now = timezone.now()
    # The writes waiting for a refresh begin anew where the last write's refresh is stored.
    begins: dict[bool, list[OrgChange]] = {True: [], False: []}
    for pk, scope_pk in scope_of.items():
        stored = refreshed.get(scope_pk, {})
        anew = pk not in before or all(
            stored.get(k, 0) >= n for k, n in dict(before[pk] or {}).items()
        )
        begins[anew].append(
            OrgChange(
                org_id=pk,
                at=now,
                shown_at=now if shown else None,
                pending_since=now if anew else None,
                waiting_for=dirty.get(scope_pk, {}),
            )
        )
    for anew, rows in begins.items():
        if rows:
            # a training or filing leaves `shown_at` as it was (a new row: none yet)
            OrgChange.objects.using(using).bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["org"],
                update_fields=[
                    "at",
                    "waiting_for",
                    *(["shown_at"] if shown else []),
                    *(["pending_since"] if anew else []),
                ],
            )
