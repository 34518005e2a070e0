"""The annual work calendar, as a page and as an iCalendar download."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dangjian.access import selectors as access
from dangjian.web import calendar as cal
from dangjian.web import selectors as sel
from dangjian.web.engine import pack_title
from dangjian.web.views.common import visible_org, year_param


@login_required
def org_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """Visible to the organisation's administrators and to its own members (their schedule)."""
    org = visible_org(request, pk)
    today = datetime.date.today()
    year = year_param(request)
    calendar = cal.year_calendar(org, year)
    can_admin = access.can_administer(request.user, org)
    return render(
        request,
        "web/org_calendar.html",
        {
            "org": org,
            "tab": "calendar",
            "ancestors": sel.ancestors(org) if can_admin else [],
            "can_admin": can_admin,
            "calendar": calendar,
            "pack_title": pack_title(calendar.pack),
            "year": year,
            "years": range(today.year + 1, today.year - 4, -1),
            "this_month": today.month if year == today.year else None,
        },
    )


@login_required
def org_calendar_ics(request: HttpRequest, pk: int) -> HttpResponse:
    org = visible_org(request, pk)
    year = year_param(request)
    body = cal.to_ics(cal.year_calendar(org, year))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="calendar-{org.ext_id}-{year}.ics"'
    return response
