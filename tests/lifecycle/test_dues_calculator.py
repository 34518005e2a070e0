"""The dues calculator of the 2008 rules, at every band edge, in exact decimals."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from dangjian.people import dues
from dangjian.policy.packs import load_pack

D = Decimal


@pytest.mark.parametrize(
    ("income", "expected"),
    [
        ("0", "0.00"),
        ("2999.99", "15.00"),  # 14.99995 rounds half up to the cent
        ("3000", "15.00"),  # ≤3000: 0.5%, upper bound included
        ("3000.01", "30.00"),  # 1% from just above 3000 (30.0001)
        ("5000", "50.00"),
        ("5000.01", "75.00"),  # 1.5% (75.00015)
        ("10000", "150.00"),
        ("10000.01", "200.00"),  # 2% (200.0002)
        ("12345.67", "246.91"),
    ],
)
def test_in_service_bands(income, expected):
    assert dues.monthly_dues("in_service", D(income)) == D(expected)


@pytest.mark.parametrize(
    ("income", "expected"),
    [("5000", "25.00"), ("5000.01", "50.00"), ("4000", "20.00"), ("8000", "80.00")],
)
def test_retired_bands(income, expected):
    assert dues.monthly_dues("retired", D(income)) == D(expected)


@pytest.mark.parametrize("kind", ["farmer", "student", "unemployed"])
def test_fixed_small_amounts_need_no_income(kind):
    assert dues.monthly_dues(kind, None) == D("0.20")
    assert dues.monthly_dues(kind, D("9999")) == D("0.20")


def test_voluntary_extra_is_added():
    assert dues.monthly_dues("in_service", D("3000"), extra=D("10")) == D("25.00")
    assert dues.monthly_dues("student", None, extra=D("0.80")) == D("1.00")


def test_unknown_income_or_kind_cannot_be_told():
    assert dues.monthly_dues("in_service", None) is None
    assert dues.monthly_dues("self_employed", D("3000")) is None


def test_floats_are_refused():
    with pytest.raises(TypeError):
        dues.monthly_dues("in_service", 3000.01)  # type: ignore[arg-type]


def test_results_are_exact_decimals():
    amount = dues.monthly_dues("in_service", D("3333.33"))
    assert isinstance(amount, Decimal) and amount == D("33.33")


def test_national_pack_holds_the_same_bands():
    """One table: the engine's dues-rate rule (national pack) and the ledger agree."""
    rule = load_pack("national").rule("national/dues-rate")
    assert rule is not None
    table = dues.table_from_params(rule.params)
    assert table == dues.DUES_2008


@pytest.mark.parametrize(
    ("last_paid", "run", "severity"),
    [
        ("2026-08-01", 2, None),
        ("2026-07-01", 3, "warning"),  # Aug, Sep, Oct unpaid on 30 Nov: the warning starts
        ("2026-05-01", 5, "warning"),
        ("2026-04-01", 6, "violation"),  # 第十三条: six months in a row
    ],
)
def test_arrears_from_three_and_six_months(last_paid, run, severity):
    day = datetime.date(2026, 11, 15)  # October is the last month ended
    _, got = dues.unpaid_run(datetime.date.fromisoformat(last_paid), None, day, day)
    assert got == run
    assert dues.arrears_severity(got) == severity


def test_arrears_count_the_month_ending_today():
    day = datetime.date(2026, 10, 31)
    assert dues.unpaid_run(datetime.date(2026, 7, 1), None, day, day)[1] == 3


@pytest.mark.parametrize(
    ("month", "months", "paid_on", "refused"),
    [
        ("2026-05-01", 1, "2026-11-30", None),  # six months back: allowed
        ("2026-04-01", 1, "2026-11-30", "超过 6 个月"),
        ("2026-11-01", 3, "2026-11-30", None),  # a quarter at once
        ("2026-11-01", 4, "2026-11-30", "最多交纳 3 个月"),
        ("2026-12-01", 1, "2026-11-30", "不能晚于"),
    ],
)
def test_payment_refusals(month, months, paid_on, refused):
    got = dues.payment_refusal(
        datetime.date.fromisoformat(month), months, datetime.date.fromisoformat(paid_on), None
    )
    if refused is None:
        assert got is None
    else:
        assert got is not None and refused in got


def test_no_dues_before_joining():
    got = dues.payment_refusal(
        datetime.date(2026, 3, 1), 1, datetime.date(2026, 5, 1), datetime.date(2026, 4, 10)
    )
    assert got is not None and "入党" in got
