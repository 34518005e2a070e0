"""党费: a branch's monthly ledger, recording a month's payments in one form, the export."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dangjian.orgs.models import Organization
from dangjian.people import dues
from dangjian.people.dues_selectors import Ledger, branch_ledger
from dangjian.people.dues_services import dues_record_month
from dangjian.web import selectors as sel
from dangjian.web import versions as ver
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
                with transaction.atomic():
                    # One month's ledger of a branch is written by one person at a time.
                    ver.locked(Organization, org.pk)
                    now = branch_ledger(org, month, today)
                    ticked = _ticked(request, now)
                    rows = form.check_version(ver.ledger_snapshot(now), only=ticked) and (
                        dues_record_month(
                            org=org,
                            month=month,
                            paid_on=form.cleaned_data["paid_on"],
                            payments=form.payments(),
                            actor=actor_of(request),
                        )
                    )
            except ValidationError as e:
                add_service_errors(form, e)
            except PermissionDenied as e:
                form.add_error(None, str(e) or "没有权限")
            else:
                if rows is not False:
                    messages.success(request, f"已登记 {len(rows)} 条党费记录")
                    return redirect(f"{request.path}?month={month:%Y-%m}")
                ledger = now  # someone recorded payments meanwhile: the form says whose
    else:
        form = DuesMonthForm(rows=unpaid, initial={"paid_on": min(today, _month_last(month))})
        form.set_version(ver.ledger_snapshot(ledger))
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


def _ticked(request: HttpRequest, ledger: Ledger) -> list[str]:
    """The ledger lines the user ticked (also those someone else has paid meanwhile)."""
    pks = {int(k[4:]) for k in request.POST if k.startswith("pay_") and k[4:].isdigit()}
    return [ver.ledger_key(ledger, r.person) for r in ledger.rows if r.person.pk in pks]


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
