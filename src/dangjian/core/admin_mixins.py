"""Django admin writes go through the same audit trail as every other write."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router, transaction
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record, cascade_summary
from dangjian.core.concurrency import VersionedAdminMixin
from dangjian.core.middleware import client_ip
from dangjian.core.writes import json_value, snapshot


def admin_actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user, source="admin", ip=client_ip(request))


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any] | None:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) and field.concrete else None


class AuditedModelAdmin(VersionedAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """A ModelAdmin whose saves and deletes run in a transaction with an audit entry.

    The entry records source "admin", the user, the IP and each changed field
    before and after. Subclasses react to a save in `after_save` (same transaction).
    """

    def _db(self) -> str:
        return router.db_for_write(self.model)

    # The object type of the services' audit entries for this model, so a record's
    # history shows admin edits together with those from the web and the API.
    audit_object_type: str | None = None

    def _object_type(self) -> str:
        return self.audit_object_type or self.model._meta.label_lower

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
            cascade = cascade_summary([obj])
            super().delete_model(request, obj)
            audit_record(
                actor=admin_actor(request),
                action="delete",
                object_type=self._object_type(),
                object_id=object_id,
                changes={"before": before, "cascade": cascade},
            )

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        with transaction.atomic(using=self._db()):
            ids = sorted(queryset.values_list("pk", flat=True))
            cascade = cascade_summary(list(queryset))
            super().delete_queryset(request, queryset)
            audit_record(
                actor=admin_actor(request),
                action="delete",
                object_type=self._object_type(),
                changes={"ids": ids, "cascade": cascade},
            )


class ReadOnlyModelAdmin(AuditedModelAdmin):
    """For records kept through services only: the admin shows them and never writes."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ServiceModelAdmin(AuditedModelAdmin):
    """Writes through a domain service (in `save_model`); a refused add changes nothing
    and returns to the form with the reason shown."""

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        if obj.pk is None:
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None if obj.pk is None else super().log_addition(request, obj, message)


def service_call(request: HttpRequest, fn: Any, **kwargs: Any) -> Any:
    """Run a write service from the admin; a refused edit changes nothing and says why."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError

    try:
        return fn(actor=admin_actor(request), **kwargs)
    except (ValidationError, PermissionDenied) as exc:
        text = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"未保存：{text}")
        return None
