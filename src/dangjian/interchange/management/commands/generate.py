"""`dangjian generate`: a synthetic `dangjian/1` dataset, streamed to stdout or a file."""

import argparse
import os
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.interchange.generator import write_dataset


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期无效：{value}，应为 YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = "生成一个合成的省直机关党建数据集（dangjian/1），用于演示和性能测试"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orgs", type=int, required=True, help="党组织总数（近似）")
        parser.add_argument("--members", type=int, required=True, help="人员总数")
        parser.add_argument("--year", type=int, required=True, help="记录所属年度")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（相同种子结果相同）")
        parser.add_argument(
            "--as-of", type=_date, default=None, help="截止日期（默认年末，或当年的今天）"
        )
        parser.add_argument(
            "--departments", type=int, default=None, help="部门数（默认按规模推算）"
        )
        parser.add_argument("--output", "-o", default=None, help="输出文件（默认标准输出）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["orgs"] < 1 or options["members"] < 1:
            raise CommandError("--orgs 和 --members 必须为正整数")
        kwargs = {
            "orgs": options["orgs"],
            "members": options["members"],
            "year": options["year"],
            "seed": options["seed"],
            "as_of": options["as_of"],
            "departments": options["departments"],
        }
        try:
            if options["output"]:
                with open(options["output"], "w", encoding="utf-8") as out:
                    counts = write_dataset(out, **kwargs)
                summary = "，".join(f"{k} {v}" for k, v in counts.items())
                self.stderr.write(f"已写入 {options['output']}：{summary}")
            else:
                sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
                try:
                    write_dataset(sys.stdout, **kwargs)
                    sys.stdout.flush()
                except BrokenPipeError:
                    # The reader went away (e.g. `| head`): stop quietly.
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                    sys.exit(1)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
