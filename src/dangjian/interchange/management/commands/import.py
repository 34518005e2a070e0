"""`dangjian import FILE`: load a dangjian/1 dataset, all or nothing."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dangjian.core.actor import Actor
from dangjian.interchange.errors import DatasetError
from dangjian.interchange.importer import dataset_import


class Command(BaseCommand):
    help = "导入 dangjian/1 数据集（全部成功或全部不写入）；FILE 为 - 时读标准输入"
    # Django's system checks import every URLconf and view (about 1.3 s of CPU per run);
    # an import uses none of them (as `check` and `policies`).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="数据集文件（JSON），- 表示标准输入")
        parser.add_argument("--database", default="default", help="目标数据库别名")

    def handle(self, *args: Any, **options: Any) -> None:
        source = sys.stdin.buffer if options["file"] == "-" else options["file"]
        try:
            summary = dataset_import(source, actor=Actor.system("cli"), using=options["database"])
        except DatasetError as exc:
            count = len(exc.problems)
            self.stderr.write(f"导入失败，数据库未改动；发现 {count} 个问题 (import failed):")
            self.stderr.write(exc.render())
            sys.exit(2)
        self.stdout.write("导入完成 (imported):")
        for line in summary.lines():
            self.stdout.write(f"  {line}")
