"""The text form of a report: for people, grouped by organisation, with totals."""

from __future__ import annotations

from collections import defaultdict

from dangjian.policy.findings import Finding, Report
from dangjian.policy.packs import load_pack

SEVERITY = {"violation": "违规", "warning": "预警"}


def render_text(report: Report) -> str:
    pack = load_pack(report.policy)
    lines = [
        f"规定：{pack.title}（{report.policy}）",
        f"年度：{report.year}　检查日：{report.as_of}　规则"
        f" {report.rules} 条，检查对象 {report.subjects} 个",
        f"合计：问题 {len(report.findings)} 项（违规 {report.violations}，预警 {report.warnings}）",
        "",
    ]
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        groups[(f.org.get("id", ""), f.org.get("name", "（未归属党组织）"))].append(f)
    for (org_id, org_name), items in sorted(groups.items()):
        v = sum(1 for f in items if f.severity == "violation")
        w = len(items) - v
        lines.append(f"■ {org_name}（{org_id}）　违规 {v}，预警 {w}")
        for f in sorted(
            items, key=lambda f: (f.severity != "violation", f.rule, f.period, f.subject["id"])
        ):
            lines.append(f"  [{SEVERITY[f.severity]}] {f.message}")
            clause = (
                f"第{f.source['clause']}条" if f.source["clause"].isdigit() else f.source["clause"]
            )
            where = f"{f.source['document']}{(' ' + clause) if clause else ''}"
            lines.append(f"      依据：{where}：“{f.source['quote']}”（{f.rule}）")
            if f.evidence:
                shown = "、".join(f.evidence[:8]) + ("……" if len(f.evidence) > 8 else "")
                lines.append(f"      记录：{shown}")
        lines.append("")
    if not report.findings:
        lines.append("未发现问题。")
    return "\n".join(lines).rstrip() + "\n"
