"""Optimistic locking: the second of two concurrent edits is refused, nothing is lost.

No version column: a record's version is a hash of its snapshot — the values an
edit form shows, or the API's representation of it.

- Forms: `VersionedForm` carries a hidden `version` token, the signed snapshot
  the form was filled from. On save, `check_version(current)` compares it with
  the record as it is now; if someone saved in between, the form gets an error
  listing what changed (field, before, now), keeps what the user typed, and
  carries the new token, so saving again after review overwrites knowingly.
- API: `etag_of(data)` for the `ETag` of a single record; `if_match_ok` for the
  `If-Match` of a PUT/PATCH (412 on mismatch).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core import signing

_SALT = "dangjian.core.concurrency"


def _canonical(snapshot: Any) -> str:
    return json.dumps(snapshot, sort_keys=True, ensure_ascii=False, default=str)


def version_of(snapshot: Any) -> str:
    """A short stable hash of a snapshot (any JSON-able value)."""
    return hashlib.sha256(_canonical(snapshot).encode()).hexdigest()[:24]


def etag_of(snapshot: Any) -> str:
    """The HTTP entity tag (quoted) of a record's representation."""
    return f'"{version_of(snapshot)}"'


def if_match_ok(header: str | None, current_etag: str) -> bool:
    """Whether a request's `If-Match` allows writing over `current_etag` (none: yes)."""
    if header is None or not header.strip():
        return True
    tags = [t.strip() for t in header.split(",")]
    if "*" in tags:
        return True
    return any(t.removeprefix("W/") == current_etag for t in tags)


def version_token(snapshot: Mapping[str, Any]) -> str:
    """The snapshot, signed (so a client cannot forge what it saw), for a hidden field."""
    return signing.dumps(json.loads(_canonical(snapshot)), salt=_SALT, compress=True)


def token_snapshot(token: str) -> dict[str, Any] | None:
    try:
        value = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, dict) else None


@dataclass
class Change:
    field: str
    label: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.label}：原为“{self.before}”，现为“{self.after}”"


def _plain(value: Any) -> Any:
    return json.loads(_canonical(value))


class VersionedForm(forms.Form):
    """A form that edits one record and refuses to overwrite someone else's save."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)
    # After a refused save: what changed, without the advice to save again (for a message).
    conflict = ""

    def set_version(self, snapshot: Mapping[str, Any]) -> None:
        """Carry the record's current snapshot (an unbound form, or after a conflict)."""
        token = version_token(snapshot)
        if self.is_bound:
            data = self.data.copy()  # type: ignore[attr-defined]
            data[self.add_prefix("version")] = token
            self.data = data
        else:
            self.initial["version"] = token

    def check_version(self, current: Mapping[str, Any], only: Iterable[str] | None = None) -> bool:
        """Whether the record is still as the form was filled; else an error says what changed.

        `only`: compare just these entries (a page of many rows where the form
        touches some, e.g. the members ticked on a dues ledger).
        A missing or tampered token counts as a conflict with every field unknown.
        """
        seen = token_snapshot(self.data.get(self.add_prefix("version")) or "")
        now = _plain(current)
        if only is not None and seen is not None:
            keys = set(only)
            seen = {k: v for k, v in seen.items() if k in keys}
            now = {k: v for k, v in now.items() if k in keys}
        if seen == now:
            return True
        changes = self.changes(seen or {}, now)
        self.set_version(_plain(current))
        if seen is None:
            text = "无法确认该记录在你编辑期间是否被他人修改"
        elif changes:
            text = "该记录在你编辑期间已被他人修改：" + "；".join(str(c) for c in changes)
        else:
            text = "该记录在你编辑期间已被他人修改"
        self.conflict = text
        self.add_error(
            None, f"{text}。你填写的内容仍保留在下方，请核对后再次保存（将以你的内容为准）。"
        )
        return False

    def changes(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
        out = []
        for name in sorted(set(before) | set(after), key=self._order):
            if before.get(name) == after.get(name):
                continue
            field = self.fields.get(name)
            label = str(field.label) if field is not None and field.label else name
            out.append(
                Change(
                    name,
                    label,
                    self.display(name, before.get(name)),
                    self.display(name, after.get(name)),
                )
            )
        return out

    def _order(self, name: str) -> int:
        names = list(self.fields)
        return names.index(name) if name in names else len(names)

    def display(self, name: str, value: Any) -> str:
        """A value as a person reads it: labels for choices, names for records."""
        if value in (None, "", []):
            return "（空）"
        field = self.fields.get(name)
        values = value if isinstance(value, list) else [value]
        queryset = getattr(field, "queryset", None)
        if queryset is not None:
            objects = {str(o.pk): o for o in queryset.model._default_manager.filter(pk__in=values)}
            label = getattr(field, "label_from_instance", str)
            return "、".join(
                label(objects[str(v)]) if str(v) in objects else str(v) for v in values
            )
        choices = dict(getattr(field, "choices", None) or ())
        if choices:
            return "、".join(str(choices.get(v, v)) for v in values)
        return "、".join(str(v) for v in values)


def display_snapshot(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    """A record's fields as a person reads them, keyed by their Chinese names.

    For forms whose fields are not the record's own (a leave date, a rename):
    the conflict message then reads 「离开日期：原为“（空）”，现为“2026-03-01”」.
    """
    out: dict[str, Any] = {}
    for name in names:
        field = obj._meta.get_field(name)
        value = getattr(obj, name)
        if value is None or value == "":
            shown: Any = None
        elif field.is_relation:
            shown = str(value)
        elif field.flatchoices:
            shown = str(dict(field.flatchoices).get(value, value))
        elif isinstance(value, bool):
            shown = "是" if value else "否"
        else:
            shown = value
        out[str(field.verbose_name)] = shown
    return snapshot_values(out.items())


def snapshot_values(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A snapshot from (field, value) pairs, values made JSON-plain (dates as ISO text)."""
    return {name: _plain(value) for name, value in pairs}


# ---------------------------------------------------------------- the admin's change forms


def record_snapshot(obj: Any) -> dict[str, Any]:
    """A model instance's own columns (not its primary key), JSON-plain."""
    return snapshot_values(
        (f.name, f.value_from_object(obj)) for f in obj._meta.concrete_fields if not f.primary_key
    )


def _model_changes(model: Any, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    out = []
    for field in model._meta.concrete_fields:
        name = field.name
        if name not in after or before.get(name) == after.get(name):
            continue

        def show(value: Any, field: Any = field) -> str:
            if value in (None, ""):
                return "（空）"
            if field.is_relation:
                related = field.related_model._default_manager.filter(pk=value).first()
                return str(related) if related is not None else str(value)
            choices = dict(field.flatchoices or ())
            return str(choices.get(value, value))

        out.append(
            Change(name, str(field.verbose_name), show(before.get(name)), show(after.get(name)))
        )
    return out


class VersionedAdminMixin:
    """Admin change forms carry the record's version and refuse a stale save.

    The change page posts a hidden `version` (the signed snapshot it showed);
    if the record changed since, the form is shown again with what changed and
    what the user typed, carrying the new version (saving again overwrites).
    """

    change_form_template: Any = "admin/dangjian/versioned_change_form.html"

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        if obj is None:
            return base
        model, pk = type(obj), obj.pk

        class Versioned(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                self.dangjian_version = (
                    self.data.get("version", "")
                    if self.is_bound
                    else version_token(record_snapshot(self.instance))
                )

            def clean(self) -> Any:
                cleaned = super().clean()
                seen = token_snapshot(self.data.get("version") or "")
                if seen is None:
                    return cleaned  # a client that sends no version saves as before
                current = record_snapshot(model._default_manager.get(pk=pk))
                if seen != current:
                    self.dangjian_version = version_token(current)
                    changes = _model_changes(model, seen, current)
                    text = "；".join(str(c) for c in changes) or "内容有变动"
                    raise forms.ValidationError(
                        f"该记录在你编辑期间已被他人修改：{text}。你填写的内容仍保留在下方，"
                        "请核对后再次保存（将以你的内容为准）。"
                    )
                return cleaned

        return Versioned

    def render_change_form(
        self, request: Any, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        adminform = context.get("adminform")
        form = getattr(adminform, "form", None)
        context["dangjian_version"] = getattr(form, "dangjian_version", "")
        return super().render_change_form(request, context, *args, **kwargs)  # type: ignore[misc]
