"""Forms for keeping records: members, posts, elections, transfers, organisations.

They only parse and check the input; the services decide and write.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from dangjian.core.concurrency import VersionedForm
from dangjian.orgs.models import Organization, OrgType, PositionRole
from dangjian.people.models import Employment, LeftReason, PartyWorker, Person, PersonStatus
from dangjian.web.forms import BootstrapMixin, DateInput, PersonChoiceField

LEADERSHIP_CHOICES = [
    (PositionRole.SECRETARY.value, PositionRole.SECRETARY.label),
    (PositionRole.DEPUTY_SECRETARY.value, PositionRole.DEPUTY_SECRETARY.label),
    (PositionRole.COMMITTEE_MEMBER.value, PositionRole.COMMITTEE_MEMBER.label),
    (PositionRole.DISCIPLINE_MEMBER.value, PositionRole.DISCIPLINE_MEMBER.label),
]


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:  # type: ignore[override]
        return f"{'　' * obj.depth}{obj.name}"


def _date(label: str, required: bool = False) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput())


class PersonForm(BootstrapMixin, VersionedForm):
    name = forms.CharField(label="姓名", max_length=100)
    status = forms.ChoiceField(label="身份", choices=PersonStatus.choices)
    birth_date = _date("出生日期")
    applied_on = _date("递交入党申请日期")
    activist_on = _date("确定为积极分子日期")
    candidate_on = _date("确定为发展对象日期")
    joined_on = _date("入党日期")
    full_on = _date("转正日期")
    probation_extended_to = _date("预备期延长至")
    leading_cadre = forms.BooleanField(label="党员领导干部", required=False)
    party_worker = forms.ChoiceField(
        label="党务工作人员", choices=[("", "否"), *PartyWorker.choices], required=False
    )
    employment = forms.ChoiceField(label="就业状况", choices=Employment.choices)
    monthly_income = forms.DecimalField(
        label="月收入（元，税后）", required=False, min_value=0, max_digits=12, decimal_places=2
    )
    mobile = forms.BooleanField(label="流动党员", required=False)
    hosted_by = OrgChoiceField(
        label="流入地党组织", queryset=Organization.objects.none(), required=False
    )

    def __init__(self, *args: Any, hosts: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hosted_by"].queryset = hosts  # type: ignore[attr-defined]
        self.style()

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["party_worker"] = data.get("party_worker") or None
        return data


class LeaveForm(BootstrapMixin, VersionedForm):
    date = _date("离开日期", required=True)
    reason = forms.ChoiceField(
        label="离开原因",
        choices=[c for c in LeftReason.choices if c[0] != LeftReason.TRANSFERRED_OUT],
        help_text="转出本系统请在「组织关系转接」中办理，并填写介绍信编号",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class AppointForm(BootstrapMixin, forms.Form):
    person = PersonChoiceField(label="党员", queryset=Person.objects.none())
    role = forms.ChoiceField(label="职务", choices=PositionRole.choices)
    start = _date("任职日期", required=True)

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.style()


class EndPostForm(BootstrapMixin, VersionedForm):
    end = _date("离任日期", required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


COMMITTEE_ROWS = 9


class ElectionForm(BootstrapMixin, VersionedForm):
    """The election date, the term length, and up to nine members of the new committee."""

    elected_on = _date("选举日期", required=True)
    years = forms.IntegerField(label="任期（年）", min_value=1, max_value=10, initial=3)

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(COMMITTEE_ROWS):
            self.fields[f"person_{i}"] = PersonChoiceField(
                label=f"第{i + 1}位成员", queryset=people, required=False
            )
            self.fields[f"role_{i}"] = forms.ChoiceField(
                label=f"第{i + 1}位成员职务",
                choices=[("", "—"), *LEADERSHIP_CHOICES],
                required=False,
            )
        self.style()

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"person_{i}"], self[f"role_{i}"]) for i in range(COMMITTEE_ROWS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        committee = []
        for i in range(COMMITTEE_ROWS):
            person, role = data.get(f"person_{i}"), data.get(f"role_{i}")
            if person and not role:
                self.add_error(f"role_{i}", "请选择职务")
            elif role and not person:
                self.add_error(f"person_{i}", "请选择党员")
            elif person and role:
                committee.append((person, role))
        data["committee"] = committee
        return data


class TransferIssueForm(BootstrapMixin, forms.Form):
    prefix = "issue"
    person = PersonChoiceField(label="党员", queryset=Person.objects.none())
    to_org = OrgChoiceField(label="转入党组织", queryset=Organization.objects.none())
    date = _date("转接日期", required=True)
    letter = forms.CharField(label="介绍信编号", max_length=64, required=False)

    def __init__(
        self,
        *args: Any,
        people: QuerySet[Person],
        targets: QuerySet[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["to_org"].queryset = targets  # type: ignore[attr-defined]
        self.style()


class TransferOutForm(BootstrapMixin, forms.Form):
    prefix = "out"
    person = PersonChoiceField(label="党员", queryset=Person.objects.none())
    date = _date("转出日期", required=True)
    letter = forms.CharField(label="介绍信编号", max_length=64)
    to_name = forms.CharField(label="转往单位", max_length=200, required=False)

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.style()


class TransferInForm(BootstrapMixin, forms.Form):
    prefix = "in"
    name = forms.CharField(label="姓名", max_length=100)
    status = forms.ChoiceField(
        label="身份",
        choices=[
            (PersonStatus.FULL.value, PersonStatus.FULL.label),
            (PersonStatus.PROBATIONARY.value, PersonStatus.PROBATIONARY.label),
        ],
    )
    birth_date = _date("出生日期")
    joined_on = _date("入党日期", required=True)
    full_on = _date("转正日期")
    date = _date("转入日期", required=True)
    letter = forms.CharField(label="介绍信编号", max_length=64)
    from_name = forms.CharField(label="原单位", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class OrgCreateForm(BootstrapMixin, forms.Form):
    prefix = "create"
    name = forms.CharField(label="名称", max_length=200)
    type = forms.ChoiceField(label="类型", choices=OrgType.choices, initial=OrgType.BRANCH)
    established = _date("成立日期")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class OrgRenameForm(BootstrapMixin, VersionedForm):
    prefix = "rename"
    name = forms.CharField(label="新名称", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()


class OrgMoveForm(BootstrapMixin, VersionedForm):
    prefix = "move"
    parent = OrgChoiceField(label="新的上级组织", queryset=Organization.objects.none())

    def __init__(self, *args: Any, parents: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.style()


class OrgDissolveForm(BootstrapMixin, VersionedForm):
    prefix = "dissolve"
    date = _date("撤销日期", required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()
