"""Writes for 三级责任清单: draft a year's list of duties, then file it. Filing records the
year's `responsibility_list` Filing, the one record the filing rules count."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.writes import audited_create, ensure_can_administer
from dangjian.orgs.models import Organization
from dangjian.oversight.models import (
    RESPONSIBILITY_TYPES,
    ResponsibilityItem,
    ResponsibilityList,
)
from dangjian.people.models import Person
from dangjian.records.models import FilingKind
from dangjian.records.services import filing_record


@dataclass(frozen=True)
class ItemInput:
    task: str
    responsible: Person | None = None
    responsible_name: str = ""
    due_on: datetime.date | None = None
    rules: tuple[str, ...] = ()


def _items_state(lst: ResponsibilityList) -> list[dict[str, object]]:
    return [
        {
            "task": i.task,
            "responsible": i.responsible_id,
            "responsible_name": i.responsible_name,
            "due_on": i.due_on.isoformat() if i.due_on else None,
            "rules": list(i.rules),
        }
        for i in lst.items.all()
    ]


@transaction.atomic
def responsibility_list_save(
    *,
    org: Organization,
    year: int,
    items: Sequence[ItemInput],
    known_rules: set[str] | None = None,
    actor: Actor,
) -> ResponsibilityList:
    """Create or replace the items of `org`'s list for `year` (a filed list may be revised;
    its filing stands)."""
    ensure_can_administer(actor, org)
    if org.type not in RESPONSIBILITY_TYPES:
        raise ValidationError({"org": f"{org.name}（{org.get_type_display()}）不制定责任清单"})
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": "年度不正确"})
    for n, item in enumerate(items, start=1):
        if not item.task.strip():
            raise ValidationError({"items": f"第{n}项：请填写责任事项"})
        if item.responsible is None and not item.responsible_name.strip():
            raise ValidationError({"items": f"第{n}项：请填写责任人"})
        if item.responsible is not None and not item.responsible.org.path.startswith(org.path):
            raise ValidationError({"items": f"第{n}项：责任人不是本组织的党员"})
        if item.due_on is not None and item.due_on.year not in (year, year + 1):
            raise ValidationError({"items": f"第{n}项：完成时限应在{year}年度内"})
        unknown = [r for r in item.rules if known_rules is not None and r not in known_rules]
        if unknown:
            raise ValidationError({"items": f"第{n}项：未知规则 {'、'.join(unknown)}"})
    lst = ResponsibilityList.objects.select_for_update().filter(org=org, year=year).first()
    if lst is None:
        lst = ResponsibilityList(org=org, year=year)
        audited_create(
            obj=lst, fields=["org", "year"], object_type="responsibility_list", actor=actor
        )
        before: list[dict[str, object]] = []
    else:
        before = _items_state(lst)
        lst.items.all().delete()
    ResponsibilityItem.objects.bulk_create(
        [
            ResponsibilityItem(
                checklist=lst,
                position=n,
                task=i.task.strip(),
                responsible=i.responsible,
                responsible_name=i.responsible_name.strip(),
                due_on=i.due_on,
                rules=list(i.rules),
            )
            for n, i in enumerate(items, start=1)
        ]
    )
    audit_record(
        actor=actor,
        action="update",
        object_type="responsibility_list",
        object_id=str(lst.pk),
        changes={"before": {"items": before}, "after": {"items": _items_state(lst)}},
    )
    return lst


@transaction.atomic
def responsibility_list_file(
    *, responsibility_list: ResponsibilityList, on: datetime.date, actor: Actor
) -> ResponsibilityList:
    """File (报送) the list on `on`: records the year's 责任清单 filing."""
    lst = (
        ResponsibilityList.objects.select_for_update()
        .select_related("org")
        .get(pk=responsibility_list.pk)
    )
    ensure_can_administer(actor, lst.org)
    if lst.filing_id is not None:
        raise ValidationError({"on": "该责任清单已报送"})
    if not lst.items.exists():
        raise ValidationError({"items": "责任清单还没有事项，不能报送"})
    if on.year < lst.year:
        raise ValidationError({"on": f"报送日期不能早于{lst.year}年"})
    filing = filing_record(
        org=lst.org,
        kind=FilingKind.RESPONSIBILITY_LIST,
        date=on,
        period=str(lst.year),
        actor=actor,
    )
    lst.filing = filing
    lst.save(update_fields=["filing"])
    audit_record(
        actor=actor,
        action="update",
        object_type="responsibility_list",
        object_id=str(lst.pk),
        changes={"step": "file", "after": {"filing": filing.ext_id, "on": on.isoformat()}},
    )
    responsibility_list.refresh_from_db()
    return lst
