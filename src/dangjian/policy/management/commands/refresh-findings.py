"""`dangjian refresh-findings [--all] [--year N]`: refresh the stored findings now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "重新计算已保存的检查结果：默认只算待更新的部门；--all 全部重算（检查日推进到今天）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="全部重算（每晚的完整刷新）")
        parser.add_argument("--year", type=int, default=None, help="年度（默认今年，仅用于 --all）")

    def handle(self, *args: Any, **options: Any) -> None:
        from dangjian.policy.store import refresh_all, run_pending

        if options["all"]:
            n = refresh_all(year=options["year"])
            self.stdout.write(f"已全部重算，写入 {n} 个范围的检查结果")
        else:
            n = run_pending(debounce=0)
            self.stdout.write(f"已重算 {n} 个待更新的范围")
