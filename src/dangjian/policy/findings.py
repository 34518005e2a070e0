"""Findings and the `dangjian-findings/1` report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FORMAT = "dangjian-findings/1"


@dataclass
class Finding:
    rule: str  # pack-qualified, e.g. "yunnan-2019/training-hours-member"
    source: dict[str, str]
    subject: dict[str, str]  # {"type": "organization"|"person", "id": ext id, "name": ...}
    period: str
    severity: str  # "violation" | "warning"
    required: Any
    actual: Any
    due: str | None
    evidence: list[str]
    message: str
    org: dict[str, str] = field(default_factory=dict)  # where it belongs: {"id", "name"}

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "source": self.source,
            "subject": self.subject,
            "period": self.period,
            "severity": self.severity,
            "required": self.required,
            "actual": self.actual,
            "due": self.due,
            "evidence": self.evidence,
            "message": self.message,
            "org": self.org,
        }


@dataclass
class Report:
    policy: str
    year: int
    as_of: str
    findings: list[Finding]
    rules: int
    subjects: int
    pack_version: str

    @property
    def violations(self) -> int:
        return sum(1 for f in self.findings if f.severity == "violation")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "policy": self.policy,
            "year": self.year,
            "as_of": self.as_of,
            "pack_version": self.pack_version,
            "findings": [f.as_dict() for f in self.findings],
            "summary": {
                "rules": self.rules,
                "subjects": self.subjects,
                "violations": self.violations,
                "warnings": self.warnings,
            },
        }
