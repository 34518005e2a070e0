"""`dangjian backup FILE`: everything the app keeps, in one file (see core/backup.py)."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dangjian.core.backup import BackupError, backup_write


class Command(BaseCommand):
    help = "备份全部数据（记录、账号、授权、令牌、审计日志、会议纪要、附件文件）到一个文件"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="备份文件（.zip）")
        parser.add_argument("--database", default="default", help="数据库别名")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup_write(Path(options["file"]), using=options["database"])
        except (BackupError, OSError) as exc:
            self.stderr.write(f"备份失败：{exc}")
            sys.exit(2)
        self.stdout.write(f"备份完成：{options['file']}")
        for line in summary.lines():
            self.stdout.write(f"  {line}")
