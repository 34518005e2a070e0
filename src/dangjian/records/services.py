"""Writes on records: activities with attendance, minutes and attachments; trainings; filings.

Single-record services shared by the web pages and the HTTP API. Each runs in one
transaction with its audit entry; updates store the changed fields before and after,
so a record's page can show its history.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
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


def _activity_state(activity: Activity) -> dict[str, Any]:
    state = snapshot(activity, ACTIVITY_FIELDS)
    state["attendees"] = _attendee_ids(activity)
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
    minutes: str = UNSET,
    attachments: Sequence[UploadedFile] = (),
    actor: Actor,
) -> Activity:
    """Change an activity; only the keywords passed change. New attachments are added.

    The audit entry keeps the changed fields before and after (attendees by id).
    """
    ensure_can_administer(actor, activity.org)
    before = _activity_state(activity)
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
