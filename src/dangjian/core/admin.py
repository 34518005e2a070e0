from django.contrib import admin

from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.core.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditedModelAdmin):
    list_display = ["at", "actor_label", "source", "action", "object_type", "object_id", "ip"]
    list_filter = ["source", "action", "object_type"]
    search_fields = ["actor_label", "object_id"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
