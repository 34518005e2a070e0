"""Recording a month's dues for a branch, the ledger, arrears and the export."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from openpyxl import load_workbook

from dangjian.core.actor import Actor
from dangjian.core.models import AuditEntry
from dangjian.people import dues
from dangjian.people.dues_selectors import branch_ledger, person_dues
from dangjian.people.dues_services import DuePayment, dues_record_month
from dangjian.people.models import Due
from dangjian.web.testing import PASSWORD, page_version

D = Decimal
TODAY = datetime.date.today()
MONTH = TODAY.replace(day=1)


def actor(tree, role="b1"):
    return Actor(user=tree.users[role], source="web")


def client_for(tree, role):
    c = Client()
    assert c.login(username=tree.users[role].get_username(), password=PASSWORD)
    return c


@pytest.fixture
def priced(tree):
    """branch1's members with incomes on band edges."""
    incomes = ["3000", "3000.01", "5000", "10000.01", None]
    for p, income in zip(tree.members1, incomes, strict=True):
        p.monthly_income = None if income is None else D(income)
        p.save(update_fields=["monthly_income"])
    tree.members1[4].employment = "student"
    tree.members1[4].save(update_fields=["employment"])
    return tree


def test_ledger_expected_per_member_and_total(priced, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        ledger = branch_ledger(priced.branch1, MONTH)
        rows = {r.person.name: r.expected for r in ledger.rows}
    assert sorted(rows.values()) == sorted(
        [D("15.00"), D("30.00"), D("50.00"), D("200.00"), D("0.20")]
    )
    assert ledger.expected_total == D("295.20")
    assert ledger.paid_total == D("0.00") and ledger.paid_count == 0


def test_record_a_month_for_the_whole_branch(priced):
    payments = [
        DuePayment(person=p, amount=dues.monthly_dues(p.employment, p.monthly_income))
        for p in priced.members1
    ]
    before = AuditEntry.objects.count()
    rows = dues_record_month(
        org=priced.branch1, month=MONTH, paid_on=TODAY, payments=payments, actor=actor(priced)
    )
    assert len(rows) == 5
    ledger = branch_ledger(priced.branch1, MONTH)
    assert ledger.paid_total == ledger.expected_total == D("295.20")
    assert ledger.paid_count == 5
    entries = AuditEntry.objects.order_by("-pk")[: AuditEntry.objects.count() - before]
    assert [e.object_type for e in entries] == ["due_batch"]
    assert len(entries[0].changes["after"]) == 5


def test_quarterly_payment_covers_three_months(priced):
    p = priced.members1[0]
    dues_record_month(
        org=priced.branch1,
        month=MONTH,
        paid_on=TODAY,
        payments=[DuePayment(person=p, amount=D("15.00"), months=3)],
        actor=actor(priced),
    )
    months = list(Due.objects.filter(person=p).order_by("month").values_list("month", flat=True))
    assert months == [MONTH, dues.add_months(MONTH, 1), dues.add_months(MONTH, 2)]


def test_four_months_at_once_is_refused_and_nothing_is_written(priced):
    p, q = priced.members1[0], priced.members1[1]
    with pytest.raises(ValidationError) as e:
        dues_record_month(
            org=priced.branch1,
            month=MONTH,
            paid_on=TODAY,
            payments=[
                DuePayment(person=q, amount=D("30")),
                DuePayment(person=p, amount=D("15"), months=4),
            ],
            actor=actor(priced),
        )
    assert "最多交纳 3 个月" in e.value.message_dict[f"amount_{p.pk}"][0]
    assert not Due.objects.exists()


@pytest.mark.parametrize(("back", "allowed"), [(6, True), (7, False)])
def test_back_payment_at_most_six_months(priced, back, allowed):
    p = priced.members1[0]
    month = dues.add_months(MONTH, -back)
    call = lambda: dues_record_month(  # noqa: E731
        org=priced.branch1,
        month=month,
        paid_on=TODAY,
        payments=[DuePayment(person=p, amount=D("15"))],
        actor=actor(priced),
    )
    if allowed:
        call()
        assert Due.objects.filter(person=p, month=month).exists()
    else:
        with pytest.raises(ValidationError) as e:
            call()
        message = e.value.message_dict[f"amount_{p.pk}"][0]
        assert p.name in message and "补交党费的时间一般不得超过6个月" in message
        assert not Due.objects.exists()


def test_a_month_already_recorded_is_refused(priced):
    p = priced.members1[0]
    Due.objects.create(person=p, month=MONTH, amount=D("15"), paid_on=TODAY)
    with pytest.raises(ValidationError) as e:
        dues_record_month(
            org=priced.branch1,
            month=MONTH,
            paid_on=TODAY,
            payments=[DuePayment(person=p, amount=D("15"))],
            actor=actor(priced),
        )
    assert "已登记" in e.value.message_dict[f"amount_{p.pk}"][0]


def test_other_branch_and_member_may_not_record(priced):
    p = priced.members1[0]
    for role in ("b2", "member"):
        with pytest.raises(PermissionDenied):
            dues_record_month(
                org=priced.branch1,
                month=MONTH,
                paid_on=TODAY,
                payments=[DuePayment(person=p, amount=D("15"))],
                actor=actor(priced, role),
            )
    with pytest.raises(ValidationError):  # a person of another branch
        dues_record_month(
            org=priced.branch1,
            month=MONTH,
            paid_on=TODAY,
            payments=[DuePayment(person=priced.members2[0], amount=D("15"))],
            actor=actor(priced),
        )
    assert not Due.objects.exists()


@pytest.mark.parametrize(
    ("unpaid", "severity"), [(2, None), (3, "warning"), (5, "warning"), (6, "violation")]
)
def test_arrears_on_the_ledger_at_three_and_six_months(priced, unpaid, severity):
    p = priced.members1[0]
    last_ended = dues.last_ended_month(TODAY)
    last_paid = dues.add_months(last_ended, -unpaid)
    Due.objects.create(person=p, month=last_paid, amount=D("15"), paid_on=last_paid)
    row = next(r for r in branch_ledger(priced.branch1, MONTH).rows if r.person == p)
    assert (row.run, row.severity) == (unpaid, severity)
    mine = person_dues(p)
    assert (mine.run, mine.severity) == (unpaid, severity)


def test_page_form_records_the_whole_branch(priced):
    c = client_for(priced, "b1")
    url = f"/orgs/{priced.branch1.pk}/dues/"
    page = c.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="15.00"' in html and 'value="200.00"' in html  # pre-filled expected
    data = {"paid_on": TODAY.isoformat(), **page_version(c, url)}
    for p in priced.members1:
        data[f"pay_{p.pk}"] = "on"
        expected = dues.monthly_dues(p.employment, p.monthly_income)
        data[f"amount_{p.pk}"] = str(expected)
        data[f"months_{p.pk}"] = "1"
    got = c.post(url, data)
    assert got.status_code == 302
    assert Due.objects.filter(month=MONTH).count() == 5
    page = c.get(url).content.decode()
    assert "已交 5/5 人" in page


def test_page_refusal_keeps_what_was_typed(priced):
    c = client_for(priced, "b1")
    p = priced.members1[0]
    month = dues.add_months(MONTH, -7)
    data = {
        "paid_on": TODAY.isoformat(),
        f"pay_{p.pk}": "on",
        f"amount_{p.pk}": "16.50",
        f"months_{p.pk}": "1",
    }
    url = f"/orgs/{priced.branch1.pk}/dues/?month={month:%Y-%m}"
    got = c.post(url, {**data, **page_version(c, url)})
    assert got.status_code == 200
    html = got.content.decode()
    assert "补交党费的时间一般不得超过6个月" in html and p.name in html
    assert 'value="16.50"' in html
    assert not Due.objects.exists()


def test_export_writes_formula_text_inert(priced):
    p = priced.members1[0]
    p.name = '=HYPERLINK("x")'
    p.save(update_fields=["name"])
    q = priced.members1[1]
    q.name = "@SUM(A1)"
    q.save(update_fields=["name"])
    Due.objects.create(person=q, month=MONTH, amount=D("30.00"), paid_on=TODAY)
    c = client_for(priced, "b1")
    got = c.get(f"/orgs/{priced.branch1.pk}/dues.xlsx?month={MONTH:%Y-%m}")
    assert got.status_code == 200
    wb = load_workbook(io.BytesIO(got.content))
    ws = wb.active
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert cells['=HYPERLINK("x")'].data_type == "s"
    assert cells["@SUM(A1)"].data_type == "s"
    total = next(row for row in ws.iter_rows(values_only=True) if row[0] == "合计")
    assert D(str(total[2])) == D("295.20") and D(str(total[3])) == D("30")
