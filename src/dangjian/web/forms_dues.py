"""The monthly dues form: one line per member who has not paid for the month."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms

from dangjian.core.concurrency import VersionedForm
from dangjian.people.dues import MAX_MONTHS_AT_ONCE
from dangjian.people.dues_selectors import LedgerRow
from dangjian.people.dues_services import DuePayment, amount_field
from dangjian.policy import days
from dangjian.web.forms import DateInput

MONTH_CHOICES = [
    (n, "本月" if n == 1 else f"{n} 个月（按季度）") for n in range(1, MAX_MONTHS_AT_ONCE + 1)
]


class DuesMonthForm(VersionedForm):
    paid_on = forms.DateField(label="交纳日期", widget=DateInput(attrs={"class": "form-control"}))

    def __init__(self, *args: Any, rows: list[LedgerRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: list[tuple[LedgerRow, Any, Any, Any]] = []
        for row in rows:
            p = row.person
            self.fields[f"pay_{p.pk}"] = forms.BooleanField(
                label=f"{p.name} 交纳", required=False, initial=row.expected is not None
            )
            self.fields[amount_field(p)] = forms.DecimalField(
                label=f"{p.name} 每月金额（元）",
                required=False,
                min_value=Decimal("0.01"),
                max_digits=10,
                decimal_places=2,
                initial=row.expected,
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-sm", "step": "0.01"}
                ),
                error_messages={
                    "invalid": f"{p.name} 的每月金额须是数字",
                    "min_value": f"{p.name} 的每月金额须大于 0 元",
                    "max_decimal_places": f"{p.name} 的金额最多到分（两位小数）",
                },
            )
            self.fields[f"months_{p.pk}"] = forms.TypedChoiceField(
                label=f"{p.name} 交纳月数",
                choices=MONTH_CHOICES,
                coerce=int,
                initial=1,
                required=False,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.lines.append(
                (row, self[f"pay_{p.pk}"], self[amount_field(p)], self[f"months_{p.pk}"])
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for row, *_ in self.lines:
            p = row.person
            missing = data.get(f"pay_{p.pk}") and data.get(amount_field(p)) is None
            if missing and amount_field(p) not in self.errors:
                self.add_error(amount_field(p), f"请填写 {p.name} 的每月金额")
        return data

    def payments(self) -> list[DuePayment]:
        data = self.cleaned_data
        return [
            DuePayment(
                person=row.person,
                amount=data[amount_field(row.person)],
                months=data.get(f"months_{row.person.pk}") or 1,
            )
            for row, *_ in self.lines
            if data.get(f"pay_{row.person.pk}")
        ]


def parse_month(text: str | None, default: datetime.date) -> datetime.date:
    """`YYYY-MM` from the URL, else the default month (first day)."""
    try:
        year, month = (int(x) for x in (text or "").split("-"))
        if days.YEAR_MIN <= year <= days.YEAR_MAX and 1 <= month <= 12:
            return datetime.date(year, month, 1)
    except ValueError:
        pass
    return default.replace(day=1)
