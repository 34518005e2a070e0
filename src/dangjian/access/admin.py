from django.contrib import admin

from dangjian.access.models import Grant, PersonAccount
from dangjian.core.admin_mixins import AuditedModelAdmin


@admin.register(Grant)
class GrantAdmin(AuditedModelAdmin):
    list_display = ["user", "role", "org"]
    list_filter = ["role"]
    raw_id_fields = ["user", "org"]


@admin.register(PersonAccount)
class PersonAccountAdmin(AuditedModelAdmin):
    list_display = ["user", "person"]
    raw_id_fields = ["user", "person"]
