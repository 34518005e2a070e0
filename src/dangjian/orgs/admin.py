"""The admin writes organisations through the same services as the pages and the API;
posts and terms are read-only here (appointments and elections have their own pages)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from dangjian.core.admin_mixins import (
    ReadOnlyModelAdmin,
    ServiceModelAdmin,
    service_call,
)
from dangjian.orgs import services
from dangjian.orgs.models import Organization, Position, Term


class OrganizationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Organization
        fields = ["ext_id", "name", "type", "parent", "staff_count", "established", "dissolved"]

    def clean_parent(self) -> Organization | None:
        parent: Organization | None = self.cleaned_data.get("parent")
        node = self.instance
        inside = parent is not None and (
            parent.pk == node.pk or bool(node.path and parent.path.startswith(node.path))
        )
        if inside and node.pk is not None:
            raise forms.ValidationError("上级组织不能是本组织或其下级组织")
        return parent


@admin.register(Organization)
class OrganizationAdmin(ServiceModelAdmin):
    form = OrganizationForm
    audit_object_type = "organization"
    list_display = ["name", "ext_id", "type", "parent", "staff_count", "dissolved"]
    list_filter = ["type"]
    search_fields = ["name", "ext_id"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["ext_id"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # dissolve on a date instead

    def save_model(
        self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool
    ) -> None:  # type: ignore[type-arg]
        data = form.cleaned_data
        if not change:
            created = service_call(
                request,
                services.org_create,
                name=data["name"],
                type=data["type"],
                parent=data.get("parent"),
                ext_id=data.get("ext_id") or None,
                staff_count=data.get("staff_count"),
                established=data.get("established"),
                dissolved=data.get("dissolved"),
            )
            if created is not None:
                obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
            return
        current = Organization.objects.get(pk=obj.pk)
        changed = set(form.changed_data)
        fields = {
            k: data[k] for k in ("name", "type", "staff_count", "established") if k in changed
        }
        if fields and service_call(request, services.org_update, org=current, **fields) is None:
            return
        parent = data.get("parent") if "parent" in changed else None
        if parent is not None and not service_call(
            request, services.org_move, org=current, parent=parent
        ):
            return
        if "dissolved" in changed and data.get("dissolved") is not None:
            service_call(request, services.org_dissolve, org=current, on=data["dissolved"])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """No inlines here (and nothing to save when the service refused the edit)."""


@admin.register(Position)
class PositionAdmin(ReadOnlyModelAdmin):
    audit_object_type = "position"
    list_display = ["person", "org", "role", "start", "end"]
    list_filter = ["role"]
    search_fields = ["person__name", "org__name"]
    list_select_related = ["person", "org"]


@admin.register(Term)
class TermAdmin(ReadOnlyModelAdmin):
    audit_object_type = "term"
    list_display = ["org", "elected_on", "years"]
    search_fields = ["org__name"]
    list_select_related = ["org"]
