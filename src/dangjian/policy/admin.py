from django.contrib import admin

from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.policy.models import PackAssignment


@admin.register(PackAssignment)
class PackAssignmentAdmin(AuditedModelAdmin):
    list_display = ("org", "pack_id")
    raw_id_fields = ("org",)
    search_fields = ("org__name", "org__ext_id", "pack_id")
