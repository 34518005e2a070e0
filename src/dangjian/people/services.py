"""Writes on people, their posts, elections and transfers.

Every service is keyword-only, runs in one transaction with its audit entry and
refuses an edit that would break a rule of the data with a Chinese message naming
the field. People with history are never deleted: they are marked as left.

Transfers keep history where it happened: a person belongs to a transfer's `to`
from its date and to the first transfer's `from` before it (the engine reads
`Transfer` rows by month), so a member moved on 1 July counts January–June in the
first organisation and July–December in the second. Within the system a transfer
is first a `TransferRequest` (pending, seen by both sides); only accepting it
writes the `Transfer` and moves the person.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.writes import (
    UNSET,
    apply_changes,
    audited_delete,
    audited_save,
    diff,
    ensure_can_administer,
    new_ext_id,
    snapshot,
)
from dangjian.orgs.models import Organization, Position, PositionRole, Term
from dangjian.orgs.services import TERM_FIELDS, ensure_open
from dangjian.people.models import (
    MEMBER_STATUSES,
    PERSON_RECORD_FIELDS,
    LeftReason,
    Person,
    Transfer,
    TransferRequest,
    TransferStatus,
)

PERSON_FIELDS = ["ext_id", *PERSON_RECORD_FIELDS]

# Fields a caller may set through person_create / person_update (org moves go through
# transfers so the membership history stays right).
EDITABLE_PERSON_FIELDS = [f for f in PERSON_FIELDS if f not in ("ext_id", "org")]

_MILESTONES = [
    ("applied_on", "递交入党申请日期"),
    ("activist_on", "确定为积极分子日期"),
    ("candidate_on", "确定为发展对象日期"),
    ("joined_on", "入党日期"),
    ("full_on", "转正日期"),
]


def check_person(person: Person) -> None:
    """The rules of a person's record beyond the model's own validation."""
    errors: dict[str, str] = {}
    previous: tuple[str, str, datetime.date] | None = None
    for field, label in _MILESTONES:
        value = getattr(person, field)
        if value is None:
            continue
        if previous is not None and value < previous[2]:
            errors[field] = f"{label}不能早于{previous[1]}"
        previous = (field, label, value)
    if person.status in MEMBER_STATUSES and person.joined_on is None and person.pk is None:
        errors.setdefault("joined_on", "党员须填写入党日期")
    if person.status == "full" and person.joined_on and not person.full_on and person.pk is None:
        errors.setdefault("full_on", "正式党员须填写转正日期")
    if person.left_on is not None and not person.left_reason:
        errors["left_reason"] = "请选择离开原因"
    if person.left_on is None and person.left_reason:
        errors["left_on"] = "填写了离开原因，请同时填写离开日期"
    if person.hosted_by_id is not None and not person.mobile:
        errors["hosted_by"] = "只有流动党员才有流入地党组织"
    if person.hosted_by_id is not None and person.hosted_by_id == person.org_id:
        errors["hosted_by"] = "流入地党组织不能是本人所在党组织"
    if errors:
        raise ValidationError(errors)


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
    ensure_open(org, None, "org")
    unknown = set(fields) - set(EDITABLE_PERSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    person = Person(
        ext_id=ext_id or new_ext_id("person"), name=name.strip(), org=org, status=status
    )
    for key, value in fields.items():
        setattr(person, key, value)
    check_person(person)
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
    left_reason: str = UNSET,
    actor: Actor,
) -> Person:
    """Change a person's details (not their organisation: see the transfer services)."""
    ensure_can_administer(actor, person.org)
    before = snapshot(person, PERSON_FIELDS)
    apply_changes(
        person,
        {
            "name": name.strip() if isinstance(name, str) else name,
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
            "left_reason": left_reason,
        },
    )
    if mobile is False and hosted_by is UNSET:
        person.hosted_by = None
    check_person(person)
    person.full_clean()
    audited_save(obj=person, before=before, fields=PERSON_FIELDS, object_type="person", actor=actor)
    return person


def _end_open_posts(person: Person, on: datetime.date) -> int:
    return Position.objects.filter(
        Q(end__isnull=True) | Q(end__gt=on), person=person, start__lte=on
    ).update(end=on)


@transaction.atomic
def person_mark_left(*, person: Person, on: datetime.date, reason: str, actor: Actor) -> Person:
    """Record that a person left (deceased, 出党, 除名 …) on a date; the record and its
    history stay, the posts still held end that day. Transfers out of the system
    go through `transfer_out_external` (with the letter number)."""
    ensure_can_administer(actor, person.org)
    if reason not in LeftReason.values:
        raise ValidationError({"left_reason": "请选择离开原因"})
    if person.left_on is not None:
        raise ValidationError({"left_on": f"{person.name} 已于 {person.left_on} 离开"})
    if TransferRequest.objects.filter(person=person, status=TransferStatus.PENDING).exists():
        raise ValidationError({"left_on": f"{person.name} 有待接收的组织关系转接，请先撤回"})
    if person.joined_on is not None and on < person.joined_on:
        raise ValidationError({"left_on": "离开日期不能早于入党日期"})
    before = snapshot(person, PERSON_FIELDS)
    person.left_on, person.left_reason = on, reason
    ended = _end_open_posts(person, on)
    audited_save(
        obj=person,
        before=before,
        fields=PERSON_FIELDS,
        object_type="person",
        actor=actor,
        action="leave",
        extra={"posts_ended": ended},
    )
    return person


# ---------------------------------------------------------------- posts

POSITION_FIELDS = ["person", "org", "role", "start", "end"]
LEADERSHIP_ROLES = (
    PositionRole.SECRETARY,
    PositionRole.DEPUTY_SECRETARY,
    PositionRole.COMMITTEE_MEMBER,
    PositionRole.DISCIPLINE_MEMBER,
)


def _check_position(position: Position) -> None:
    errors: dict[str, str] = {}
    if position.end is not None and position.start and position.end < position.start:
        errors["end"] = "离任日期不能早于任职日期"
    person, org = position.person, position.org
    if not person.org.path.startswith(org.path):
        errors["person"] = f"{person.name} 不是「{org.name}」的党员"
    elif person.status not in MEMBER_STATUSES:
        errors["person"] = f"{person.name} 还不是党员，不能任职"
    elif person.left_on is not None and position.start and person.left_on <= position.start:
        errors["person"] = f"{person.name} 已于 {person.left_on} 离开"
    if org.dissolved is not None and position.start and org.dissolved <= position.start:
        errors["org"] = f"党组织「{org.name}」已于 {org.dissolved} 撤销"
    if position.start and position.role in (PositionRole.SECRETARY, PositionRole.CELL_LEADER):
        clash = (
            Position.objects.filter(org=org, role=position.role)
            .filter(Q(end__isnull=True) | Q(end__gt=position.start))
            .exclude(pk=position.pk)
        )
        if position.end is not None:
            clash = clash.filter(start__lte=position.end)
        holder = clash.select_related("person").first()
        if holder is not None:
            errors["role"] = (
                f"「{org.name}」的{position.get_role_display()}由 {holder.person.name} 担任"
                f"（自 {holder.start}），请先免去"
            )
    same = Position.objects.filter(person=person, org=org, role=position.role).filter(
        Q(end__isnull=True) | Q(end__gt=position.start)
    )
    if position.end is not None:
        same = same.filter(start__lte=position.end)
    if position.start and same.exclude(pk=position.pk).exists():
        errors["role"] = f"{person.name} 在这段时间已担任该职务"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def position_appoint(
    *,
    person: Person,
    org: Organization,
    role: str,
    start: datetime.date,
    end: datetime.date | None = None,
    actor: Actor,
) -> Position:
    """Appoint `person` to `role` in `org` from `start` (to `end`, if already over)."""
    ensure_can_administer(actor, org)
    position = Position(person=person, org=org, role=role, start=start, end=end)
    if role not in PositionRole.values:
        raise ValidationError({"role": "请选择职务"})
    _check_position(position)
    position.full_clean()
    position.save()
    audit_record(
        actor=actor,
        action="create",
        object_type="position",
        object_id=str(position.pk),
        changes={"after": snapshot(position, POSITION_FIELDS)},
    )
    return position


@transaction.atomic
def position_update(
    *,
    position: Position,
    role: str = UNSET,
    start: datetime.date = UNSET,
    end: datetime.date | None = UNSET,
    actor: Actor,
) -> Position:
    """Change a post's dates or role; ending a post is `position_end`."""
    ensure_can_administer(actor, position.org)
    before = snapshot(position, POSITION_FIELDS)
    apply_changes(position, {"role": role, "start": start, "end": end})
    _check_position(position)
    audited_save(
        obj=position, before=before, fields=POSITION_FIELDS, object_type="position", actor=actor
    )
    return position


def position_end(*, position: Position, end: datetime.date, actor: Actor) -> Position:
    """End a post on a date (免职); a post cannot end before it starts."""
    if position.end is not None:
        raise ValidationError({"end": f"该职务已于 {position.end} 离任"})
    return position_update(position=position, end=end, actor=actor)


@transaction.atomic
def position_delete(*, position: Position, actor: Actor) -> None:
    """Remove a post recorded by mistake (ending one is `position_end`)."""
    ensure_can_administer(actor, position.org)
    audited_delete(obj=position, fields=POSITION_FIELDS, object_type="position", actor=actor)


# ---------------------------------------------------------------- elections


@transaction.atomic
def election_record(
    *,
    org: Organization,
    elected_on: datetime.date,
    years: int,
    committee: Sequence[tuple[Person, str]],
    actor: Actor,
) -> Term:
    """Record an election (换届): a term of `years` years from `elected_on`, and the new
    committee. The leadership posts held before end that day and the new ones start
    that day; the next election falls due `years` years later."""
    ensure_can_administer(actor, org)
    ensure_open(org, elected_on, "org")
    errors: dict[str, str] = {}
    if not committee:
        errors["committee"] = "请填写新一届委员会成员"
    roles = [role for _, role in committee]
    if any(role not in LEADERSHIP_ROLES for role in roles):
        errors["committee"] = "委员会成员的职务应为书记、副书记、委员或纪检委员"
    elif roles.count(PositionRole.SECRETARY) > 1:
        errors["committee"] = "新一届委员会只能有一名书记"
    people = [p.pk for p, _ in committee]
    if len(set(people)) != len(people):
        errors["committee"] = "同一人在新一届委员会中只能担任一个职务"
    later = Term.objects.filter(org=org, elected_on__gte=elected_on).aggregate(m=Max("elected_on"))
    if later["m"] is not None:
        errors["elected_on"] = f"已有 {later['m']} 的换届记录，换届日期应在其后"
    if years < 1:
        errors["years"] = "任期至少一年"
    if errors:
        raise ValidationError(errors)
    term = Term(org=org, elected_on=elected_on, years=years)
    term.full_clean()
    term.save()
    # A post of the new committee already recorded from that very day is kept as it is.
    same_day = {
        (p.person_id, p.role): p.pk
        for p in Position.objects.filter(
            org=org, role__in=LEADERSHIP_ROLES, start=elected_on, end__isnull=True
        )
    }
    kept = {same_day[(p.pk, r)] for p, r in committee if (p.pk, r) in same_day}
    # Old posts end the day of the election (no vacancy between old and new).
    old = Position.objects.filter(
        Q(end__isnull=True) | Q(end__gt=elected_on),
        org=org,
        role__in=LEADERSHIP_ROLES,
        start__lte=elected_on,
    ).exclude(pk__in=kept)
    ended = sorted(old.values_list("pk", flat=True))
    old.update(end=elected_on)
    new_posts = []
    for person, role in committee:
        if (person.pk, role) in same_day:
            continue
        position = Position(person=person, org=org, role=role, start=elected_on)
        _check_position(position)
        position.full_clean()
        new_posts.append(position)
    Position.objects.bulk_create(new_posts)
    audit_record(
        actor=actor,
        action="election",
        object_type="term",
        object_id=str(term.pk),
        changes={
            "after": snapshot(term, TERM_FIELDS),
            "committee": [{"person": p.pk, "role": r} for p, r in committee],
            "posts_ended": ended,
        },
    )
    audit_record(
        actor=actor,
        action="election",
        object_type="organization",
        object_id=str(org.pk),
        changes={"elected_on": elected_on.isoformat(), "years": years, "term": term.pk},
    )
    return term


# ---------------------------------------------------------------- transfers

REQUEST_FIELDS = ["person", "from_org", "to_org", "date", "letter", "status"]


def _last_transfer_date(person: Person) -> datetime.date | None:
    return Transfer.objects.filter(person=person).aggregate(m=Max("date"))["m"]  # type: ignore[no-any-return]


_ONE_ORG = "（同一时间只能属于一个党组织）"


def _check_transfer_date(person: Person, date: datetime.date) -> None:
    last = _last_transfer_date(person)
    if last is not None and date <= last:
        raise ValidationError(
            {"date": f"{person.name} 在 {last} 已有一次转接，转接日期应在其后" + _ONE_ORG}
        )
    if person.left_on is not None:
        raise ValidationError({"person": f"{person.name} 已于 {person.left_on} 离开"})


@transaction.atomic
def transfer_issue(
    *,
    person: Person,
    to_org: Organization,
    date: datetime.date,
    letter: str = "",
    actor: Actor,
) -> TransferRequest:
    """The sending side issues a transfer within the system; nothing moves until the
    receiving side accepts it. Both sides see it pending."""
    ensure_can_administer(actor, person.org)
    if to_org.pk == person.org_id:
        raise ValidationError({"to_org": "转入组织与当前所在组织相同"})
    ensure_open(to_org, date, "to_org")
    if TransferRequest.objects.filter(person=person, status=TransferStatus.PENDING).exists():
        raise ValidationError(
            {"person": f"{person.name} 已有一份待接收的转接，同一时间只能属于一个党组织"}
        )
    _check_transfer_date(person, date)
    request = TransferRequest(
        person=person, from_org=person.org, to_org=to_org, date=date, letter=letter.strip()
    )
    request.full_clean()
    request.save()
    audit_record(
        actor=actor,
        action="transfer_issue",
        object_type="person",
        object_id=str(person.pk),
        changes={"after": snapshot(request, REQUEST_FIELDS), "request": request.pk},
    )
    return request


def _pending(request: TransferRequest) -> None:
    if request.status != TransferStatus.PENDING:
        raise ValidationError({"status": f"该转接{request.get_status_display()}，不能再处理"})


@transaction.atomic
def transfer_accept(*, request: TransferRequest, actor: Actor) -> Transfer:
    """The receiving side accepts: the `Transfer` is written and the person moves;
    the months before its date stay with the sending organisation."""
    request = (
        TransferRequest.objects.select_for_update()
        .select_related("person", "from_org", "to_org")
        .get(pk=request.pk)
    )
    ensure_can_administer(actor, request.to_org)
    _pending(request)
    person = request.person
    ensure_open(request.to_org, request.date, "to_org")
    if person.org_id != request.from_org_id:
        raise ValidationError({"person": f"{person.name} 已不在「{request.from_org.name}」"})
    _check_transfer_date(person, request.date)
    transfer = Transfer(
        person=person,
        from_org=request.from_org,
        to_org=request.to_org,
        date=request.date,
        letter=request.letter,
    )
    transfer.full_clean()
    transfer.save()
    before = snapshot(person, PERSON_FIELDS)
    person.org = request.to_org
    person.save(update_fields=["org"])
    # Posts in the organisation left end the day before the transfer.
    leave_day = request.date - datetime.timedelta(days=1)
    Position.objects.filter(
        Q(end__isnull=True) | Q(end__gt=leave_day),
        person=person,
        org__path__startswith=request.from_org.path,
        start__lte=leave_day,
    ).update(end=leave_day)
    request.status = TransferStatus.ACCEPTED
    request.decided_at = timezone.now()
    request.transfer = transfer
    request.save(update_fields=["status", "decided_at", "transfer"])
    audit_record(
        actor=actor,
        action="transfer",
        object_type="person",
        object_id=str(person.pk),
        changes={
            **diff(before, snapshot(person, PERSON_FIELDS)),
            "date": request.date.isoformat(),
            "letter": request.letter,
            "request": request.pk,
        },
    )
    return transfer


@transaction.atomic
def transfer_cancel(*, request: TransferRequest, actor: Actor) -> TransferRequest:
    """The sending side withdraws a pending transfer, or the receiving side returns it."""
    request = (
        TransferRequest.objects.select_for_update()
        .select_related("from_org", "to_org")
        .get(pk=request.pk)
    )
    try:
        ensure_can_administer(actor, request.from_org)
        status = TransferStatus.CANCELLED
    except PermissionDenied:
        ensure_can_administer(actor, request.to_org)
        status = TransferStatus.REFUSED
    _pending(request)
    request.status = status
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    audit_record(
        actor=actor,
        action="transfer_" + str(status),
        object_type="person",
        object_id=str(request.person_id),
        changes={"request": request.pk},
    )
    return request


@transaction.atomic
def transfer_out_external(
    *,
    person: Person,
    date: datetime.date,
    letter: str,
    to_name: str = "",
    actor: Actor,
) -> Transfer:
    """Transfer a member to an organisation outside the system, with the letter number.
    From `date` they belong nowhere here; the person is marked as left (转出本系统)."""
    ensure_can_administer(actor, person.org)
    if not letter.strip():
        raise ValidationError({"letter": "转出本系统须填写介绍信编号"})
    if TransferRequest.objects.filter(person=person, status=TransferStatus.PENDING).exists():
        raise ValidationError({"person": f"{person.name} 有待接收的组织关系转接，请先撤回"})
    _check_transfer_date(person, date)
    transfer = Transfer(
        person=person,
        from_org=person.org,
        to_org=None,
        date=date,
        letter=letter.strip(),
        extra={"to_name": to_name.strip()} if to_name.strip() else {},
    )
    transfer.full_clean()
    transfer.save()
    before = snapshot(person, PERSON_FIELDS)
    person.left_on, person.left_reason = date, LeftReason.TRANSFERRED_OUT
    _end_open_posts(person, date - datetime.timedelta(days=1))
    audited_save(
        obj=person,
        before=before,
        fields=PERSON_FIELDS,
        object_type="person",
        actor=actor,
        action="transfer_out",
        extra={"date": date.isoformat(), "letter": transfer.letter, "to_name": to_name},
    )
    return transfer


@transaction.atomic
def transfer_in_external(
    *,
    to_org: Organization,
    date: datetime.date,
    letter: str,
    name: str,
    status: str,
    from_name: str = "",
    ext_id: str | None = None,
    actor: Actor,
    **fields: Any,
) -> Transfer:
    """Receive a member from outside the system with the letter number: the person is
    created in `to_org` and belongs to it from `date`."""
    ensure_can_administer(actor, to_org)
    ensure_open(to_org, date, "to_org")
    if not letter.strip():
        raise ValidationError({"letter": "从系统外转入须填写介绍信编号"})
    person = person_create(
        name=name, org=to_org, status=status, ext_id=ext_id, actor=actor, **fields
    )
    transfer = Transfer(
        person=person,
        from_org=None,
        to_org=to_org,
        date=date,
        letter=letter.strip(),
        extra={"from_name": from_name.strip()} if from_name.strip() else {},
    )
    transfer.full_clean()
    transfer.save()
    audit_record(
        actor=actor,
        action="transfer_in",
        object_type="person",
        object_id=str(person.pk),
        changes={"date": date.isoformat(), "letter": transfer.letter, "from_name": from_name},
    )
    return transfer


@transaction.atomic
def person_transfer(
    *,
    person: Person,
    to_org: Organization,
    date: datetime.date,
    letter: str = "",
    actor: Actor,
) -> Transfer:
    """Issue and accept at once, for an actor administering both sides (imports, CLI)."""
    request = transfer_issue(person=person, to_org=to_org, date=date, letter=letter, actor=actor)
    return transfer_accept(request=request, actor=actor)
