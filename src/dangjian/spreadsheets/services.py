"""Importing the valid rows of an analysed workbook: one transaction, audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.interchange.errors import DatasetError, Problem
from dangjian.interchange.importer import ImportSummary, ListCount, dataset_import
from dangjian.spreadsheets.analysis import (
    Analysis,
    SheetResult,
    analysis_check,
    analysis_remap,
    workbook_read,
)
from dangjian.spreadsheets.columns import ADMISSION, DUES
from dangjian.spreadsheets.matching import Choices
from dangjian.spreadsheets.payments import payments_record
from dangjian.spreadsheets.steps import steps_take

# Sheets written through a service of their own, row by row, not by the importer.
SERVICE_SHEETS = (ADMISSION, DUES)


@dataclass
class WorkbookImport:
    analysis: Analysis
    summary: ImportSummary | None  # None when there was nothing valid to import


def workbook_import(
    *,
    filename: str,
    actor: Actor,
    data: bytes | None = None,
    analysis: Analysis | None = None,
    choices: Choices | None = None,
) -> WorkbookImport:
    """Import every valid row of the workbook, all at once; failed rows are left out.

    Give the workbook's bytes, or the rows read from it at upload (`analysis`,
    kept since then: the file is not read again). Either way the rows are
    checked again here, so what is written is checked against the database as
    it is now. `choices` are the user's answers in the preview (column mapping,
    who is who). Raises `DatasetError` and writes nothing if the importer
    refuses the dataset, or the pipeline or dues service a row the preview
    accepted; `limits.UploadRefused` for a file past a limit.
    """
    if analysis is None:
        assert data is not None, "give the workbook's bytes or its analysis"
        analysis = workbook_read(data)
    # Admission rows the preview accepted, before the rows are read and checked again.
    passed = _service_rows_passed(analysis.sheets)
    if choices is not None:
        analysis = analysis_remap(analysis, choices)
    analysis = analysis_check(analysis, user=actor.user, choices=choices)
    _service_rows_still_pass(passed, analysis.sheets)
    if analysis.valid_count == 0:
        return WorkbookImport(analysis=analysis, summary=None)
    with transaction.atomic():
        summary = dataset_import(analysis.dataset(), actor=actor)
        # Steps last: the people they belong to are written first.
        taken = steps_take(analysis.sheets, actor=actor)
        if taken:
            summary.counts["admission_steps"] = ListCount(created=taken)
        paid = payments_record(analysis.sheets, actor=actor)
        if paid:
            summary.counts["dues"] = ListCount(created=paid)
        audit_record(
            actor=actor,
            action="excel_import",
            object_type="workbook",
            object_id=filename[:64],
            changes={
                "file": filename,
                "imported_rows": {
                    s.title: [r.number for r in s.valid] for s in analysis.sheets if s.valid
                },
                "skipped_rows": {
                    s.title: [r.number for r in s.failed] for s in analysis.sheets if s.failed
                },
                **summary.as_dict(),
            },
        )
    return WorkbookImport(analysis=analysis, summary=summary)


def _service_rows_passed(sheets: list[SheetResult]) -> set[tuple[str, int]]:
    """Rows of the service sheets found valid when the user saw the preview."""
    return {
        (s.title, r.number)
        for s in sheets
        if s.spec in SERVICE_SHEETS
        for r in s.rows
        if r.record is not None and r.ok
    }


def _service_rows_still_pass(passed: set[tuple[str, int]], sheets: list[SheetResult]) -> None:
    """Refuse the import if a service refuses now a row the preview accepted (someone
    recorded a step or a payment since): later steps build on earlier ones, a month's
    payments go together, so nothing is written rather than some."""
    problems = [
        Problem("", "", "", f"“{s.title}”第 {r.number} 行 {r.error_text()}")
        for s in sheets
        if s.spec in SERVICE_SHEETS
        for r in s.rows
        if (s.title, r.number) in passed and not r.ok
    ]
    if problems:
        raise DatasetError(problems)
