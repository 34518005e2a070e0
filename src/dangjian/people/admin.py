"""People are written through the same services as the pages and the API: the admin
never moves a person (that is a transfer) and never deletes one (mark as left)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from dangjian.core.admin_mixins import (
    AuditedModelAdmin,
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    service_call,
)
from dangjian.people import services
from dangjian.people.models import Due, Person, Transfer, TransferRequest


class PersonAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """The service's own checks, so the form names the field (and keeps what was typed)."""

    class Meta:
        model = Person
        fields = ["ext_id", "name", "org", *services.EDITABLE_PERSON_FIELDS[1:]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        probe = Person(pk=self.instance.pk)
        org = self.instance.org if self.instance.pk else data.get("org")
        if org is not None:
            probe.org = org
        for name in services.EDITABLE_PERSON_FIELDS:
            if name in data:
                setattr(probe, name, data[name])
        services.check_person(probe)
        return data


@admin.register(Person)
class PersonAdmin(ServiceModelAdmin):
    form = PersonAdminForm
    audit_object_type = "person"
    fields = ["ext_id", "name", "org", *services.EDITABLE_PERSON_FIELDS[1:]]
    list_display = ["name", "ext_id", "org", "status", "leading_cadre", "party_worker", "left_on"]
    list_filter = ["status", "leading_cadre", "party_worker", "employment", "mobile"]
    search_fields = ["name", "ext_id"]
    raw_id_fields = ["org", "hosted_by"]
    list_select_related = ["org"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["ext_id", "org"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a person with history is marked as left, never deleted

    def save_model(
        self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool
    ) -> None:  # type: ignore[type-arg]
        data = form.cleaned_data
        editable = services.EDITABLE_PERSON_FIELDS
        if not change:
            fields = {k: data[k] for k in editable if k in data and k not in ("name", "status")}
            created = service_call(
                request,
                services.person_create,
                name=data["name"],
                org=data["org"],
                status=data["status"],
                ext_id=data.get("ext_id") or None,
                **fields,
            )
            if created is not None:
                obj.pk = created.pk
            return
        current = Person.objects.get(pk=obj.pk)
        fields = {k: data[k] for k in form.changed_data if k in editable}
        if fields:
            service_call(request, services.person_update, person=current, **fields)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """No inlines here."""


@admin.register(Transfer)
class TransferAdmin(ReadOnlyModelAdmin):
    list_display = ["person", "from_org", "to_org", "date", "letter"]
    list_select_related = ["person", "from_org", "to_org"]


@admin.register(TransferRequest)
class TransferRequestAdmin(ReadOnlyModelAdmin):
    list_display = ["person", "from_org", "to_org", "date", "letter", "status"]
    list_filter = ["status"]
    list_select_related = ["person", "from_org", "to_org"]


@admin.register(Due)
class DueAdmin(AuditedModelAdmin):
    list_display = ["person", "month", "amount", "paid_on"]
    raw_id_fields = ["person"]
    list_select_related = ["person"]
