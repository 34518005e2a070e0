"""Committee pages keep what they build from the stored findings in the shared cache,
under the stored version of their scopes: a write shows once its refresh is stored
(never an older figure after the refresh), and one organisation's cached part is never
served for another's page."""

import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db.models import F
from django.urls import reverse

from dangjian.core.actor import Actor
from dangjian.policy import store
from dangjian.policy.models import FindingScope, FindingTally
from dangjian.policy.store import refresh_all
from dangjian.records import services as records_services
from dangjian.web import page_cache, page_findings


def _hours_of(response, person) -> Decimal:
    return next(p.hours for p, _ in response.context["rows"] if p.pk == person.pk)


def _tally_total(org, year) -> int:
    return sum(
        FindingTally.objects.filter(store.subtree("org_path", org.path), year=year).values_list(
            "count", flat=True
        )
    )


def test_a_write_shows_on_the_cached_pages_after_its_refresh(tree, login, settings):
    settings.FINDINGS_REFRESH_ON_WRITE = False  # the worker refreshes, as in production
    year = datetime.date.today().year
    refresh_all()
    cache.clear()
    client = login("wc")
    hours_url = reverse("web:org_hours", args=[tree.root.pk]) + "?page=1"
    person = tree.members1[2]
    before = client.get(hours_url)
    home_before = client.get(reverse("web:home")).context["warning_count"]
    assert page_cache.key(tree.root, year, "hours", "1") is not None
    assert cache.get(page_cache.key(tree.root, year, "hours", "1")) is not None

    records_services.training_record(
        person=person,
        date=datetime.date(year, 1, 20),
        hours=Decimal("60"),
        kind="general",
        actor=Actor(user=tree.users["b1"], source="web"),
    )
    # stale: the page says a refresh is pending and shows what was stored
    pending = client.get(hours_url)
    assert pending.context["freshness"].pending
    assert _hours_of(pending, person) == _hours_of(before, person)

    assert store.run_pending(debounce=0) >= 1
    after = client.get(hours_url)
    assert not after.context["freshness"].pending
    assert _hours_of(after, person) == _hours_of(before, person) + Decimal("60")
    # the home's figures are the refreshed tallies, not the ones cached before
    home = client.get(reverse("web:home")).context
    v, w = home["violation_count"], home["warning_count"]
    assert v + w == _tally_total(tree.root, year)
    assert w <= home_before  # the 60 hours leave one fewer shortfall (never more)


def test_a_refresh_replaces_the_cached_findings_list(tree, login, settings):
    settings.FINDINGS_REFRESH_ON_WRITE = False
    year = datetime.date.today().year
    refresh_all()
    cache.clear()
    client = login("wc")
    url = reverse("web:org_findings", args=[tree.root.pk])
    first = client.get(url).context
    # a refresh writes new rows under a new version: the list is read again
    version = page_findings.freshness(tree.root, year).version
    FindingScope.objects.filter(org=tree.dept).update(dirty=F("dirty") + 1)
    assert store.run_pending(debounce=0) == 1
    fresh = type(tree.root).objects.get(pk=tree.root.pk)
    assert page_findings.freshness(fresh, year).version != version
    second = client.get(url).context
    assert (second["violations"], second["warnings"]) == (first["violations"], first["warnings"])
    assert second["violations"] + second["warnings"] == _tally_total(tree.root, year)


def test_cached_parts_are_kept_per_organisation(tree, login):
    """The department's and the committee's lists have their own keys; a branch
    administrator is refused the department's page before any cache is read, and their
    own branch page shows only their branch's findings."""
    year = datetime.date.today().year
    refresh_all()
    cache.clear()
    keys = {
        page_cache.key(org, year, "findings", "", "", "", "1")
        for org in (tree.root, tree.dept, tree.committee, tree.branch1)
    }
    assert len(keys) == 4 and None not in keys
    wc = login("wc")
    dept_page = wc.get(reverse("web:org_findings", args=[tree.dept.pk]))
    root_page = wc.get(reverse("web:org_findings", args=[tree.root.pk]))
    assert dept_page.status_code == root_page.status_code == 200

    b1 = login("b1")
    assert b1.get(reverse("web:org_findings", args=[tree.dept.pk])).status_code in (403, 404)
    assert b1.get(reverse("web:org_hours", args=[tree.root.pk])).status_code in (403, 404)
    own = b1.get(reverse("web:org_findings", args=[tree.branch1.pk])).context
    assert own["violations"] + own["warnings"] == _tally_total(tree.branch1, year)
    for line in own["page"].object_list:
        for f in line.people or [line.first]:
            assert f.org_pk in (tree.branch1.pk, None) or f.org_id == tree.branch1.ext_id


def test_branch_pages_are_not_cached(tree):
    """A branch's pages read its own rows (small) and show its writes once stored."""
    refresh_all()
    cache.clear()
    calls = []
    value = page_cache.cached(
        tree.branch1, datetime.date.today().year, "x", lambda: calls.append(1) or len(calls)
    )
    again = page_cache.cached(
        tree.branch1, datetime.date.today().year, "x", lambda: calls.append(1) or len(calls)
    )
    assert (value, again) == (1, 2)


def test_the_cached_rendered_lines_follow_the_refresh(tree, login, settings):
    """The 问题清单's rendered lines are cached too: before the refresh the write's
    finding is still listed (正在更新), after it the list is rendered anew without it."""
    from dangjian.policy.models import StoredFinding

    settings.FINDINGS_REFRESH_ON_WRITE = False
    year = datetime.date.today().year
    refresh_all()
    cache.clear()
    person = tree.members1[2]
    short = StoredFinding.objects.filter(year=year, hours=True, subject_pk=person.pk).first()
    assert short is not None
    client = login("wc")
    url = reverse("web:org_findings", args=[tree.root.pk])
    assert short.key in client.get(url).content.decode()
    records_services.training_record(
        person=person,
        date=datetime.date(year, 1, 20),
        hours=Decimal("200"),
        kind="general",
        actor=Actor(user=tree.users["b1"], source="web"),
    )
    assert short.key in client.get(url).content.decode()  # the stored figures, pending
    assert store.run_pending(debounce=0) >= 1
    assert not StoredFinding.objects.filter(year=year, hours=True, subject_pk=person.pk).exists()
    # the first load after the refresh is served the last page and builds the new one
    # once sent; the next one reads it
    assert short.key in client.get(url).content.decode()
    assert short.key not in client.get(url).content.decode()
