"""`dangjian restore FILE`: load a backup into an empty, migrated database."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dangjian.core.actor import Actor
from dangjian.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "从备份文件恢复全部数据；目标数据库须为新建并执行过 migrate 的空库"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="备份文件（.zip）")
        parser.add_argument("--database", default="default", help="数据库别名")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = backup_restore(
                Path(options["file"]), using=options["database"], actor=Actor.system("cli")
            )
        except BackupError as exc:
            self.stderr.write(f"恢复失败，数据库未改动：{exc}")
            sys.exit(2)
        self.stdout.write(f"恢复完成：{options['file']}")
        for line in summary.lines():
            self.stdout.write(f"  {line}")
