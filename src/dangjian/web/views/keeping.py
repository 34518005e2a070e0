"""Keeping records in the app: the roster and members, the leadership team and
elections, transfers, and the organisation tree. Every write is one service call;
a refused write changes nothing and the form keeps what was typed."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dangjian.access import selectors as access
from dangjian.core.concurrency import version_token
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Organization, Position
from dangjian.people import services
from dangjian.people.models import Person, PersonStatus
from dangjian.web import selectors as sel
from dangjian.web import selectors_keeping as keep
from dangjian.web import versions as ver
from dangjian.web.forms import add_service_errors
from dangjian.web.forms_keeping import (
    AppointForm,
    ElectionForm,
    EndPostForm,
    LeaveForm,
    OrgCreateForm,
    OrgDissolveForm,
    OrgMoveForm,
    OrgRenameForm,
    PersonForm,
    TransferInForm,
    TransferIssueForm,
    TransferOutForm,
)
from dangjian.web.views.common import actor_of, administered_org, paginate, visible_person


def _administered_person(request: HttpRequest, pk: int) -> Person:
    person = visible_person(request, pk)
    if not access.can_administer(request.user, person.org):
        raise PermissionDenied("只有本组织的管理员可以修改党员信息")
    return person


def _run(request: HttpRequest, form: Any, fn: Any, **kwargs: Any) -> Any:
    """Call a service; its refusal goes onto the form (nothing was written)."""
    try:
        return fn(actor=actor_of(request), **kwargs)
    except ValidationError as e:
        add_service_errors(form, e)
    except PermissionDenied as e:
        form.add_error(None, str(e) or "没有权限")
    return None


# ---------------------------------------------------------------- roster and members


@login_required
def members(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if status not in PersonStatus.values:
        status = ""
    flag = request.GET.get("flag", "")
    left = request.GET.get("left", "current")
    if left not in keep.LEFT_FILTERS:
        left = "current"
    page = paginate(request, keep.roster(org, q=q, status=status, flag=flag, left=left), 50)
    context = {
        "org": org,
        "tab": "members",
        "ancestors": sel.ancestors(org),
        "page": page,
        "q": q,
        "status": status,
        "statuses": PersonStatus.choices,
        "flag": flag,
        "flags": [
            ("leading_cadre", "党员领导干部"),
            ("party_worker", "党务工作人员"),
            ("mobile", "流动党员"),
        ],
        "left": left,
        "lefts": list(keep.LEFT_FILTERS.items()),
    }
    return render(request, "web/keeping/members.html", context)


FLAGS = [
    ("leading_cadre", "党员领导干部"),
    ("party_worker", "党务工作人员"),
    ("mobile", "流动党员"),
]


def _hosts(request: HttpRequest) -> Any:
    return access.orgs_visible(request.user).order_by("path")


@login_required
def member_new(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    if request.method == "POST":
        form = PersonForm(request.POST, hosts=_hosts(request))
        if form.is_valid():
            values = form.values()
            person = _run(
                request,
                form,
                services.person_create,
                org=org,
                **values,
            )
            if person is not None:
                messages.success(request, f"已添加 {person.name}")
                return redirect("web:person", pk=person.pk)
    else:
        form = PersonForm(
            hosts=_hosts(request), initial={"status": "full", "employment": "in_service"}
        )
    context = {"org": org, "form": form, "title": "添加党员", "ancestors": sel.ancestors(org)}
    return render(request, "web/keeping/person_form.html", context)


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _administered_person(request, pk)
    if request.method == "POST":
        form = PersonForm(request.POST, hosts=_hosts(request))
        if form.is_valid():
            values = form.values()
            with transaction.atomic():
                current = ver.locked(Person, person.pk)
                saved = form.check_version(ver.person_snapshot(current)) and _run(
                    request, form, services.person_update, person=current, **values
                )
            if saved:
                messages.success(request, f"已保存 {person.name} 的信息")
                return redirect("web:person", pk=person.pk)
            person.refresh_from_db()
    else:
        form = PersonForm(hosts=_hosts(request), initial=ver.person_initial(person))
        form.set_version(ver.person_snapshot(person))
    context = {
        "org": person.org,
        "person": person,
        "form": form,
        "title": f"修改 {person.name} 的信息",
        "history": keep.history_rows("person", person.pk, Person),
    }
    return render(request, "web/keeping/person_form.html", context)


@login_required
def person_leave(request: HttpRequest, pk: int) -> HttpResponse:
    person = _administered_person(request, pk)
    if request.method == "POST":
        form = LeaveForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                current = ver.locked(Person, person.pk)
                done = form.check_version(ver.person_left_snapshot(current)) and _run(
                    request,
                    form,
                    services.person_mark_left,
                    person=current,
                    on=form.cleaned_data["date"],
                    reason=form.cleaned_data["reason"],
                )
            if done:
                messages.success(request, f"已登记 {person.name} 离开，记录保留")
                return redirect("web:person", pk=person.pk)
            person.refresh_from_db()
    else:
        form = LeaveForm(initial={"date": datetime.date.today()})
        form.set_version(ver.person_left_snapshot(person))
    return render(request, "web/keeping/person_leave.html", {"person": person, "form": form})


# ---------------------------------------------------------------- leadership and elections


@login_required
def leadership(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    today = datetime.date.today()
    people = keep.appointable(org)
    form = AppointForm(people=people, initial={"start": today})
    if request.method == "POST":
        form = AppointForm(request.POST, people=people)
        if form.is_valid():
            post = _run(request, form, services.position_appoint, org=org, **form.cleaned_data)
            if post is not None:
                messages.success(request, f"已任命 {post.person.name} 为{post.get_role_display()}")
                return redirect("web:leadership", pk=org.pk)
    context = {
        "org": org,
        "tab": "leadership",
        "ancestors": sel.ancestors(org),
        "positions": [
            (p, version_token(ver.position_snapshot(p))) for p in keep.leadership(org, today)
        ],
        "past": keep.past_posts(org, today),
        "term": sel.current_term(org),
        "form": form,
        "end_form": EndPostForm(initial={"end": today}),
    }
    return render(request, "web/keeping/leadership.html", context)


@login_required
@require_POST
def position_end(request: HttpRequest, pk: int) -> HttpResponse:
    position = get_object_or_404(
        Position.objects.select_related("org", "person").filter(
            org__in=access.orgs_visible(request.user)
        ),
        pk=pk,
    )
    org = administered_org(request, position.org_id)
    form = EndPostForm(request.POST)
    if form.is_valid():
        end = form.cleaned_data["end"]
        with transaction.atomic():
            current = ver.locked(Position, position.pk)
            done = form.check_version(ver.position_snapshot(current)) and _run(
                request, form, services.position_end, position=current, end=end
            )
        if done:
            messages.success(request, f"{position.person.name} 已免去{position.get_role_display()}")
            return redirect("web:leadership", pk=org.pk)
        if form.conflict:
            # The form is a line of the leadership page: the message keeps what was typed.
            messages.error(
                request,
                f"{position.person.name}的职务未变：{form.conflict}。你填写的离任日期"
                f"为 {end:%Y-%m-%d}，请核对后重新提交。",
            )
            return redirect("web:leadership", pk=org.pk)
    errors = [
        f"离任日期：{e}" if f == "end" else str(e) for f, es in form.errors.items() for e in es
    ]
    messages.error(request, f"{position.person.name}的职务未变：" + "；".join(errors))
    return redirect("web:leadership", pk=org.pk)


@login_required
def election_new(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    people = keep.appointable(org)
    if request.method == "POST":
        form = ElectionForm(request.POST, people=people)
        if form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                current = ver.locked(Organization, org.pk)
                term = form.check_version(
                    ver.leadership_snapshot(current, datetime.date.today())
                ) and _run(
                    request,
                    form,
                    services.election_record,
                    org=current,
                    elected_on=data["elected_on"],
                    years=data["years"],
                    committee=data["committee"],
                )
            if term:
                due = org_services.next_election(term)
                messages.success(request, f"已登记换届，下次换届：{due:%Y-%m-%d}")
                return redirect("web:leadership", pk=org.pk)
    else:
        initial: dict[str, Any] = {"elected_on": datetime.date.today(), "years": 3}
        for i, p in enumerate(keep.leadership(org, datetime.date.today())[:9]):
            if p.role != "cell_leader":
                initial[f"person_{i}"], initial[f"role_{i}"] = p.person_id, p.role
        form = ElectionForm(people=people, initial=initial)
        form.set_version(ver.leadership_snapshot(org, datetime.date.today()))
    context = {
        "org": org,
        "form": form,
        "term": sel.current_term(org),
        "ancestors": sel.ancestors(org),
    }
    return render(request, "web/keeping/election_form.html", context)


# ---------------------------------------------------------------- transfers


@login_required
def transfers(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    today = datetime.date.today()
    people = keep.appointable(org)
    targets = keep.transfer_targets(org, today)
    issue = TransferIssueForm(people=people, targets=targets, initial={"date": today})
    out = TransferOutForm(people=people, initial={"date": today})
    incoming = TransferInForm(initial={"date": today})
    if request.method == "POST":
        kind = request.POST.get("kind")
        if kind == "issue":
            issue = TransferIssueForm(request.POST, people=people, targets=targets)
            if issue.is_valid() and _run(
                request, issue, services.transfer_issue, **issue.cleaned_data
            ):
                messages.success(request, "已开具转接，待转入方接收后生效")
                return redirect("web:transfers", pk=org.pk)
        elif kind == "out":
            out = TransferOutForm(request.POST, people=people)
            if out.is_valid() and _run(
                request, out, services.transfer_out_external, **out.cleaned_data
            ):
                messages.success(request, "已办理转出本系统")
                return redirect("web:transfers", pk=org.pk)
        elif kind == "in":
            incoming = TransferInForm(request.POST)
            if incoming.is_valid():
                data = dict(incoming.cleaned_data)
                if _run(request, incoming, services.transfer_in_external, to_org=org, **data):
                    messages.success(request, f"已接收 {data['name']} 从系统外转入")
                    return redirect("web:transfers", pk=org.pk)
    context = {
        "org": org,
        "tab": "transfers",
        "ancestors": sel.ancestors(org),
        "lists": keep.org_transfers(org),
        "issue": issue,
        "out": out,
        "incoming": incoming,
    }
    return render(request, "web/keeping/transfers.html", context)


def _transfer_request(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(keep.transfer_requests(request.user), pk=pk)


@login_required
@require_POST
def transfer_accept(request: HttpRequest, pk: int) -> HttpResponse:
    pending = _transfer_request(request, pk)
    back = request.POST.get("org") or pending.to_org_id
    try:
        services.transfer_accept(request=pending, actor=actor_of(request))
    except ValidationError as e:
        messages.error(request, "未接收：" + "；".join(e.messages))
    else:
        messages.success(
            request, f"已接收 {pending.person.name}，自 {pending.date:%Y-%m-%d} 起转入"
        )
    return redirect("web:transfers", pk=int(back))


@login_required
@require_POST
def transfer_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    pending = _transfer_request(request, pk)
    back = request.POST.get("org") or pending.from_org_id
    try:
        services.transfer_cancel(request=pending, actor=actor_of(request))
    except ValidationError as e:
        messages.error(request, "；".join(e.messages))
    else:
        messages.success(request, "已撤回（退回）该转接")
    return redirect("web:transfers", pk=int(back))


# ---------------------------------------------------------------- organisation tree


@login_required
def org_tree(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    roots = keep.org_tree(request.user, q)
    return render(request, "web/keeping/org_tree.html", {"roots": roots, "q": q})


@login_required
def org_manage(request: HttpRequest, pk: int) -> HttpResponse:
    org = administered_org(request, pk)
    parents = access.orgs_administered(request.user).exclude(path__startswith=org.path)
    parents = parents.filter(dissolved__isnull=True).order_by("path")
    forms: dict[str, Any] = {
        "create": OrgCreateForm(),
        "rename": OrgRenameForm(initial={"name": org.name}),
        "move": OrgMoveForm(parents=parents, initial={"parent": org.parent_id}),
        "dissolve": OrgDissolveForm(initial={"date": datetime.date.today()}),
    }
    for name in ("rename", "move", "dissolve"):
        forms[name].set_version(ver.org_snapshot(org))
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        done: Any = None
        form: Any
        if kind == "create":
            form = forms["create"] = OrgCreateForm(request.POST)
            if form.is_valid():
                done = _run(request, form, org_services.org_create, parent=org, **form.cleaned_data)
        elif kind in ("rename", "move", "dissolve"):
            if kind == "rename":
                form = forms[kind] = OrgRenameForm(request.POST)
            elif kind == "move":
                form = forms[kind] = OrgMoveForm(request.POST, parents=parents)
            else:
                form = forms[kind] = OrgDissolveForm(request.POST)
            if form.is_valid():
                data = dict(form.cleaned_data)
                data.pop("version", None)
                with transaction.atomic():
                    current = ver.locked(Organization, org.pk)
                    if form.check_version(ver.org_snapshot(current)):
                        if kind == "dissolve":
                            data = {"on": data["date"]}
                        write = {
                            "rename": org_services.org_rename,
                            "move": org_services.org_move,
                            "dissolve": org_services.org_dissolve,
                        }[kind]
                        done = _run(request, form, write, org=current, **data)
        if done is not None:
            messages.success(request, "已保存")
            target = done if kind == "create" else org
            return redirect("web:org_manage", pk=target.pk)
        org.refresh_from_db()
    context = {
        "org": org,
        "tab": "manage",
        "ancestors": sel.ancestors(org),
        "forms": forms,
        "children": sel.children_with_counts(org),
        "history": keep.history_rows("organization", org.pk, Organization),
    }
    return render(request, "web/keeping/org_manage.html", context)
