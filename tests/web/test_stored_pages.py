"""Committee pages read stored findings: they never evaluate the tree in the request,
they say when the figures were computed and that a refresh is pending."""

from django.urls import reverse

from dangjian.policy.models import FindingScope, StoredFinding
from dangjian.policy.store import refresh_all


def test_committee_home_never_evaluates_and_shows_pending(tree, login, settings):
    settings.FINDINGS_REFRESH_ON_WRITE = False  # no worker has run yet
    client = login("wc")
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "正在更新" in text and "检查结果尚未计算" in text
    assert not StoredFinding.objects.exists()  # nothing was evaluated in the request
    assert FindingScope.objects.filter(refreshed=0).exists()  # the refresh is asked for

    refresh_all()
    text = client.get(reverse("web:home")).content.decode()
    assert "检查结果截至" in text and "正在更新" not in text
    assert StoredFinding.objects.exists()


def test_findings_list_counts_match_the_stored_rows(tree, login):
    refresh_all()
    client = login("wc")
    response = client.get(reverse("web:org_findings", args=[tree.root.pk]))
    assert response.status_code == 200
    stored = StoredFinding.objects.filter(org_path__startswith=tree.root.path)
    violations = stored.filter(severity="violation").count()
    assert violations > 0
    assert response.context["violations"] == violations
    assert response.context["warnings"] == stored.count() - violations


def test_stored_findings_are_for_the_check_day_and_read_like_fresh_ones(tree):
    """The refresh computes for `days.check_day`, and a stored row becomes the same page
    finding (titles, labels, keys, links) as the engine's finding evaluated on that day."""
    import dataclasses
    import datetime

    from dangjian.policy import store
    from dangjian.policy.days import check_day
    from dangjian.policy.engine import evaluate
    from dangjian.web import page_findings

    today = datetime.date.today()
    for year in (today.year - 2, today.year, today.year + 1):
        assert store.as_of_for(year) == check_day(year)
    refresh_all()
    org = tree.branch1
    status = page_findings.freshness(org, today.year)
    assert status.as_of == check_day(today.year) and not status.pending
    stored = page_findings.from_rows(
        page_findings.stored(org, today.year), page_findings.pack_id_for(org)
    )
    report = evaluate(
        pack=page_findings.pack_id_for(org),
        year=today.year,
        as_of=check_day(today.year),
        org_ext_id=org.ext_id,
    )
    rules = page_findings.pack_rules(page_findings.pack_id_for(org))
    fresh = [page_findings._normalise(f, rules) for f in report.findings]
    for f in fresh:
        f.year = today.year
    page_findings.resolve(fresh)
    assert fresh

    def table(items):
        return sorted((dataclasses.astuple(f) for f in items), key=repr)

    assert table(stored) == table(fresh)
    evidence = sorted({e for f in fresh for e in f.evidence})
    assert page_findings.evidence_links(evidence) == page_findings.evidence_links(
        sorted({e for f in stored for e in f.evidence})
    )
