"""dangjian check FILE|--db --policy PACK --year YYYY [--as-of DATE] [--org ID] [--format F]"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.commands import check as django_check

from dangjian.policy.checking import CheckInputError, check_database, check_file
from dangjian.policy.engine import gc_paused
from dangjian.policy.render import render_text

# Options that only Django's system check has: given any, `check` is Django's.
DJANGO_CHECK_OPTIONS = ("--deploy", "--tag", "-t", "--list-tags", "--fail-level", "--database")


def wants_django_check(argv: list[str]) -> bool:
    """`dangjian check` with no FILE/--db/--policy/--year, or with a Django-only option."""
    args = argv[2:]
    if any(a.split("=", 1)[0] in DJANGO_CHECK_OPTIONS for a in args):
        return True
    ours = ("--db", "--policy", "--year", "--as-of", "--org", "--format")
    has_ours = any(a.split("=", 1)[0] in ours for a in args)
    has_file = any(not a.startswith("-") for a in args)
    return not has_ours and not has_file


class Command(BaseCommand):
    help = (
        "按规定包检查数据集文件或数据库，输出问题与预警（dangjian-findings/1）；"
        "不带文件或 --db、或带 --deploy/--tag 等选项时，运行 Django 系统检查"
    )
    requires_system_checks: list[str] = []

    # Run from the command line (not `call_command`): the process ends with the command.
    process_ends = False

    def run_from_argv(self, argv: list[str]) -> None:
        if wants_django_check(argv):
            django_check.Command().run_from_argv(argv)
            return
        self.process_ends = True
        super().run_from_argv(argv)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="dangjian/1 数据集文件（JSON）")
        parser.add_argument("--db", action="store_true", help="检查已配置的数据库")
        parser.add_argument("--policy", help="规定包编号，如 yunnan-2019")
        parser.add_argument("--year", type=int, help="检查年度")
        parser.add_argument("--as-of", dest="as_of", help="检查日 YYYY-MM-DD（默认为年度最后一天）")
        parser.add_argument("--org", help="只检查该党组织（编号）及其下级")
        parser.add_argument("--format", choices=["json", "text"], default="json")

    def handle(self, *args: Any, **opts: Any) -> None:
        if not (opts["file"] or opts["db"] or opts["policy"] or opts["year"]):
            # Bare `dangjian check`: Django's system checks, which this command shadows.
            self.check(display_num_errors=True)
            return
        if not opts["policy"] or opts["year"] is None:
            raise CommandError("须给出 --policy PACK 和 --year YYYY", returncode=2)
        if bool(opts["file"]) == bool(opts["db"]):
            raise CommandError("请给出数据集文件，或使用 --db 检查数据库（二者选一）", returncode=2)
        as_of = None
        if opts["as_of"]:
            try:
                as_of = date.fromisoformat(opts["as_of"])
            except ValueError:
                raise CommandError(
                    f"--as-of 日期无效：{opts['as_of']!r}（应为 YYYY-MM-DD）", returncode=2
                ) from None
        if not 1900 <= opts["year"] <= 2999:
            raise CommandError(f"--year 无效：{opts['year']}", returncode=2)
        kwargs = {
            "pack": opts["policy"],
            "year": opts["year"],
            "as_of": as_of,
            "org_ext_id": opts["org"],
        }
        # On `--db`, the cycle collector stays off until the report is out; when the process
        # ends with the command, what is left then is frozen rather than walked
        # (engine.gc_paused). Not for a file: its import keeps the collector.
        with gc_paused(freeze=self.process_ends) if opts["db"] else nullcontext():
            try:
                if opts["db"]:
                    report = check_database(**kwargs)
                else:
                    report = check_file(opts["file"], **kwargs)
            except CheckInputError as exc:
                raise CommandError(str(exc), returncode=2) from exc
            if opts["format"] == "json":
                # Compact and streamed: a province-wide report holds hundreds of thousands
                # of findings; the text is that of json.dumps(report.as_dict(), compact).
                # To the process's stdout as bytes (not decoded to be encoded again).
                binary = getattr(self.stdout, "buffer", None)
                if binary is None:  # a text stream (call_command's stdout=…)
                    for piece in report.iter_json():
                        self.stdout.write(piece, ending="")
                    self.stdout.write("")
                else:
                    self.stdout.flush()
                    for chunk in report.iter_json_bytes():
                        binary.write(chunk)
                    binary.write(b"\n")
                    binary.flush()
            else:
                self.stdout.write(render_text(report))
