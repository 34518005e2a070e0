from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.interchange.importer import refresh_org_paths
from dangjian.orgs.models import Organization, Position, Term


class OrganizationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Organization
        fields = [
            "ext_id",
            "name",
            "type",
            "parent",
            "staff_count",
            "established",
            "dissolved",
            "extra",
        ]

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
class OrganizationAdmin(AuditedModelAdmin):
    form = OrganizationForm
    list_display = ["name", "ext_id", "type", "parent", "staff_count"]
    list_filter = ["type"]
    search_fields = ["name", "ext_id"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]

    def after_save(
        self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool
    ) -> None:
        # The materialised path of this node and its subtree follows the parent.
        if not change or "parent" in form.changed_data:
            refresh_org_paths(using=self._db())
            obj.refresh_from_db(fields=["path", "depth"])


@admin.register(Position)
class PositionAdmin(AuditedModelAdmin):
    list_display = ["person", "org", "role", "start", "end"]
    list_filter = ["role"]
    search_fields = ["person__name", "org__name"]
    raw_id_fields = ["person", "org"]
    list_select_related = ["person", "org"]


@admin.register(Term)
class TermAdmin(AuditedModelAdmin):
    list_display = ["org", "elected_on", "years"]
    search_fields = ["org__name"]
    raw_id_fields = ["org"]
    list_select_related = ["org"]
