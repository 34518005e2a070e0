"""Django admin writes go through the same audit trail as every other write."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router, transaction
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.concurrency import VersionedAdminMixin
from dangjian.core.middleware import client_ip


def admin_actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, source="admin", ip=client_ip(request))


def json_value(value: Any) -> Any:
    """A field value as something the audit entry's JSON can hold."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_value(v) for v in value]
    return str(value)


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any] | None:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) and field.concrete else None


def snapshot(obj: models.Model) -> dict[str, Any]:
    return {
        f.name: json_value(f.value_from_object(obj))
        for f in obj._meta.concrete_fields
        if not f.primary_key
    }


class AuditedModelAdmin(VersionedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose saves and deletes run in a transaction with an audit entry.

    The entry records source "admin", the user, the IP and each changed field
    before and after. Subclasses react to a save in `after_save` (same transaction).
    """

    def _db(self) -> str:
        return router.db_for_write(self.model)

    def _object_type(self) -> str:
        return self.model._meta.label_lower

    def after_save(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        """Hook run inside the save's transaction, before the audit entry."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        names = form.changed_data if change else list(form.fields)
        fields = [f for f in (_concrete(self.model, n) for n in names) if f is not None]
        before = {f.name: json_value(form.initial.get(f.name)) for f in fields} if change else {}
        with transaction.atomic(using=self._db()):
            super().save_model(request, obj, form, change)
            self.after_save(request, obj, form, change)
            changes = {}
            for f in fields:
                after = json_value(f.value_from_object(obj))
                if not change or after != before.get(f.name):
                    changes[f.name] = {"before": before.get(f.name), "after": after}
            audit_record(
                actor=admin_actor(request),
                action="update" if change else "create",
                object_type=self._object_type(),
                object_id=str(obj.pk),
                changes=changes,
            )

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list[BaseFormSet], change: bool
    ) -> None:
        with transaction.atomic(using=self._db()):
            super().save_related(request, form, formsets, change)
            related: dict[str, dict[str, list[Any]]] = {}
            for formset in formsets:
                added = [o.pk for o in getattr(formset, "new_objects", [])]
                changed = [
                    {"id": o.pk, "fields": list(names)}
                    for o, names in getattr(formset, "changed_objects", [])
                ]
                deleted = [snapshot(o) for o in getattr(formset, "deleted_objects", [])]
                if added or changed or deleted:
                    label = formset.model._meta.label_lower  # type: ignore[attr-defined]
                    related[label] = {"added": added, "changed": changed, "deleted": deleted}
            if related:
                audit_record(
                    actor=admin_actor(request),
                    action="update_related",
                    object_type=self._object_type(),
                    object_id=str(form.instance.pk),
                    changes=related,
                )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic(using=self._db()):
            object_id, before = str(obj.pk), snapshot(obj)
            super().delete_model(request, obj)
            audit_record(
                actor=admin_actor(request),
                action="delete",
                object_type=self._object_type(),
                object_id=object_id,
                changes={"before": before},
            )

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        with transaction.atomic(using=self._db()):
            ids = sorted(queryset.values_list("pk", flat=True))
            super().delete_queryset(request, queryset)
            audit_record(
                actor=admin_actor(request),
                action="delete",
                object_type=self._object_type(),
                changes={"ids": ids},
            )
