"""Excel pages: templates, upload → preview → import all valid rows or nothing, exports.

Only administrators use them, and only for organisations they administer.
An upload is kept as a file under MEDIA_ROOT until the user decides; the
session remembers which uploads are theirs.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from dangjian.access.selectors import is_admin
from dangjian.interchange.errors import DatasetError
from dangjian.orgs.models import Organization
from dangjian.spreadsheets import limits, selectors
from dangjian.spreadsheets.analysis import (
    Analysis,
    analysis_check,
    analysis_from_json,
    analysis_remap,
    analysis_to_json,
    workbook_analyse,
)
from dangjian.spreadsheets.columns import (
    ADMISSION,
    COMMUNITY,
    DUES,
    LEDGER,
    MAP_EXTRA,
    MAP_IGNORE,
    REGISTRATIONS,
    REVIEWS,
    ROSTER,
    SHEETS,
    SHEETS_BY_KEY,
    TRAININGS,
)
from dangjian.spreadsheets.matching import NEW, Choices
from dangjian.spreadsheets.services import workbook_import
from dangjian.spreadsheets.workbooks import (
    XLSX_CONTENT_TYPE,
    data_workbook,
    failed_rows_workbook,
    table_workbook,
    tables_workbook,
    template_workbook,
)
from dangjian.web.views.common import year_param

MAX_UPLOAD_BYTES = limits.MAX_BYTES
SESSION_KEY = "spreadsheets.uploads"
PREVIEW_ROWS = 500
PREVIEW_ERRORS = 2000


def admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to the login page) and an administrator somewhere (else 403)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_admin(request.user):
            raise PermissionDenied("只有党组织管理员可以导入导出 Excel")
        return view(request, *args, **kwargs)

    return wrapped


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "excel-uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(older_than: datetime.timedelta = datetime.timedelta(days=2)) -> None:
    """Delete uploads nobody decided on (their sessions are long gone)."""
    cutoff = (datetime.datetime.now() - older_than).timestamp()
    for path in _upload_dir().glob("*.json"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _upload(request: HttpRequest, token: str, *, pending: bool = False) -> tuple[Analysis, str]:
    """The kept analysis and the name of one of this session's uploads, else 404.

    `pending`: only an upload not yet imported (an import is done once).
    """
    entry = request.session.get(SESSION_KEY, {}).get(token)
    path = _upload_dir() / f"{token}.json"
    if entry is None or not path.is_file() or (pending and entry.get("done")):
        raise Http404("上传的文件不存在或已处理")
    return analysis_from_json(path.read_text(encoding="utf-8")), str(entry["name"])


def _choices(request: HttpRequest, token: str) -> Choices | None:
    """The user's answers for this upload so far (column mapping, who is who), if any."""
    entry = request.session.get(SESSION_KEY, {}).get(token) or {}
    if not entry.get("choices"):
        return None
    return Choices.from_json(entry["choices"])


def _analysis(request: HttpRequest, token: str, *, pending: bool = False) -> tuple[Analysis, str]:
    """The upload's rows as checked at upload (or at import, once done); under the
    user's answers in the preview, re-read and re-checked from the kept rows (the
    workbook itself is not kept, nor read again)."""
    analysis, filename = _upload(request, token, pending=pending)
    entry = request.session.get(SESSION_KEY, {}).get(token) or {}
    choices = _choices(request, token)
    if choices is not None and not entry.get("done"):
        analysis = analysis_check(
            analysis_remap(analysis, choices), user=request.user, choices=choices
        )
    return analysis, filename


def _mark_done(request: HttpRequest, token: str) -> None:
    """Keep the file for its failed-rows download, but refuse a second import."""
    uploads = dict(request.session.get(SESSION_KEY, {}))
    uploads[token] = {**uploads[token], "done": True}
    request.session[SESSION_KEY] = uploads


def _forget(request: HttpRequest, token: str) -> None:
    uploads = dict(request.session.get(SESSION_KEY, {}))
    uploads.pop(token, None)
    request.session[SESSION_KEY] = uploads
    (_upload_dir() / f"{token}.json").unlink(missing_ok=True)


# ---------------------------------------------------------------- pages


@require_GET
@admin_required
def index(request: HttpRequest) -> HttpResponse:
    orgs = selectors.export_orgs(request.user).exclude(type="party_cell")[:500]
    return render(
        request,
        "spreadsheets/index.html",
        {
            "sheets": SHEETS,
            "orgs": orgs,
            "year": datetime.date.today().year,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        },
    )


@require_GET
@admin_required
def template(request: HttpRequest, key: str) -> HttpResponse:
    spec = SHEETS_BY_KEY.get(key)
    if spec is None:
        raise Http404(key)
    return _xlsx(template_workbook(spec), f"{spec.label}模板.xlsx")


@require_POST
@admin_required
def upload(request: HttpRequest) -> HttpResponse:
    file = request.FILES.get("file")
    if file is None:
        messages.error(request, "请选择要上传的 Excel 文件")
        return redirect("spreadsheets:index")
    if (file.size or 0) > limits.limit("MAX_BYTES"):
        messages.error(request, f"文件超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB，请拆分后上传")
        return redirect("spreadsheets:index")
    _sweep()
    # Read once, here: the analysis is kept and reused by the preview, the
    # failed-rows file and the import; the workbook itself is not kept.
    try:
        data = file.read()
        limits.archive_check(data)
        analysis = workbook_analyse(data, user=request.user)
    except limits.UploadRefused as refused:
        messages.error(request, f"文件“{file.name}”未被接受：{refused.message}")
        return redirect("spreadsheets:index")
    token = secrets.token_urlsafe(16)
    (_upload_dir() / f"{token}.json").write_text(analysis_to_json(analysis), encoding="utf-8")
    uploads = dict(request.session.get(SESSION_KEY, {}))
    uploads[token] = {"name": (file.name or "上传.xlsx")[-120:], "done": False}
    request.session[SESSION_KEY] = uploads
    return redirect("spreadsheets:preview", token=token)


@require_GET
@admin_required
def preview(request: HttpRequest, token: str) -> HttpResponse:
    analysis, filename = _analysis(request, token, pending=True)
    errors = [
        (sheet.title, row.number, e.column, e.reason)
        for sheet in analysis.sheets
        for row in sheet.failed
        for e in row.errors
    ]
    return render(
        request,
        "spreadsheets/preview.html",
        {
            "token": token,
            "filename": filename,
            "analysis": analysis,
            "errors": errors[:PREVIEW_ERRORS],
            "errors_hidden": max(0, len(errors) - PREVIEW_ERRORS),
            "preview_rows": PREVIEW_ROWS,
            "asks": any(s.mappable or s.questions or s.needs_org for s in analysis.sheets),
            "branches": selectors.export_orgs(request.user).exclude(type="party_cell")[:500]
            if any(s.needs_org for s in analysis.sheets)
            else [],
            "map_extra": MAP_EXTRA,
            "map_ignore": MAP_IGNORE,
            "new_person": NEW,
        },
    )


@require_POST
@admin_required
def choose(request: HttpRequest, token: str) -> HttpResponse:
    """Keep the user's answers from the preview: what each unrecognised column holds
    (`map-<sheet index>-<column index>`) and who a roster row is
    (`person-<sheet index>-<row number>`); then show the preview again."""
    analysis, _ = _analysis(request, token, pending=True)
    choices = _choices(request, token) or Choices()
    for number, sheet in enumerate(analysis.sheets):
        allowed = {value for value, _ in sheet.map_options()}
        columns = dict(choices.for_columns(sheet.title))
        for m in sheet.mappable:
            value = request.POST.get(f"map-{number}-{m.index}")
            if value is not None and value in allowed:
                columns[m.index] = value
        choices.columns[sheet.title] = columns
        people = dict(choices.for_people(sheet.title))
        for row in sheet.rows:
            answer = request.POST.get(f"person-{number}-{row.number}")
            if row.question and answer in {value for value, _ in row.question}:
                people[row.number] = answer
        choices.people[sheet.title] = people
        org = request.POST.get(f"org-{number}")
        if sheet.needs_org and org is not None:
            choices.orgs[sheet.title] = org[:64]
    uploads = dict(request.session.get(SESSION_KEY, {}))
    uploads[token] = {**uploads[token], "choices": choices.as_json()}
    request.session[SESSION_KEY] = uploads
    messages.info(request, "已按您的选择重新检查，请核对后导入")
    return redirect("spreadsheets:preview", token=token)


@require_POST
@admin_required
def commit(request: HttpRequest, token: str) -> HttpResponse:
    """Import every valid row (the user chose "all valid rows")."""
    analysis, filename = _upload(request, token, pending=True)
    try:
        result = workbook_import(
            analysis=analysis,
            filename=filename,
            actor=request.actor,  # type: ignore[attr-defined]
            choices=_choices(request, token),
        )
    except DatasetError as exc:
        messages.error(request, f"导入失败，没有写入任何数据：{exc.render(limit=5)}")
        return redirect("spreadsheets:preview", token=token)
    except limits.UploadRefused as refused:
        messages.error(request, f"导入失败，没有写入任何数据：{refused.message}")
        return redirect("spreadsheets:preview", token=token)
    if result.summary is None:
        messages.warning(request, "没有可以导入的有效行，没有写入任何数据")
        return redirect("spreadsheets:preview", token=token)
    failed = result.analysis.failed_count
    if failed:
        _mark_done(request, token)
        # The failed-rows file follows the rows as checked at import time.
        (_upload_dir() / f"{token}.json").write_text(
            analysis_to_json(result.analysis), encoding="utf-8"
        )
    else:
        _forget(request, token)
    text = f"已导入 {result.analysis.valid_count} 行"
    if failed:
        text += f"；{failed} 行有错误未导入，可下载出错行修改后重新上传"
    messages.success(request, text)
    return render(
        request,
        "spreadsheets/done.html",
        {
            "analysis": result.analysis,
            "summary": result.summary,
            "filename": filename,
            "token": token if failed else None,
        },
    )


@require_POST
@admin_required
def discard(request: HttpRequest, token: str) -> HttpResponse:
    """Import nothing (the user chose "nothing")."""
    _upload(request, token, pending=True)
    _forget(request, token)
    messages.info(request, "已取消导入，没有写入任何数据")
    return redirect("spreadsheets:index")


@require_GET
@admin_required
def failed_rows(request: HttpRequest, token: str) -> HttpResponse:
    analysis, filename = _analysis(request, token)
    content = failed_rows_workbook(
        (sheet.spec, sheet.headers, [(row.values, row.error_text()) for row in sheet.failed])
        for sheet in analysis.sheets
        if sheet.failed
    )
    stem = Path(filename).stem or "上传"
    return _xlsx(content, f"{stem}-出错行.xlsx")


# ---------------------------------------------------------------- exports

EXPORTS = {
    "roster": "党员名册",
    "ledger": "组织生活台账",
    "trainings": "学习培训",
    "reviews": "民主评议党员",
    "community": "社区服务",
    "registrations": "社区报到",
    "admission": "发展党员",
    "dues": "党费交纳",
    "findings": "问题清单",
    "schedule": "工作日程",
}


@require_GET
@admin_required
def export(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in EXPORTS:
        raise Http404(kind)
    org_id = request.GET.get("org", "").strip()
    org: Organization = get_object_or_404(selectors.export_orgs(request.user), ext_id=org_id)
    year = year_param(request)
    name = f"{org.name}-{EXPORTS[kind]}"
    if kind == "roster":
        content = data_workbook([(ROSTER, selectors.roster_rows(org))])
        return _xlsx(content, f"{name}.xlsx")
    # Whole histories, not one year's: registrations last for years, steps build on each other.
    if kind == "registrations":
        content = data_workbook([(REGISTRATIONS, selectors.registration_rows(org))])
        return _xlsx(content, f"{name}.xlsx")
    if kind == "admission":
        content = data_workbook([(ADMISSION, selectors.admission_rows(org))])
        return _xlsx(content, f"{name}.xlsx")
    if kind == "ledger":
        content = data_workbook([(LEDGER, selectors.ledger_rows(org, year))])
    elif kind == "trainings":
        content = data_workbook([(TRAININGS, selectors.training_rows(org, year))])
    elif kind == "reviews":
        content = data_workbook([(REVIEWS, selectors.review_rows(org, year))])
    elif kind == "dues":
        content = data_workbook([(DUES, selectors.dues_rows(org, year))])
    elif kind == "community":
        content = data_workbook([(COMMUNITY, selectors.community_rows(org, year))])
    elif kind == "schedule":
        content = _schedule_workbook(org, year)
    else:
        from dangjian.policy.selectors import findings_for_org
        from dangjian.web.page_findings import rule_titles

        # The stored findings, computed for the pages' check day (policy.days: today, or
        # a past year's end); the title says which day they are for.
        report = findings_for_org(org=org, year=year).as_dict()
        content = table_workbook(
            f"问题清单{year}（截至{report['as_of']}）",
            selectors.FINDING_HEADERS,
            selectors.finding_rows(report, rule_titles(org)),
        )
    return _xlsx(content, f"{name}-{year}.xlsx")


def _schedule_workbook(org: Organization, year: int) -> bytes:
    """Every line of the schedule; a committee's longer than a sheet should hold is
    counted per department and rule instead, with a sheet saying where the lines are."""
    from dangjian.policy import schedule_query
    from dangjian.policy.selectors import schedule_for_org

    lines = schedule_query.committee_line_count(org, year) if org.depth == 0 else 0
    if lines <= schedule_query.SHEET_LINES_MAX:
        schedule = schedule_for_org(org=org, year=year)
        return table_workbook(
            f"工作日程{year}（截至{schedule.as_of.isoformat()}"
            f"{'，正在更新' if schedule.updating else ''}）",
            selectors.SCHEDULE_HEADERS,
            selectors.schedule_rows(schedule.items),
        )
    page = schedule_query.schedule_page(
        org=org, year=year, where=schedule_query.ScheduleFilter(), limit=0
    )
    head = page.schedule
    note = (
        f"本组织{year}年工作日程共 {lines} 项，超过单表 {schedule_query.SHEET_LINES_MAX} 项，"
        "本表按部门和规则汇总各状态的项数。明细请进入部门后导出工作日程，"
        "或通过接口 /api/v1/schedule/ 分页读取。"
    )
    return tables_workbook(
        [
            (
                f"工作日程汇总{year}（截至{head.as_of.isoformat()}"
                f"{'，正在更新' if head.updating else ''}）",
                selectors.SCHEDULE_SUMMARY_HEADERS,
                selectors.schedule_summary_rows(schedule_query.department_counts(org, year)),
            ),
            ("说明", ["说明"], [[note]]),
        ]
    )
