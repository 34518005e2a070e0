"""The annual work calendar, as a page and as an iCalendar download."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dangjian.access import selectors as access
from dangjian.access.models import CalendarFeed
from dangjian.access.services import calendar_feed_issue, calendar_feed_revoke
from dangjian.orgs.models import Organization
from dangjian.web import calendar as cal
from dangjian.web import selectors as sel
from dangjian.web.page_findings import pack_title
from dangjian.web.views.common import actor_of, visible_org, year_param


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
            "feed": _feed_of(request, org),
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


def _feed_of(request: HttpRequest, org: Organization) -> str | None:
    """The user's subscription link to this organisation's calendar, if issued."""
    feed = CalendarFeed.objects.filter(user_id=request.user.pk or 0, org=org).first()
    if feed is None:
        return None
    return request.build_absolute_uri(reverse("web:calendar_feed", args=[feed.token]))


@login_required
@require_POST
def org_calendar_feed(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue (or re-issue) the user's secret subscription link, or revoke it."""
    org = visible_org(request, pk)
    if request.POST.get("action") == "revoke":
        calendar_feed_revoke(user=request.user, actor=actor_of(request))
        messages.success(request, "订阅链接已撤销，原链接不再可用。")
    else:
        calendar_feed_issue(user=request.user, org=org, actor=actor_of(request))
        messages.success(request, "已生成新的订阅链接（原有链接随即失效）。")
    return redirect(reverse("web:org_calendar", args=[org.pk]))


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The subscribed calendar: no sign-in, the secret link is the key. It shows only what
    its owner may still see (a revoked link or a lost grant is 404)."""
    feed = (
        CalendarFeed.objects.filter(token=token, user__is_active=True)
        .select_related("user", "org")
        .first()
    )
    if feed is None or not access.orgs_visible(feed.user).filter(pk=feed.org_id).exists():
        raise Http404("订阅链接无效或已撤销")
    year = datetime.date.today().year
    body = cal.to_ics(cal.year_calendar(feed.org, year))
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
