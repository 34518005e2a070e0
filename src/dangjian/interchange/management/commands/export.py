"""`dangjian export [--org ID]`: write the database (or a subtree) as a dangjian/1 dataset."""

import sys
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandParser

from dangjian.interchange.errors import UnknownOrganizationError
from dangjian.interchange.exporter import dataset_write


class Command(BaseCommand):
    help = "导出 dangjian/1 数据集到标准输出（整个数据库，或 --org 指定组织及其下级）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", default=None, help="只导出该组织（编号）及其下级")
        parser.add_argument("--database", default="default", help="数据库别名")

    def handle(self, *args: Any, **options: Any) -> None:
        # Write UTF-8 whatever the locale says; the file is data, not terminal text.
        out: IO[str] = self.stdout._out  # type: ignore[assignment]
        if out is sys.stdout and hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(encoding="utf-8")
        try:
            dataset_write(out, org_ext_id=options["org"], using=options["database"])
        except UnknownOrganizationError as exc:
            self.stderr.write(str(exc))
            sys.exit(2)
        out.flush()
