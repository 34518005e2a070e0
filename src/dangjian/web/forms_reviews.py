"""Forms for 民主评议党员 (a whole branch in one form, a 不合格 member's handling) and
到社区报到 / community service."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from dangjian.core.concurrency import VersionedForm
from dangjian.people.models import Person, ReviewDecision, ReviewOutcome
from dangjian.people.review_selectors import ReviewRow
from dangjian.people.review_services import outcome_field
from dangjian.web.forms import DateInput

SELECT = {"class": "form-select form-select-sm"}


class ReviewYearForm(forms.Form):
    reviewed_on = forms.DateField(
        label="评议日期", widget=DateInput(attrs={"class": "form-control"})
    )

    def __init__(self, *args: Any, rows: list[ReviewRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: list[tuple[ReviewRow, Any]] = []
        for row in rows:
            p = row.person
            name = outcome_field(p)
            # 合格 unless recorded otherwise: the admin changes only the exceptions
            self.fields[name] = forms.ChoiceField(
                label=f"{p.name} 评议结果",
                choices=ReviewOutcome.choices,
                initial=row.review.outcome if row.review else ReviewOutcome.QUALIFIED,
                widget=forms.Select(attrs=SELECT),
                error_messages={"invalid_choice": f"{p.name} 的评议结果无效"},
            )
            self.lines.append((row, self[name]))

    def outcomes(self) -> dict[Person, str]:
        return {row.person: self.cleaned_data[outcome_field(row.person)] for row, _ in self.lines}


class ReviewHandlingForm(VersionedForm):
    correction_due = forms.DateField(
        label="限期改正期限",
        required=False,
        widget=DateInput(attrs={"class": "form-control"}),
        help_text="支部确定的限期改正截止日期；到期前须作出处置决定",
    )
    decision = forms.ChoiceField(
        label="处置结果",
        required=False,
        choices=[("", "（尚未决定）"), *ReviewDecision.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    decided_on = forms.DateField(
        label="处置日期", required=False, widget=DateInput(attrs={"class": "form-control"})
    )


class RegistrationForm(forms.Form):
    person = forms.ModelChoiceField(
        label="党员",
        queryset=Person.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"invalid_choice": "请选择本支部的党员"},
    )
    community = forms.CharField(
        label="报到社区", max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    registered_on = forms.DateField(
        label="报到日期", widget=DateInput(attrs={"class": "form-control"})
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        kwargs["prefix"] = "reg"
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people


class ServiceForm(forms.Form):
    person = forms.ModelChoiceField(
        label="党员",
        queryset=Person.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"invalid_choice": "请选择本支部的党员"},
    )
    date = forms.DateField(label="服务日期", widget=DateInput(attrs={"class": "form-control"}))
    hours = forms.DecimalField(
        label="服务时长（小时）",
        min_value=Decimal("0.1"),
        max_value=Decimal("24"),
        max_digits=5,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.5"}),
        error_messages={
            "invalid": "服务时长须是数字",
            "min_value": "服务时长须大于 0 小时",
            "max_value": "服务时长不能超过 24 小时",
            "max_decimal_places": "服务时长最多到 0.1 小时",
        },
    )
    community = forms.CharField(
        label="服务社区",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        kwargs["prefix"] = "svc"
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = people
