"""`dangjian api_token USERNAME`: issue an API token for a user (shown once)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.core.actor import Actor
from dangjian.core.tokens import token_issue


class Command(BaseCommand):
    help = "为用户签发 API 访问令牌（令牌只显示这一次，库中只存摘要）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="用户名")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"用户 {options['username']} 不存在或已停用", returncode=2)
        issued = token_issue(user=user, actor=Actor.system("cli"))
        self.stdout.write(f"{issued.key}")
        self.stderr.write(f"令牌有效期至 {issued.expires_at:%Y-%m-%d %H:%M}（修改密码后立即失效）")
