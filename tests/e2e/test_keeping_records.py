"""Keeping records in a real browser: a branch administrator adds a member, appoints a
纪检委员, records an election and sends a transfer the receiving branch accepts."""

import datetime
from decimal import Decimal

import pytest

from dangjian.orgs.models import Position, Term
from dangjian.orgs.services import add_years
from dangjian.people.models import Person, Transfer
from dangjian.records.models import Activity, Attendance, Training
from dangjian.web import page_findings
from dangjian.web.testing import PASSWORD, build_tree

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def discipline_findings(tree, year):
    tree.branch1.__dict__.pop("_web_findings", None)
    return [
        f
        for f in page_findings.findings(tree.branch1, year)
        if f.rule.endswith("discipline-member") and f.subject_pk == tree.branch1.pk
    ]


def test_branch_admin_keeps_members_posts_elections_and_transfers(live_server, page):
    today = datetime.date.today()
    year = today.year
    tree = build_tree()
    base = live_server.url
    # Seven full members: the branch must have a 纪检委员 (it has none).
    for i, name in enumerate(["冯十", "陈十一"]):
        Person.objects.create(
            ext_id=f"X{i}",
            name=name,
            org=tree.branch1,
            status="full",
            joined_on=datetime.date(2012, 1, 1),
            full_on=datetime.date(2013, 1, 1),
        )
    missing = discipline_findings(tree, year)
    assert missing, "the fixture should lack a discipline member"

    sign_in(page, base, tree.users["b1"].get_username(), PASSWORD)

    # Add a member; a wrong date order is refused and what was typed stays.
    page.goto(f"{base}/orgs/{tree.branch1.pk}/members/")
    page.click("#add-member")
    page.fill("#id_name", "褚新")
    page.select_option("#id_status", "full")
    page.fill("#id_joined_on", "2019-06-01")
    page.fill("#id_full_on", "2018-06-01")
    page.click("#save")
    page.wait_for_load_state("networkidle")
    assert "转正日期：转正日期不能早于入党日期" in page.content()
    assert page.locator("#id_name").input_value() == "褚新"
    page.fill("#id_full_on", "2020-06-01")
    page.click("#save")
    page.wait_for_load_state("networkidle")
    assert "已添加 褚新" in page.content()
    newcomer = Person.objects.get(name="褚新")
    assert newcomer.org == tree.branch1

    # Appoint the newcomer 纪检委员 from the leadership page.
    page.goto(f"{base}/orgs/{tree.branch1.pk}/leadership/")
    page.select_option("#id_person", str(newcomer.pk))
    page.select_option("#id_role", "discipline_member")
    page.fill("#id_start", f"{today:%Y-%m-%d}")
    page.click("#appoint button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已任命 褚新 为纪检委员" in page.content()
    assert page.locator("#team", has_text="纪检委员").count() == 1

    # The finding is gone from the branch home.
    page.goto(f"{base}/")
    page.wait_for_load_state("networkidle")
    assert not discipline_findings(tree, year)
    for f in missing:
        assert f.message not in page.content()

    # Record an election: the current team is filled in; the next election date follows.
    page.goto(f"{base}/orgs/{tree.branch1.pk}/leadership/")
    page.click("#record-election")
    page.fill("#id_elected_on", f"{today:%Y-%m-%d}")
    page.fill("#id_years", "3")
    page.select_option("#id_person_2", str(tree.members1[2].pk))
    page.select_option("#id_role_2", "committee_member")
    page.click("#save")
    page.wait_for_load_state("networkidle")
    due = add_years(today, 3)
    assert f"下次换届：{due:%Y-%m-%d}" in page.content()
    assert page.locator("#next-election").inner_text() == f"{due:%Y-%m-%d}"
    assert Term.objects.filter(org=tree.branch1, elected_on=today, years=3).exists()
    assert Position.objects.filter(org=tree.branch1, start=today).count() == 3

    # A member moved on 1 July: hours and attendance before it stay with branch1.
    person = tree.members1[4]  # 钱五
    july = datetime.date(year, 7, 1)
    for month, hours in ((3, "4"), (9, "6")):
        Training.objects.create(
            ext_id=f"E-T{month}",
            person=person,
            date=datetime.date(year, month, 10),
            hours=Decimal(hours),
            kind="general",
        )
    later = Activity.objects.create(
        ext_id="E-A10", org=tree.branch2, kind="branch_assembly", date=datetime.date(year, 10, 5)
    )
    Attendance.objects.create(activity=later, person=person)

    page.goto(f"{base}/orgs/{tree.branch1.pk}/transfers/")
    page.select_option("#id_issue-person", str(person.pk))
    page.select_option("#id_issue-to_org", str(tree.branch2.pk))
    page.fill("#id_issue-date", f"{july:%Y-%m-%d}")
    page.fill("#id_issue-letter", "机关转字第7号")
    page.click("#issue button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "待转入方接收后生效" in page.content()
    assert page.locator("#outgoing", has_text="钱五").count() == 1
    person.refresh_from_db()
    assert person.org == tree.branch1 and not Transfer.objects.exists()

    page.context.clear_cookies()  # sign out; the receiving branch's administrator signs in
    sign_in(page, base, tree.users["b2"].get_username(), PASSWORD)
    page.goto(f"{base}/orgs/{tree.branch2.pk}/transfers/")
    incoming = page.locator("#incoming li", has_text="钱五")
    assert "机关转字第7号" in incoming.inner_text()
    incoming.locator("button", has_text="接收").click()
    page.wait_for_load_state("networkidle")
    assert "已接收 钱五" in page.content()
    person.refresh_from_db()
    assert person.org == tree.branch2

    def row(org):
        page.goto(f"{base}/orgs/{org.pk}/hours/?year={year}")
        cells = page.locator("tr", has_text="钱五").locator("td")
        return [cells.nth(i).inner_text().strip() for i in range(cells.count())]

    second = row(tree.branch2)
    assert second[2:4] == ["1", "6"]  # attended 1 (October), 6 hours (September)
    page.context.clear_cookies()
    sign_in(page, base, tree.users["b1"].get_username(), PASSWORD)
    first = row(tree.branch1)
    assert first[2:4] == ["1", "4"]  # attended 1 (January), 4 hours (March)
