from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from dangjian.core.admin_mixins import AuditedModelAdmin
from dangjian.core.duties import is_audit_admin, is_system_admin
from dangjian.core.models import ApiToken, AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditedModelAdmin):
    """Read-only, and only for the audit administrator (审计管理员)."""

    list_display = ["at", "actor_label", "source", "action", "object_type", "object_id", "ip"]
    list_filter = ["source", "action", "object_type"]
    search_fields = ["actor_label", "object_id"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_audit_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_audit_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin):
    """Tokens are seen (never their keys, which are not stored) and revoked by deletion."""

    list_display = ["user", "created_at", "expires_at"]
    readonly_fields = ["user", "digest", "created_at", "expires_at", "password_stamp"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(AuditedModelAdmin, UserAdmin):  # type: ignore[misc]
    """Accounts belong to the system administrator; every change is audited."""

    def _allowed(self, request: HttpRequest) -> bool:
        return is_system_admin(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        # Audited by the pre_delete handler (with its grants and cascades), once.
        admin.ModelAdmin.delete_model(self, request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        admin.ModelAdmin.delete_queryset(self, request, queryset)
