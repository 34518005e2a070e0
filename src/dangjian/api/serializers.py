"""Records in the `dangjian/1` shape: ids are external ids, references are ids too."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet, TextChoices
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dangjian.access.selectors import orgs_visible, people_visible
from dangjian.orgs.models import Organization, OrgType, Position, PositionRole, Term
from dangjian.people.models import (
    PERSON_RECORD_FIELDS,
    Employment,
    LeftReason,
    PartyWorker,
    Person,
    PersonStatus,
    Transfer,
    TransferRequest,
    TransferStatus,
)
from dangjian.policy import days
from dangjian.policy.schedule import STATUSES
from dangjian.policy.schedule_query import PAGE_MAX
from dangjian.records.models import (
    AbsenceReason,
    Activity,
    ActivityKind,
    Filing,
    FilingKind,
    Training,
    TrainingKind,
)


def _ref(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="ext_id", read_only=True, **kwargs)


def _number(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=False, **kwargs
    )


def _enum_schema(choices: type[TextChoices]) -> dict[str, Any]:
    """The enum written inline (wrapped in allOf).

    Activities, trainings and filings each have a different "kind" list; left to
    itself the schema generator would name three enum components after "kind".
    """
    return {
        "allOf": [{"type": "string", "enum": list(choices.values)}],
        "description": "；".join(f"{c.value} {c.label}" for c in choices),
    }


class _KindField(serializers.ChoiceField):
    kinds: type[TextChoices]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=self.kinds.choices, **kwargs)


@extend_schema_field(_enum_schema(ActivityKind))
class ActivityKindField(_KindField):
    kinds = ActivityKind


@extend_schema_field(_enum_schema(TrainingKind))
class TrainingKindField(_KindField):
    kinds = TrainingKind


@extend_schema_field(_enum_schema(FilingKind))
class FilingKindField(_KindField):
    kinds = FilingKind


# ---------------------------------------------------------------- reads


class OrganizationSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="ext_id", read_only=True, help_text="编号")
    type = serializers.ChoiceField(choices=OrgType.choices, read_only=True)
    parent = _ref(allow_null=True, help_text="上级党组织编号")  # type: ignore[assignment]

    class Meta:
        model = Organization
        fields = ["id", "name", "type", "parent", "staff_count", "established", "dissolved"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="ext_id", read_only=True)
    org = _ref(help_text="所在党组织编号")
    status = serializers.ChoiceField(choices=PersonStatus.choices, read_only=True)
    party_worker = serializers.ChoiceField(
        choices=PartyWorker.choices, allow_null=True, read_only=True
    )
    employment = serializers.ChoiceField(choices=Employment.choices, read_only=True)
    monthly_income = _number(read_only=True, allow_null=True)
    hosted_by = _ref(allow_null=True, help_text="流入地党组织编号")
    left_reason = serializers.CharField(read_only=True, help_text="离开原因（见 leave）")

    class Meta:
        model = Person
        fields = ["id", *PERSON_RECORD_FIELDS]
        read_only_fields = fields


class PositionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    person = _ref()
    org = _ref()
    role = serializers.ChoiceField(choices=PositionRole.choices, read_only=True)

    class Meta:
        model = Position
        fields = ["id", "person", "org", "role", "start", "end"]
        read_only_fields = fields


class TermSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    org = _ref()
    next_election = serializers.SerializerMethodField(help_text="下次换届应在此日期")

    class Meta:
        model = Term
        fields = ["id", "org", "elected_on", "years", "next_election"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.DATE)
    def get_next_election(self, term: Term) -> str:
        return days.term_end(term.elected_on, term.years).isoformat()


class AbsenteeSerializer(serializers.Serializer):
    """An absent member (缺席): reason, and a make-up (补学) if recorded."""

    person = serializers.CharField(max_length=64, help_text="缺席人员编号")
    reason = serializers.ChoiceField(
        choices=AbsenceReason.choices,
        help_text="缺席原因：" + "；".join(f"{c.value} {c.label}" for c in AbsenceReason),
        error_messages={"invalid_choice": "缺席原因 {input} 无效"},
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    made_up_on = serializers.DateField(required=False, allow_null=True, help_text="补学日期")
    made_up_how = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="补学方式"
    )


class ActivitySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="ext_id", read_only=True)
    org = _ref()
    kind = ActivityKindField(read_only=True)
    hours = _number(read_only=True, allow_null=True)
    speaker = _ref(allow_null=True)
    attendees = serializers.SerializerMethodField(help_text="参加人员编号（仅列出有权查看的人员）")
    absentees = serializers.SerializerMethodField(
        help_text="缺席人员（仅列出有权查看的人员）：编号、原因、说明、补学日期与方式"
    )
    expected_count = serializers.SerializerMethodField(help_text="应到人数（参加 + 缺席）")
    present_count = serializers.SerializerMethodField(help_text="实到人数")
    subject = serializers.SerializerMethodField(help_text="对象组织或人员编号")

    class Meta:
        model = Activity
        fields = [
            "id",
            "org",
            "kind",
            "date",
            "title",
            "hours",
            "speaker",
            "attendees",
            "absentees",
            "expected_count",
            "present_count",
            "subject",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_attendees(self, activity: Activity) -> list[str]:
        rows = getattr(activity, "visible_attendance", None)
        if rows is None:  # not from the scoped selector: show nothing rather than everyone
            return []
        return sorted(a.person.ext_id for a in rows)

    @extend_schema_field(AbsenteeSerializer(many=True))
    def get_absentees(self, activity: Activity) -> list[dict[str, Any]]:
        rows = getattr(activity, "visible_absences", None)
        if rows is None:
            return []
        return [
            {
                "person": a.person.ext_id,
                "reason": a.reason,
                "note": a.note,
                "made_up_on": a.made_up_on.isoformat() if a.made_up_on else None,
                "made_up_how": a.made_up_how,
            }
            for a in sorted(rows, key=lambda a: a.person.ext_id)
        ]

    @extend_schema_field(OpenApiTypes.INT)
    def get_expected_count(self, activity: Activity) -> int:
        present = getattr(activity, "present_count", 0) or 0
        return present + (getattr(activity, "absent_count", 0) or 0)

    @extend_schema_field(OpenApiTypes.INT)
    def get_present_count(self, activity: Activity) -> int:
        return getattr(activity, "present_count", 0) or 0

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_subject(self, activity: Activity) -> str | None:
        if activity.subject_org_id is not None:
            return activity.subject_org.ext_id  # type: ignore[union-attr]
        if activity.subject_person_id is not None:
            return activity.subject_person.ext_id  # type: ignore[union-attr]
        return None


class TrainingSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="ext_id", read_only=True)
    person = _ref()
    hours = _number(read_only=True)
    kind = TrainingKindField(read_only=True)

    class Meta:
        model = Training
        fields = ["id", "person", "date", "hours", "kind", "title"]
        read_only_fields = fields


class FilingSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="ext_id", read_only=True)
    org = _ref()
    kind = FilingKindField(read_only=True)
    by = _ref(allow_null=True)

    class Meta:
        model = Filing
        fields = ["id", "org", "kind", "date", "period", "by"]
        read_only_fields = fields


# ---------------------------------------------------------------- writes


class BoundedDateField(serializers.DateField):
    """A date the records and the engine can work with: 1900 to 2200."""

    FIRST, LAST = datetime.date(1900, 1, 1), datetime.date(2200, 12, 31)

    def to_internal_value(self, value: Any) -> datetime.date:
        date = super().to_internal_value(value)
        if not self.FIRST <= date <= self.LAST:
            raise serializers.ValidationError("日期应在 1900-01-01 至 2200-12-31 之间")
        return date


@extend_schema_field(OpenApiTypes.STR)
class ScopedRef(serializers.SlugRelatedField):
    """A reference by external id, resolved only among what the caller may see."""

    default_error_messages = {
        "does_not_exist": "编号为 {value} 的{noun}不存在或无权访问",
        "invalid": "应为编号（字符串）",
    }

    def __init__(self, *, scope: Callable[[Any], QuerySet[Any]], noun: str, **kwargs: Any):
        self.scope = scope
        self.noun = noun
        kwargs.setdefault("slug_field", "ext_id")
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return self.scope(self.context["request"].user)

    def to_internal_value(self, data: Any) -> Model:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return self.get_queryset().get(ext_id=data)  # type: ignore[no-any-return]
        except (TypeError, ValueError, self.get_queryset().model.DoesNotExist):
            self.fail("does_not_exist", value=data, noun=self.noun)
            raise  # unreachable: fail() raises


def _hours(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=0,
        coerce_to_string=False,
        error_messages={"min_value": "学时不能为负数"},
        **kwargs,
    )


def _orgs(user: Any) -> QuerySet[Organization]:
    return orgs_visible(user)


def _people(user: Any) -> QuerySet[Person]:
    return people_visible(user)


class ActivityWriteSerializer(serializers.Serializer):
    """An activity as a client sends it; references are external ids."""

    id = serializers.CharField(max_length=64, required=False, help_text="编号；省略时自动分配")
    org = ScopedRef(scope=_orgs, noun="党组织", help_text="组织单位编号")
    kind = ActivityKindField()
    date = BoundedDateField()
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    hours = _hours(required=False, allow_null=True)
    speaker = ScopedRef(scope=_people, noun="党员", required=False, allow_null=True)
    attendees = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, help_text="参加人员编号"
    )
    absentees = AbsenteeSerializer(
        many=True, required=False, help_text="缺席人员（应到未到）及原因；省略时不变"
    )
    subject = serializers.CharField(
        max_length=64, required=False, allow_null=True, help_text="对象组织或人员编号"
    )

    def validate_attendees(self, value: list[str]) -> list[Person]:
        """All attendees in one query; unknown ids are named together."""
        wanted = list(dict.fromkeys(value))
        found = {
            p.ext_id: p for p in _people(self.context["request"].user).filter(ext_id__in=wanted)
        }
        missing = [v for v in wanted if v not in found]
        if missing:
            raise serializers.ValidationError(
                f"以下参加人员编号不存在或无权访问：{'、'.join(missing)}"
            )
        return [found[v] for v in wanted]

    def validate_absentees(self, value: list[dict[str, Any]]) -> list[Any]:
        """All absentees in one query; unknown ids are named together."""
        from dangjian.orgs.services import UNSET
        from dangjian.records.services import AbsenceInput

        wanted = list(dict.fromkeys(a["person"] for a in value))
        found = {
            p.ext_id: p for p in _people(self.context["request"].user).filter(ext_id__in=wanted)
        }
        missing = [v for v in wanted if v not in found]
        if missing:
            raise serializers.ValidationError(
                f"以下缺席人员编号不存在或无权访问：{'、'.join(missing)}"
            )
        return [
            AbsenceInput(
                person=found[a["person"]],
                reason=a["reason"],
                note=a.get("note", ""),
                made_up_on=a.get("made_up_on", UNSET),
                made_up_how=a.get("made_up_how", UNSET),
            )
            for a in value
        ]

    def validate_subject(self, value: str | None) -> Organization | Person | None:
        if value is None:
            return None
        user = self.context["request"].user
        org = _orgs(user).filter(ext_id=value).first()
        if org is not None:
            return org
        person = _people(user).filter(ext_id=value).first()
        if person is not None:
            return person
        raise serializers.ValidationError(f"编号为 {value} 的党组织或人员不存在或无权访问")


class TrainingWriteSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64, required=False, help_text="编号；省略时自动分配")
    person = ScopedRef(scope=_people, noun="党员", help_text="党员编号")
    date = BoundedDateField()
    hours = _hours()
    kind = TrainingKindField()
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)


class FilingWriteSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64, required=False, help_text="编号；省略时自动分配")
    org = ScopedRef(scope=_orgs, noun="党组织", help_text="报送组织编号")
    kind = FilingKindField()
    date = BoundedDateField()
    period = serializers.RegexField(
        r"^\d{4}(-H[12]|-Q[1-4]|-(0[1-9]|1[0-2]))?$",
        max_length=16,
        error_messages={"invalid": "期间格式应为 2022、2022-H1、2022-Q3 或 2022-05"},
    )
    by = ScopedRef(scope=_people, noun="党员", required=False, allow_null=True)


# ---------------------------------------------------------------- findings and checks


class FindingsQuerySerializer(serializers.Serializer):
    org = serializers.CharField(help_text="党组织编号（含下级组织）")
    year = serializers.IntegerField(min_value=days.YEAR_MIN, max_value=days.YEAR_MAX)
    as_of = BoundedDateField(
        required=False, help_text="检查日，默认：当年为今天，往年为年末（与页面一致）"
    )


class ScheduleQuerySerializer(serializers.Serializer):
    org = serializers.CharField(help_text="党组织编号（含下级组织）")
    year = serializers.IntegerField(min_value=days.YEAR_MIN, max_value=days.YEAR_MAX)
    status = serializers.CharField(
        required=False,
        help_text=(
            "只要这些状态的事项，逗号分隔：done 已完成、due 待办、overdue 逾期、upcoming 未开始"
        ),
    )
    rule = serializers.CharField(required=False, max_length=128, help_text="只要这条规则的事项")
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=PAGE_MAX,
        default=PAGE_MAX,
        help_text=f"每页最多多少项（默认和上限 {PAGE_MAX}）",
    )
    offset = serializers.IntegerField(
        required=False, min_value=0, default=0, help_text="从第几项开始（0 起）"
    )

    def validate_status(self, value: str) -> tuple[str, ...]:
        wanted = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
        unknown = [v for v in wanted if v not in STATUSES]
        if unknown:
            raise serializers.ValidationError(
                f"未知的状态 {'、'.join(unknown)}，可用：{'、'.join(STATUSES)}"
            )
        return wanted


class CheckRunSerializer(serializers.Serializer):
    org = serializers.CharField(help_text="党组织编号（含下级组织）")
    policy = serializers.CharField(required=False, help_text="规定（policy pack），默认为工委所选")
    year = serializers.IntegerField(min_value=days.YEAR_MIN, max_value=days.YEAR_MAX)
    as_of = BoundedDateField(
        required=False, help_text="检查日，默认：当年为今天，往年为年末（与页面一致）"
    )


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="访问令牌（只显示这一次）")
    expires_at = serializers.DateTimeField(help_text="失效时间；修改密码后立即失效")


# ---------------------------------------------------------------- record keeping (writes)


@extend_schema_field(OpenApiTypes.STR)
class AdminRef(ScopedRef):
    """A reference for a write: unknown ids are a 400 naming the field; an id the caller
    may not see is a 403 (the services refuse what the caller does not administer)."""

    def __init__(self, *, model: type[Model], **kwargs: Any):
        self.model = model
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Model:
        if (
            isinstance(data, str)
            and not self.get_queryset().filter(ext_id=data).exists()
            and self.model._default_manager.filter(ext_id=data).exists()
        ):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied(f"没有管理编号为 {data} 的{self.noun}的权限")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.STR)
class AnyOrgRef(serializers.SlugRelatedField):
    """Any organisation of the system (a transfer's receiving side is outside the sender's view)."""

    default_error_messages = {
        "does_not_exist": "编号为 {value} 的党组织不存在",
        "invalid": "应为编号（字符串）",
    }

    def __init__(self, **kwargs: Any):
        super().__init__(slug_field="ext_id", queryset=Organization.objects.all(), **kwargs)


def _date(**kwargs: Any) -> serializers.DateField:
    return serializers.DateField(required=False, allow_null=True, **kwargs)


@extend_schema_field(_enum_schema(LeftReason))
class LeftReasonField(_KindField):
    kinds = LeftReason


@extend_schema_field(_enum_schema(TransferStatus))
class TransferStatusField(_KindField):
    kinds = TransferStatus


class PersonWriteSerializer(serializers.Serializer):
    """A person as a client sends it. The organisation changes only through a transfer."""

    id = serializers.CharField(max_length=64, required=False, help_text="编号；省略时自动分配")
    name = serializers.CharField(max_length=100)
    org = AdminRef(scope=_orgs, model=Organization, noun="党组织", help_text="所在党组织编号")
    status = serializers.ChoiceField(choices=PersonStatus.choices)
    applied_on = _date()
    activist_on = _date()
    candidate_on = _date()
    joined_on = _date()
    full_on = _date()
    birth_date = _date()
    leading_cadre = serializers.BooleanField(required=False)
    party_worker = serializers.ChoiceField(
        choices=PartyWorker.choices, required=False, allow_null=True
    )
    employment = serializers.ChoiceField(choices=Employment.choices, required=False)
    monthly_income = _number(required=False, allow_null=True, min_value=0)
    probation_extended_to = _date()
    mobile = serializers.BooleanField(required=False)
    hosted_by = ScopedRef(
        scope=_orgs, noun="党组织", required=False, allow_null=True, help_text="流入地党组织编号"
    )


class PersonLeaveSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="离开日期")
    reason = LeftReasonField(help_text="离开原因")


class PositionWriteSerializer(serializers.Serializer):
    person = AdminRef(scope=_people, model=Person, noun="党员", help_text="党员编号")
    org = AdminRef(scope=_orgs, model=Organization, noun="党组织", help_text="党组织编号")
    role = serializers.ChoiceField(choices=PositionRole.choices)
    start = serializers.DateField(help_text="任职日期")
    end = _date(help_text="离任日期")


class PositionEndSerializer(serializers.Serializer):
    end = serializers.DateField(help_text="离任日期")


class CommitteeMemberSerializer(serializers.Serializer):
    person = AdminRef(scope=_people, model=Person, noun="党员", help_text="党员编号")
    role = serializers.ChoiceField(choices=PositionRole.choices)


class ElectionSerializer(serializers.Serializer):
    """换届：选举日期、任期和新一届委员会（原职务当日结束，新职务当日开始）。"""

    org = AdminRef(scope=_orgs, model=Organization, noun="党组织", help_text="党组织编号")
    elected_on = serializers.DateField(help_text="选举日期")
    years = serializers.IntegerField(min_value=1, max_value=10, help_text="任期（年）")
    committee = CommitteeMemberSerializer(many=True, help_text="新一届委员会成员")


class TransferRequestSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    person = _ref()
    from_org = _ref()
    to_org = _ref()
    status = TransferStatusField(read_only=True)

    class Meta:
        model = TransferRequest
        fields = ["id", "person", "from_org", "to_org", "date", "letter", "status", "issued_at"]
        read_only_fields = fields


class TransferIssueSerializer(serializers.Serializer):
    person = AdminRef(scope=_people, model=Person, noun="党员", help_text="党员编号")
    to_org = AnyOrgRef(help_text="转入党组织编号（本系统内）")
    date = serializers.DateField(help_text="转接日期（自该日起属于转入组织）")
    letter = serializers.CharField(max_length=64, required=False, allow_blank=True)


class TransferRecordSerializer(serializers.ModelSerializer):
    person = _ref()
    from_org = _ref(allow_null=True)
    to_org = _ref(allow_null=True)

    class Meta:
        model = Transfer
        fields = ["person", "from_org", "to_org", "date", "letter"]
        read_only_fields = fields


class TransferOutSerializer(serializers.Serializer):
    person = AdminRef(scope=_people, model=Person, noun="党员", help_text="党员编号")
    date = serializers.DateField(help_text="转出日期")
    letter = serializers.CharField(max_length=64, help_text="介绍信编号")
    to_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="转往单位（系统外）"
    )


class TransferInSerializer(serializers.Serializer):
    to_org = AdminRef(scope=_orgs, model=Organization, noun="党组织", help_text="转入党组织编号")
    date = serializers.DateField(help_text="转入日期")
    letter = serializers.CharField(max_length=64, help_text="介绍信编号")
    from_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="原单位（系统外）"
    )
    person = PersonWriteSerializer(help_text="转入人员（org 填转入党组织）")


class OrganizationWriteSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=64, required=False, help_text="编号；省略时自动分配")
    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=OrgType.choices)
    parent = AdminRef(  # type: ignore[assignment]
        scope=_orgs, model=Organization, noun="党组织", help_text="上级党组织编号"
    )
    staff_count = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    established = _date()


class OrganizationMoveSerializer(serializers.Serializer):
    parent = AdminRef(  # type: ignore[assignment]
        scope=_orgs, model=Organization, noun="党组织", help_text="新的上级党组织编号"
    )


class OrganizationDissolveSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="撤销日期")
