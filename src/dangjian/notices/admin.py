from django.contrib import admin

from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.notices.models import Disclosure, Notice, NoticeRead


@admin.register(Notice)
class NoticeAdmin(AuditedModelAdmin):
    """Read-only: notices are published and read through the pages and the API."""

    list_display = ["published_on", "title", "org", "reply_by", "whole_subtree"]
    list_select_related = ["org"]
    search_fields = ["title"]
    date_hierarchy = "published_on"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(NoticeRead)
class NoticeReadAdmin(AuditedModelAdmin):
    list_display = ["notice", "user", "person", "read_at"]
    list_select_related = ["notice", "user", "person"]
    raw_id_fields = ["notice", "user", "person"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Disclosure)
class DisclosureAdmin(AuditedModelAdmin):
    list_display = ["published_on", "category", "title", "org"]
    list_filter = ["category"]
    list_select_related = ["org"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
