"""Pages kept whole in the shared cache (`page_cache.page`): per user and address, under
what they show; a branch sees its own write on the next load; committee readers are
served the previous page while one request builds the new one (after its own response,
served the previous page too, has gone); each session gets its own form token."""

import datetime
import re

from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.core.actor import Actor
from dangjian.notices.services import notice_publish
from dangjian.people.services import person_update
from dangjian.policy import store
from dangjian.policy.models import FindingScope
from dangjian.policy.store import refresh_all
from dangjian.records import services as records_services
from dangjian.web import page_cache
from dangjian.web.testing import PASSWORD


def _queries(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_a_branch_sees_its_own_write_on_the_next_load(tree, login, settings):
    settings.FINDINGS_REFRESH_ON_WRITE = False  # the worker refreshes, as in production
    refresh_all()
    cache.clear()
    client = login("b1")
    url = reverse("web:org", args=[tree.branch1.pk])
    built, _ = _queries(client, url)
    kept, again = _queries(client, url)
    assert kept < built  # read from the cache
    person = tree.members1[0]
    assert person.name in again
    person_update(
        person=person, name="改名后的党员", actor=Actor(user=tree.users["b1"], source="web")
    )
    assert FindingScope.objects.filter(dirty__gt=F("refreshed")).exists()  # not refreshed yet
    _, after = _queries(client, url)
    assert "改名后的党员" in after


def test_a_branch_sees_its_findings_once_its_write_is_refreshed(tree, login, settings):
    """The branch's 问题清单 keeps the shortfall while the refresh is pending, and is
    built again once the refresh that read the write is stored; a refresh for another
    branch of the department does not rebuild it."""
    from decimal import Decimal

    from dangjian.policy.models import StoredFinding

    settings.FINDINGS_REFRESH_ON_WRITE = False
    year = datetime.date.today().year
    refresh_all()
    cache.clear()
    person = tree.members1[2]
    short = StoredFinding.objects.filter(year=year, hours=True, subject_pk=person.pk).first()
    assert short is not None
    client = login("b1")
    url = reverse("web:org_findings", args=[tree.branch1.pk])
    assert short.key in client.get(url).content.decode()
    actor = Actor(user=tree.users["b1"], source="web")
    records_services.training_record(
        person=person,
        date=datetime.date(year, 1, 20),
        hours=Decimal("200"),
        kind="general",
        actor=actor,
    )
    pending = client.get(url)
    assert pending.context is not None and short.key in pending.content.decode()
    assert client.get(url).context is None  # kept while pending
    assert store.run_pending(debounce=0) >= 1
    assert short.key not in client.get(url).content.decode()
    # another branch's write and refresh: this branch's page is kept
    records_services.training_record(
        person=tree.members2[0],
        date=datetime.date(year, 1, 21),
        hours=Decimal("1"),
        kind="general",
        actor=Actor(user=tree.users["wc"], source="web"),
    )
    assert store.run_pending(debounce=0) >= 1
    assert client.get(url).context is None


def test_a_training_rebuilds_the_branch_pages_that_show_it_not_the_others(tree, login, settings):
    """A training shows on the branch's 学时 at once; its 概况 (members, posts) stays as
    kept, and its 工作台 and 问题清单 show it through the findings: built again when
    the write is marked pending and once its refresh is stored, not on every write in
    between. A meeting shows on the 工作台 at once."""
    from decimal import Decimal

    settings.FINDINGS_REFRESH_ON_WRITE = False
    year = datetime.date.today().year
    refresh_all()
    cache.clear()
    client = login("b1")
    urls = {
        "home": reverse("web:home"),
        "overview": reverse("web:org", args=[tree.branch1.pk]),
        "findings": reverse("web:org_findings", args=[tree.branch1.pk]),
        "hours": reverse("web:org_hours", args=[tree.branch1.pk]),
    }
    for url in urls.values():
        assert client.get(url).context is not None  # built
        assert client.get(url).context is None  # kept
    actor = Actor(user=tree.users["b1"], source="web")

    def train(hours: str) -> None:
        records_services.training_record(
            person=tree.members1[0],
            date=datetime.date(year, 1, 20),
            hours=Decimal(hours),
            kind="general",
            actor=actor,
        )

    train("1.5")
    built = {name: client.get(url).context is not None for name, url in urls.items()}
    # pending now: the findings pages once; the 概况 not; the 学时 shows the hours
    assert built == {"home": True, "overview": False, "findings": True, "hours": True}
    train("2")  # a second write before the refresh
    built = {name: client.get(url).context is not None for name, url in urls.items()}
    assert built == {"home": False, "overview": False, "findings": False, "hours": True}
    assert store.run_pending(debounce=0) >= 1
    built = {name: client.get(url).context is not None for name, url in urls.items()}
    assert built == {"home": True, "overview": False, "findings": True, "hours": True}
    # the next training starts a new wait: the findings pages are built again, once
    train("0.5")
    built = {name: client.get(url).context is not None for name, url in urls.items()}
    assert built == {"home": True, "overview": False, "findings": True, "hours": True}
    records_services.activity_record(
        org=tree.branch1,
        kind="theme_day",
        date=datetime.date(year, 1, 22),
        attendees=tree.members1[:2],
        actor=actor,
    )
    assert client.get(urls["home"]).context is not None  # the year's activities counted
    assert client.get(urls["overview"]).context is not None  # shown_at: any other record


def test_committee_readers_get_the_previous_page_while_one_builds(tree, login, settings):
    settings.FINDINGS_REFRESH_ON_WRITE = False
    year = datetime.date.today().year
    refresh_all()
    cache.clear()
    client = login("wc")
    url = reverse("web:org_findings", args=[tree.root.pk])
    before = client.get(url).content.decode()
    FindingScope.objects.filter(org=tree.dept).update(dirty=F("dirty") + 1)
    assert store.run_pending(debounce=0) == 1  # a new version of the committee's findings
    request = RequestFactory().get(url)
    request.user = tree.users["wc"]
    root = type(tree.root).objects.get(pk=tree.root.pk)
    new_key, _ = page_cache.page_keys(request, root, year)
    assert cache.get(new_key) is None
    cache.add(f"{new_key}:building", 1)  # another request is building it
    served = client.get(url)
    assert served.context is None  # not built: the previous page
    assert _tokenless(served.content.decode()) == _tokenless(before)
    cache.delete(f"{new_key}:building")
    # the next reader is served the previous page too, and the new one is built after
    # its response has been sent
    served_then_built = client.get(url)
    assert _tokenless(served_then_built.content.decode()) == _tokenless(before)
    kept = cache.get(new_key)
    assert kept is not None and cache.get(f"{new_key}:building") is None
    after = client.get(url)
    assert after.context is None  # served as kept, not built again
    assert _filled_in(kept[1], after.content.decode())


def test_a_committee_page_is_rebuilt_at_most_once_a_while(tree, login, settings):
    """After a refresh the last page (with its 截至) is served until it is
    PAGE_REBUILD_SECONDS old; then it is built again from the new figures."""
    settings.FINDINGS_REFRESH_ON_WRITE = False
    settings.PAGE_REBUILD_SECONDS = 3600
    year = datetime.date.today().year
    refresh_all()
    cache.clear()
    client = login("wc")
    url = reverse("web:org_findings", args=[tree.root.pk])
    assert client.get(url).context is not None  # built
    FindingScope.objects.filter(org=tree.dept).update(dirty=F("dirty") + 1)
    assert store.run_pending(debounce=0) == 1
    assert client.get(url).context is None  # the last one, younger than an hour
    settings.PAGE_REBUILD_SECONDS = 0
    request = RequestFactory().get(url)
    request.user = tree.users["wc"]
    new_key, _ = page_cache.page_keys(request, type(tree.root).objects.get(pk=tree.root.pk), year)
    assert cache.get(new_key) is None
    client.get(url)  # served the last one; the new one built once it was sent
    assert cache.get(new_key) is not None


def test_each_session_gets_its_own_form_token(tree):
    """The second reader is served the page the first built; its logout form's token is
    its own (accepted with CSRF checks on), never the builder's."""
    cache.clear()
    refresh_all()
    first, second = Client(), Client(enforce_csrf_checks=True)
    for c in (first, second):
        assert c.login(username=tree.users["wc"].get_username(), password=PASSWORD)
    url = reverse("web:home")
    built, page = _queries(first, url)
    kept, served = _queries(second, url)
    assert kept < built
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', served).group(1)
    assert page_cache.CSRF_PLACEHOLDER not in served and token not in page
    response = second.post(reverse("web:logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_a_notice_renews_every_kept_page_and_a_record_only_its_scope(
    tree, django_capture_on_commit_callbacks
):
    actor = Actor(user=tree.users["wc"], source="web")
    start = page_cache.generation()
    marks = {o.pk: page_cache.changed(o.pk) for o in (tree.branch1, tree.branch2, tree.dept)}
    assert [m.at for m in marks.values()] == ["-"] * 3  # nothing written through a service yet
    with django_capture_on_commit_callbacks(execute=True):
        records_services.training_record(
            person=tree.members1[2],
            date=datetime.date.today().replace(month=1, day=20),
            hours=2,
            kind="general",
            actor=actor,
        )
    assert page_cache.generation() == start  # seen through the branch's changed mark
    assert page_cache.changed(tree.branch1.pk) != marks[tree.branch1.pk]
    assert page_cache.changed(tree.dept.pk) != marks[tree.dept.pk]  # an ancestor
    assert page_cache.changed(tree.branch2.pk) == marks[tree.branch2.pk]
    with django_capture_on_commit_callbacks(execute=True):
        notice_publish(
            org=tree.root,
            title="通知",
            body="正文",
            published_on=datetime.date.today(),
            actor=actor,
        )
    assert page_cache.generation() != start  # renewed once the notice committed


def _filled_in(kept: str, served: str) -> bool:
    """`served` is the kept page with its form token and script nonce filled in."""
    pattern = re.escape(kept)
    for placeholder in (page_cache.CSRF_PLACEHOLDER, page_cache.NONCE_PLACEHOLDER):
        pattern = pattern.replace(re.escape(placeholder), "[^\"'<> ]+")
    return re.fullmatch(pattern, served, re.S) is not None


def _tokenless(html: str) -> str:
    return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", html)


def test_a_committees_pages_move_on_to_a_new_refresh_once_a_while(tree, settings):
    """Departments refresh every few seconds while branches write: a committee's pages,
    their shared parts and their 截至 follow one state, moving on at most every
    PAGE_REBUILD_SECONDS; a branch follows its own at once."""
    from dangjian.web import page_findings

    settings.FINDINGS_REFRESH_ON_WRITE = False
    settings.PAGE_REBUILD_SECONDS = 3600
    year = datetime.date.today().year
    refresh_all()
    cache.clear()

    def shown(org):  # a new object per request, as a view gets
        return page_findings.freshness(type(org).objects.get(pk=org.pk), year)

    first = shown(tree.root)
    branch_first = shown(tree.branch1)
    FindingScope.objects.filter(org=tree.dept).update(dirty=F("dirty") + 1)
    assert store.run_pending(debounce=0) == 1
    live = store.status(tree.root, page_findings.pack_id_for(tree.root), year)
    assert live.version != first.version
    assert shown(tree.root).version == first.version  # not yet
    pack = page_findings.pack_id_for(tree.root)
    branch_live = store.status(tree.branch1, pack, year)
    assert branch_live.version != branch_first.version
    assert shown(tree.branch1).version == branch_live.version  # a branch: as it is
    settings.PAGE_REBUILD_SECONDS = 0
    assert shown(tree.root).version == live.version
