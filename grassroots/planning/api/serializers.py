"""Planning API shapes: types and look-ups only; the services decide everything else.

Units and posts are named by id, officers by id with their staff number shown; a unit the caller may not
plan is reported as not existing."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grassroots.common.api.serializers import VersionedUpdateSerializer
from grassroots.common.scoping import actor_for, paths_q
from grassroots.workforce.api.serializers import OfficerRefSerializer, PostRefSerializer, UnitRefSerializer
from grassroots.workforce.models import Unit

from .. import services
from ..models import (
    CoverDays,
    DutyKind,
    DutyType,
    PeriodKind,
    PlannedMove,
    PlanRun,
    RosterAssignment,
    RosterCover,
    RosterDayOff,
    RosterDefinition,
    RosterMember,
    RosterRequest,
    RosterRun,
    RotationRule,
    RotationRuleSet,
)
from ..presentation import reason_text
from ..rotation import model as rotation


@extend_schema_field(OpenApiTypes.INT)
class PlannableUnitField(serializers.PrimaryKeyRelatedField):
    """A unit (by id) the caller may plan: any for HR and administrators, their subtree for leaders."""

    def get_queryset(self) -> Any:
        actor = actor_for(self.context["request"].user)
        units = Unit.objects.filter(is_active=True)
        if actor.is_admin or actor.is_hr:
            return units
        return units.filter(paths_q("path", actor.unit_paths))


# -- rotation ----------------------------------------------------------------------------------------------


class RuleSerializer(serializers.ModelSerializer):
    family = serializers.ChoiceField(choices=list(rotation.FAMILIES))
    weight = serializers.IntegerField(min_value=0, max_value=services.MAX_WEIGHT, default=10)
    params = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=services.MAX_WEIGHT),
        required=False,
        help_text="The family's parameters (see docs/planning.md); left out: the defaults.",
    )

    class Meta:
        model = RotationRule
        fields = ["family", "enabled", "hard", "weight", "params"]


class RuleSetSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)
    rules = RuleSerializer(many=True, read_only=True)

    class Meta:
        model = RotationRuleSet
        fields = [
            "id",
            "name",
            "unit",
            "period_kind",
            "pool_depth",
            "history_periods",
            "is_active",
            "rules",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RuleSetCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    unit = PlannableUnitField()
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices, default=PeriodKind.QUARTER)
    pool_depth = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    history_periods = serializers.IntegerField(min_value=1, max_value=60, default=12)
    rules = RuleSerializer(many=True, required=False, help_text="Left out: every family with its defaults.")


class RuleSetUpdateSerializer(VersionedUpdateSerializer):
    name = serializers.CharField(max_length=120, required=False)
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices, required=False)
    pool_depth = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    history_periods = serializers.IntegerField(min_value=1, max_value=60, required=False)
    rules = RuleSerializer(many=True, required=False, help_text="The whole list of rules (replaces it).")


class PlanRunSerializer(serializers.ModelSerializer):
    rule_set = serializers.PrimaryKeyRelatedField(read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text="Progress, 0–100.")
    stale = serializers.BooleanField(source="is_stale", read_only=True, help_text="Its worker died.")
    checker = serializers.SerializerMethodField(help_text="The independent checker's verdict.")
    explanation = serializers.SerializerMethodField(help_text="When the rules cannot all hold.")

    class Meta:
        model = PlanRun
        fields = [
            "id",
            "rule_set",
            "start",
            "periods",
            "period_kind",
            "time_limit",
            "status",
            "percent",
            "message",
            "stale",
            "cancel_requested",
            "result",
            "objective",
            "moves_count",
            "checker",
            "explanation",
            "approved_at",
            "version",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "ok": {"type": "boolean"},
                "penalty": {"type": "integer"},
                "hard_violations": {"type": "integer"},
                "moves": {"type": "integer"},
                "by_family": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        }
    )
    def get_checker(self, run: PlanRun) -> dict[str, Any] | None:
        report = run.report or {}
        if not report:
            return None
        keys = ("ok", "penalty", "hard_violations", "moves", "by_family")
        return {key: report.get(key) for key in keys}

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "families": {"type": "array", "items": {"type": "string"}},
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"family": {"type": "string"}, "subject": {"type": "string"}},
                    },
                },
                "confirmed": {"type": "boolean"},
                "minimal": {"type": "boolean"},
                "message": {"type": "string"},
            },
        }
    )
    def get_explanation(self, run: PlanRun) -> dict[str, Any] | None:
        data = run.explanation or {}
        if not data:
            return None
        keys = ("families", "items", "confirmed", "minimal", "message")
        return {key: data.get(key) for key in keys}


class PlanRunCreateSerializer(serializers.Serializer):
    rule_set = serializers.IntegerField(help_text="Rule set id.")
    start = serializers.DateField(help_text="First day of the first period (the first of a month).")
    periods = serializers.IntegerField(min_value=1, max_value=36, default=8)
    time_limit = serializers.IntegerField(min_value=1, max_value=3600, default=60)


class ApproveSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version you read; a stale one answers 409."
    )


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    params = serializers.DictField(child=serializers.IntegerField())
    text = serializers.SerializerMethodField()

    def get_text(self, reason: dict[str, Any]) -> str:
        return reason_text(reason)


class PlannedMoveSerializer(serializers.ModelSerializer):
    officer = OfficerRefSerializer(read_only=True)
    from_post = PostRefSerializer(read_only=True, allow_null=True)
    to_post = PostRefSerializer(read_only=True)
    reasons = ReasonSerializer(many=True, read_only=True)

    class Meta:
        model = PlannedMove
        fields = ["id", "officer", "period", "starts", "ends", "from_post", "to_post", "reasons"]
        read_only_fields = fields


# -- duty rosters ------------------------------------------------------------------------------------------


class DutyTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = DutyType
        fields = ["id", "code", "name", "kind", "minutes", "starts_at", "forbidden_next"]
        read_only_fields = fields


class RosterDayOffSerializer(serializers.ModelSerializer):
    class Meta:
        model = RosterDayOff
        fields = ["id", "date", "reason"]
        read_only_fields = fields


class RosterRequestSerializer(serializers.ModelSerializer):
    duty = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RosterRequest
        fields = ["id", "date", "duty", "on", "weight"]
        read_only_fields = fields


class RosterMemberSerializer(serializers.ModelSerializer):
    officer = OfficerRefSerializer(read_only=True)
    days_off = RosterDayOffSerializer(many=True, read_only=True)
    requests = RosterRequestSerializer(many=True, read_only=True)

    class Meta:
        model = RosterMember
        fields = [
            "id",
            "officer",
            "max_total_minutes",
            "min_total_minutes",
            "max_consecutive_shifts",
            "min_consecutive_shifts",
            "min_consecutive_days_off",
            "max_weekends",
            "max_shifts",
            "days_off",
            "requests",
        ]
        read_only_fields = fields


class RosterCoverSerializer(serializers.ModelSerializer):
    duty = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RosterCover
        fields = ["id", "duty", "days", "date", "minimum", "preferred", "under_weight", "over_weight"]
        read_only_fields = fields


class RosterListSerializer(serializers.ModelSerializer):
    unit = UnitRefSerializer(read_only=True)

    class Meta:
        model = RosterDefinition
        fields = ["id", "name", "unit", "start_date", "days", "version", "created_at"]
        read_only_fields = fields


class RosterSerializer(RosterListSerializer):
    duty_types = DutyTypeSerializer(many=True, read_only=True)
    members = RosterMemberSerializer(many=True, read_only=True)
    covers = RosterCoverSerializer(many=True, read_only=True)

    class Meta(RosterListSerializer.Meta):
        fields = [*RosterListSerializer.Meta.fields, "duty_types", "members", "covers"]
        read_only_fields = fields


class RosterCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    unit = PlannableUnitField()
    start_date = serializers.DateField()
    days = serializers.IntegerField(min_value=1, max_value=366, default=28)


class RosterRunSerializer(serializers.ModelSerializer):
    roster = serializers.PrimaryKeyRelatedField(source="definition", read_only=True)
    percent = serializers.IntegerField(read_only=True, help_text="Progress, 0–100.")
    stale = serializers.BooleanField(source="is_stale", read_only=True, help_text="Its worker died.")
    checker = serializers.SerializerMethodField(help_text="The independent checker's verdict.")

    class Meta:
        model = RosterRun
        fields = [
            "id",
            "roster",
            "time_limit",
            "status",
            "percent",
            "message",
            "stale",
            "cancel_requested",
            "result",
            "objective",
            "bound",
            "checker",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "ok": {"type": "boolean"},
                "objective": {"type": "integer"},
                "under_cover": {"type": "integer"},
                "over_cover": {"type": "integer"},
                "on_requests": {"type": "integer"},
                "off_requests": {"type": "integer"},
                "violation_count": {"type": "integer"},
            },
        }
    )
    def get_checker(self, run: RosterRun) -> dict[str, Any] | None:
        report = run.report or {}
        if not report:
            return None
        keys = (
            "ok",
            "objective",
            "under_cover",
            "over_cover",
            "on_requests",
            "off_requests",
            "violation_count",
        )
        return {key: report.get(key) for key in keys}


class RosterRunCreateSerializer(serializers.Serializer):
    roster = serializers.IntegerField(help_text="Roster id.")
    time_limit = serializers.IntegerField(min_value=1, max_value=3600, default=60)


class RosterAssignmentSerializer(serializers.ModelSerializer):
    officer = OfficerRefSerializer(read_only=True)
    duty = serializers.SlugRelatedField(slug_field="code", read_only=True)
    run = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = RosterAssignment
        fields = ["id", "run", "date", "duty", "officer"]
        read_only_fields = fields


class DutyTypeInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16)
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=DutyKind.choices, default=DutyKind.OTHER)
    minutes = serializers.IntegerField(min_value=1)
    starts_at = serializers.TimeField(required=False, allow_null=True, default=None)
    forbidden_next = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, default=list
    )


class MemberInputSerializer(serializers.Serializer):
    officer = serializers.IntegerField(help_text="Officer id (one the caller may see).")
    max_total_minutes = serializers.IntegerField(min_value=0)
    min_total_minutes = serializers.IntegerField(min_value=0, default=0)
    max_consecutive_shifts = serializers.IntegerField(min_value=1, default=5)
    min_consecutive_shifts = serializers.IntegerField(min_value=1, default=1)
    min_consecutive_days_off = serializers.IntegerField(min_value=1, default=1)
    max_weekends = serializers.IntegerField(min_value=0, default=4)
    max_shifts = serializers.DictField(
        child=serializers.IntegerField(min_value=0), required=False, default=dict
    )


class CoverInputSerializer(serializers.Serializer):
    duty = serializers.CharField(max_length=16, help_text="Duty code.")
    days = serializers.ChoiceField(choices=CoverDays.choices)
    date = serializers.DateField(required=False, allow_null=True, default=None)
    minimum = serializers.IntegerField(min_value=0, max_value=services.MAX_COVER, default=0)
    preferred = serializers.IntegerField(min_value=0, max_value=services.MAX_COVER, default=1)
    under_weight = serializers.IntegerField(min_value=0, max_value=services.MAX_WEIGHT, default=100)
    over_weight = serializers.IntegerField(min_value=0, max_value=services.MAX_WEIGHT, default=1)


class DayOffInputSerializer(serializers.Serializer):
    member = serializers.IntegerField(help_text="Roster member id.")
    date = serializers.DateField()
    reason = serializers.CharField(max_length=120, required=False, default="", allow_blank=True)


class RequestInputSerializer(serializers.Serializer):
    member = serializers.IntegerField(help_text="Roster member id.")
    date = serializers.DateField()
    duty = serializers.CharField(max_length=16, help_text="Duty code.")
    on = serializers.BooleanField(help_text="True: wants this duty; false: wants not to have it.")
    weight = serializers.IntegerField(min_value=1, max_value=100, default=1)
