"""The printable books as plain blocks (headings, paragraphs, tables), so the Word and
the PDF renderings say exactly the same thing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dangjian.books.selectors import LedgerBook, MeetingEntry, RecordBook, month_label
from dangjian.policy import days

NUMERALS = "一二三四五六七八九十"


@dataclass
class Heading:
    text: str
    level: int = 1  # 0 = the cover's title


@dataclass
class Para:
    text: str
    bold: bool = False
    center: bool = False


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]  # relative column widths
    key_value: bool = False  # a two-column form: label | value, no header row


@dataclass
class PageBreak:
    landscape: bool = False  # the page(s) after the break are landscape


@dataclass
class Document:
    title: str
    blocks: list[Any] = field(default_factory=list)

    def add(self, block: Any) -> None:
        self.blocks.append(block)


def cn_date(day: datetime.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def number(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = f"{value:.2f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def section_number(index: int) -> str:
    return NUMERALS[index] if index < len(NUMERALS) else str(index + 1)


def _cover(
    doc: Document, org_name: str, title: str, year: int, check: datetime.date, gen: datetime.date
) -> None:
    doc.add(Heading(org_name, 0))
    doc.add(Heading(f"{year}年度{title}", 0))
    doc.add(Para(days.as_of_label(check), center=True))
    doc.add(Para(f"生成日期：{cn_date(gen)}", center=True))
    doc.add(Para("本簿由系统根据已登记的记录生成，只含已录入的内容。", center=True))


def _absentee_text(entry: MeetingEntry) -> str:
    parts = []
    for a in entry.absentees:
        text = f"{a.name}（{a.reason}{'：' + a.note if a.note else ''}）"
        if a.made_up_on is not None:
            how = f"，{a.made_up_how}" if a.made_up_how else ""
            text += f"，已于{cn_date(a.made_up_on)}补学{how}"
        parts.append(text)
    return "；".join(parts)


def record_book_document(book: RecordBook) -> Document:
    doc = Document(title=f"{book.org.name}{book.year}年度会议记录簿")
    _cover(doc, book.org.name, "“三会一课”会议记录簿", book.year, book.check_day, book.generated_on)
    doc.add(
        Table(
            ["会议类型", "次数"],
            [[s.label, str(len(s.meetings))] for s in book.sections]
            + [["合计", str(book.meeting_count)]],
            [3, 1],
        )
    )
    doc.add(PageBreak())
    doc.add(Heading("会议目录", 1))
    index = sorted(
        (m for s in book.sections for m in s.meetings),
        key=lambda m: (m.activity.date, m.activity.pk),
    )
    if index:
        doc.add(
            Table(
                ["序号", "日期", "会议类型", "主题", "应到", "实到"],
                [
                    [
                        str(i),
                        cn_date(m.activity.date),
                        m.kind_label,
                        m.activity.title,
                        str(m.expected),
                        str(m.present),
                    ]
                    for i, m in enumerate(index, start=1)
                ],
                [0.6, 1.6, 2, 3.4, 0.7, 0.7],
            )
        )
    else:
        doc.add(Para("本年度尚无会议记录。"))
    for n, section in enumerate(book.sections):
        doc.add(PageBreak())
        doc.add(Heading(f"{section_number(n)}、{section.label}（{len(section.meetings)}次）", 1))
        for m in section.meetings:
            a = m.activity
            doc.add(Heading(f"{cn_date(a.date)}　{a.title or m.kind_label}", 2))
            rows = [["会议类型", m.kind_label], ["日期", cn_date(a.date)]]
            if a.org_id != book.org.pk:
                rows.append(["组织单位", m.org_name])
            if m.place:
                rows.append(["地点", m.place])
            if a.title:
                rows.append(["主题", a.title])
            if a.speaker is not None:
                rows.append(["主讲人", a.speaker.name])
            if a.hours is not None:
                rows.append(["时长（学时）", number(a.hours)])
            rows.append(
                [
                    "应到/实到",
                    f"应到{m.expected}人，实到{m.present}人"
                    + (f"，缺席{len(m.absentees)}人" if m.absentees else "")
                    + (f"，补学{m.made_up}人" if m.made_up else ""),
                ]
            )
            rows.append(["参加人员", "、".join(m.attendees) or "（未登记）"])
            rows.append(["缺席人员", _absentee_text(m) or "无"])
            rows.append(["会议记录", m.minutes or "（未录入会议记录）"])
            doc.add(Table([], rows, [1, 4], key_value=True))
    return doc


def ledger_book_document(book: LedgerBook) -> Document:
    doc = Document(title=f"{book.org.name}{book.year}年度台账")
    _cover(doc, book.org.name, "党建工作台账", book.year, book.check_day, book.generated_on)
    doc.add(PageBreak())
    doc.add(Heading("一、学习培训学时", 1))
    note = "要求学时取自检查结果"
    if book.hours_as_of:
        note += f"（{days.as_of_label(book.hours_as_of)}）"
    doc.add(Para(note + "；已完成学时为本年度登记的培训学时合计。"))
    if book.hours:
        doc.add(
            Table(
                ["序号", "姓名", "所在组织", "参加组织生活（次）", "已完成学时", "要求学时"],
                [
                    [
                        str(i),
                        r.name,
                        r.org_name,
                        str(r.attended),
                        number(r.hours),
                        number(r.required),
                    ]
                    for i, r in enumerate(book.hours, start=1)
                ],
                [0.6, 1.4, 2.6, 1.4, 1.2, 1.2],
            )
        )
    else:
        doc.add(Para("无党员。"))
    doc.add(Heading("二、报告、清单与述职报送", 1))
    if book.filings:
        doc.add(
            Table(
                ["序号", "报送组织", "报送事项", "所属期间", "报送日期", "报送人"],
                [
                    [
                        str(i),
                        f.org.name,
                        f.get_kind_display(),
                        f.period,
                        cn_date(f.date),
                        f.by.name if f.by else "",
                    ]
                    for i, f in enumerate(book.filings, start=1)
                ],
                [0.6, 2.2, 2.4, 1.2, 1.6, 1.2],
            )
        )
    else:
        doc.add(Para("本年度尚无报送记录。"))
    doc.add(PageBreak(landscape=True))
    doc.add(Heading("三、党费收缴", 1))
    doc.add(Para("按本组织党员名册逐月列出实交金额（元）；空白为该月未交。"))
    if book.dues:
        doc.add(
            Table(
                ["姓名", "月应交", *[month_label(m) for m in book.months], "合计"],
                [
                    [r.name, money(r.expected), *[money(p) for p in r.paid], money(r.total)]
                    for r in book.dues
                ],
                [1.6, 1.1, *[1.0 for _ in book.months], 1.2],
            )
        )
    else:
        doc.add(Para("本组织名册上无需交纳党费的党员。"))
    return doc
