"""The 三级责任清单 page: draft or revise an organisation's list of duties for a year, file
it (which records the year's 责任清单 filing), and export it."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dangjian.core.concurrency import VersionedForm
from dangjian.orgs.models import Organization
from dangjian.oversight import responsibility as services
from dangjian.oversight import selectors as osel
from dangjian.oversight.exports import responsibility_workbook
from dangjian.oversight.models import (
    RESPONSIBILITY_TYPES,
    ResponsibilityItem,
    ResponsibilityList,
)
from dangjian.people.models import Person
from dangjian.web import page_findings
from dangjian.web import selectors as sel
from dangjian.web.forms import BootstrapMixin, DateInput, add_service_errors
from dangjian.web.views.common import actor_of, administered_org, year_param

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BLANK_ROWS = 3


class _Conflict(Exception):
    pass


class ListForm(BootstrapMixin, VersionedForm):
    """The list as a whole (its version); the items are ItemForm rows."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.style()


class ItemForm(BootstrapMixin, forms.Form):
    task = forms.CharField(label="责任事项", max_length=300, required=False)
    responsible = forms.TypedChoiceField(
        label="责任人", coerce=int, required=False, empty_value=None
    )
    responsible_name = forms.CharField(label="责任人职务/姓名", max_length=100, required=False)
    due_on = forms.DateField(label="完成时限", widget=DateInput(), required=False)
    rules = forms.CharField(
        label="对应规则",
        max_length=500,
        required=False,
        help_text="规则编号，多个用逗号分隔；落实情况取自该规则的检查结果",
    )

    def __init__(self, *args: Any, people: list[tuple[Any, str]], **kw: Any) -> None:
        super().__init__(*args, **kw)
        # one list of members for every row (not a query per row)
        self.fields["responsible"].choices = people  # type: ignore[attr-defined]
        self.style()

    def clean_rules(self) -> list[str]:
        raw = str(self.cleaned_data.get("rules") or "")
        return [r.strip() for r in raw.replace("，", ",").split(",") if r.strip()]


def _state(lst: ResponsibilityList | None) -> dict[str, Any]:
    if lst is None:
        return {"items": []}
    return {"items": services._items_state(lst)}


def _item_forms(
    request: HttpRequest,
    items: list[ResponsibilityItem],
    people: list[tuple[Any, str]],
) -> list[ItemForm]:
    if request.method == "POST":
        count = min(int(request.POST.get("rows", "0") or 0), 200)
        return [ItemForm(request.POST, people=people, prefix=f"i{n}") for n in range(count)]
    rows: list[dict[str, Any]] = [
        {
            "task": i.task,
            "responsible": i.responsible_id,
            "responsible_name": i.responsible_name,
            "due_on": i.due_on,
            "rules": ", ".join(i.rules),
        }
        for i in items
    ]
    rows += [{}] * BLANK_ROWS
    return [ItemForm(initial=row, people=people, prefix=f"i{n}") for n, row in enumerate(rows)]


def _known_rules(org: Organization) -> set[str]:
    return set(page_findings.pack_rules(page_findings.pack_id_for(org)))


@login_required
def responsibility_list(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    year = year_param(request)
    lst = (
        ResponsibilityList.objects.filter(org=org, year=year)
        .select_related("org", "filing")
        .first()
    )
    members = Person.objects.filter(org__path__startswith=org.path, left_on__isnull=True)
    by_pk = {p.pk: p for p in members.order_by("name")}
    people: list[tuple[Any, str]] = [("", "（选择）")] + [(pk, p.name) for pk, p in by_pk.items()]
    items = osel.responsibility_items(lst) if lst is not None else []
    can_have = org.type in RESPONSIBILITY_TYPES
    item_forms = _item_forms(request, items, people)
    form = ListForm(request.POST if request.method == "POST" else None)
    file_error = ""
    if request.method == "POST" and can_have:
        action = request.POST.get("action", "save")
        if action == "file" and lst is not None:
            try:
                services.responsibility_list_file(
                    responsibility_list=lst, on=datetime.date.today(), actor=actor_of(request)
                )
            except ValidationError as e:
                file_error = "；".join(e.messages)
            else:
                messages.success(request, "责任清单已报送")
                return redirect(f"{request.path}?year={year}")
        elif action == "save" and form.is_valid() and all(f.is_valid() for f in item_forms):
            entered = [
                services.ItemInput(
                    task=f.cleaned_data["task"],
                    responsible=by_pk.get(f.cleaned_data["responsible"] or 0),
                    responsible_name=f.cleaned_data["responsible_name"],
                    due_on=f.cleaned_data["due_on"],
                    rules=tuple(f.cleaned_data["rules"]),
                )
                for f in item_forms
                if f.cleaned_data.get("task") or f.cleaned_data.get("responsible_name")
            ]
            try:
                with transaction.atomic():
                    current = (
                        ResponsibilityList.objects.select_for_update()
                        .filter(org=org, year=year)
                        .first()
                    )
                    if not form.check_version(_state(current)):
                        raise _Conflict
                    services.responsibility_list_save(
                        org=org,
                        year=year,
                        items=entered,
                        known_rules=_known_rules(org),
                        actor=actor_of(request),
                    )
            except _Conflict:
                pass
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, "责任清单已保存")
                return redirect(f"{request.path}?year={year}")
    else:
        form.set_version(_state(lst))
    statuses = osel.responsibility_item_statuses(lst, items) if lst is not None else {}
    return render(
        request,
        "web/responsibility/page.html",
        {
            "org": org,
            "ancestors": sel.ancestors(org),
            "tab": "responsibility",
            "year": year,
            "lst": lst,
            "items": [(i, statuses[i.pk]) for i in items],
            "form": form,
            "item_forms": item_forms,
            "can_have": can_have,
            "file_error": file_error,
        },
    )


@login_required
def responsibility_export(request: HttpRequest, org_pk: int) -> HttpResponse:
    org = administered_org(request, org_pk)
    year = year_param(request)
    lst = (
        ResponsibilityList.objects.filter(org=org, year=year)
        .select_related("org", "filing")
        .first()
    )
    if lst is None:
        lst = ResponsibilityList(org=org, year=year)
        body = responsibility_workbook(lst, {}, items=[])
    else:
        items = osel.responsibility_items(lst)
        body = responsibility_workbook(lst, osel.responsibility_item_statuses(lst, items), items)
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="responsibility-{org.pk}-{year}.xlsx"'
    return response
