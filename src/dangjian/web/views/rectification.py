"""Pages of the rectification loop: the list for a subtree, opening one, recording each step."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render

from dangjian.access import selectors as access
from dangjian.core.concurrency import VersionedForm
from dangjian.orgs.models import Organization
from dangjian.oversight import selectors as rsel
from dangjian.oversight import services
from dangjian.oversight.models import STEP_LABELS, Rectification
from dangjian.records.models import Activity, ActivityKind
from dangjian.web import page_findings
from dangjian.web import selectors as sel
from dangjian.web import versions as ver
from dangjian.web.forms import BootstrapMixin, DateInput, add_service_errors
from dangjian.web.views.common import actor_of, administered_org, paginate, year_value

STATE_LABELS = {"open": "未销号", "overdue": "逾期未整改", "closed": "已销号", "all": "全部"}


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:  # type: ignore[override]
        return obj.name


class RectificationOpenForm(BootstrapMixin, forms.Form):
    org = OrgChoiceField(label="整改组织", queryset=Organization.objects.none(), empty_label=None)
    title = forms.CharField(
        label="问题",
        max_length=200,
        help_text="写组织工作中的问题（如“未按期召开支部委员会”），不记录个人言论或思想情况",
    )
    found_on = forms.DateField(label="发现日期", widget=DateInput())
    due_on = forms.DateField(label="整改期限", widget=DateInput(), required=False)
    source_rule = forms.CharField(label="来源规则", max_length=120, required=False)
    source_period = forms.CharField(label="来源期间", max_length=40, required=False)
    source_subject = forms.CharField(label="来源对象", max_length=200, required=False)
    source_activity = forms.ModelChoiceField(
        label="来源检查活动",
        queryset=Activity.objects.none(),
        required=False,
        empty_label="（无）",
    )

    def __init__(
        self, *args: Any, orgs: QuerySet[Organization], inspections: QuerySet[Activity], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["source_activity"].queryset = inspections  # type: ignore[attr-defined]
        self.fields["source_activity"].label_from_instance = (  # type: ignore[attr-defined]
            lambda a: f"{a.date:%Y-%m-%d} {a.title or a.get_kind_display()}"
        )
        self.style()


class RectificationStepForm(BootstrapMixin, VersionedForm):
    step = forms.CharField(label="环节", widget=forms.HiddenInput())
    on = forms.DateField(label="日期", widget=DateInput())
    due_on = forms.DateField(label="整改期限", widget=DateInput(), required=False)
    accountability = forms.BooleanField(label="已问责", required=False)
    accountability_on = forms.DateField(label="问责日期", widget=DateInput(), required=False)
    evidence = forms.CharField(
        label="整改情况及佐证",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明采取的整改措施和佐证材料（如会议记录、制度文件名称）",
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.style()


class SendBackForm(BootstrapMixin, VersionedForm):
    on = forms.DateField(label="退回日期", widget=DateInput())
    reason = forms.CharField(
        label="退回原因",
        max_length=500,
        help_text="写明整改中仍存在的不足",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.style()


def _rectification_for(request: HttpRequest, pk: int) -> Rectification:
    """A rectification of an organisation the user administers: 404 if unseen, 403 if only seen."""
    rect = get_object_or_404(
        Rectification.objects.select_related("org", "source_activity").filter(
            org__in=access.orgs_visible(request.user)
        ),
        pk=pk,
    )
    if not access.can_administer(request.user, rect.org):
        raise PermissionDenied("只有本组织的管理员可以查看或修改")
    return rect


@login_required
def rectification_list(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    state = request.GET.get("state", "open")
    if state not in rsel.FILTERS:
        state = "open"
    today = datetime.date.today()
    return render(
        request,
        "web/rectification/list.html",
        {
            "org": org,
            "tab": "rectifications",
            "ancestors": sel.ancestors(org),
            "state": state,
            "states": STATE_LABELS,
            "counts": rsel.rectification_counts(org, today),
            "today": today,
            "page": paginate(
                request, rsel.rectifications_of_subtree(org, state=state, as_of=today)
            ),
        },
    )


def _prefill_from_finding(org: Organization, request: HttpRequest) -> dict[str, Any]:
    """Initial values from a finding page's link (?year=&key=), when the finding exists."""
    if not request.GET.get("year"):
        return {}
    year = year_value(request.GET["year"])
    key = request.GET.get("key", "")
    if not key:
        return {}
    found = page_findings.finding_by_key(org, year, key)
    if found is None:
        return {}
    initial: dict[str, Any] = {
        "title": (found.rule_title or found.message)[:200],
        "source_rule": found.rule,
        "source_period": found.period,
        "source_subject": found.subject_name,
    }
    if found.org_pk is not None:
        initial["org"] = found.org_pk
    return initial


@login_required
def rectification_new(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    orgs = Organization.objects.filter(path__startswith=org.path).order_by("path")
    inspections = Activity.objects.filter(
        org__path__startswith=org.path, kind=ActivityKind.INSPECTION
    ).order_by("-date")[:200]
    if request.method == "POST":
        form = RectificationOpenForm(
            request.POST,
            orgs=orgs,
            inspections=Activity.objects.filter(
                org__path__startswith=org.path, kind=ActivityKind.INSPECTION
            ),
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                rect = services.rectification_open(
                    org=data["org"],
                    title=data["title"],
                    found_on=data["found_on"],
                    due_on=data["due_on"],
                    source_rule=data["source_rule"],
                    source_period=data["source_period"],
                    source_subject=data["source_subject"],
                    source_activity=data["source_activity"],
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, "整改事项已登记")
                return redirect("web:rectification", pk=rect.pk)
    else:
        initial: dict[str, Any] = {"org": org.pk, "found_on": datetime.date.today()}
        initial.update(_prefill_from_finding(org, request))
        activity_pk = request.GET.get("activity", "")
        if activity_pk.isdigit():
            initial["source_activity"] = int(activity_pk)
        form = RectificationOpenForm(initial=initial, orgs=orgs, inspections=inspections)
    return render(request, "web/rectification/form.html", {"org": org, "form": form})


@login_required
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _rectification_for(request, pk))


def _detail(
    request: HttpRequest, rect: Rectification, send_back: SendBackForm | None = None
) -> HttpResponse:
    """The rectification page; `send_back`: a refused send-back form, shown as typed."""
    step = rect.next_step
    form: RectificationStepForm | None = None
    if request.method == "POST" and send_back is None:
        form = RectificationStepForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    current = ver.locked(Rectification, rect.pk)
                    saved = form.check_version(ver.rectification_snapshot(current))
                    if saved:
                        services.rectification_advance(
                            rectification=current,
                            step=data["step"],
                            on=data["on"],
                            due_on=data["due_on"],
                            accountability=data["accountability"],
                            accountability_on=data["accountability_on"],
                            evidence=data["evidence"],
                            actor=actor_of(request),
                        )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                if saved:
                    messages.success(request, f"已登记“{STEP_LABELS[data['step']]}”")
                    return redirect("web:rectification", pk=rect.pk)
                rect.refresh_from_db()  # recorded by someone meanwhile; the form says what changed
                step = rect.next_step
    elif step is not None:
        form = RectificationStepForm(initial={"step": step, "on": datetime.date.today()})
        form.set_version(ver.rectification_snapshot(rect))
    checker = services.checker_of(rect)
    is_checker = access.can_administer(request.user, checker)
    if (
        step in services.CHECKER_STEPS
        and not is_checker
        and (request.method != "POST" or send_back is not None)
    ):
        form = None  # the organisation that found the problem checks and closes it
    inspection = services.inspection_of(rect)
    timeline = [
        ("发现问题", rect.found_on),
        ("交办", rect.assigned_on),
        ("核实", rect.verified_on),
        ("整改完成", rect.rectified_on),
        ("回访反馈", rect.revisit_on),
        ("销号", rect.closed_on),
    ]
    return render(
        request,
        "web/rectification/detail.html",
        {
            "org": rect.org,
            "rect": rect,
            "form": form,
            "step": step,
            "step_label": STEP_LABELS.get(step or "", ""),
            "timeline": timeline,
            "today": datetime.date.today(),
            "checker": checker,
            "is_checker": is_checker,
            "inspection": inspection,
            "send_back": send_back
            if send_back is not None
            else _send_back_form(rect)
            if is_checker and rect.rectified_on and not rect.closed_on
            else None,
            "history": rsel.rectification_history(rect),
        },
    )


def _send_back_form(rect: Rectification) -> SendBackForm:
    form = SendBackForm(initial={"on": datetime.date.today()})
    form.set_version(ver.rectification_snapshot(rect))
    return form


@login_required
def rectification_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    """The checker returns a rectification reported done (POST only)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    rect = _rectification_for(request, pk)
    if not access.can_administer(request.user, services.checker_of(rect)):
        raise PermissionDenied("只有发现问题的组织可以退回整改")
    form = SendBackForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                current = ver.locked(Rectification, rect.pk)
                saved = form.check_version(ver.rectification_snapshot(current))
                if saved:
                    services.rectification_send_back(
                        rectification=current,
                        on=form.cleaned_data["on"],
                        reason=form.cleaned_data["reason"],
                        actor=actor_of(request),
                    )
        except ValidationError as e:
            messages.error(request, "；".join(e.messages))
        else:
            if not saved:
                # changed meanwhile (e.g. closed): the page shows what, and the reason typed
                rect.refresh_from_db()
                return _detail(request, rect, send_back=form)
            messages.success(request, "已退回重新整改")
    else:
        messages.error(
            request,
            "；".join(
                f"{form.fields[k].label}：{v[0]}"
                for k, v in form.errors.items()
                if k in form.fields
            ),
        )
    return redirect("web:rectification", pk=rect.pk)
