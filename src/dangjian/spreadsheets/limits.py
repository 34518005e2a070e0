"""Bounds on an uploaded workbook, checked before and while it is parsed.

An `.xlsx` file is a zip archive of XML parts, so a small upload can expand
into gigabytes (a "zip bomb"), declare or hold millions of empty rows, or carry
one enormous cell. Each check here refuses such a file with a Chinese message
(`UploadRefused`) before it costs much time or memory:

- the archive: its size, the total uncompressed size of its members, each
  member's compression ratio and the number of members (`archive_check`,
  read from the zip directory only, nothing is inflated);
- each sheet: the rows and columns its `<dimension>` declares;
- while rows stream: every row counts toward the limit, blank or not (the gaps
  of a sparse sheet included), no row is read past the column limit, no cell
  is longer than Excel allows, and the whole reading has a deadline.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

# The defaults; each can be set in Django settings under the same name with a
# DANGJIAN_UPLOAD_ prefix (DANGJIAN_UPLOAD_MAX_ROWS ...).
MAX_BYTES = 10 * 1024 * 1024  # the uploaded file
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # all zip members inflated
MAX_RATIO = 100  # inflated / compressed, per member larger than RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_MEMBERS = 500
MAX_ROWS = 20000  # data rows per sheet, blank rows included
MAX_COLUMNS = 64
MAX_CELL_CHARS = 32767  # Excel's own limit for a cell
MAX_SECONDS = 60  # reading and analysing one upload


class UploadRefused(Exception):
    """The file is refused as a whole; `message` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def limit(name: str) -> int:
    default: int = globals()[name]
    return int(getattr(settings, f"DANGJIAN_UPLOAD_{name}", default))


def _mb(value: int) -> str:
    return f"{value / (1024 * 1024):g} MB"


def archive_check(data: bytes) -> None:
    """Refuse a file whose zip directory promises too much; nothing is inflated."""
    if len(data) > limit("MAX_BYTES"):
        raise UploadRefused(f"文件超过 {_mb(limit('MAX_BYTES'))}，请拆分后上传")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UploadRefused("无法读取该文件，请上传 .xlsx 格式的 Excel 工作簿") from None
    if len(members) > limit("MAX_MEMBERS"):
        raise UploadRefused(f"文件内部包含 {len(members)} 个部件，不是正常的 Excel 工作簿")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > RATIO_FLOOR and member.file_size > limit("MAX_RATIO") * max(
            member.compress_size, 1
        ):
            raise UploadRefused(
                f"文件压缩比异常（{member.filename} 解压后 {_mb(member.file_size)}，"
                f"压缩后仅 {member.compress_size} 字节），已拒绝"
            )
    if total > limit("MAX_UNCOMPRESSED_BYTES"):
        raise UploadRefused(
            f"文件解压后达 {_mb(total)}，超过 {_mb(limit('MAX_UNCOMPRESSED_BYTES'))}，请拆分后上传"
        )


@dataclass
class Deadline:
    """The time an upload may take to read and analyse."""

    ends: float

    @classmethod
    def start(cls) -> Deadline:
        return cls(time.monotonic() + limit("MAX_SECONDS"))

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise UploadRefused(f"文件处理超过 {limit('MAX_SECONDS')} 秒仍未完成，请拆分后上传")


def sheet_rows(ws: Any, deadline: Deadline) -> Iterator[tuple[Any, ...]]:
    """The rows of a read-only worksheet as values, within every limit.

    The declared dimension is checked, then ignored (a sheet may lie about it):
    rows are read as they are in the file, gaps filled with blank rows, each
    counted. The header row is the first one (or below title rows, which count as
    rows too); `MAX_ROWS` rows may follow the first. A row
    ends at its last non-empty cell.
    """
    max_rows, max_columns = limit("MAX_ROWS"), limit("MAX_COLUMNS")
    declared_rows, declared_columns = ws.max_row, ws.max_column
    if declared_rows is not None and declared_rows > max_rows + 1:
        raise UploadRefused(
            f"工作表“{ws.title}”有 {declared_rows - 1} 行，超过每表 {max_rows} 行的上限，"
            "请拆分后上传（空行也计入）"
        )
    if declared_columns is not None and declared_columns > max_columns:
        raise UploadRefused(
            f"工作表“{ws.title}”有 {declared_columns} 列，超过 {max_columns} 列的上限"
        )
    ws.reset_dimensions()
    max_cell = limit("MAX_CELL_CHARS")
    for number, values in enumerate(ws.iter_rows(max_col=max_columns, values_only=True), start=1):
        if number > max_rows + 1:
            raise UploadRefused(
                f"工作表“{ws.title}”超过每表 {max_rows} 行的上限（第 {number} 行仍有内容或空行），"
                "请拆分后上传"
            )
        if number % 500 == 0:
            deadline.check()
        for value in values:
            if isinstance(value, str) and len(value) > max_cell:
                raise UploadRefused(
                    f"工作表“{ws.title}”第 {number} 行有一个单元格超过 {max_cell} 个字符"
                )
        end = len(values)
        while end and values[end - 1] is None:
            end -= 1
        yield values[:end]  # as long as the row's last cell, not padded to the limit
