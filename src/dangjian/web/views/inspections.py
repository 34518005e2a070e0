"""Pages of inspections (督查): the plan list of an organisation, planning/recording one
with the problems found inline, its detail, and the Excel export."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dangjian.access import selectors as access
from dangjian.core.concurrency import VersionedForm
from dangjian.orgs.models import Organization
from dangjian.oversight import inspections as services
from dangjian.oversight import selectors as osel
from dangjian.oversight.exports import inspections_workbook
from dangjian.oversight.models import INSPECTING_TYPES, Inspection, Rectification
from dangjian.people.models import Person
from dangjian.web import selectors as sel
from dangjian.web import versions as ver
from dangjian.web.forms import BootstrapMixin, DateInput, add_service_errors
from dangjian.web.views.common import actor_of, administered_org, paginate

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUARTERS = [(1, "第一季度"), (2, "第二季度"), (3, "第三季度"), (4, "第四季度")]
PROBLEM_ROWS = 5


class OrgsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organization) -> str:  # type: ignore[override]
        return obj.name


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Person) -> str:  # type: ignore[override]
        return f"{obj.name}（{obj.org.name}）"


class InspectionForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label="季度", choices=QUARTERS, coerce=int)
    title = forms.CharField(label="督查事项", max_length=200)
    targets = OrgsField(
        label="被督查组织", queryset=Organization.objects.none(), widget=forms.SelectMultiple
    )
    held_on = forms.DateField(
        label="督查日期",
        widget=DateInput(),
        required=False,
        help_text="已开展的填写；仅作计划的留空",
    )
    inspectors = PeopleField(
        label="督查人员",
        queryset=Person.objects.none(),
        required=False,
        widget=forms.SelectMultiple,
    )
    inspector_names = forms.CharField(
        label="其他督查人员",
        max_length=200,
        required=False,
        help_text="系统外人员的姓名，用顿号分隔",
    )

    def __init__(
        self, *args: Any, targets: QuerySet[Organization], people: QuerySet[Person], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["targets"].queryset = targets  # type: ignore[attr-defined]
        self.fields["inspectors"].queryset = people  # type: ignore[attr-defined]
        self.style()


class RecordForm(BootstrapMixin, VersionedForm):
    held_on = forms.DateField(label="督查日期", widget=DateInput())
    inspectors = PeopleField(
        label="督查人员",
        queryset=Person.objects.none(),
        required=False,
        widget=forms.SelectMultiple,
    )
    inspector_names = forms.CharField(label="其他督查人员", max_length=200, required=False)

    def __init__(self, *args: Any, people: QuerySet[Person], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["inspectors"].queryset = people  # type: ignore[attr-defined]
        self.style()


class OrgField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:  # type: ignore[override]
        return obj.name


class ProblemForm(BootstrapMixin, forms.Form):
    org = OrgField(label="整改组织", queryset=Organization.objects.none(), required=False)
    description = forms.CharField(
        label="存在的问题",
        max_length=200,
        required=False,
        help_text="写工作中的不足（如“未按期召开支部委员会”），不记录个人言论或看法",
    )
    due_on = forms.DateField(label="整改期限", widget=DateInput(), required=False)

    def __init__(self, *args: Any, orgs: QuerySet[Organization], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        self.style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("description") and not data.get("org"):
            self.add_error("org", "请选择整改组织")
        if data.get("org") and not data.get("description"):
            self.add_error("description", "请填写存在的问题")
        return data


def _problem_forms(request: HttpRequest, orgs: QuerySet[Organization]) -> list[ProblemForm]:
    data = request.POST if request.method == "POST" else None
    return [ProblemForm(data, orgs=orgs, prefix=f"p{n}") for n in range(PROBLEM_ROWS)]


def _problems(forms_: list[ProblemForm]) -> list[services.ProblemInput] | None:
    """The filled rows, or None when a row is invalid."""
    if not all(f.is_valid() for f in forms_):
        return None
    return [
        services.ProblemInput(
            org=f.cleaned_data["org"],
            description=f.cleaned_data["description"],
            due_on=f.cleaned_data["due_on"],
        )
        for f in forms_
        if f.cleaned_data.get("org")
    ]


def _below(org: Organization) -> QuerySet[Organization]:
    return (
        Organization.objects.filter(path__startswith=org.path).exclude(pk=org.pk).order_by("path")
    )


def _people(org: Organization) -> QuerySet[Person]:
    return (
        Person.objects.filter(org__path__startswith=org.path, left_on__isnull=True)
        .select_related("org")
        .order_by("org__path", "name")
    )


def _inspecting_org(request: HttpRequest, pk: int) -> Organization:
    org = administered_org(request, pk)
    if org.type not in INSPECTING_TYPES:
        raise PermissionDenied("本组织不组织督查，请在上级党委（党组）或机关工委登记")
    return org


def _inspection_for(request: HttpRequest, pk: int) -> Inspection:
    """An inspection held by, or of, an organisation the user administers; else 404."""
    mine = access.orgs_administered(request.user)
    qs = Inspection.objects.filter(Q(org__in=mine) | Q(targets__in=mine)).distinct()
    if not qs.filter(pk=pk).exists():
        raise Http404("没有这项督查")
    return Inspection.objects.select_related("org", "activity").get(pk=pk)


@login_required
def inspection_list(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    page = paginate(request, osel.inspections_of_subtree(org))
    items = list(page.object_list)
    statuses = osel.plan_statuses(items)
    return render(
        request,
        "web/inspections/list.html",
        {
            "org": org,
            "ancestors": sel.ancestors(org),
            "tab": "inspections",
            "page": page,
            "rows": [(i, statuses[i.pk]) for i in items],
            "can_inspect": org.type in INSPECTING_TYPES,
            "year": datetime.date.today().year,
        },
    )


@login_required
def inspection_new(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = _inspecting_org(request, org_pk)
    targets, people = _below(org), _people(org)
    problem_forms = _problem_forms(request, targets)
    if request.method == "POST":
        form = InspectionForm(request.POST, targets=targets, people=people)
        problems = _problems(problem_forms)
        if form.is_valid() and problems is not None:
            data = form.cleaned_data
            try:
                inspection = services.inspection_create(
                    org=org,
                    year=data["year"],
                    quarter=data["quarter"],
                    title=data["title"],
                    targets=list(data["targets"]),
                    held_on=data["held_on"],
                    inspectors=list(data["inspectors"]),
                    inspector_names=data["inspector_names"],
                    problems=problems,
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, "督查已登记")
                return redirect("web:inspection", pk=inspection.pk)
    else:
        today = datetime.date.today()
        form = InspectionForm(
            initial={"year": today.year, "quarter": (today.month - 1) // 3 + 1},
            targets=targets,
            people=people,
        )
    return render(
        request,
        "web/inspections/form.html",
        {"org": org, "form": form, "problem_forms": problem_forms, "record": False},
    )


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_for(request, pk)
    problems = list(osel.inspection_problems(inspection))
    can_record = access.can_administer(request.user, inspection.org)
    return render(
        request,
        "web/inspections/detail.html",
        {
            "org": inspection.org,
            "inspection": inspection,
            "status": osel.plan_statuses([inspection])[inspection.pk],
            "targets": list(inspection.targets.order_by("path")),
            "inspectors": list(inspection.inspectors.all()),
            "problems": problems,
            "can_record": can_record,
            "today": datetime.date.today(),
        },
    )


@login_required
def inspection_record(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = _inspection_for(request, pk)
    if not access.can_administer(request.user, inspection.org):
        raise PermissionDenied("只有督查组织的管理员可以登记督查情况")
    targets = inspection.targets.order_by("path")
    problem_forms = _problem_forms(request, targets)
    people = _people(inspection.org)
    if request.method == "POST":
        form = RecordForm(request.POST, people=people)
        problems = _problems(problem_forms)
        if form.is_valid() and problems is not None:
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    current = ver.locked(Inspection, inspection.pk)
                    saved = form.check_version(ver.inspection_snapshot(current))
                    if saved:
                        services.inspection_record(
                            inspection=current,
                            held_on=data["held_on"],
                            inspectors=list(data["inspectors"]),
                            inspector_names=data["inspector_names"],
                            problems=problems,
                            actor=actor_of(request),
                        )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                if saved:
                    messages.success(request, "督查开展情况已登记")
                    return redirect("web:inspection", pk=inspection.pk)
    else:
        form = RecordForm(initial={"held_on": datetime.date.today()}, people=people)
        form.set_version(ver.inspection_snapshot(inspection))
    return render(
        request,
        "web/inspections/form.html",
        {
            "org": inspection.org,
            "inspection": inspection,
            "form": form,
            "problem_forms": problem_forms,
            "record": True,
        },
    )


@login_required
def inspection_export(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    inspections = list(osel.inspections_of_subtree(org).prefetch_related("inspectors")[:5000])
    holders = {i.activity_id: i for i in inspections if i.activity_id is not None}
    problems = list(
        Rectification.objects.filter(source_activity_id__in=list(holders))
        .select_related("org")
        .order_by("source_activity_id", "org__path", "pk")
    )
    body = inspections_workbook(inspections, osel.plan_statuses(inspections), problems, holders)
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="inspections-{org.pk}.xlsx"'
    return response
