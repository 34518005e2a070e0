import datetime

from django.urls import reverse

from dangjian.policy.packs import load_pack
from dangjian.web import page_findings


def last_month(today: datetime.date) -> datetime.date:
    return today.replace(day=1) - datetime.timedelta(days=1)


def theme_day_findings(org, today):
    lm = last_month(today)
    return [
        f
        for f in page_findings.findings(org, lm.year, today if lm.year == today.year else None)
        if "theme-day" in f.rule and f.period == f"{lm:%Y-%m}" and f.subject_pk == org.pk
    ]


def test_missing_theme_day_on_home_then_recorded_and_gone(tree, login):
    today = datetime.date.today()
    lm = last_month(today)
    c = login("b1")
    missing = theme_day_findings(tree.branch1, today)
    assert missing and missing[0].is_violation
    home = c.get(reverse("web:home")).content.decode()
    assert missing[0].message in home
    # The home page offers to record exactly that kind on a date in that month.
    link = page_findings.record_link(missing[0])
    assert link is not None and f"date={lm:%Y-%m}" in link
    assert link.replace("&", "&amp;") in home
    r = c.post(
        reverse("web:activity_new", args=[tree.branch1.pk]),
        {
            "kind": "theme_day",
            "date": lm.isoformat(),
            "title": "主题党日",
            "attendees": [str(p.pk) for p in tree.members1],
        },
    )
    assert r.status_code == 302
    tree.branch1.__dict__.pop("_web_findings", None)
    assert theme_day_findings(tree.branch1, today) == []
    home = c.get(reverse("web:home")).content.decode()
    assert missing[0].message not in home


def test_finding_explanation_cites_rule_clause_quote_and_evidence(tree, login):
    c = login("b1")
    year = datetime.date.today().year
    items = page_findings.findings(tree.branch1, year, datetime.date.today())
    assert items
    f = items[0]
    page = c.get(reverse("web:finding", args=[tree.branch1.pk, year, f.key])).content.decode()
    assert f.quote and f.quote in page
    assert f.rule_title in page and f.document in page
    assert "要求" in page and "实际" in page
    # A finding with evidence links to the records it was computed from.
    with_evidence = [x for x in items if x.evidence]
    if with_evidence:
        g = with_evidence[0]
        page = c.get(reverse("web:finding", args=[tree.branch1.pk, year, g.key])).content.decode()
        assert "计算依据的记录" in page
        assert str(len(g.evidence)) in page


def test_findings_list_filters(tree, login):
    c = login("wc")
    year = datetime.date.today().year
    url = reverse("web:org_findings", args=[tree.root.pk])
    all_page = c.get(url + f"?year={year}").content.decode()
    assert "违规" in all_page
    items = page_findings.findings(tree.root, year, datetime.date.today())
    rule = next(f.rule for f in items if "theme-day" in f.rule)
    only = c.get(url + f"?year={year}&rule={rule}&severity=violation")
    shown = only.context["page"].paginator.count
    expected = sum(1 for f in items if f.rule == rule and f.is_violation)
    assert shown == expected > 0
    # The subtree filter: branch2's findings do not appear under branch1.
    b1 = c.get(reverse("web:org_findings", args=[tree.branch1.pk]) + f"?year={year}")
    rows = b1.context["page"].object_list
    names = {f.org_pk for r in rows for f in [r.first, *r.people]}
    assert tree.branch2.pk not in names


def test_rule_book_shows_quotes_and_coverage(tree, login):
    c = login("member")
    book = c.get(reverse("web:rules")).content.decode()
    # Documents by name, never by pack id.
    assert load_pack("yunnan-2019").title in book and load_pack("national").title in book
    assert "yunnan-2019</" not in book and ">national<" not in book
    pack = c.get(reverse("web:rule_pack", args=["yunnan-2019"])).content.decode()
    assert "32学时" in pack
    assert "覆盖情况" in pack and "未编码" in pack
    assert c.get(reverse("web:rule_pack", args=["no-such-pack"])).status_code == 404


def test_committee_home_ranks_and_charts(tree, login):
    c = login("wc")
    r = c.get(reverse("web:home"))
    html = r.content.decode()
    assert "各单位未整改违规排名" in html
    assert 'id="months-data"' in html and "vendor/echarts/echarts.min.js" in html
    assert r.context["violation_count"] > 0


def test_the_period_filter_offers_calendar_periods_not_each_persons_span(tree, login):
    """At a province every member's own span ("1992-07-30/…") would be an option: the
    filter offers the calendar periods, and a span only when a link asks for it."""
    import re

    from dangjian.policy.models import StoredFinding

    c = login("wc")
    year = datetime.date.today().year
    url = reverse("web:org_findings", args=[tree.root.pk]) + f"?year={year}"
    c.get(url)  # stored
    span = f"2001-03-04/{year}-12-01"
    person = StoredFinding.objects.filter(year=year, subject_type="person").first()
    assert person is not None
    StoredFinding.objects.filter(pk=person.pk).update(period=span)

    def options(html: str) -> list[str]:
        select = re.search(r'id="f-period">(.*?)</select>', html, re.S)
        assert select is not None
        return re.findall(r'<option value="([^"]*)"', select.group(1))

    calendar = options(c.get(url + "&severity=warning").content.decode())
    assert span not in calendar and any(p for p in calendar)
    assert all("/" not in p for p in calendar)
    asked = c.get(url + f"&period={span}")
    assert span in options(asked.content.decode())
    assert f'value="{span}" selected' in asked.content.decode()
    assert asked.context["page"].paginator.count == 1
