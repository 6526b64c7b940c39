from __future__ import annotations

from rest_framework import serializers

from grassroots.casework.models import Request

from ..digests import warning_reason
from ..models import EarlyWarning


class FilterSerializer(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    region = serializers.IntegerField(required=False)
    unit = serializers.IntegerField(required=False)
    category = serializers.IntegerField(required=False)
    channel = serializers.CharField(required=False)


class DrillFilterSerializer(FilterSerializer):
    measure = serializers.CharField(required=False, default="total")
    dimension = serializers.CharField(required=False, allow_blank=True, default="")
    key = serializers.CharField(required=False, allow_blank=True, default="")


class RateSerializer(serializers.Serializer):
    code = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rates = RateSerializer(many=True)
    breakdowns = serializers.DictField(child=serializers.ListField(child=serializers.DictField()))
    daily = serializers.ListField(child=serializers.DictField())
    trend = serializers.DictField()
    heat = serializers.ListField(child=serializers.DictField())
    coverage = serializers.DictField(allow_null=True)
    open_warnings = serializers.IntegerField()


class DrillRequestSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name")
    category = serializers.CharField(source="category.name", default="")

    class Meta:
        model = Request
        fields = [
            "id",
            "tracking_code",
            "title",
            "kind",
            "channel",
            "status",
            "risk",
            "region",
            "category",
            "created_at",
            "due_at",
        ]


class WarningSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name")
    category = serializers.CharField(source="category.name", default="")
    reason = serializers.SerializerMethodField()
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = EarlyWarning
        fields = [
            "id",
            "kind",
            "severity",
            "status",
            "region",
            "category",
            "request",
            "reason",
            "facts",
            "evidence",
            "detected_at",
            "acknowledged_by",
            "acknowledged_at",
            "closed_by",
            "closed_at",
            "note",
            "version",
        ]

    def get_reason(self, obj: EarlyWarning) -> str:
        return warning_reason(obj)


class WarningFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False)
    kind = serializers.CharField(required=False)


class WarningStepSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TopicSerializer(serializers.Serializer):
    label = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField())
    size = serializers.IntegerField()
    trend = serializers.CharField()
    first_half = serializers.IntegerField()
    second_half = serializers.IntegerField()
    places = serializers.ListField(child=serializers.ListField())
    examples = serializers.ListField(child=serializers.IntegerField())
