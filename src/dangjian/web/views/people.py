"""Member pages: status and milestones, posts, hours, lessons given, attendance."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from dangjian.access import selectors as access
from dangjian.people.dues_selectors import person_dues
from dangjian.people.models import Person
from dangjian.people.points import PointsRow, member_points, points_config
from dangjian.people.review_selectors import person_community, person_reviews
from dangjian.records.models import Activity
from dangjian.web import page_findings
from dangjian.web import selectors as sel
from dangjian.web.selectors_keeping import history_rows
from dangjian.web.views.common import paginate, visible_person, year_param


@login_required
def me(request: HttpRequest) -> HttpResponse:
    person = access.person_of(request.user)
    if person is None:
        raise Http404("当前账号没有关联党员")
    return redirect("web:person", pk=person.pk)


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = visible_person(request, pk)
    year = year_param(request)
    hours = sel.person_hours(person, year)
    required = page_findings.required_hours(person.org, year, [person.pk]).get(person.pk)
    milestones = [
        (label, getattr(person, name))
        for name, label in [
            ("applied_on", "递交入党申请"),
            ("activist_on", "确定为入党积极分子"),
            ("candidate_on", "确定为发展对象"),
            ("joined_on", "入党（预备党员）"),
            ("full_on", "转为正式党员"),
            ("probation_extended_to", "预备期延长至"),
            ("left_on", "离开"),
        ]
        if getattr(person, name)
    ]
    can_admin = access.can_administer(request.user, person.org)
    context = {
        "person": person,
        "year": year,
        "years": range(datetime.date.today().year, datetime.date.today().year - 5, -1),
        "hours": hours,
        "required": required,
        "percent": min(100, int(hours * 100 / required)) if required else None,
        "milestones": milestones,
        "positions": list(sel.person_positions(person)),
        "trainings": list(sel.person_trainings(person, year)),
        "lessons": list(sel.lessons_given(person)[:50]),
        "page": paginate(request, sel.person_attendance(person), 20),
        "absences": list(sel.person_absences(person, year)),
        "findings": page_findings.person_findings(person, year),
        "can_admin": can_admin,
        "history": history_rows("person", person.pk, Person) if can_admin else None,
        "is_self": access.person_of(request.user) == person,
        "dues": person_dues(person),
        "reviews": person_reviews(person),
        "community": person_community(person, year),
        "points": _points(person, year),
    }
    return render(request, "web/person_detail.html", context)


def _points(person: Person, year: int) -> PointsRow | None:
    config = points_config(person.org)
    return member_points(config, [person], year)[0] if config else None


@login_required
def my_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting the signed-in member attended, read-only (404 for any other)."""
    person = access.person_of(request.user)
    if person is None:
        raise Http404("当前账号没有关联党员")
    activity = get_object_or_404(
        Activity.objects.filter(attendance__person=person).select_related(
            "org", "speaker", "minutes"
        ),
        pk=pk,
    )
    minutes = getattr(activity, "minutes", None)
    context = {
        "person": person,
        "activity": activity,
        "attendees": sorted(
            (a.person for a in activity.attendance.select_related("person")),
            key=lambda p: p.name,
        ),
        "minutes": minutes.text if minutes else "",
    }
    return render(request, "web/my_activity.html", context)
