"""Assessment pages: the ranking traceable to its findings and adjustments (also on the
generated demo data), the adjustment form, publishing, the export, stars, 述职评议."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from dangjian.core.actor import Actor
from dangjian.orgs.models import Organization
from dangjian.oversight.models import Assessment, AssessmentAdjustment, DutyReview
from dangjian.policy.models import PackAssignment
from dangjian.policy.store import refresh_all

pytestmark = pytest.mark.django_db
YEAR = datetime.date.today().year


def page_figures(html: str) -> tuple[Decimal, list[Decimal], Decimal, Decimal]:
    """(base, each rule's deduction, adjustments, score) as the breakdown page shows them."""

    def cell(name: str) -> str:
        found = re.search(rf'id="t-{name}">([^<]*)<', html)
        assert found, name
        return found.group(1).replace("−", "-")

    rules = [
        Decimal(x)
        for x in re.findall(r'class="card mb-2 rule-line" data-deduction="([^"]+)"', html)
    ]
    return Decimal(cell("base")), rules, Decimal(cell("adjustment")), Decimal(cell("score"))


def check_traceable(client: Client, org: Organization, year: int) -> int:
    """Every score of `org`'s ranking equals the sum its breakdown page shows."""
    response = client.get(reverse("web:assessment", args=[org.pk]) + f"?year={year}")
    assert response.status_code == 200
    result = response.context["result"]
    assert result is not None and result.rows
    html = response.content.decode()
    assert "按人数折算" in html  # the normalisation is stated on the page
    for row in result.rows:
        url = reverse("web:assessment_breakdown", args=[org.pk, row.org.pk])
        assert url in html
        page = client.get(url + f"?year={year}")
        assert page.status_code == 200
        text = page.content.decode()
        base, rules, adjustment, score = page_figures(text)
        assert base - sum(rules) + adjustment == score == row.score, row.org.name
        b = page.context["b"]
        for rl in b.rules:
            assert rl.deduction == min(sum(ln.points for ln in rl.lines), b.ranking.scheme.rule_cap)
            for ln in rl.lines:
                assert ln.finding.message in text.replace("&quot;", '"').replace("&#x27;", "'")
    return len(result.rows)


def test_ranking_and_breakdown_add_up_with_an_adjustment(tree, login):
    refresh_all(year=YEAR)
    c = login("wc")
    url = reverse("web:assessment_breakdown", args=[tree.committee.pk, tree.branch1.pk])
    # refused without a reason: the form keeps what was typed and says why
    r = c.post(url, {"year": YEAR, "points": "3", "reason": ""})
    assert r.status_code == 200
    text = r.content.decode()
    assert "理由" in text and 'value="3"' in text
    assert not AssessmentAdjustment.objects.exists()
    r = c.post(url, {"year": YEAR, "points": "3", "reason": "经督查核实的工作成效"})
    assert r.status_code == 302
    page = c.get(url + f"?year={YEAR}").content.decode()
    assert "经督查核实的工作成效" in page and tree.users["wc"].get_username() in page
    assert check_traceable(c, tree.committee, YEAR) == 2


def test_publish_export_and_scoping(tree, login):
    refresh_all(year=YEAR)
    c = login("wc")
    r = c.post(reverse("web:assessment_publish", args=[tree.committee.pk]), {"year": YEAR})
    assert r.status_code == 302
    assert Assessment.objects.filter(kind="party_building", year=YEAR).count() == 2
    r = c.get(reverse("web:assessment_export", args=[tree.committee.pk]) + f"?year={YEAR}")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    names = {ws.cell(row=i, column=2).value for i in range(4, ws.max_row + 1)}
    assert names == {tree.branch1.name, tree.branch2.name}
    # a branch administrator neither sees the committee's ranking nor publishes it
    c = login("b1")
    assert c.get(reverse("web:assessment", args=[tree.committee.pk])).status_code == 404
    r = c.post(reverse("web:assessment_publish", args=[tree.committee.pk]), {"year": YEAR})
    assert r.status_code == 404


def test_export_neutralises_formula_text(tree, login):
    tree.branch1.name = '=HYPERLINK("x")'
    tree.branch1.save()
    refresh_all(year=YEAR)
    r = login("wc").get(
        reverse("web:assessment_export", args=[tree.committee.pk]) + f"?year={YEAR}"
    )
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = [ws.cell(row=i, column=2) for i in range(4, ws.max_row + 1)]
    bad = next(c for c in cells if str(c.value).startswith("="))
    assert bad.data_type == "s"


def test_stars_page_shows_reasons(tree, login):
    PackAssignment.objects.create(org=tree.root, pack_id="ningxia-2018")
    refresh_all(year=YEAR)
    c = login("wc")
    page = c.get(reverse("web:stars", args=[tree.committee.pk]) + f"?year={YEAR}")
    text = page.content.decode()
    assert "落实“支部主题党日”制度" in text and "违规" in text and "星级评定办法" in text
    r = c.post(reverse("web:stars", args=[tree.committee.pk]), {"year": YEAR})
    assert r.status_code == 302
    assert Assessment.objects.filter(kind="star_rating", year=YEAR).count() == 2


def test_duty_review_form_keeps_input_and_saves(tree, login):
    c = login("wc")
    url = reverse("web:duty_reviews", args=[tree.committee.pk])
    assert c.get(url).status_code == 200
    data = {
        "org": tree.branch1.pk,
        "reporter": tree.members1[1].pk,
        "role": "branch_secretary",
        "year": YEAR - 1,
        "held_on": f"{YEAR}-01-12",
        "score": "",
        "grade": "",
    }
    r = c.post(url, data)
    assert r.status_code == 200 and "请填写评议得分或评议等次" in r.content.decode()
    data["grade"] = "excellent"
    r = c.post(url, data)
    assert r.status_code == 302
    review = DutyReview.objects.get()
    assert review.reviewed_by == tree.committee and review.grade == "excellent"
    text = c.get(url + f"?year={YEAR - 1}").content.decode()
    assert tree.members1[1].name in text and "优秀" in text


@pytest.mark.slow
def test_demo_ranking_is_traceable_to_findings(client):
    """The generated demo: every department's score on the work committee's ranking is the
    sum its breakdown page shows, finding by finding."""
    from dangjian.interchange.generator import generate_dataset
    from dangjian.interchange.importer import dataset_import

    today = datetime.date.today()
    data = generate_dataset(orgs=32, members=500, departments=4, year=YEAR, as_of=today, seed=3)
    dataset_import(data, actor=Actor.system("test"))
    refresh_all(year=YEAR)
    admin = get_user_model().objects.create_superuser("boss", password="x-pass-2026-long")
    client.force_login(admin)
    root = Organization.objects.get(type="work_committee")
    assert check_traceable(client, root, YEAR) == 4
    organ = Organization.objects.filter(type="organ_committee").order_by("path").first()
    assert organ is not None
    assert check_traceable(client, organ, YEAR) >= 1


def _more_branches(tree, n: int, tag: str) -> None:
    from dangjian.people.models import Person
    from dangjian.web.testing import _org

    for i in range(n):
        b = _org(f"QB{tag}{i}", f"新增{tag}{i}党支部", "branch", tree.committee)
        Person.objects.bulk_create(
            Person(ext_id=f"QP{tag}{i}-{k}", name=f"党员{k}", org=b, status="full")
            for k in range(4)
        )


def test_ranking_and_stars_queries_do_not_grow_with_organisations(tree, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    PackAssignment.objects.create(org=tree.root, pack_id="ningxia-2018")
    c = login("wc")
    urls = [
        reverse("web:assessment", args=[tree.committee.pk]),
        reverse("web:stars", args=[tree.committee.pk]),
    ]

    def counts() -> list[int]:
        refresh_all(year=YEAR)
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                r = c.get(url)
            assert r.status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    _more_branches(tree, 2, "a")
    small = counts()
    _more_branches(tree, 12, "b")
    big = counts()
    assert big == small, (small, big)


def test_withdrawing_an_adjustment_is_audited(tree, login):
    from dangjian.core.models import AuditEntry

    refresh_all(year=YEAR)
    c = login("wc")
    url = reverse("web:assessment_breakdown", args=[tree.committee.pk, tree.branch1.pk])
    c.post(url, {"year": YEAR, "points": "-1", "reason": "误登"})
    adj = AssessmentAdjustment.objects.get()
    # only through the assessing organisation's page for that subject
    other = reverse("web:assessment_breakdown", args=[tree.committee.pk, tree.branch2.pk])
    assert c.post(other, {"year": YEAR, "delete": adj.pk}).status_code == 404
    version = c.get(url + f"?year={YEAR}").context["withdraw_version"]
    r = c.post(url, {"year": YEAR, "delete": adj.pk, "version": version})
    assert r.status_code == 302 and not AssessmentAdjustment.objects.exists()
    entry = AuditEntry.objects.get(object_type="assessment_adjustment", action="delete")
    assert entry.changes["before"]["reason"] == "误登"


def test_stars_export_gives_the_reason_per_star(tree, login):
    PackAssignment.objects.create(org=tree.root, pack_id="ningxia-2018")
    refresh_all(year=YEAR)
    c = login("wc")
    r = c.get(reverse("web:stars_export", args=[tree.committee.pk]) + f"?year={YEAR}")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = [[cell.value for cell in row] for row in ws.iter_rows()]
    assert rows[0][:2] == ["党组织", "星级"] and rows[0][-1] == "已发布"
    assert any("落实“支部主题党日”制度" in str(h) for h in rows[0])
    names = [row[0] for row in rows[1:]]
    assert tree.branch1.name in names and tree.branch2.name in names
    for row in rows[1:]:
        reasons = row[2:-1]
        assert all(str(x).startswith(("★ 当年无违规", "☆ ")) for x in reasons)
        assert row[1] == sum(1 for x in reasons if str(x).startswith("★"))
    assert any("违规" in str(x) and str(x).startswith("☆") for row in rows[1:] for x in row)
    # only for the organisation's administrators
    assert login("b1").get(reverse("web:stars_export", args=[tree.committee.pk])).status_code in (
        403,
        404,
    )


def test_duty_review_export_is_inert_text(tree, login):
    DutyReview.objects.create(
        org=tree.branch1,
        reporter=tree.members1[1],
        role="branch_secretary",
        year=YEAR - 1,
        held_on=datetime.date(YEAR, 1, 12),
        reviewed_by=tree.committee,
        grade="excellent",
        recorded_by="=HYPERLINK(1)",
    )
    c = login("wc")
    url = reverse("web:duty_reviews_export", args=[tree.committee.pk]) + f"?year={YEAR - 1}"
    ws = load_workbook(io.BytesIO(c.get(url).content)).active
    assert [cell.value for cell in ws[1]][:3] == ["述职组织", "述职人", "述职人身份"]
    row = [cell.value for cell in ws[2]]
    assert row[:3] == [tree.branch1.name, tree.members1[1].name, "党支部（党总支）书记"]
    assert row[5] == tree.committee.name and row[7] == "优秀"
    assert row[8] == "=HYPERLINK(1)" and ws.cell(2, 9).data_type == "s"
    other = reverse("web:duty_reviews_export", args=[tree.committee.pk]) + f"?year={YEAR}"
    assert load_workbook(io.BytesIO(c.get(other).content)).active.max_row == 1
    assert login("b2").get(url).status_code == 404
