"""Pages of the annual assessment (党建工作考核): the ranking an organisation keeps of those
under it, each score's breakdown with its adjustments, publishing the year's grades, the
Excel export; the star rating of branches (星级评定); 述职评议 records."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dangjian.core.concurrency import VersionedForm, token_snapshot, version_token
from dangjian.orgs.models import Organization
from dangjian.oversight import assessment as asel
from dangjian.oversight import assessment_services as services
from dangjian.oversight.models import AssessmentAdjustment, DutyReviewRole, Grade
from dangjian.people.models import Person
from dangjian.spreadsheets.workbooks import table_workbook
from dangjian.web import page_findings
from dangjian.web import selectors as sel
from dangjian.web import versions as ver
from dangjian.web.assessment_export import ranking_workbook
from dangjian.web.forms import BootstrapMixin, DateInput, add_service_errors
from dangjian.web.views.common import actor_of, administered_org, year_param, year_value

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _years() -> range:
    today = datetime.date.today()
    return range(today.year, today.year - 5, -1)


class AdjustmentForm(BootstrapMixin, forms.Form):
    points = forms.DecimalField(
        label="加减分",
        max_digits=6,
        decimal_places=2,
        help_text="加分填正数，减分填负数",
    )
    reason = forms.CharField(
        label="理由",
        max_length=300,
        required=False,  # the service refuses an empty reason with its own message
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="写明依据（如：经机关工委督查核实的工作成效、通报批评等），将显示在得分明细中",
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.style()


class WithdrawForm(VersionedForm):
    """Withdrawing one adjustment: carries the version of the list the page showed."""


@login_required
def duty_review_export(request: HttpRequest, pk: int) -> HttpResponse:
    """述职评议 of the year: who reported, to whom, when, and the rating (no content)."""
    org = administered_org(request, pk)
    year = year_param(request)
    headers = ["述职组织", "述职人", "述职人身份", "述职年度", "述职日期", "评议组织"]
    headers += ["评议得分", "评议等次", "登记人"]
    rows = (
        [
            r.org.name,
            r.reporter.name,
            r.get_role_display(),
            r.year,
            r.held_on,
            r.reviewed_by.name,
            r.score,
            r.get_grade_display() if r.grade else "",
            r.recorded_by,
        ]
        for r in asel.duty_reviews(org, year)
    )
    response = HttpResponse(table_workbook(f"述职评议{year}", headers, rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="duty-reviews-{org.pk}-{year}.xlsx"'
    return response


@login_required
def assessment_ranking(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_param(request)
    result = asel.ranking(org, year)
    return render(
        request,
        "web/assessment/ranking.html",
        {
            "org": org,
            "tab": "assessment",
            "ancestors": sel.ancestors(org),
            "year": year,
            "years": _years(),
            "scheme": result.scheme if result else asel.scheme_for(org),
            "result": result,
            "freshness": page_findings.freshness(org, year),
        },
    )


@login_required
@require_POST
def assessment_publish(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_value(request.POST.get("year", ""))
    try:
        done = services.assessment_publish(org=org, year=year, actor=actor_of(request))
    except ValidationError as e:
        for msgs in e.message_dict.values():
            for m in msgs:
                messages.error(request, m)
    else:
        messages.success(request, f"已发布 {year}年党建工作考核结果（{len(done)} 个组织）")
    return redirect(reverse("web:assessment", args=[org.pk]) + f"?year={year}")


@login_required
def assessment_export(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_param(request)
    result = asel.ranking(org, year)
    if result is None:
        raise Http404("本级没有考核排名")
    response = HttpResponse(ranking_workbook(result), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="assessment-{org.pk}-{year}.xlsx"'
    return response


@login_required
def assessment_breakdown(request: HttpRequest, pk: int, subject_pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    year = year_param(request) if request.method == "GET" else year_value(request.POST["year"])
    subject = get_object_or_404(
        Organization.objects.filter(path__startswith=org.path).exclude(pk=org.pk), pk=subject_pk
    )
    form = AdjustmentForm()
    withdraw = WithdrawForm()
    url = reverse("web:assessment_breakdown", args=[org.pk, subject.pk]) + f"?year={year}"
    if request.method == "POST" and request.POST.get("delete", "").isdigit():
        # withdrawing an adjustment recorded by mistake (audited; the entry keeps it),
        # refused if the adjustments listed changed since the page was loaded
        withdraw = WithdrawForm(request.POST)
        with transaction.atomic():
            listed = AssessmentAdjustment.objects.filter(assessor=org, subject=subject, year=year)
            list(listed.select_for_update())
            adj = listed.filter(pk=int(request.POST["delete"])).first()
            current = ver.adjustments_snapshot(org, subject, year)
            seen = token_snapshot(request.POST.get("version", ""))
            if adj is None and seen in (None, current):
                raise Http404("没有这项加减分")  # not one listed on this page
            if withdraw.check_version(current) and adj is not None:
                services.assessment_adjustment_delete(adjustment=adj, actor=actor_of(request))
                messages.success(request, "加减分已撤销")
                return redirect(url)
    if request.method == "POST" and not withdraw.is_bound:
        form = AdjustmentForm(request.POST)
        if form.is_valid():
            try:
                services.assessment_adjust(
                    assessor=org,
                    subject=subject,
                    year=year,
                    points=form.cleaned_data["points"],
                    reason=form.cleaned_data["reason"],
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, "加减分已登记")
                return redirect(url)
    detail = asel.breakdown(org, subject, year)
    if detail is None:
        raise Http404(f"{subject.name} 不在 {org.name} {year}年的考核排名中")
    return render(
        request,
        "web/assessment/breakdown.html",
        {
            "org": org,
            "tab": "assessment",
            "ancestors": sel.ancestors(org),
            "subject": subject,
            "year": year,
            "b": detail,
            "form": form,
            "withdraw": withdraw,
            "withdraw_version": version_token(ver.adjustments_snapshot(org, subject, year)),
            "freshness": page_findings.freshness(org, year),
        },
    )


@login_required
def star_ratings(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    if request.method == "POST":
        year = year_value(request.POST.get("year", ""))
        try:
            done = services.stars_publish(org=org, year=year, actor=actor_of(request))
        except ValidationError as e:
            for msgs in e.message_dict.values():
                for m in msgs:
                    messages.error(request, m)
        else:
            messages.success(request, f"已发布 {year}年星级评定结果（{len(done)} 个党组织）")
        return redirect(reverse("web:stars", args=[org.pk]) + f"?year={year}")
    year = year_param(request)
    return render(
        request,
        "web/assessment/stars.html",
        {
            "org": org,
            "tab": "stars",
            "ancestors": sel.ancestors(org),
            "year": year,
            "years": _years(),
            "result": asel.star_ratings(org, year),
            "freshness": page_findings.freshness(org, year),
        },
    )


class OrgChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:  # type: ignore[override]
        return obj.name


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:  # type: ignore[override]
        return f"{obj.name}（{obj.org.name}）"


@login_required
def star_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The year's star ratings with the reason for each star (met or which violations)."""
    org = administered_org(request, pk)
    year = year_param(request)
    result = asel.star_ratings(org, year)
    if result is None:
        raise Http404("本组织适用的规定没有党组织星级评定标准")
    headers = ["党组织", "星级", *(c.title for c in result.scheme.criteria), "已发布"]
    rows = (
        [
            r.org.name,
            r.stars,
            *(
                "★ 当年无违规"
                if s.met
                else "☆ " + "；".join(f"{t} 违规 {n} 条" for t, n in s.violations)
                for s in r.reasons
            ),
            f"{r.published} 星" if r.published else "否",
        ]
        for r in result.rows
    )
    response = HttpResponse(table_workbook(f"星级评定{year}", headers, rows), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="stars-{org.pk}-{year}.xlsx"'
    return response


class DutyReviewForm(BootstrapMixin, forms.Form):
    org = OrgChoice(label="述职组织", queryset=Organization.objects.none())
    reporter = PersonChoice(label="述职人", queryset=Person.objects.none())
    role = forms.ChoiceField(label="述职人身份", choices=DutyReviewRole.choices)
    year = forms.IntegerField(label="述职年度", min_value=2000, max_value=2100)
    held_on = forms.DateField(label="述职日期", widget=DateInput())
    score = forms.DecimalField(
        label="评议得分", max_digits=5, decimal_places=2, required=False, min_value=0
    )
    grade = forms.ChoiceField(
        label="评议等次", choices=[("", "（未评等次）"), *Grade.choices], required=False
    )

    def __init__(
        self,
        *args: Any,
        orgs: QuerySet[Organization],
        people: QuerySet[Person],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["reporter"].queryset = people  # type: ignore[attr-defined]
        self.style()


@login_required
def duty_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    """述职评议 held by this organisation (it records them) and those of its subtree."""
    org = administered_org(request, pk)
    year = year_param(request) if request.method == "GET" else datetime.date.today().year
    orgs = (
        Organization.objects.filter(
            path__startswith=org.path,
            type__in=["party_group", "organ_committee", "general_branch", "branch"],
        )
        .exclude(pk=org.pk)
        .order_by("path")
    )
    # Secretaries of those organisations (any time): the people who report.
    people = (
        Person.objects.filter(
            positions__org__path__startswith=org.path, positions__role="secretary"
        )
        .select_related("org")
        .distinct()
        .order_by("name", "pk")
    )
    if request.method == "POST":
        form = DutyReviewForm(request.POST, orgs=orgs, people=people)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.duty_review_record(
                    org=d["org"],
                    reporter=d["reporter"],
                    role=d["role"],
                    year=d["year"],
                    held_on=d["held_on"],
                    reviewed_by=org,
                    score=d["score"],
                    grade=d["grade"],
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, "述职评议已登记")
                return redirect(reverse("web:duty_reviews", args=[org.pk]) + f"?year={d['year']}")
    else:
        form = DutyReviewForm(
            orgs=orgs,
            people=people,
            initial={"year": year - 1 if year == datetime.date.today().year else year},
        )
    return render(
        request,
        "web/assessment/duty_reviews.html",
        {
            "org": org,
            "tab": "duty_reviews",
            "ancestors": sel.ancestors(org),
            "year": year,
            "years": _years(),
            "reviews": list(asel.duty_reviews(org, year)),
            "form": form,
        },
    )
