"""Reading the audit trail: for the audit administrator (审计管理员) only."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from dangjian.core.duties import is_audit_admin
from dangjian.core.models import AuditEntry

ACTIONS = {
    "create": "新建",
    "update": "修改",
    "update_related": "修改关联记录",
    "delete": "删除",
    "read": "阅读",
    "import": "导入",
    "login": "登录",
    "logout": "退出登录",
    "login_failed": "登录失败",
    "login_locked": "登录被锁定",
    "session_timeout": "会话超时退出",
    "token_issue": "签发 API 令牌",
    "privilege_change": "权限变更",
    "duty_grant": "授予管理职责",
    "duty_revoke": "撤销管理职责",
    "demo_load": "载入演示数据",
}
SOURCES = {
    "web": "网页",
    "api": "接口",
    "admin": "管理后台",
    "import": "导入",
    "cli": "命令行",
    "system": "系统",
    "test": "测试",
}
OBJECT_TYPES = {
    "user": "用户",
    "grant": "授权",
    "person_account": "党员账号",
    "api_token": "API 令牌",
    "dataset": "数据集",
    "demo": "演示数据",
}


def action_label(code: str) -> str:
    return ACTIONS.get(code, code)


def source_label(code: str) -> str:
    return SOURCES.get(code, code)


def object_type_label(code: str) -> str:
    if code in OBJECT_TYPES:
        return OBJECT_TYPES[code]
    try:
        model = apps.get_model(code) if "." in code else None
    except (LookupError, ValueError):
        model = None
    if model is not None:
        return str(model._meta.verbose_name)
    for candidate in apps.get_models():
        if candidate._meta.model_name == code.replace("_", ""):
            return str(candidate._meta.verbose_name)
    return code


def audit_entries(
    user: Any,
    *,
    actor: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEntry]:
    """Entries, newest first, filtered; PermissionDenied unless `user` is the audit admin."""
    if not is_audit_admin(user):
        raise PermissionDenied("只有审计管理员可以查看审计日志")
    qs = AuditEntry.objects.all()
    if actor:
        qs = qs.filter(actor_label=actor)
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs.order_by("-at", "-id")
