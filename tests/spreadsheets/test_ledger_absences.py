"""The ledger sheet has no column for absences: re-uploading it keeps them."""

import datetime

import pytest

from dangjian.records.models import Absence, Attendance
from dangjian.spreadsheets.columns import LEDGER

pytestmark = pytest.mark.django_db


def test_ledger_round_trip_keeps_absences_and_make_ups(clients, tree, xl):
    activity = tree.activity
    away, back = tree.members1[3], tree.members1[4]
    Attendance.objects.filter(activity=activity, person__in=[away, back]).delete()
    Absence.objects.create(activity=activity, person=away, reason="official", note="出差")
    made_up = activity.date + datetime.timedelta(days=3)
    Absence.objects.create(
        activity=activity, person=back, reason="sick", made_up_on=made_up, made_up_how="自学"
    )
    year = activity.date.year
    ledger = clients["b1"].get("/excel/export/ledger.xlsx", {"org": "TB1", "year": year})
    wb = xl.read(ledger.content)
    ws = wb[LEDGER.title]
    # The branch now ticks 赵四 (the one away on business) as present after all.
    ws.cell(row=2, column=8).value = f"{ws.cell(row=2, column=8).value}、{away.name}"
    url = xl.upload(clients["b1"], xl.file(wb, "ledger.xlsx"))
    analysis = clients["b1"].get(url).context["analysis"]
    assert (analysis.valid_count, analysis.failed_count) == (1, 0)
    clients["b1"].post(url + "import/")
    rows = list(Absence.objects.filter(activity=activity).values_list("person", "made_up_on"))
    assert rows == [(back.pk, made_up)]
    assert Attendance.objects.filter(activity=activity, person=away).exists()
