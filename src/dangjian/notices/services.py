"""Writes for notices and 党务公开: publish (administrators of the organisation), record
that someone opened a notice (once), publish or withdraw a 党务公开 item. Each write is
one transaction with its audit entry."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.writes import audited_create, audited_delete, ensure_can_administer, snapshot
from dangjian.notices.models import (
    ATTACHMENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_BODY_CHARS,
    Disclosure,
    DisclosureCategory,
    Notice,
    NoticeRead,
    NoticeTarget,
)
from dangjian.orgs.models import Organization

NOTICE_FIELDS = [
    "org",
    "title",
    "body",
    "published_on",
    "reply_by",
    "whole_subtree",
    "attachment_name",
    "attachment_type",
    "attachment_size",
]
DISCLOSURE_FIELDS = ["org", "category", "title", "content", "published_on"]

_OOXML = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def attachment_type_of(name: str, head: bytes) -> str | None:
    """The type of an attachment from its first bytes (the browser's claim is ignored):
    PDF, JPEG, PNG, or a Word/Excel file (a zip archive named .docx/.xlsx)."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"PK\x03\x04"):
        for ext, content_type in _OOXML.items():
            if name.lower().endswith(ext):
                return content_type
    return None


def _check_attachment(upload: UploadedFile) -> str:
    name = upload.name or "附件"
    if (upload.size or 0) > MAX_ATTACHMENT_BYTES:
        raise ValidationError({"attachment": f"{name}：文件大小超过 10 MB"})
    upload.seek(0)
    content_type = attachment_type_of(name, upload.read(16))
    upload.seek(0)
    if content_type is None or content_type not in ATTACHMENT_TYPES:
        raise ValidationError(
            {"attachment": f"{name}：只能上传 PDF、JPEG、PNG、Word（.docx）或 Excel（.xlsx）文件"}
        )
    return content_type


def _user_of(actor: Actor) -> Any:
    user = actor.user
    return user if user is not None and getattr(user, "is_authenticated", False) else None


@transaction.atomic
def notice_publish(
    *,
    org: Organization,
    title: str,
    body: str,
    published_on: datetime.date,
    reply_by: datetime.date | None = None,
    targets: Sequence[Organization] = (),
    attachment: UploadedFile | None = None,
    actor: Actor,
) -> Notice:
    """Publish a notice from `org` to its whole subtree (no `targets`), or to the chosen
    organisations inside that subtree (each with its own subtree)."""
    ensure_can_administer(actor, org)
    errors: dict[str, str] = {}
    title = title.strip()
    body = body.strip()
    if not title:
        errors["title"] = "请填写通知标题"
    elif len(title) > 200:
        errors["title"] = "通知标题不能超过 200 字"
    if not body:
        errors["body"] = "请填写通知正文"
    elif len(body) > MAX_BODY_CHARS:
        errors["body"] = f"通知正文不能超过 {MAX_BODY_CHARS} 字"
    if reply_by is not None and reply_by < published_on:
        errors["reply_by"] = "回复截止日期不能早于发布日期"
    outside = [t.name for t in targets if not t.path.startswith(org.path)]
    if outside:
        errors["targets"] = f"接收组织不在{org.name}的下级范围内：{'、'.join(outside)}"
    content_type = ""
    if attachment is not None:
        try:
            content_type = _check_attachment(attachment)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    chosen = {t.pk: t for t in targets}
    notice = Notice(
        org=org,
        title=title,
        body=body,
        published_on=published_on,
        reply_by=reply_by,
        whole_subtree=not chosen,
        created_by=_user_of(actor),
    )
    if attachment is not None:
        notice.attachment_name = (attachment.name or "附件")[-255:]
        notice.attachment_type = content_type
        notice.attachment_size = attachment.size or 0
        notice.attachment.save(attachment.name or "attachment", attachment, save=False)
    notice.full_clean()
    notice.save()
    NoticeTarget.objects.bulk_create(NoticeTarget(notice=notice, org=t) for t in chosen.values())
    audit_record(
        actor=actor,
        action="create",
        object_type="notice",
        object_id=str(notice.pk),
        changes={
            "after": {
                **snapshot(notice, [f for f in NOTICE_FIELDS if f != "body"]),
                "targets": sorted(t.ext_id for t in chosen.values()),
            }
        },
    )
    return notice


def notice_mark_read(*, notice: Notice, actor: Actor) -> tuple[NoticeRead, bool]:
    """Record that the actor opened the notice; the first opening only (idempotent).

    The caller has found `notice` through the user's scoped queryset. Returns the receipt
    and whether it was new.
    """
    from dangjian.access.selectors import person_of

    user = _user_of(actor)
    if user is None:
        raise PermissionDenied("请先登录")
    existing = NoticeRead.objects.filter(notice=notice, user=user).first()
    if existing is not None:
        return existing, False
    person = person_of(user)
    try:
        with transaction.atomic():
            receipt = NoticeRead.objects.create(notice=notice, user=user, person=person)
            audit_record(
                actor=actor,
                action="read",
                object_type="notice",
                object_id=str(notice.pk),
                changes={
                    "reader": user.get_username(),
                    "person": person.ext_id if person else None,
                },
            )
    except IntegrityError:
        # opened twice at once: the other request recorded it
        return NoticeRead.objects.get(notice=notice, user=user), False
    return receipt, True


@transaction.atomic
def disclosure_publish(
    *,
    org: Organization,
    category: str,
    title: str,
    content: str,
    published_on: datetime.date,
    actor: Actor,
) -> Disclosure:
    """Publish a 党务公开 item of `org` to its members."""
    ensure_can_administer(actor, org)
    errors: dict[str, str] = {}
    if category not in DisclosureCategory.values:
        errors["category"] = "请选择公开类别"
    if not title.strip():
        errors["title"] = "请填写公开事项标题"
    if not content.strip():
        errors["content"] = "请填写公开内容"
    elif len(content) > MAX_BODY_CHARS:
        errors["content"] = f"公开内容不能超过 {MAX_BODY_CHARS} 字"
    if errors:
        raise ValidationError(errors)
    item = Disclosure(
        org=org,
        category=category,
        title=title.strip(),
        content=content.strip(),
        published_on=published_on,
        created_by=_user_of(actor),
    )
    audited_create(obj=item, fields=DISCLOSURE_FIELDS, object_type="disclosure", actor=actor)
    return item


@transaction.atomic
def disclosure_delete(*, disclosure: Disclosure, actor: Actor) -> None:
    """Withdraw a 党务公开 item (its audit entry keeps what it said)."""
    ensure_can_administer(actor, disclosure.org)
    audited_delete(obj=disclosure, fields=DISCLOSURE_FIELDS, object_type="disclosure", actor=actor)
