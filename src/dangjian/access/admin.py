from django.contrib import admin

from dangjian.access.models import Grant, PersonAccount


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "org"]
    list_filter = ["role"]
    raw_id_fields = ["user", "org"]


@admin.register(PersonAccount)
class PersonAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "person"]
    raw_id_fields = ["user", "person"]
