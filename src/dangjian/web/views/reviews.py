"""民主评议党员: a branch's year of outcomes in one form, a 不合格 member's handling, the
export; 到社区报到: registrations, service hours and the per-department summary."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from dangjian.access import selectors as access
from dangjian.people.models import MemberReview
from dangjian.people.points import member_points, points_config
from dangjian.people.review_selectors import (
    branch_community,
    branch_reviews,
    department_summaries,
    year_members,
)
from dangjian.people.review_services import (
    HANDLING_FIELDS,
    community_register,
    community_service_record,
    review_handling_save,
    reviews_record_year,
)
from dangjian.web import selectors as sel
from dangjian.web.forms import add_service_errors
from dangjian.web.forms_reviews import (
    RegistrationForm,
    ReviewHandlingForm,
    ReviewYearForm,
    ServiceForm,
)
from dangjian.web.review_export import community_workbook, reviews_workbook
from dangjian.web.views.common import actor_of, administered_org, year_param

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def reviews(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    today = datetime.date.today()
    year = year_param(request, default=today.year)
    rows = branch_reviews(org, year)
    if request.method == "POST":
        form = ReviewYearForm(request.POST, rows=rows)
        if form.is_valid():
            try:
                saved = reviews_record_year(
                    org=org,
                    year=year,
                    reviewed_on=form.cleaned_data["reviewed_on"],
                    outcomes=form.outcomes(),
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            except PermissionDenied as e:
                form.add_error(None, str(e) or "没有权限")
            else:
                messages.success(request, f"已登记{year}年度评议结果 {len(saved)} 条")
                return redirect(f"{request.path}?year={year}")
    else:
        recorded = next((r.review.reviewed_on for r in rows if r.review), None)
        form = ReviewYearForm(rows=rows, initial={"reviewed_on": recorded or today})
    context = {
        "org": org,
        "tab": "reviews",
        "ancestors": sel.ancestors(org),
        "year": year,
        "years": range(today.year, today.year - 5, -1),
        "form": form,
        "unqualified": [r for r in rows if r.review and r.review.outcome == "unqualified"],
    }
    return render(request, "web/reviews.html", context)


def _handling_snapshot(review: MemberReview) -> dict[str, object]:
    return {f: getattr(review, f) for f in HANDLING_FIELDS}


@login_required
def review_handling(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(
        MemberReview.objects.filter(
            person__org__in=access.orgs_administered(request.user)
        ).select_related("person", "person__org"),
        pk=pk,
    )
    org = review.person.org
    if request.method == "POST":
        form = ReviewHandlingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    current = MemberReview.objects.select_for_update().get(pk=review.pk)
                    current.person = review.person
                    if form.check_version(_handling_snapshot(current)):
                        review_handling_save(
                            review=current,
                            correction_due=data["correction_due"],
                            decision=data["decision"],
                            decided_on=data["decided_on"],
                            actor=actor_of(request),
                        )
                        messages.success(request, f"已保存 {review.person.name} 的处置情况")
                        return redirect(f"{_reviews_url(org.pk)}?year={review.year}")
            except ValidationError as e:
                add_service_errors(form, e)
            except PermissionDenied as e:
                form.add_error(None, str(e) or "没有权限")
    else:
        form = ReviewHandlingForm(initial=_handling_snapshot(review))
        form.set_version(_handling_snapshot(review))
    context = {
        "org": org,
        "tab": "reviews",
        "ancestors": sel.ancestors(org),
        "review": review,
        "form": form,
    }
    return render(request, "web/review_handling.html", context)


def _reviews_url(pk: int) -> str:
    return reverse("web:reviews", args=[pk])


@login_required
def reviews_export(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_param(request, default=datetime.date.today().year)
    response = HttpResponse(reviews_workbook(org, year, branch_reviews(org, year)), XLSX)
    response["Content-Disposition"] = f'attachment; filename="reviews-{org.pk}-{year}.xlsx"'
    return response


@login_required
def community(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    today = datetime.date.today()
    year = year_param(request, default=today.year)
    people = year_members(org, year).filter(left_on__isnull=True)
    reg_form = RegistrationForm(people=people, initial={"registered_on": today})
    svc_form = ServiceForm(people=people, initial={"date": today})
    if request.method == "POST":
        posted = RegistrationForm if "reg-person" in request.POST else ServiceForm
        form = posted(request.POST, people=people)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if isinstance(form, RegistrationForm):
                    community_register(
                        person=data["person"],
                        community=data["community"],
                        registered_on=data["registered_on"],
                        actor=actor_of(request),
                    )
                    done = f"已登记 {data['person'].name} 到{data['community']}报到"
                else:
                    community_service_record(
                        person=data["person"],
                        date=data["date"],
                        hours=data["hours"],
                        community=data["community"],
                        actor=actor_of(request),
                    )
                    done = f"已登记 {data['person'].name} 的社区服务 {data['hours']} 小时"
            except ValidationError as e:
                add_service_errors(form, e)
            except PermissionDenied as e:
                form.add_error(None, str(e) or "没有权限")
            else:
                messages.success(request, done)
                return redirect(f"{request.path}?year={year}")
        if isinstance(form, RegistrationForm):
            reg_form = form
        else:
            svc_form = form
    context = {
        "org": org,
        "tab": "community",
        "ancestors": sel.ancestors(org),
        "year": year,
        "years": range(today.year, today.year - 5, -1),
        "rows": branch_community(org, year, today),
        "summaries": department_summaries(org, year, today),
        "reg_form": reg_form,
        "svc_form": svc_form,
    }
    return render(request, "web/community.html", context)


@login_required
def community_export(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    today = datetime.date.today()
    year = year_param(request, default=today.year)
    body = community_workbook(
        org, year, branch_community(org, year, today), department_summaries(org, year, today)
    )
    response = HttpResponse(body, XLSX)
    response["Content-Disposition"] = f'attachment; filename="community-{org.pk}-{year}.xlsx"'
    return response


@login_required
def points(request: HttpRequest, pk: int) -> HttpResponse:
    """党员积分 / 评星定级 of a branch's members (only where switched on; off by default)."""
    org = administered_org(request, pk)
    today = datetime.date.today()
    year = year_param(request, default=today.year)
    config = points_config(org)
    rows = member_points(config, year_members(org, year), year) if config else []
    context = {
        "org": org,
        "tab": "reviews",
        "ancestors": sel.ancestors(org),
        "year": year,
        "years": range(today.year, today.year - 5, -1),
        "config": config,
        "rows": sorted(rows, key=lambda r: (-r.points, r.person.name)),
    }
    return render(request, "web/points.html", context)
