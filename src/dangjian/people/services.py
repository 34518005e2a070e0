"""Writes on people: create, update, transfer between organisations."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.orgs.models import Organization
from dangjian.orgs.services import UNSET, diff, ensure_can_administer, new_ext_id, snapshot
from dangjian.people.models import Person, Transfer

PERSON_FIELDS = [
    "ext_id",
    "name",
    "org",
    "status",
    "applied_on",
    "activist_on",
    "candidate_on",
    "joined_on",
    "full_on",
    "birth_date",
    "leading_cadre",
    "party_worker",
    "employment",
    "monthly_income",
    "probation_extended_to",
    "mobile",
    "hosted_by",
    "left_on",
]

# Fields a caller may set through person_create / person_update (org moves go through
# person_transfer so the membership history stays right).
EDITABLE_PERSON_FIELDS = [f for f in PERSON_FIELDS if f not in ("ext_id", "org")]


@transaction.atomic
def person_create(
    *,
    name: str,
    org: Organization,
    status: str,
    ext_id: str | None = None,
    actor: Actor,
    **fields: Any,
) -> Person:
    """Create a person in `org`. Extra keywords are any of EDITABLE_PERSON_FIELDS."""
    ensure_can_administer(actor, org)
    unknown = set(fields) - set(EDITABLE_PERSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    person = Person(ext_id=ext_id or new_ext_id("person"), name=name, org=org, status=status)
    for key, value in fields.items():
        setattr(person, key, value)
    person.full_clean()
    person.save()
    audit_record(
        actor=actor,
        action="create",
        object_type="person",
        object_id=str(person.pk),
        changes={"after": snapshot(person, PERSON_FIELDS)},
    )
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    name: str = UNSET,
    status: str = UNSET,
    applied_on: datetime.date | None = UNSET,
    activist_on: datetime.date | None = UNSET,
    candidate_on: datetime.date | None = UNSET,
    joined_on: datetime.date | None = UNSET,
    full_on: datetime.date | None = UNSET,
    birth_date: datetime.date | None = UNSET,
    leading_cadre: bool = UNSET,
    party_worker: str | None = UNSET,
    employment: str = UNSET,
    monthly_income: Decimal | None = UNSET,
    probation_extended_to: datetime.date | None = UNSET,
    mobile: bool = UNSET,
    hosted_by: Organization | None = UNSET,
    left_on: datetime.date | None = UNSET,
    actor: Actor,
) -> Person:
    """Change a person's details (not their organisation: see person_transfer)."""
    ensure_can_administer(actor, person.org)
    before = snapshot(person, PERSON_FIELDS)
    changes = {
        "name": name,
        "status": status,
        "applied_on": applied_on,
        "activist_on": activist_on,
        "candidate_on": candidate_on,
        "joined_on": joined_on,
        "full_on": full_on,
        "birth_date": birth_date,
        "leading_cadre": leading_cadre,
        "party_worker": party_worker,
        "employment": employment,
        "monthly_income": monthly_income,
        "probation_extended_to": probation_extended_to,
        "mobile": mobile,
        "hosted_by": hosted_by,
        "left_on": left_on,
    }
    for key, value in changes.items():
        if value is not UNSET:
            setattr(person, key, value)
    person.full_clean()
    person.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="person",
        object_id=str(person.pk),
        changes=diff(before, snapshot(person, PERSON_FIELDS)),
    )
    return person


@transaction.atomic
def person_transfer(
    *,
    person: Person,
    to_org: Organization,
    date: datetime.date,
    letter: str = "",
    actor: Actor,
) -> Transfer:
    """Move a person's membership to `to_org` from `date`, keeping the transfer record.

    The actor must administer both the organisation left and the one joined.
    """
    ensure_can_administer(actor, person.org)
    ensure_can_administer(actor, to_org)
    if to_org.pk == person.org_id:
        raise ValidationError({"to_org": "转入组织与当前所在组织相同"})
    transfer = Transfer(person=person, from_org=person.org, to_org=to_org, date=date, letter=letter)
    transfer.full_clean()
    transfer.save()
    before_org = person.org_id
    person.org = to_org
    person.save(update_fields=["org"])
    audit_record(
        actor=actor,
        action="transfer",
        object_type="person",
        object_id=str(person.pk),
        changes={
            "before": {"org": before_org},
            "after": {"org": to_org.pk},
            "date": date.isoformat(),
            "letter": letter,
        },
    )
    return transfer
