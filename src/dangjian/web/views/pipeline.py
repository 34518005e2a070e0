"""发展党员: a branch's pipeline page (who is at which stage, since when, what is due next)
and the form taking the next step through the pipeline service."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dangjian.core.concurrency import VersionedForm
from dangjian.people.models import AdmissionStepKind, Person
from dangjian.people.pipeline import PIPELINE_STATUSES, admission_step_take, branch_pipeline
from dangjian.web import selectors as sel
from dangjian.web import versions as ver
from dangjian.web.forms import DateInput, add_service_errors
from dangjian.web.views.common import actor_of, administered_org


class StepForm(VersionedForm):
    person = forms.ModelChoiceField(
        label="人员",
        queryset=Person.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"invalid_choice": "请选择本支部发展程序中的人员"},
    )
    step = forms.ChoiceField(
        label="步骤",
        choices=AdmissionStepKind.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    date = forms.DateField(label="日期", widget=DateInput(attrs={"class": "form-control"}))
    evidence = forms.CharField(
        label="依据材料",
        max_length=200,
        help_text="如：谈话记录、支委会记录、支部大会决议、上级党委审批文件",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    until = forms.DateField(
        label="预备期延长至",
        required=False,
        help_text="仅延长预备期时填写",
        widget=DateInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people


@login_required
def pipeline(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    people = Person.objects.filter(
        org=org, status__in=PIPELINE_STATUSES, left_on__isnull=True
    ).order_by("name", "pk")
    if request.method == "POST":
        form = StepForm(request.POST, people=people)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    person = ver.locked(Person, data["person"].pk)
                    rows = branch_pipeline(org)
                    saved = form.check_version(
                        ver.pipeline_snapshot(rows), only=[ver.pipeline_key(rows, person)]
                    )
                    if saved:
                        admission_step_take(
                            person=person,
                            step=data["step"],
                            date=data["date"],
                            evidence=data["evidence"],
                            until=data.get("until"),
                            actor=actor_of(request),
                        )
            except ValidationError as e:
                add_service_errors(form, e)
            except PermissionDenied as e:
                form.add_error(None, str(e) or "没有权限")
            else:
                if saved:  # else someone took a step for this person meanwhile: the form says
                    label = AdmissionStepKind(data["step"]).label
                    messages.success(request, f"已登记 {data['person'].name}：{label}")
                    return redirect("web:pipeline", pk=org.pk)
    else:
        form = StepForm(people=people, initial={"date": datetime.date.today()})
    rows = branch_pipeline(org)
    if not form.is_bound:
        form.set_version(ver.pipeline_snapshot(rows))
    context = {
        "org": org,
        "tab": "pipeline",
        "ancestors": sel.ancestors(org),
        "rows": rows,
        "form": form,
    }
    return render(request, "web/pipeline.html", context)
