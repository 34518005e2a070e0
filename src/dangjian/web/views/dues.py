"""党费: a branch's monthly ledger, recording a month's payments in one form, the export."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dangjian.people import dues
from dangjian.people.dues_selectors import branch_ledger
from dangjian.people.dues_services import dues_record_month
from dangjian.web import selectors as sel
from dangjian.web.dues_export import ledger_workbook
from dangjian.web.forms import add_service_errors
from dangjian.web.forms_dues import DuesMonthForm, parse_month
from dangjian.web.views.common import actor_of, administered_org

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def dues_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    today = datetime.date.today()
    month = parse_month(request.GET.get("month"), today)
    ledger = branch_ledger(org, month, today)
    unpaid = ledger.unpaid
    if request.method == "POST":
        form = DuesMonthForm(request.POST, rows=unpaid)
        if form.is_valid():
            try:
                rows = dues_record_month(
                    org=org,
                    month=month,
                    paid_on=form.cleaned_data["paid_on"],
                    payments=form.payments(),
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            except PermissionDenied as e:
                form.add_error(None, str(e) or "没有权限")
            else:
                messages.success(request, f"已登记 {len(rows)} 条党费记录")
                return redirect(f"{request.path}?month={month:%Y-%m}")
    else:
        form = DuesMonthForm(rows=unpaid, initial={"paid_on": min(today, _month_last(month))})
    context = {
        "org": org,
        "tab": "dues",
        "ancestors": sel.ancestors(org),
        "ledger": ledger,
        "form": form,
        "month": month,
        "previous": dues.add_months(month, -1),
        "next": dues.add_months(month, 1),
        "back_limit": dues.MAX_BACK_MONTHS,
    }
    return render(request, "web/dues_ledger.html", context)


def _month_last(month: datetime.date) -> datetime.date:
    return dues.add_months(month, 1) - datetime.timedelta(days=1)


@login_required
def dues_export(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    month = parse_month(request.GET.get("month"), datetime.date.today())
    ledger = branch_ledger(org, month)
    response = HttpResponse(ledger_workbook(ledger), content_type=XLSX)
    filename = f"dues-{org.pk}-{month:%Y-%m}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
