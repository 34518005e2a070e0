from django.contrib import admin

from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.people.models import Due, Person, Transfer


@admin.register(Person)
class PersonAdmin(AuditedModelAdmin):
    list_display = ["name", "ext_id", "org", "status", "leading_cadre", "party_worker"]
    list_filter = ["status", "leading_cadre", "party_worker", "employment", "mobile"]
    search_fields = ["name", "ext_id"]
    raw_id_fields = ["org", "hosted_by"]
    list_select_related = ["org"]


@admin.register(Transfer)
class TransferAdmin(AuditedModelAdmin):
    list_display = ["person", "from_org", "to_org", "date", "letter"]
    raw_id_fields = ["person", "from_org", "to_org"]
    list_select_related = ["person", "from_org", "to_org"]


@admin.register(Due)
class DueAdmin(AuditedModelAdmin):
    list_display = ["person", "month", "amount", "paid_on"]
    raw_id_fields = ["person"]
    list_select_related = ["person"]
