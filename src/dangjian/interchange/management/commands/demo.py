"""`dangjian demo`: load demo data once, then make sure the demo logins exist.

Idempotent on its own database: data is generated and imported only into an empty
database (and marked as demo data in the audit trail), followed by a few records made
through the services as the demo logins (notice, 党务公开, inspection, responsibility list,
述职评议: `demo_records.py`); accounts are created only when missing. Refused on a
production configuration (DANGJIAN_DEBUG=0), and on a database that holds data the demo
did not load unless `--force` (then the demo logins are added, with the published
password, but none is linked to a real member).
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from dangjian.access.services import DEMO_PASSWORD, DemoDataMissing, demo_accounts_ensure
from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.core.models import AuditEntry
from dangjian.interchange.demo_records import demo_records_create
from dangjian.interchange.errors import DatasetError
from dangjian.interchange.generator import generate_dataset
from dangjian.interchange.importer import dataset_import
from dangjian.orgs.models import Organization, OrgType

URL = "http://127.0.0.1:8000/"
DEMO_MARK = "demo_load"


class Command(BaseCommand):
    help = "载入演示数据（仅当数据库为空时）并确保演示账号存在"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--departments", type=int, default=30, help="演示部门数")
        parser.add_argument("--members", type=int, default=3000, help="演示人员数")
        parser.add_argument("--seed", type=int, default=1, help="随机种子")
        parser.add_argument(
            "--force",
            action="store_true",
            help="数据库已有非演示数据时仍添加演示账号（使用公开密码，慎用）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", not settings.DEBUG):
            raise CommandError(
                "生产配置（DANGJIAN_DEBUG=0）下不能载入演示数据或创建演示账号（演示密码是公开的）",
                returncode=2,
            )
        actor = Actor.system("cli")
        is_demo = AuditEntry.objects.filter(action=DEMO_MARK, object_type="demo").exists()
        has_data = (
            Organization.objects.exists() or get_user_model().objects.exists()
        ) and not is_demo
        if has_data and not options["force"]:
            raise CommandError(
                "数据库中已有数据（并非演示数据）：演示命令不会在其中创建公开密码的演示账号。"
                "如确需在此库中添加演示账号，请加 --force。",
                returncode=2,
            )
        loaded = False
        today = date.today()
        if not Organization.objects.exists():
            self.stdout.write(
                f"数据库为空，正在生成并导入演示数据（{options['departments']} 个部门，"
                f"{options['members']} 人，{today.year} 年截至 {today}）……"
            )
            data = generate_dataset(
                orgs=options["departments"] * 8,
                members=options["members"],
                departments=options["departments"],
                year=today.year,
                as_of=today,
                seed=options["seed"],
            )
            try:
                summary = dataset_import(data, actor=actor)
            except DatasetError as exc:
                raise CommandError(f"演示数据导入失败：\n{exc.render()}") from exc
            for line in summary.lines():
                self.stdout.write(f"  {line}")
            with transaction.atomic():
                audit_record(actor=actor, action=DEMO_MARK, object_type="demo", notify=False)
            is_demo = loaded = True
        else:
            self.stdout.write("数据库已有数据，跳过演示数据导入。")
        root = (
            Organization.objects.filter(type=OrgType.WORK_COMMITTEE, parent__isnull=True)
            .order_by("pk")
            .first()
        )
        if root is None:
            raise CommandError("没有找到机关工委（work_committee）根组织，无法创建演示账号")
        try:
            accounts = demo_accounts_ensure(root=root, actor=actor, link_member=is_demo)
        except DemoDataMissing as exc:
            raise CommandError(str(exc)) from exc
        if loaded:
            # Records outside dangjian/1, written through the services as the demo users.
            try:
                made = demo_records_create(today=today)
            except ValidationError as exc:
                raise CommandError(f"演示记录创建失败：{'；'.join(exc.messages)}") from exc
            for line in made:
                self.stdout.write(f"  {line}")
        self.stdout.write("")
        self.stdout.write(f"演示系统地址：{URL}")
        self.stdout.write(f"演示账号（统一密码 {DEMO_PASSWORD}）：")
        for acc in accounts:
            state = "新建" if acc.created else "已存在"
            line = f"  {acc.username:<9} {acc.label}｜角色：{acc.role}｜组织：{acc.org_name}"
            self.stdout.write(f"{line}（{state}）")
