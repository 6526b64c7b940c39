"""Evaluation API shapes. No residents' personal data: requests appear by id and tracking code only."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..indicators import INDICATORS
from ..models import (
    Adjustment,
    AdjustmentKind,
    Appeal,
    EvaluationRun,
    Grade,
    Honour,
    MentoringGoal,
    MentoringSession,
    Mentorship,
    Nomination,
    OfficerResult,
    SchemeVersion,
    UnitResult,
)
from ..presentation import peer_label


class SchemeVersionSerializer(serializers.ModelSerializer):
    scheme_code = serializers.CharField(source="scheme.code", read_only=True)
    scheme_name = serializers.CharField(source="scheme.name", read_only=True)

    class Meta:
        model = SchemeVersion
        fields = ["id", "scheme", "scheme_code", "scheme_name", "number", "status", "definition",
                  "definition_sha256", "note", "created_at", "activated_at", "version"]  # fmt: skip
        read_only_fields = fields


class SchemeCreateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    definition = serializers.JSONField(required=False)


class SchemeVersionUpdateSerializer(serializers.Serializer):
    definition = serializers.JSONField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    version = serializers.IntegerField()


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class RunSerializer(serializers.ModelSerializer):
    scheme_code = serializers.CharField(source="scheme_version.scheme.code", read_only=True)
    scheme_version_number = serializers.IntegerField(source="scheme_version.number", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True, default=None)

    class Meta:
        model = EvaluationRun
        fields = ["id", "label", "scheme_version", "scheme_code", "scheme_version_number", "unit", "unit_code",
                  "period_start", "period_end", "as_of", "status", "phase", "done", "total", "message",
                  "officer_count", "inputs_sha256", "results_sha256", "method_version", "libraries", "seconds",
                  "created_at", "computed_at", "published_at", "version"]  # fmt: skip
        read_only_fields = fields


class RunCreateSerializer(serializers.Serializer):
    scheme_version = serializers.PrimaryKeyRelatedField(queryset=SchemeVersion.objects.all())
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    unit = serializers.IntegerField(required=False, allow_null=True)
    label = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)
    as_of = serializers.DateTimeField(required=False, allow_null=True)


class RecomputeSerializer(serializers.Serializer):
    read_record = serializers.BooleanField(required=False, default=False)


class RecomputeReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    inputs_intact = serializers.BooleanField()
    results_equal = serializers.BooleanField()
    results_sha256 = serializers.CharField()
    record_checked = serializers.BooleanField()
    record_unchanged = serializers.BooleanField(allow_null=True)
    record_sha256 = serializers.CharField()
    differences = serializers.ListField(child=serializers.CharField())


class OfficerBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    staff_number = serializers.CharField()
    name = serializers.CharField()


class ResultSerializer(serializers.ModelSerializer):
    officer = OfficerBriefSerializer(read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True, default=None)
    post_name = serializers.CharField(source="post.name", read_only=True, default=None)
    peer_group_label = serializers.SerializerMethodField()
    effective_score = serializers.FloatField(read_only=True)
    effective_grade = serializers.CharField(read_only=True)

    class Meta:
        model = OfficerResult
        fields = ["id", "run", "officer", "unit", "unit_name", "post", "post_name", "peer_group", "peer_group_label",
                  "assessable", "score", "score_low", "score_high", "effective_score", "grade", "effective_grade",
                  "mass_work_score", "front_line_share", "front_line_credit", "service_years", "rank", "rank_best",
                  "rank_worst", "size", "peer_rank", "peer_rank_best", "peer_rank_worst", "peer_size",
                  "shortlisted", "shortlist_rank", "shortlist_reasons"]  # fmt: skip
        read_only_fields = fields

    def get_peer_group_label(self, obj: OfficerResult) -> str:
        return peer_label(obj.peer_group)


class ResultDetailSerializer(ResultSerializer):
    breakdown = serializers.JSONField(read_only=True)

    class Meta(ResultSerializer.Meta):
        fields = [*ResultSerializer.Meta.fields, "breakdown"]
        read_only_fields = fields


class ResultFilterSerializer(serializers.Serializer):
    run = serializers.IntegerField(required=False)
    unit = serializers.IntegerField(required=False)
    peer_group = serializers.CharField(required=False)
    grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    q = serializers.CharField(required=False)
    shortlisted = serializers.BooleanField(required=False, allow_null=True, default=None)


class DrillFilterSerializer(serializers.Serializer):
    indicator = serializers.ChoiceField(choices=sorted(INDICATORS))
    part = serializers.ChoiceField(choices=["numerator", "denominator"], default="numerator")


class DrillRowSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField(source="pk")
    when = serializers.SerializerMethodField()
    title = serializers.CharField()
    place = serializers.CharField()
    detail = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    request = serializers.IntegerField(source="request_id", allow_null=True)

    def get_when(self, row: Any) -> str | None:
        return row.when.isoformat() if row.when is not None else None


class DrillSerializer(serializers.Serializer):
    indicator = serializers.CharField(source="code")
    part = serializers.CharField()
    total = serializers.IntegerField()
    value_sum = serializers.FloatField(allow_null=True)
    figure = serializers.FloatField(allow_null=True)
    rows = DrillRowSerializer(many=True)


class UnitResultSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = UnitResult
        fields = ["id", "run", "unit", "unit_code", "unit_name", "officer_count", "mean_score", "grade_counts",
                  "breakdown"]  # fmt: skip
        read_only_fields = fields


class UnitResultFilterSerializer(serializers.Serializer):
    run = serializers.IntegerField()


class AppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appeal
        fields = ["id", "result", "reason", "status", "filed_by", "filed_at", "decided_by", "decided_at",
                  "decision_reason", "version"]  # fmt: skip
        read_only_fields = fields


class AppealCreateSerializer(serializers.Serializer):
    reason = serializers.CharField()


class AppealDecideSerializer(serializers.Serializer):
    upheld = serializers.BooleanField()
    reason = serializers.CharField()
    score_delta = serializers.FloatField(required=False, allow_null=True, default=None)
    grade = serializers.ChoiceField(choices=[("", ""), *Grade.choices], required=False, default="")
    version = serializers.IntegerField()


class AdjustmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Adjustment
        fields = ["id", "result", "kind", "score_delta", "grade", "reason", "appeal", "status", "requested_by",
                  "requested_at", "decided_by", "decided_at", "decision_reason", "version"]  # fmt: skip
        read_only_fields = fields


class AdjustmentCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AdjustmentKind.choices)
    reason = serializers.CharField()
    score_delta = serializers.FloatField(required=False, allow_null=True, default=None)
    grade = serializers.ChoiceField(choices=[("", ""), *Grade.choices], required=False, default="")


class DecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField()
    version = serializers.IntegerField()


class StatusFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False)


class MentoringGoalSerializer(serializers.ModelSerializer):
    class Meta:
        model = MentoringGoal
        fields = ["id", "title", "indicator", "target_value", "due_on", "achieved_on"]
        read_only_fields = fields


class MentoringSessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = MentoringSession
        fields = ["id", "held_on", "minutes", "topic", "notes"]
        read_only_fields = fields


class MentorshipSerializer(serializers.ModelSerializer):
    mentor = OfficerBriefSerializer(read_only=True)
    mentee = OfficerBriefSerializer(read_only=True)
    session_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Mentorship
        fields = ["id", "mentor", "mentee", "status", "match_score", "reasons", "based_on_run", "start", "end",
                  "proposed_at", "decided_at", "session_count", "version"]  # fmt: skip
        read_only_fields = fields


class MentorshipDetailSerializer(MentorshipSerializer):
    goals = MentoringGoalSerializer(many=True, read_only=True)
    sessions = MentoringSessionSerializer(many=True, read_only=True)

    class Meta(MentorshipSerializer.Meta):
        fields = [*MentorshipSerializer.Meta.fields, "goals", "sessions"]
        read_only_fields = fields


class ProposeSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    capacity = serializers.IntegerField(required=False, default=2)


class AcceptSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    version = serializers.IntegerField()


class SessionCreateSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    minutes = serializers.IntegerField()
    topic = serializers.CharField(max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class GoalCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    indicator = serializers.CharField(required=False, allow_blank=True, default="")
    target_value = serializers.FloatField(required=False, allow_null=True, default=None)
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class NominationSerializer(serializers.ModelSerializer):
    title_code = serializers.CharField(source="title.code", read_only=True)
    officer = OfficerBriefSerializer(read_only=True, allow_null=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True, default=None)

    class Meta:
        model = Nomination
        fields = ["id", "title", "title_code", "run", "officer", "unit", "unit_name", "rank", "evidence", "status",
                  "proposed_by", "proposed_at", "decided_by", "decided_at", "decision_reason", "version"]  # fmt: skip
        read_only_fields = fields


class NominateSerializer(serializers.Serializer):
    title = serializers.CharField(help_text="The title's code.")
    run = serializers.IntegerField()


class NominationDecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField()
    citation = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField()


class HonourSerializer(serializers.ModelSerializer):
    title_code = serializers.CharField(source="title.code", read_only=True)
    title_name = serializers.CharField(source="title.name", read_only=True)
    officer = OfficerBriefSerializer(read_only=True, allow_null=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True, default=None)

    class Meta:
        model = Honour
        fields = ["id", "title", "title_code", "title_name", "officer", "unit", "unit_name", "period_label",
                  "awarded_on", "citation", "evidence", "request_ids", "visit_ids"]  # fmt: skip
        read_only_fields = fields
