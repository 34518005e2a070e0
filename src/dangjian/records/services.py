"""Writes on records: activities with attendance, minutes and attachments; trainings; filings.

Single-record services shared by the web pages and the HTTP API. Each runs in one
transaction with its audit entry; updates store the changed fields before and after,
so a record's page can show its history.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.writes import (
    UNSET,
    audited_delete,
    diff,
    ensure_can_administer,
    new_ext_id,
    snapshot,
)
from dangjian.orgs.models import Organization
from dangjian.people.models import Person
from dangjian.records.models import (
    Absence,
    AbsenceReason,
    Activity,
    ActivityMinutes,
    Attachment,
    Attendance,
    Filing,
    Training,
)

ACTIVITY_FIELDS = [
    "ext_id",
    "org",
    "kind",
    "date",
    "title",
    "hours",
    "speaker",
    "subject_org",
    "subject_person",
]

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Leading bytes of the three accepted scan formats; the browser's claimed type is ignored.
_MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a file from its first bytes, if it is PDF, JPEG or PNG."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def _attendee_ids(activity: Activity) -> list[str]:
    return sorted(
        Attendance.objects.filter(activity=activity).values_list("person__ext_id", flat=True)
    )


def _absentee_state(activity: Activity) -> list[dict[str, Any]]:
    rows = Absence.objects.filter(activity=activity).values_list(
        "person__ext_id", "reason", "note", "made_up_on", "made_up_how"
    )
    out = []
    for ext, reason, note, made_up_on, how in sorted(rows):
        row: dict[str, Any] = {"person": ext, "reason": reason}
        if note:
            row["note"] = note
        if made_up_on is not None:
            row["made_up_on"] = made_up_on.isoformat()
        if how:
            row["made_up_how"] = how
        out.append(row)
    return out


def _activity_state(activity: Activity) -> dict[str, Any]:
    state = snapshot(activity, ACTIVITY_FIELDS)
    state["attendees"] = _attendee_ids(activity)
    state["absentees"] = _absentee_state(activity)
    minutes = ActivityMinutes.objects.filter(activity=activity).first()
    state["minutes"] = minutes.text if minutes else ""
    return state


def _set_attendees(activity: Activity, people: Iterable[Person]) -> None:
    wanted = {p.pk for p in people}
    current = set(Attendance.objects.filter(activity=activity).values_list("person_id", flat=True))
    Attendance.objects.filter(activity=activity, person_id__in=current - wanted).delete()
    Attendance.objects.bulk_create(
        [Attendance(activity=activity, person_id=pk) for pk in sorted(wanted - current)]
    )


@dataclass(frozen=True)
class AbsenceInput:
    """A member expected at the meeting who was absent, with the reason (缺席原因)."""

    person: Person
    reason: str
    note: str = ""
    # A make-up (补学) given with the absence; left UNSET, a recorded one is kept.
    made_up_on: datetime.date | None = UNSET
    made_up_how: str = UNSET


def _makeup_problem(day: datetime.date, made_up_on: Any, made_up_how: Any) -> str | None:
    if made_up_on is UNSET or made_up_on is None:
        if made_up_how not in (UNSET, "") and made_up_on is None:
            return "填写补学方式时须填写补学日期"
        return None
    if made_up_on < day:
        return "补学日期不能早于活动日期"
    if made_up_on > datetime.date.today():
        return "补学日期不能晚于今天"
    if made_up_how is not UNSET and len(made_up_how) > 200:
        return "补学方式不能超过 200 个字符"
    return None


def _check_absences(
    attendees: Iterable[Person] | None, absences: Iterable[AbsenceInput], day: datetime.date
) -> list[AbsenceInput]:
    """Absences with a valid reason, each person once and never also present."""
    present = {p.pk for p in attendees} if attendees is not None else set()
    seen: set[int] = set()
    errors = []
    out = []
    for a in absences:
        if a.reason not in AbsenceReason.values:
            errors.append(f"{a.person.name}：缺席原因无效")
        elif a.person.pk in present:
            errors.append(f"{a.person.name}：已登记为参加，不能同时登记缺席")
        elif a.person.pk in seen:
            errors.append(f"{a.person.name}：缺席登记重复")
        elif len(a.note) > 200:
            errors.append(f"{a.person.name}：缺席说明不能超过 200 个字符")
        elif (message := _makeup_problem(day, a.made_up_on, a.made_up_how)) is not None:
            errors.append(f"{a.person.name}：{message}")
        else:
            seen.add(a.person.pk)
            out.append(a)
    if errors:
        raise ValidationError({"absentees": errors})
    return out


def _set_absences(activity: Activity, absences: list[AbsenceInput]) -> None:
    """Replace the absences; a make-up already recorded for a person still absent stays."""
    wanted = {a.person.pk: a for a in absences}
    Absence.objects.filter(activity=activity).exclude(person_id__in=wanted).delete()
    current = {a.person_id: a for a in Absence.objects.filter(activity=activity)}
    fields = ["reason", "note", "made_up_on", "made_up_how"]
    changed = []
    new: list[Absence] = []
    for pk, a in sorted(wanted.items()):
        row = current.get(pk) or Absence(activity=activity, person_id=pk)
        before = tuple(getattr(row, f) for f in fields)
        row.reason, row.note = a.reason, a.note
        if a.made_up_on is not UNSET:
            row.made_up_on = a.made_up_on
            if a.made_up_on is None:
                row.made_up_how = ""
        if a.made_up_how is not UNSET and row.made_up_on is not None:
            row.made_up_how = a.made_up_how
        if row.pk is None:
            new.append(row)
        elif tuple(getattr(row, f) for f in fields) != before:
            changed.append(row)
    if changed:
        Absence.objects.bulk_update(changed, fields)
    Absence.objects.bulk_create(new)


def _set_minutes(activity: Activity, text: str) -> None:
    if text:
        ActivityMinutes.objects.update_or_create(activity=activity, defaults={"text": text})
    else:
        ActivityMinutes.objects.filter(activity=activity).delete()


def _check_attachments(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    """Check each upload's real type and size; raises ValidationError on `attachments`."""
    checked = []
    errors = []
    for upload in files:
        name = upload.name or "附件"
        size = upload.size or 0
        if size > MAX_ATTACHMENT_BYTES:
            errors.append(f"{name}：文件大小超过 10 MB")
            continue
        upload.seek(0)
        content_type = sniff_content_type(upload.read(16))
        upload.seek(0)
        if content_type is None:
            errors.append(f"{name}：只能上传 PDF、JPEG 或 PNG 格式的扫描件")
            continue
        checked.append((upload, content_type))
    if errors:
        raise ValidationError({"attachments": errors})
    return checked


def _save_attachments(
    activity: Activity, files: Sequence[UploadedFile], actor: Actor
) -> list[Attachment]:
    user = actor.user if actor.user is not None and actor.user.is_authenticated else None
    saved = []
    for upload, content_type in _check_attachments(files):
        attachment = Attachment(
            activity=activity,
            name=(upload.name or "附件")[-255:],
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=user,  # type: ignore[misc]
        )
        attachment.file.save(upload.name or "scan", upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved


@transaction.atomic
def activity_record(
    *,
    org: Organization,
    kind: str,
    date: datetime.date,
    attendees: Iterable[Person] = (),
    absentees: Iterable[AbsenceInput] = (),
    title: str = "",
    hours: Decimal | None = None,
    speaker: Person | None = None,
    subject_org: Organization | None = None,
    subject_person: Person | None = None,
    minutes: str = "",
    attachments: Sequence[UploadedFile] = (),
    ext_id: str | None = None,
    actor: Actor,
) -> Activity:
    """Record a meeting or other activity held by `org`, with who attended.

    `attachments` are scans of the minutes: PDF, JPEG or PNG by their content,
    at most 10 MB each. Raises ValidationError naming the field on bad input.
    """
    ensure_can_administer(actor, org)
    attendees = list(attendees)
    checked_absences = _check_absences(attendees, absentees, date)
    activity = Activity(
        ext_id=ext_id or new_ext_id("activity"),
        org=org,
        kind=kind,
        date=date,
        title=title,
        hours=hours,
        speaker=speaker,
        subject_org=subject_org,
        subject_person=subject_person,
    )
    activity.full_clean()
    _check_attachments(attachments)
    activity.save()
    _set_attendees(activity, attendees)
    _set_absences(activity, checked_absences)
    _set_minutes(activity, minutes)
    saved = _save_attachments(activity, attachments, actor)
    after = _activity_state(activity)
    after["attachments"] = [a.name for a in saved]
    audit_record(
        actor=actor,
        action="create",
        object_type="activity",
        object_id=str(activity.pk),
        changes={"after": after},
    )
    return activity


@transaction.atomic
def activity_update(
    *,
    activity: Activity,
    kind: str = UNSET,
    date: datetime.date = UNSET,
    title: str = UNSET,
    hours: Decimal | None = UNSET,
    speaker: Person | None = UNSET,
    subject_org: Organization | None = UNSET,
    subject_person: Person | None = UNSET,
    attendees: Iterable[Person] = UNSET,
    absentees: Iterable[AbsenceInput] = UNSET,
    minutes: str = UNSET,
    attachments: Sequence[UploadedFile] = (),
    actor: Actor,
) -> Activity:
    """Change an activity; only the keywords passed change. New attachments are added.

    The audit entry keeps the changed fields before and after (attendees by id).
    """
    ensure_can_administer(actor, activity.org)
    before = _activity_state(activity)
    if attendees is not UNSET:
        attendees = list(attendees)
    checked_absences: list[AbsenceInput] | None = None
    if absentees is not UNSET:
        present = attendees if attendees is not UNSET else activity.attendees.all()
        day = date if date is not UNSET else activity.date
        checked_absences = _check_absences(present, absentees, day)
    elif attendees is not UNSET:
        # Someone now present is no longer absent.
        Absence.objects.filter(activity=activity, person__in=attendees).delete()
    for name, value in {
        "kind": kind,
        "date": date,
        "title": title,
        "hours": hours,
        "speaker": speaker,
        "subject_org": subject_org,
        "subject_person": subject_person,
    }.items():
        if value is not UNSET:
            setattr(activity, name, value)
    activity.full_clean()
    _check_attachments(attachments)
    activity.save()
    if attendees is not UNSET:
        _set_attendees(activity, attendees)
    if checked_absences is not None:
        _set_absences(activity, checked_absences)
    if Absence.objects.filter(activity=activity, made_up_on__lt=activity.date).exists():
        # the transaction is rolled back: nothing of this update is kept
        raise ValidationError({"date": "已登记的补学日期早于新的活动日期，请先修改补学记录"})
    if minutes is not UNSET:
        _set_minutes(activity, minutes)
    saved = _save_attachments(activity, attachments, actor)
    changes = diff(before, _activity_state(activity))
    if saved:
        changes["after"]["attachments"] = [a.name for a in saved]
    audit_record(
        actor=actor,
        action="update",
        object_type="activity",
        object_id=str(activity.pk),
        changes=changes,
    )
    return activity


@transaction.atomic
def absence_makeup_record(
    *,
    absence: Absence,
    made_up_on: datetime.date | None,
    made_up_how: str = "",
    actor: Actor,
) -> Absence:
    """Record (or with `made_up_on=None`, clear) an absent member's make-up (补学).

    The make-up is on or after the meeting's day and not in the future. Audited on
    the activity, so it shows in the activity's history.
    """
    activity = absence.activity
    ensure_can_administer(actor, activity.org)
    before = _activity_state(activity)
    made_up_how = made_up_how.strip() if made_up_on is not None else ""
    if made_up_on is not None and not made_up_how:
        raise ValidationError({"made_up_how": "请填写补学方式"})
    problem = _makeup_problem(activity.date, made_up_on, made_up_how)
    if problem is not None:
        field = "made_up_how" if "方式" in problem else "made_up_on"
        raise ValidationError({field: problem})
    absence.made_up_on = made_up_on
    absence.made_up_how = made_up_how
    absence.full_clean()
    absence.save(update_fields=["made_up_on", "made_up_how"])
    audit_record(
        actor=actor,
        action="update",
        object_type="activity",
        object_id=str(activity.pk),
        changes=diff(before, _activity_state(activity)),
    )
    return absence


@transaction.atomic
def activity_delete(*, activity: Activity, actor: Actor) -> None:
    """Delete an activity with its attendance, minutes and attachment files."""
    ensure_can_administer(actor, activity.org)
    before = _activity_state(activity)
    pk = activity.pk
    files = [a.file for a in Attachment.objects.filter(activity=activity)]
    activity.delete()
    audit_record(
        actor=actor,
        action="delete",
        object_type="activity",
        object_id=str(pk),
        changes={"before": before},
    )
    # Remove files only once the rows are gone for good.
    transaction.on_commit(lambda: [f.delete(save=False) for f in files])


@transaction.atomic
def attachment_delete(*, attachment: Attachment, actor: Actor) -> None:
    activity = attachment.activity
    ensure_can_administer(actor, activity.org)
    name, pk, file = attachment.name, attachment.pk, attachment.file
    attachment.delete()
    audit_record(
        actor=actor,
        action="update",
        object_type="activity",
        object_id=str(activity.pk),
        changes={"before": {"attachments": [name]}, "after": {"attachments": []}, "attachment": pk},
    )
    transaction.on_commit(lambda: file.delete(save=False))


TRAINING_FIELDS = ["ext_id", "person", "date", "hours", "kind", "title"]


@transaction.atomic
def training_record(
    *,
    person: Person,
    date: datetime.date,
    hours: Decimal,
    kind: str,
    title: str = "",
    ext_id: str | None = None,
    actor: Actor,
) -> Training:
    """Record study hours for one person."""
    ensure_can_administer(actor, person.org)
    training = Training(
        ext_id=ext_id or new_ext_id("training"),
        person=person,
        date=date,
        hours=hours,
        kind=kind,
        title=title,
    )
    training.full_clean()
    training.save()
    audit_record(
        actor=actor,
        action="create",
        object_type="training",
        object_id=str(training.pk),
        changes={"after": snapshot(training, TRAINING_FIELDS)},
    )
    return training


@transaction.atomic
def training_record_many(
    *,
    people: Iterable[Person],
    date: datetime.date,
    hours: Decimal,
    kind: str,
    title: str = "",
    actor: Actor,
) -> list[Training]:
    """Record the same training for many people at once (one insert, one audit entry).

    `people` should come with `org` loaded (select_related) so checking the grant
    takes no query per person.
    """
    people = list(people)
    if not people:
        raise ValidationError({"people": "请至少选择一名参训人员"})
    checked_orgs: set[int] = set()
    for person in people:
        if person.org_id not in checked_orgs:
            ensure_can_administer(actor, person.org)
            checked_orgs.add(person.org_id)
    template = Training(
        ext_id=new_ext_id("training"),
        person=people[0],
        date=date,
        hours=hours,
        kind=kind,
        title=title,
    )
    template.full_clean(validate_unique=False)
    trainings = Training.objects.bulk_create(
        [
            Training(
                ext_id=new_ext_id("training"),
                person=p,
                date=date,
                hours=hours,
                kind=kind,
                title=title,
            )
            for p in people
        ]
    )
    audit_record(
        actor=actor,
        action="create_many",
        object_type="training",
        object_id="",
        changes={
            "after": {
                "date": date.isoformat(),
                "hours": str(hours),
                "kind": kind,
                "title": title,
                "people": sorted(p.ext_id for p in people),
                "ext_ids": [t.ext_id for t in trainings],
            }
        },
    )
    return trainings


@transaction.atomic
def training_update(
    *,
    training: Training,
    date: datetime.date = UNSET,
    hours: Decimal = UNSET,
    kind: str = UNSET,
    title: str = UNSET,
    actor: Actor,
) -> Training:
    ensure_can_administer(actor, training.person.org)
    before = snapshot(training, TRAINING_FIELDS)
    for name, value in {"date": date, "hours": hours, "kind": kind, "title": title}.items():
        if value is not UNSET:
            setattr(training, name, value)
    training.full_clean()
    training.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="training",
        object_id=str(training.pk),
        changes=diff(before, snapshot(training, TRAINING_FIELDS)),
    )
    return training


@transaction.atomic
def training_delete(*, training: Training, actor: Actor) -> None:
    ensure_can_administer(actor, training.person.org)
    audited_delete(obj=training, fields=TRAINING_FIELDS, object_type="training", actor=actor)


FILING_FIELDS = ["ext_id", "org", "kind", "date", "period", "by"]


def validate_period(period: str) -> None:
    """Period strings of the contract: 2022, 2022-H1, 2022-Q3, 2022-05."""
    import re

    if not re.fullmatch(r"\d{4}(-H[12]|-Q[1-4]|-(0[1-9]|1[0-2]))?", period or ""):
        raise ValidationError({"period": "所属期间格式应为 2022、2022-H1、2022-Q3 或 2022-05"})


@transaction.atomic
def filing_record(
    *,
    org: Organization,
    kind: str,
    date: datetime.date,
    period: str,
    by: Person | None = None,
    ext_id: str | None = None,
    actor: Actor,
) -> Filing:
    """Record that `org` made a filing of `kind` for `period` on `date`."""
    ensure_can_administer(actor, org)
    validate_period(period)
    filing = Filing(
        ext_id=ext_id or new_ext_id("filing"), org=org, kind=kind, date=date, period=period, by=by
    )
    filing.full_clean()
    filing.save()
    audit_record(
        actor=actor,
        action="create",
        object_type="filing",
        object_id=str(filing.pk),
        changes={"after": snapshot(filing, FILING_FIELDS)},
    )
    return filing


@transaction.atomic
def filing_update(
    *,
    filing: Filing,
    kind: str = UNSET,
    date: datetime.date = UNSET,
    period: str = UNSET,
    by: Person | None = UNSET,
    actor: Actor,
) -> Filing:
    ensure_can_administer(actor, filing.org)
    before = snapshot(filing, FILING_FIELDS)
    if period is not UNSET:
        validate_period(period)
    for name, value in {"kind": kind, "date": date, "period": period, "by": by}.items():
        if value is not UNSET:
            setattr(filing, name, value)
    filing.full_clean()
    filing.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="filing",
        object_id=str(filing.pk),
        changes=diff(before, snapshot(filing, FILING_FIELDS)),
    )
    return filing


@transaction.atomic
def filing_delete(*, filing: Filing, actor: Actor) -> None:
    ensure_can_administer(actor, filing.org)
    audited_delete(obj=filing, fields=FILING_FIELDS, object_type="filing", actor=actor)
