"""Forms for entering records with little typing. Labels and messages in Chinese."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from dangjian.core.concurrency import Change, VersionedForm
from dangjian.people.models import Person
from dangjian.records.models import AbsenceReason, ActivityKind, FilingKind, TrainingKind
from dangjian.records.services import MAX_ATTACHMENT_BYTES, AbsenceInput


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service (type by content, size)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            files = [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        else:
            files = [super().clean(data, initial)] if data else []
        for f in files:
            if f.size and f.size > MAX_ATTACHMENT_BYTES:
                raise ValidationError(f"{f.name}：文件大小超过 10 MB")
        return files


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates render fields plainly."""

    fields: dict[str, forms.Field]

    def style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:  # type: ignore[override]
        return obj.name


class PeopleField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def _check_values(self, value: Any) -> Any:
        # `pk__in` with an integer past 64 bits fails in the database (not a no-match
        # as `pk=` does): such a value is an invalid choice like any unknown one.
        for pk in value:
            text = str(pk)
            if not text.isdigit() or int(text) >= 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)  # type: ignore[misc]

    def label_from_instance(self, obj: Person) -> str:  # type: ignore[override]
        return obj.name


# Kinds a branch worker records most often come first in the menu.
COMMON_KINDS = [
    ActivityKind.THEME_DAY,
    ActivityKind.BRANCH_ASSEMBLY,
    ActivityKind.COMMITTEE_MEETING,
    ActivityKind.CELL_MEETING,
    ActivityKind.PARTY_LESSON,
    ActivityKind.STUDY_SESSION,
    ActivityKind.ORG_LIFE_MEETING,
    ActivityKind.MEMBER_REVIEW,
    ActivityKind.TALK,
]
KIND_CHOICES = [(k.value, k.label) for k in COMMON_KINDS] + [
    (k.value, k.label) for k in ActivityKind if k not in COMMON_KINDS
]


class ActivityForm(BootstrapMixin, VersionedForm):
    kind = forms.ChoiceField(label="类型", choices=KIND_CHOICES)
    date = forms.DateField(label="日期", widget=DateInput())
    title = forms.CharField(label="主题", max_length=300, required=False)
    hours = forms.DecimalField(
        label="时长（学时）", required=False, min_value=Decimal("0"), max_digits=6, decimal_places=2
    )
    speaker = PersonChoiceField(
        label="主讲人", queryset=Person.objects.none(), required=False, empty_label="（无）"
    )
    attendees = PeopleField(label="参加人员", queryset=Person.objects.none(), required=False)
    minutes = forms.CharField(
        label="会议记录", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = MultipleFileField(
        label="附件（会议记录扫描件：PDF、JPEG、PNG，每个不超过 10 MB）", required=False
    )

    # Pressed "仍然保存" after the same-day warning.
    confirm_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        people: QuerySet[Person],
        absences: dict[int, tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["speaker"].queryset = people  # type: ignore[attr-defined]
        self.fields["attendees"].queryset = people  # type: ignore[attr-defined]
        self.people = people
        # Unbound: the absences already recorded (person pk → reason, note).
        self.initial_absences = absences or {}
        self.style()

    def absence_of(self, pk: int) -> tuple[str, str]:
        """The reason and note shown for a person: as typed, or as recorded."""
        if self.is_bound:
            return (
                str(self.data.get(f"absence_{pk}", "")),
                str(self.data.get(f"absence_note_{pk}", "")).strip(),
            )
        return self.initial_absences.get(pk, ("", ""))

    def attendee_rows(self) -> list[dict[str, Any]]:
        """One row per person: the attendance tick box, then the absence reason and note."""
        rows = []
        for cb in self["attendees"]:
            pk = int(str(cb.data["value"]))
            reason, note = self.absence_of(pk)
            rows.append({"cb": cb, "pk": pk, "reason": reason, "note": note})
        return rows

    reasons = AbsenceReason.choices

    def changes(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
        """What someone else changed; the absences (not a field of their own) as 缺席."""
        out = super().changes(before, after)
        for change in out:
            if change.field == "absences":
                change.label = "缺席"
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        present = {p.pk for p in data.get("attendees") or ()}
        people = {p.pk: p for p in self.people}
        absences = []
        errors = []
        for key in self.data:
            if not key.startswith("absence_") or key.startswith("absence_note_"):
                continue
            reason = self.data.get(key)
            if not reason:
                continue
            try:
                pk = int(key.removeprefix("absence_"))
            except ValueError:
                continue
            person = people.get(pk)
            if person is None:
                errors.append("缺席人员不在本组织党员名单中")
            elif reason not in AbsenceReason.values:
                errors.append(f"{person.name}：缺席原因无效")
            elif pk in present:
                errors.append(f"{person.name}：已勾选为参加，请不要同时选择缺席原因")
            else:
                note = str(self.data.get(f"absence_note_{pk}", "")).strip()
                if len(note) > 200:
                    errors.append(f"{person.name}：缺席说明不能超过 200 个字符")
                absences.append(AbsenceInput(person=person, reason=reason, note=note[:200]))
        if errors:
            self.add_error("attendees", errors)
        data["absences"] = sorted(absences, key=lambda a: a.person.pk)
        return data

    def clean_date(self) -> datetime.date:
        date: datetime.date = self.cleaned_data["date"]
        if date > datetime.date.today() + datetime.timedelta(days=366):
            raise ValidationError("日期不能晚于明年")
        return date


class TrainingManyForm(BootstrapMixin, forms.Form):
    people = PeopleField(label="参训人员", queryset=Person.objects.none())
    date = forms.DateField(label="日期", widget=DateInput())
    hours = forms.DecimalField(label="学时", min_value=Decimal("0"), max_digits=6, decimal_places=2)
    kind = forms.ChoiceField(label="类型", choices=TrainingKind.choices)
    title = forms.CharField(label="名称", max_length=300, required=False)

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people  # type: ignore[attr-defined]
        self.fields["people"].error_messages["required"] = "请至少选择一名参训人员"
        self.style()


class FilingForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=FilingKind.choices)
    date = forms.DateField(label="报送日期", widget=DateInput())
    period = forms.CharField(
        label="所属期间",
        max_length=16,
        help_text="例如 2025（全年）、2025-H1（上半年）、2025-Q3（第三季度）、2025-05（5月）",
    )
    by = PersonChoiceField(
        label="报送人", queryset=Person.objects.none(), required=False, empty_label="（无）"
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["by"].queryset = people  # type: ignore[attr-defined]
        self.style()


class MakeupForm(BootstrapMixin, VersionedForm):
    """A make-up (补学) for one absent member: when and how."""

    made_up_on = forms.DateField(label="补学日期", widget=DateInput())
    made_up_how = forms.CharField(
        label="补学方式",
        max_length=200,
        help_text="例如：自学会议材料并交流心得、参加其他党小组学习、书记当面传达",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form, by field where the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for e in errors:
                form.add_error(target, e.messages if hasattr(e, "messages") else str(e))
    else:
        form.add_error(None, error)
