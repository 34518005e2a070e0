from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from dangjian.access.models import Grant, PersonAccount
from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.core.duties import is_security_admin, is_system_admin


class SecurityAdminOnly(AuditedModelAdmin):
    """Grants and account links are the security administrator's (安全管理员) to change;
    the system administrator may look."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_security_admin(request.user) or is_system_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_security_admin(request.user) or is_system_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_security_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_security_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_security_admin(request.user)


@admin.register(Grant)
class GrantAdmin(SecurityAdminOnly):
    list_display = ["user", "role", "org"]
    list_filter = ["role"]
    raw_id_fields = ["user", "org"]


@admin.register(PersonAccount)
class PersonAccountAdmin(SecurityAdminOnly):
    list_display = ["user", "person"]
    raw_id_fields = ["user", "person"]
