from django.urls import reverse


def test_pages_render_for_branch_admin(tree, login):
    c = login("b1")
    b1 = tree.branch1
    for url in [
        reverse("web:home"),
        reverse("web:org", args=[b1.pk]),
        reverse("web:org_ledger", args=[b1.pk]),
        reverse("web:org_hours", args=[b1.pk]),
        reverse("web:org_filings", args=[b1.pk]),
        reverse("web:org_findings", args=[b1.pk]),
        reverse("web:org_calendar", args=[b1.pk]),
        reverse("web:activity_new", args=[b1.pk]),
        reverse("web:training_new", args=[b1.pk]),
        reverse("web:filing_new", args=[b1.pk]),
        reverse("web:activity", args=[tree.activity.pk]),
        reverse("web:activity_edit", args=[tree.activity.pk]),
        reverse("web:person", args=[tree.member.pk]),
        reverse("web:findings"),
        reverse("web:rules"),
    ]:
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
