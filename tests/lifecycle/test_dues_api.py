"""党费 over the API: the ledger, one month's payments for the branch, refusals."""

from __future__ import annotations

import datetime
from decimal import Decimal

from rest_framework.test import APIClient

from dangjian.people import dues
from dangjian.people.models import Due

TODAY = datetime.date.today()
MONTH = TODAY.replace(day=1)


def api(tree, role):
    c = APIClient()
    c.force_authenticate(tree.users[role])
    return c


def test_ledger_and_recording(tree):
    me = tree.member
    me.monthly_income = Decimal("5000.01")
    me.save(update_fields=["monthly_income"])
    c = api(tree, "b1")
    got = c.get(f"/api/v1/dues/?org={tree.branch1.ext_id}&month={MONTH:%Y-%m}")
    assert got.status_code == 200
    row = next(r for r in got.json()["rows"] if r["person"] == me.ext_id)
    assert row["expected"] == "75.00" and row["paid"] is None
    body = {
        "org": tree.branch1.ext_id,
        "month": f"{MONTH:%Y-%m}",
        "paid_on": TODAY.isoformat(),
        "payments": [{"person": me.ext_id, "amount": "75.00", "months": 3}],
    }
    got = c.post("/api/v1/dues/", body, format="json")
    assert got.status_code == 201, got.json()
    assert Due.objects.filter(person=me).count() == 3
    assert got.json()["paid_total"] == "75.00"


def test_back_payment_refused_with_chinese_message(tree):
    month = dues.add_months(MONTH, -7)
    body = {
        "org": tree.branch1.ext_id,
        "month": f"{month:%Y-%m}",
        "paid_on": TODAY.isoformat(),
        "payments": [{"person": tree.member.ext_id, "amount": "15.00"}],
    }
    got = api(tree, "b1").post("/api/v1/dues/", body, format="json")
    assert got.status_code == 400
    assert "补交党费的时间一般不得超过6个月" in got.json()["payments"][0]
    assert not Due.objects.exists()


def test_member_and_other_branch_are_refused(tree):
    url = f"/api/v1/dues/?org={tree.branch1.ext_id}"
    assert api(tree, "member").get(url).status_code == 403
    assert api(tree, "b2").get(url).status_code == 400
    assert api(tree, "b1").get(url + "&month=2026-13").status_code == 400
