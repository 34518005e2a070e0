from django.contrib import admin

from dangjian.orgs.models import Organization, Position, Term


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "ext_id", "type", "parent", "staff_count"]
    list_filter = ["type"]
    search_fields = ["name", "ext_id"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(Position)
class PositionAdmin(admin.ModelAdmin):
    list_display = ["person", "org", "role", "start", "end"]
    list_filter = ["role"]
    search_fields = ["person__name", "org__name"]
    raw_id_fields = ["person", "org"]
    list_select_related = ["person", "org"]


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ["org", "elected_on", "years"]
    search_fields = ["org__name"]
    raw_id_fields = ["org"]
    list_select_related = ["org"]
