"""Three administrators (三员分立), each a Django group created by a migration.

- system administrator (系统管理员): accounts and configuration (a superuser counts);
- security administrator (安全管理员): grants and member-account links;
- audit administrator (审计管理员): the only one who reads the audit log.

A duty is held by a staff user (is_staff) in the group of that name.
"""

from __future__ import annotations

from typing import Any

SYSTEM_ADMIN = "系统管理员"
SECURITY_ADMIN = "安全管理员"
AUDIT_ADMIN = "审计管理员"
DUTIES = (SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN)


def _in_group(user: Any, name: str) -> bool:
    # Duties are staff roles: a login without staff status holds none (and costs no query).
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not getattr(user, "is_staff", False):
        return False
    cache = getattr(user, "_dj_duties", None)
    if cache is None:
        cache = set(user.groups.filter(name__in=DUTIES).values_list("name", flat=True))
        user._dj_duties = cache
    return name in cache


def is_system_admin(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) and user.is_active) or _in_group(
        user, SYSTEM_ADMIN
    )


def is_security_admin(user: Any) -> bool:
    return _in_group(user, SECURITY_ADMIN)


def is_audit_admin(user: Any) -> bool:
    """Only members of the audit group: a superuser is not one by being a superuser."""
    return _in_group(user, AUDIT_ADMIN)
