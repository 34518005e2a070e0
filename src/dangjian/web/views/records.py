"""Entering and editing records: activities (with attendees, minutes, scans), trainings, filings."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dangjian.access import selectors as access
from dangjian.core.concurrency import snapshot_values
from dangjian.core.models import AuditEntry
from dangjian.orgs.models import Organization
from dangjian.people.models import Person
from dangjian.records import selectors as record_selectors
from dangjian.records import services
from dangjian.records.models import Absence, AbsenceReason, Activity, ActivityKind, Attachment
from dangjian.web import selectors as sel
from dangjian.web import versions as ver
from dangjian.web.forms import (
    ActivityForm,
    FilingForm,
    MakeupForm,
    TrainingManyForm,
    add_service_errors,
)
from dangjian.web.views.common import actor_of, administered_org, date_param

FIELD_LABELS = {
    "kind": "类型",
    "date": "日期",
    "title": "主题",
    "hours": "时长（学时）",
    "speaker": "主讲人",
    "subject_org": "对象组织",
    "subject_person": "对象人员",
    "attendees": "参加人员",
    "absentees": "缺席人员",
    "minutes": "会议记录",
    "attachments": "附件",
    "org": "组织单位",
    "ext_id": "编号",
}
ACTION_LABELS = {"create": "新建", "update": "修改", "delete": "删除"}


MAX_CHOICES = 300
BRANCH_LIKE = ("branch", "party_cell", "general_branch")


def _people_choices(org: Organization) -> Any:
    """Members to tick: the subtree's, or for a large organisation its own members and
    post holders only, so the form stays usable and bounded."""
    subtree = sel.org_members(org)
    if subtree.count() <= MAX_CHOICES:
        return subtree.order_by("org__path", "name")
    holders = sel.current_positions(org, datetime.date.today()).values("person_id")
    return sel.org_members(org).filter(Q(org=org) | Q(pk__in=holders)).order_by("org__path", "name")


def _initial_attendees(org: Organization, people: Any) -> list[Any]:
    """Branch meetings: everyone ticked. Higher bodies: the post holders (the committee)."""
    if org.type in BRANCH_LIKE:
        return list(people)
    holders = set(
        sel.current_positions(org, datetime.date.today()).values_list("person_id", flat=True)
    )
    return [p for p in people if p.pk in holders] or list(people)


def _activity_for_admin(request: HttpRequest, pk: int) -> Activity:
    activity = get_object_or_404(
        Activity.objects.select_related("org").filter(org__in=access.orgs_visible(request.user)),
        pk=pk,
    )
    if not access.can_administer(request.user, activity.org):
        raise PermissionDenied("只有本组织的管理员可以查看或修改")
    return activity


@login_required
def activity_new(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    people = _people_choices(org)
    duplicates: list[Activity] = []
    if request.method == "POST":
        form = ActivityForm(request.POST, request.FILES, people=people)
        if form.is_valid():
            data = form.cleaned_data
            if not data["confirm_duplicate"]:
                duplicates = list(
                    record_selectors.same_day_activities(
                        org=org, kind=data["kind"], date=data["date"]
                    )
                )
        if form.is_valid() and not duplicates:
            data = form.cleaned_data
            try:
                activity = services.activity_record(
                    org=org,
                    kind=data["kind"],
                    date=data["date"],
                    title=data["title"],
                    hours=data["hours"],
                    speaker=data["speaker"],
                    attendees=data["attendees"],
                    absentees=data["absences"],
                    minutes=data["minutes"],
                    attachments=data["attachments"],
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, f"已保存：{activity}")
                return redirect("web:activity", pk=activity.pk)
    else:
        kind = request.GET.get("kind", ActivityKind.THEME_DAY)
        date = (date_param(request, "date") or datetime.date.today()).isoformat()
        form = ActivityForm(
            initial={
                "kind": kind if kind in ActivityKind.values else ActivityKind.THEME_DAY,
                "date": date,
                "attendees": _initial_attendees(org, people),
            },
            people=people,
        )
    return render(
        request,
        "web/activity_form.html",
        {
            "org": org,
            "form": form,
            "member_count": people.count(),
            "duplicates": duplicates,
            "reasons": AbsenceReason.choices,
        },
    )


REASON_LABELS = dict(AbsenceReason.choices)


def _show_absentee(a: dict[str, Any], names: dict[str, str]) -> str:
    """One absentee of an audit entry: 姓名（病假；说明；补学 日期 方式）."""
    parts = [REASON_LABELS.get(a.get("reason", ""), a.get("reason", ""))]
    if a.get("note"):
        parts.append(a["note"])
    if a.get("made_up_on"):
        parts.append(f"补学 {a['made_up_on']} {a.get('made_up_how', '')}".strip())
    return f"{names.get(a['person'], a['person'])}（{'；'.join(parts)}）"


def _history_rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """Audit entries as rows of (field, before, after), names resolved in two queries."""
    ext_ids: set[str] = set()
    person_pks: set[int] = set()
    for e in entries:
        for side in ("before", "after"):
            values = e.changes.get(side) or {}
            ext_ids.update(values.get("attendees") or [])
            ext_ids.update(a["person"] for a in values.get("absentees") or [])
            for key in ("speaker", "subject_person"):
                if isinstance(values.get(key), int):
                    person_pks.add(values[key])
    by_ext = dict(Person.objects.filter(ext_id__in=ext_ids).values_list("ext_id", "name"))
    by_pk = dict(Person.objects.filter(pk__in=person_pks).values_list("pk", "name"))
    kinds = dict(ActivityKind.choices)

    def show(key: str, value: Any) -> str:
        if value in (None, "", []):
            return "（空）"
        if key == "attendees":
            return "、".join(by_ext.get(x, x) for x in value)
        if key == "absentees":
            return "、".join(_show_absentee(a, by_ext) for a in value)
        if key in ("speaker", "subject_person"):
            return str(by_pk.get(value, value))
        if key == "kind":
            return str(kinds.get(value, value))
        if isinstance(value, list):
            return "、".join(str(v) for v in value)
        return str(value)

    rows = []
    for e in entries:
        before = e.changes.get("before") or {}
        after = e.changes.get("after") or {}
        keys = [k for k in [*after.keys(), *before.keys()] if k in FIELD_LABELS]
        changes = []
        for key in dict.fromkeys(keys):
            if key == "ext_id":
                continue
            if key == "attendees" and key in before and key in after:
                added = [by_ext.get(x, x) for x in after[key] if x not in before[key]]
                removed = [by_ext.get(x, x) for x in before[key] if x not in after[key]]
                changes.append(
                    {
                        "label": FIELD_LABELS[key],
                        "before": f"{len(before[key])} 人",
                        "after": f"{len(after[key])} 人"
                        + (f"；增加 {'、'.join(added)}" if added else "")
                        + (f"；减少 {'、'.join(removed)}" if removed else ""),
                    }
                )
                continue
            changes.append(
                {
                    "label": FIELD_LABELS[key],
                    "before": show(key, before.get(key)) if key in before else "",
                    "after": show(key, after.get(key)) if key in after else "",
                }
            )
        rows.append(
            {"entry": e, "action": ACTION_LABELS.get(e.action, e.action), "changes": changes}
        )
    return rows


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_for_admin(request, pk)
    return _render_detail(request, activity)


def _render_detail(
    request: HttpRequest,
    activity: Activity,
    makeup: tuple[int, MakeupForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The activity page; `makeup` is a make-up form that failed, shown with what was typed."""
    activity = sel.activity_detail(activity.pk, Organization.objects.filter(pk=activity.org_id))
    attendees = sorted((a.person for a in activity.attendance.all()), key=lambda p: p.name)
    absences = sorted(
        Absence.objects.filter(activity=activity).select_related("person"),
        key=lambda a: a.person.name,
    )
    rows = []
    for a in absences:
        form = makeup[1] if makeup is not None and makeup[0] == a.pk else None
        if form is None and a.made_up_on is None:
            form = MakeupForm(initial={"made_up_on": datetime.date.today()}, prefix=f"m{a.pk}")
            form.set_version(ver.absence_snapshot(a))
        rows.append({"absence": a, "form": form})
    minutes = getattr(activity, "minutes", None)
    context = {
        "activity": activity,
        "org": activity.org,
        "attendees": attendees,
        "absences": rows,
        "expected": len(attendees) + len(absences),
        "minutes": minutes.text if minutes else "",
        "attachments": list(activity.attachments.all()),
        "history": _history_rows(sel.history("activity", activity.pk)),
    }
    return render(request, "web/activity_detail.html", context, status=status)


@login_required
@require_POST
def absence_makeup(request: HttpRequest, pk: int, absence_pk: int) -> HttpResponse:
    """Record an absent member's make-up (补学), or with `clear` take it back."""
    activity = _activity_for_admin(request, pk)
    absence = get_object_or_404(
        Absence.objects.select_related("person"), pk=absence_pk, activity=activity
    )
    absence.activity = activity
    if request.POST.get("clear"):
        services.absence_makeup_record(absence=absence, made_up_on=None, actor=actor_of(request))
        messages.success(request, f"已撤销 {absence.person.name} 的补学登记")
        return redirect("web:activity", pk=activity.pk)
    form = MakeupForm(request.POST, prefix=f"m{absence.pk}")
    if form.is_valid():
        try:
            with transaction.atomic():
                current = ver.locked(Absence, absence.pk)
                if not form.check_version(ver.absence_snapshot(current)):
                    raise _Conflict
                current.activity = activity
                services.absence_makeup_record(
                    absence=current,
                    made_up_on=form.cleaned_data["made_up_on"],
                    made_up_how=form.cleaned_data["made_up_how"],
                    actor=actor_of(request),
                )
        except ValidationError as e:
            add_service_errors(form, e)
        except _Conflict:
            return _render_detail(request, activity, makeup=(absence.pk, form), status=409)
        else:
            messages.success(request, f"已登记 {absence.person.name} 的补学")
            return redirect("web:activity", pk=activity.pk)
    return _render_detail(request, activity, makeup=(absence.pk, form), status=400)


class _Conflict(Exception):
    """Someone saved the record after this form was filled."""


def _activity_initial(activity: Activity) -> dict[str, Any]:
    minutes = getattr(activity, "minutes", None)
    return {
        "kind": activity.kind,
        "date": activity.date,
        "title": activity.title,
        "hours": activity.hours,
        "speaker": activity.speaker_id,
        "attendees": sorted(activity.attendance.values_list("person_id", flat=True)),
        "minutes": minutes.text if minutes else "",
    }


def _activity_snapshot(activity: Activity) -> dict[str, Any]:
    """What the edit form shows of the activity (its absences included): its version
    for optimistic locking."""
    values = _activity_initial(activity)
    values["absences"] = [
        f"{a.person.name}：{a.get_reason_display()}" + (f"（{a.note}）" if a.note else "")
        for a in activity.absences.select_related("person").order_by("person_id")
    ]
    return snapshot_values(values.items())


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_for_admin(request, pk)
    org = activity.org
    people = _people_choices(org)
    duplicates: list[Activity] = []
    if request.method == "POST":
        form = ActivityForm(request.POST, request.FILES, people=people)
        if form.is_valid():
            data = form.cleaned_data
            moved = (data["kind"], data["date"]) != (activity.kind, activity.date)
            if moved and not data["confirm_duplicate"]:
                duplicates = list(
                    record_selectors.same_day_activities(
                        org=org, kind=data["kind"], date=data["date"], exclude_pk=activity.pk
                    )
                )
        if form.is_valid() and not duplicates:
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    # The row stays locked from the version check to the write.
                    current = Activity.objects.select_for_update().get(pk=activity.pk)
                    if not form.check_version(_activity_snapshot(current)):
                        raise _Conflict
                    services.activity_update(
                        activity=current,
                        kind=data["kind"],
                        date=data["date"],
                        title=data["title"],
                        hours=data["hours"],
                        speaker=data["speaker"],
                        attendees=data["attendees"],
                        absentees=data["absences"],
                        minutes=data["minutes"],
                        attachments=data["attachments"],
                        actor=actor_of(request),
                    )
            except ValidationError as e:
                add_service_errors(form, e)
            except _Conflict:
                pass  # the form says what changed and keeps what was typed
            else:
                messages.success(request, "修改已保存，修改前后的内容记入历史")
                return redirect("web:activity", pk=activity.pk)
    else:
        form = ActivityForm(
            initial=_activity_initial(activity),
            people=people,
            absences={
                a.person_id: (a.reason, a.note) for a in Absence.objects.filter(activity=activity)
            },
        )
        form.set_version(_activity_snapshot(activity))
    return render(
        request,
        "web/activity_form.html",
        {
            "org": org,
            "form": form,
            "activity": activity,
            "member_count": people.count(),
            "duplicates": duplicates,
            "reasons": AbsenceReason.choices,
        },
    )


@login_required
@require_POST
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_for_admin(request, pk)
    org_pk = activity.org_id
    services.activity_delete(activity=activity, actor=actor_of(request))
    messages.success(request, "已删除该条记录")
    return redirect("web:org_ledger", pk=org_pk)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_object_or_404(Attachment.objects.select_related("activity"), pk=pk)
    _activity_for_admin(request, attachment.activity_id)
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        filename=attachment.name,
        as_attachment=False,
    )


@login_required
def training_new(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    people = _people_choices(org)
    if request.method == "POST":
        form = TrainingManyForm(request.POST, people=people)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = services.training_record_many(
                    people=data["people"],
                    date=data["date"],
                    hours=data["hours"],
                    kind=data["kind"],
                    title=data["title"],
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, f"已为 {len(created)} 人登记培训 {data['hours']} 学时")
                return redirect("web:org_hours", pk=org.pk)
    else:
        form = TrainingManyForm(
            initial={"date": datetime.date.today(), "kind": "general"}, people=people
        )
    return render(request, "web/training_form.html", {"org": org, "form": form})


@login_required
def filing_new(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    people = _people_choices(org)
    if request.method == "POST":
        form = FilingForm(request.POST, people=people)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.filing_record(
                    org=org,
                    kind=data["kind"],
                    date=data["date"],
                    period=data["period"],
                    by=data["by"],
                    actor=actor_of(request),
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, "报送记录已保存")
                return redirect("web:org_filings", pk=org.pk)
    else:
        today = datetime.date.today()
        form = FilingForm(initial={"date": today, "period": str(today.year)}, people=people)
    return render(request, "web/filing_form.html", {"org": org, "form": form})


@login_required
def org_filings(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    from dangjian.web.views.common import paginate, year_param

    year = year_param(request)
    return render(
        request,
        "web/org_filings.html",
        {
            "org": org,
            "tab": "filings",
            "ancestors": sel.ancestors(org),
            "year": year,
            "years": range(datetime.date.today().year, datetime.date.today().year - 5, -1),
            "page": paginate(request, sel.org_filings(org, year), 25),
        },
    )
