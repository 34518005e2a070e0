"""Importing the valid rows of an analysed workbook: one transaction, audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from dangjian.core.actor import Actor
from dangjian.core.audit import audit_record
from dangjian.interchange.importer import ImportSummary, ListCount, dataset_import
from dangjian.spreadsheets.analysis import Analysis, analysis_check, analysis_remap, workbook_read
from dangjian.spreadsheets.matching import Choices
from dangjian.spreadsheets.steps import steps_passed, steps_still_pass, steps_take


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
    refuses the dataset or the pipeline refuses a 发展党员 step, `limits.UploadRefused` for a file past a limit.
    """
    if analysis is None:
        assert data is not None, "give the workbook's bytes or its analysis"
        analysis = workbook_read(data)
    # Admission rows the preview accepted, before the rows are read and checked again.
    passed = steps_passed(analysis.sheets)
    if choices is not None:
        analysis = analysis_remap(analysis, choices)
    analysis = analysis_check(analysis, user=actor.user, choices=choices)
    steps_still_pass(passed, analysis.sheets)
    if analysis.valid_count == 0:
        return WorkbookImport(analysis=analysis, summary=None)
    with transaction.atomic():
        summary = dataset_import(analysis.dataset(), actor=actor)
        # After the people: a step may follow a date the roster sheet just set.
        taken = steps_take(analysis.sheets, actor=actor)
        if taken:
            summary.counts["admission_steps"] = ListCount(created=taken)
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
