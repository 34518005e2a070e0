"""dangjian policies [--show PACK [--coverage]] [--validate FILE]"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.policy.packs import PackError, list_packs, load_pack, load_pack_file


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = (
        "列出规定包；--show 显示每条规则及其依据；"
        "--coverage 显示义务覆盖情况；--validate 校验规定包文件"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--show", metavar="PACK")
        parser.add_argument("--coverage", action="store_true")
        parser.add_argument("--validate", metavar="FILE")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["validate"]:
                pack = load_pack_file(opts["validate"])
                self.stdout.write(
                    f"规定包 {pack.id} 校验通过：本包规则 {len(pack.own_rules)}"
                    f" 条，生效规则 {len(pack.rules)} 条"
                )
                return
            if opts["show"]:
                pack = load_pack(opts["show"])
                self.stdout.write(self.coverage(pack) if opts["coverage"] else self.show(pack))
                return
        except (PackError, OSError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if opts["coverage"]:
            raise CommandError("--coverage 须与 --show PACK 一起使用", returncode=2)
        for pid in list_packs():
            try:
                pack = load_pack(pid)
            except PackError as exc:
                self.stdout.write(f"{pid}\t（无法加载：{exc}）")
                continue
            doc = pack.document
            base = f"，扩展 {pack.extends}" if pack.extends else ""
            self.stdout.write(
                f"{pid}\t{doc['title']}（{doc['issuer']}"
                f"，{doc.get('issued') or '—'}）规则 {len(pack.rules)} 条{base}"
            )

    def show(self, pack: Any) -> str:
        doc = pack.document
        lines = [
            f"{pack.id}：{doc['title']}",
            f"发布：{doc['issuer']} {doc.get('issued') or ''}　施行：{doc.get('effective') or ''}"
            + (f"　废止：{'、'.join(doc['supersedes'])}" if doc.get("supersedes") else ""),
            f"版本：{pack.version}",
            "",
        ]
        for r in pack.rules:
            c = r.citation
            lines.append(f"{r.qualified_id}　{r.title}")
            lines.append(
                f"  依据：{c['document']} {c.get('clause') or '（未注条款）'}：“{c['quote']}”"
            )
            lines.append(
                f"  类型：{r.kind}　对象"
                f"：{json.dumps(r.applies_to, ensure_ascii=False)}　周期：{r.period}"
                f"　提前提醒：{r.reminder_days} 天"
            )
            lines.append(f"  参数：{json.dumps(r.params, ensure_ascii=False)}")
            if r.replaces:
                lines.append(f"  替代：{'、'.join(r.replaces)}")
            if r.adds_to:
                lines.append(f"  并行（不降低其最低要求）：{'、'.join(r.adds_to)}")
            if r.severity == "warning":
                lines.append("  级别：只作预警（本规则包选定的理解，或记录无法显示全部条件）")
            if r.note:
                lines.append(f"  说明：{r.note}")
            lines.append("")
        return "\n".join(lines)

    def coverage(self, pack: Any) -> str:
        lines = [f"{pack.id}：{pack.title} — 义务覆盖", ""]
        encoded = missing = 0
        for e in pack.coverage:
            if "rules" in e:
                encoded += 1
                ids = [r if "/" in r else f"{pack.id}/{r}" for r in e["rules"]]
                lines.append(f"✓ [{e['clause']}] {e['obligation']} → {'、'.join(ids)}")
            else:
                missing += 1
                lines.append(f"✗ [{e['clause']}] {e['obligation']} — 未编码：{e['not_encoded']}")
        if pack.base is not None:
            lines.append("")
            lines.append(
                f"另继承基础规定包 {pack.base.id} 的规则（已替代的除外）"
                f"，见 --show {pack.base.id} --coverage。"
            )
        lines.append("")
        lines.append(f"合计：已编码 {encoded} 项，未编码 {missing} 项")
        return "\n".join(lines)
