"""Rendering a books `Document` as Word (python-docx) or PDF (fpdf2 with a CJK font
installed on the server: fonts-wqy-zenhei from `scripts/ensure-system.sh`)."""

from __future__ import annotations

import io
import logging
import os
from functools import lru_cache
from typing import Any

from django.conf import settings

from dangjian.books.documents import Document, Heading, PageBreak, Para, Table

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_CONTENT_TYPE = "application/pdf"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
DOCX_FONT = "宋体"


class PdfUnavailable(RuntimeError):
    """No CJK font on this server: the PDF would print empty boxes."""


# ---------------------------------------------------------------- Word


def _east_asian(run_or_style: Any, name: str) -> None:
    from docx.oxml.ns import qn

    run_or_style.font.name = name
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)


def to_docx(doc: Document) -> bytes:
    from docx import Document as Docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.section import WD_SECTION_START as SECTION_START
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt

    out = Docx()
    out.core_properties.title = doc.title
    normal = out.styles["Normal"]
    _east_asian(normal, DOCX_FONT)
    normal.font.size = Pt(10.5)
    for style in ("Title", "Heading 1", "Heading 2"):
        _east_asian(out.styles[style], DOCX_FONT)
    section = out.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2))
    pending_break = False
    for block in doc.blocks:
        if isinstance(block, PageBreak):
            if block.landscape:
                new = out.add_section(SECTION_START.NEW_PAGE)
                new.orientation = WD_ORIENT.LANDSCAPE
                new.page_width, new.page_height = Cm(29.7), Cm(21)
            else:
                pending_break = True
            continue
        if pending_break:
            out.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            pending_break = False
        if isinstance(block, Heading):
            if block.level == 0:
                p = out.add_paragraph(style="Title")
                p.add_run(block.text)
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                out.add_heading(block.text, level=block.level)
        elif isinstance(block, Para):
            p = out.add_paragraph()
            run = p.add_run(block.text)
            run.bold = block.bold
            if block.center:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif isinstance(block, Table):
            _docx_table(out, block, Cm, Pt)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _docx_table(out: Any, block: Table, Cm: Any, Pt: Any) -> None:
    header = 0 if block.key_value else 1
    table = out.add_table(rows=len(block.rows) + header, cols=len(block.widths))
    table.style = "Table Grid"
    section = out.sections[-1]
    usable = (section.page_width - section.left_margin - section.right_margin) / 360000  # cm
    total = sum(block.widths)
    widths = [Cm(usable * w / total) for w in block.widths]
    lines = ([block.headers] if header else []) + block.rows
    # One pass over the rows (reading a column's cells walks the whole table each time).
    for r, row in enumerate(table.rows):
        cells = row.cells
        for i, text in enumerate(lines[r]):
            cell = cells[i]
            cell.width = widths[i]
            bold = r < header or (block.key_value and i == 0)
            if bold:
                cell.paragraphs[0].add_run(text).bold = True
            else:
                cell.text = text
    out.add_paragraph()


# ---------------------------------------------------------------- PDF


@lru_cache(maxsize=1)
def pdf_font() -> str | None:
    """The CJK font file the PDF uses (DANGJIAN_PDF_FONT, else a Debian package's)."""
    configured = getattr(settings, "DANGJIAN_PDF_FONT", "") or os.environ.get(
        "DANGJIAN_PDF_FONT", ""
    )
    for path in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if path and os.path.isfile(path):
            return path
    return None


def pdf_available() -> bool:
    return pdf_font() is not None


def to_pdf(doc: Document) -> bytes:
    from fpdf import FPDF, FontFace
    from fpdf.enums import XPos, YPos

    # fontTools reports each font table it drops while subsetting: not news for users.
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    font = pdf_font()
    if font is None:
        raise PdfUnavailable("服务器未安装中文字体，无法生成 PDF，请下载 Word 版")

    class Book(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("cjk", size=8)
            self.cell(0, 6, f"{doc.title}　第 {self.page_no()} 页", align="C")

    pdf = Book(format="A4")
    pdf.set_title(doc.title)
    # The first face of a collection (.ttc); a plain font file ignores the number.
    # Loading the font is most of the time taken: one face, headings without emphasis.
    pdf.add_font("cjk", "", font, collection_font_number=0)
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(18, 15, 18)
    pdf.add_page()
    pdf.set_font("cjk", size=10)
    first_page = True
    orientation = "P"
    for block in doc.blocks:
        if isinstance(block, PageBreak):
            orientation = "L" if block.landscape else orientation
            pdf.add_page(orientation=orientation)
            continue
        if isinstance(block, Heading):
            if block.level == 0:
                if first_page:
                    pdf.ln(50)
                    first_page = False
                pdf.set_font("cjk", size=22)
                pdf.multi_cell(0, 14, block.text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            else:
                pdf.ln(3)
                pdf.set_font("cjk", size=15 if block.level == 1 else 12)
                height = 9 if block.level == 1 else 7
                pdf.multi_cell(0, height, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font("cjk", size=10)
        elif isinstance(block, Para):
            align = "C" if block.center else "L"
            pdf.multi_cell(0, 7, block.text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        elif isinstance(block, Table):
            size = 8 if len(block.widths) > 8 else 9
            pdf.set_font("cjk", size=size)
            with pdf.table(
                col_widths=tuple(block.widths),
                first_row_as_headings=not block.key_value,
                headings_style=FontFace(emphasis="", fill_color=(235, 235, 235)),
                line_height=size * 0.55,
                text_align="LEFT",
            ) as table:
                if not block.key_value:
                    row = table.row()
                    for text in block.headers:
                        row.cell(text)
                for values in block.rows:
                    row = table.row()
                    for text in values:
                        row.cell(text)
            pdf.ln(3)
            pdf.set_font("cjk", size=10)
    return bytes(pdf.output())
