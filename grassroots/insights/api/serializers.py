from __future__ import annotations

from typing import Any

from rest_framework import serializers

from grassroots.casework.models import Request

from ..digests import warning_reason
from ..models import EarlyWarning, WarningKind, WarningStatus


class FilterSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day (default: 30 days before `end`).")
    end = serializers.DateField(required=False, help_text="Last day, inclusive (default: today).")
    region = serializers.IntegerField(required=False, help_text="A region in your scope (404 otherwise).")
    unit = serializers.IntegerField(required=False, help_text="A lead unit in your scope (404 otherwise).")
    category = serializers.IntegerField(required=False, help_text="A category (and its sub-categories).")
    channel = serializers.CharField(required=False)


class DrillFilterSerializer(FilterSerializer):
    measure = serializers.CharField(
        required=False, default="total", help_text="A measure code, e.g. resolved."
    )
    dimension = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="A breakdown, e.g. township, grid, channel."
    )
    key = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The row's key in that breakdown (None: none).",
    )


class RateSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True, help_text="95 % Wilson interval, lower bound.")
    high = serializers.FloatField(allow_null=True, help_text="95 % Wilson interval, upper bound.")
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField(help_text="The sample size.")
    measure = serializers.CharField(help_text="The measure counted by the numerator (its drill-down).")
    base = serializers.CharField(help_text="The measure counted by the denominator.")


class CountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    responded = serializers.IntegerField()
    eligible = serializers.IntegerField()
    resolved = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    clocked = serializers.IntegerField()
    on_time = serializers.IntegerField()
    reopened = serializers.IntegerField()
    followed = serializers.IntegerField()
    satisfied = serializers.IntegerField()


class BreakdownRowSerializer(CountsSerializer):
    key = serializers.CharField(allow_null=True, help_text="Pass as `key` to the drill-down (null: `None`).")
    name = serializers.CharField()
    previous = serializers.IntegerField(required=False, help_text="Requests in the previous period.")
    change = serializers.FloatField(allow_null=True, required=False)


class BreakdownsSerializer(serializers.Serializer):
    category_group = BreakdownRowSerializer(many=True)
    township = BreakdownRowSerializer(many=True)
    grid = BreakdownRowSerializer(many=True)
    channel = BreakdownRowSerializer(many=True)
    unit = BreakdownRowSerializer(many=True)
    category = BreakdownRowSerializer(many=True)


class TrendSeriesSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    data = serializers.ListField(child=serializers.IntegerField())


class TrendSerializer(serializers.Serializer):
    bins = serializers.ChoiceField(choices=["week", "month"])
    weeks = serializers.ListField(child=serializers.DateField(), help_text="The first day of each bin.")
    days = serializers.ListField(
        child=serializers.IntegerField(), help_text="The number of days in each bin."
    )
    series = TrendSeriesSerializer(many=True)


class HeatRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Pass with `dimension=place` to the drill-down (village-grid).")
    region_id = serializers.IntegerField()
    grid_id = serializers.IntegerField(allow_null=True)
    township_id = serializers.IntegerField(allow_null=True)
    township = serializers.CharField()
    village = serializers.CharField()
    grid = serializers.CharField()
    lat = serializers.FloatField(allow_null=True)
    lon = serializers.FloatField(allow_null=True)
    total = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    resolved = serializers.IntegerField()
    coverage = serializers.FloatField(allow_null=True)


class CoverageSerializer(serializers.Serializer):
    assigned = serializers.IntegerField()
    covered = serializers.IntegerField()
    overdue = serializers.IntegerField()
    pending = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    as_of = serializers.DateField()


class DashboardSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    counts = CountsSerializer()
    previous_total = serializers.IntegerField()
    rates = RateSerializer(many=True)
    breakdowns = BreakdownsSerializer()
    daily = BreakdownRowSerializer(many=True)
    trend = TrendSerializer()
    heat = HeatRowSerializer(many=True)
    coverage = CoverageSerializer(allow_null=True)
    open_warnings = serializers.IntegerField()

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        data = dict(instance)
        filters = data.pop("filters")
        data["start"], data["end"] = filters.start, filters.end
        data["rates"] = [{**r, "label": str(r["label"])} for r in data["rates"]]
        return super().to_representation(data)


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

    def to_representation(self, instance: Request) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.is_confidential:
            data["title"] = ""  # as on the pages: a confidential matter is listed without its title
        return data


class WarningSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name")
    category = serializers.CharField(source="category.name", default="")
    reason = serializers.SerializerMethodField()
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    escalated_to = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")

    class Meta:
        model = EarlyWarning
        fields = [
            "id",
            "kind",
            "severity",
            "status",
            "subject",
            "region",
            "category",
            "request",
            "reason",
            "facts",
            "evidence",
            "detected_at",
            "escalated_to",
            "escalated_at",
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
    status = serializers.ChoiceField(WarningStatus.choices, required=False)
    kind = serializers.ChoiceField(WarningKind.choices, required=False)


class WarningStepSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PlaceCountSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField()


class TopicSerializer(serializers.Serializer):
    label = serializers.CharField()
    terms = serializers.ListField(child=serializers.CharField())
    size = serializers.IntegerField()
    trend = serializers.CharField(help_text="rising, steady or falling (second half of the period vs first).")
    first_half = serializers.IntegerField()
    second_half = serializers.IntegerField()
    places = PlaceCountSerializer(many=True)
    examples = serializers.ListField(child=serializers.IntegerField(), help_text="Request ids.")
