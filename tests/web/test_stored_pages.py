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
