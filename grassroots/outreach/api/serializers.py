"""Outreach API shapes: types and code look-ups only; the services decide everything else.

Officers are named by staff number, regions and grids by code, households and organisations by id (only
those the caller may see resolve), requests by tracking code."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from grassroots.casework.models import Kind, Request
from grassroots.common.api.serializers import VersionedUpdateSerializer
from grassroots.common.scoping import actor_for
from grassroots.territory.api.serializers import GridRefSerializer, RegionRefSerializer, VisibleHouseholdField
from grassroots.territory.models import (
    CareTag,
    Grid,
    Household,
    Organization,
    OrganizationKind,
    Region,
    Resident,
)
from grassroots.workforce.api.serializers import OfficerRefSerializer
from grassroots.workforce.models import Officer, Unit

from ..coverage import GROUPS
from ..models import (
    EventKind,
    EventStatus,
    HouseholdArea,
    Liaison,
    LiaisonKind,
    OutreachEvent,
    RuleTarget,
    Visit,
    VisitMode,
    VisitRule,
)


@extend_schema_field(OpenApiTypes.INT)
class VisibleTargetHouseholdField(VisibleHouseholdField):
    """A household (by id) the caller can see."""


@extend_schema_field(OpenApiTypes.INT)
class VisibleOrganizationField(serializers.PrimaryKeyRelatedField):
    """An organisation the caller can see; any other id is reported as not existing."""

    def get_queryset(self) -> Any:
        return Organization.objects.visible_to(actor_for(self.context["request"].user))


@extend_schema_field(OpenApiTypes.INT)
class VisibleResidentField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> Any:
        return Resident.objects.visible_to(actor_for(self.context["request"].user))


def officer_field(**kwargs: Any) -> serializers.SlugRelatedField:
    # Staff numbers resolve without scope (like codes); the service answers whether the caller may use them.
    return serializers.SlugRelatedField(
        slug_field="staff_number", queryset=Officer.objects.all(), help_text="Staff number.", **kwargs
    )


class RequestRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Request
        fields = ["id", "tracking_code", "title", "status"]
        read_only_fields = fields


class HouseholdRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Household
        fields = ["id", "number", "address"]
        read_only_fields = fields


class OrganizationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "kind"]
        read_only_fields = fields


# ------------------------------------------------------------------------------------------- liaisons


class LiaisonSerializer(serializers.ModelSerializer):
    officer = OfficerRefSerializer(read_only=True)
    household = HouseholdRefSerializer(read_only=True, allow_null=True)
    organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    grid = GridRefSerializer(read_only=True, allow_null=True)
    region = RegionRefSerializer(read_only=True)

    class Meta:
        model = Liaison
        fields = [
            "id",
            "officer",
            "kind",
            "household",
            "organization",
            "grid",
            "region",
            "duties",
            "start",
            "end",
            "end_reason",
            "version",
        ]
        read_only_fields = fields


class LiaisonFilterSerializer(serializers.Serializer):
    officer = serializers.CharField(required=False, help_text="Staff number.")
    kind = serializers.ChoiceField(LiaisonKind.choices, required=False)
    household = serializers.IntegerField(required=False)
    organization = serializers.IntegerField(required=False)
    current = serializers.BooleanField(
        required=False, help_text="Only liaisons current today (default true); false includes history."
    )


class LiaisonCreateSerializer(serializers.Serializer):
    officer = officer_field()
    kind = serializers.ChoiceField(LiaisonKind.choices)
    household = VisibleTargetHouseholdField(required=False, allow_null=True)
    organization = VisibleOrganizationField(required=False, allow_null=True)
    grid = serializers.SlugRelatedField(
        slug_field="code", queryset=Grid.objects.all(), required=False, allow_null=True
    )
    start = serializers.DateField()
    duties = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class LiaisonEndSerializer(serializers.Serializer):
    end = serializers.DateField(help_text="The last day of the liaison.")
    reason = serializers.CharField(max_length=200)
    version = serializers.IntegerField(
        min_value=1, help_text="The version you read; a stale one answers 409."
    )


class LiaisonHandoverSerializer(serializers.Serializer):
    from_officer = officer_field()
    to_officer = officer_field()
    on = serializers.DateField(
        help_text="The first day of the new liaisons; the old ones end the day before."
    )
    reason = serializers.CharField(max_length=200)
    kinds = serializers.ListField(
        child=serializers.ChoiceField(LiaisonKind.choices), required=False, help_text="Default: every kind."
    )


class LiaisonAreaSerializer(serializers.Serializer):
    officer = officer_field()
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, allow_null=True
    )
    grid = serializers.SlugRelatedField(
        slug_field="code", queryset=Grid.objects.all(), required=False, allow_null=True
    )
    start = serializers.DateField()


class OutreachCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


# ---------------------------------------------------------------------------------------- visit rules


class VisitRuleSerializer(serializers.ModelSerializer):
    care_tag = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    county = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = VisitRule
        fields = [
            "id",
            "name",
            "applies_to",
            "care_tag",
            "household_area",
            "organization_kind",
            "county",
            "interval_days",
            "is_active",
            "version",
        ]
        read_only_fields = fields


class VisitRuleWriteFields(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    applies_to = serializers.ChoiceField(RuleTarget.choices)
    interval_days = serializers.IntegerField(min_value=1, max_value=366)
    care_tag = serializers.SlugRelatedField(
        slug_field="code", queryset=CareTag.objects.all(), required=False, allow_null=True
    )
    household_area = serializers.ChoiceField(HouseholdArea.choices, required=False, allow_blank=True)
    organization_kind = serializers.ChoiceField(OrganizationKind.choices, required=False, allow_blank=True)
    county = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False)


class VisitRuleCreateSerializer(VisitRuleWriteFields):
    pass


class VisitRuleUpdateSerializer(VersionedUpdateSerializer, VisitRuleWriteFields):
    name = serializers.CharField(max_length=120, required=False)
    applies_to = serializers.ChoiceField(RuleTarget.choices, required=False)
    interval_days = serializers.IntegerField(min_value=1, max_value=366, required=False)


# --------------------------------------------------------------------------------------------- visits


class OutreachPhotoSerializer(serializers.Serializer):
    token = serializers.CharField()
    caption = serializers.CharField()
    content_type = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj: Any) -> str:
        from django.urls import reverse

        return reverse("outreach:photo", args=[obj.token])


class VisitSerializer(serializers.ModelSerializer):
    officer = OfficerRefSerializer(read_only=True)
    household = HouseholdRefSerializer(read_only=True, allow_null=True)
    organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    region = RegionRefSerializer(read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "officer",
            "household",
            "organization",
            "region",
            "visited_on",
            "visited_at",
            "mode",
            "met",
            "summary",
            "needs",
            "created_at",
        ]
        read_only_fields = fields


class VisitDetailSerializer(VisitSerializer):
    met_resident = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    requests = RequestRefSerializer(many=True, read_only=True)
    photos = OutreachPhotoSerializer(many=True, read_only=True)

    class Meta(VisitSerializer.Meta):
        fields = [*VisitSerializer.Meta.fields, "met_resident", "requests", "photos"]
        read_only_fields = fields


class VisitFilterSerializer(serializers.Serializer):
    officer = serializers.CharField(required=False, help_text="Staff number.")
    household = serializers.IntegerField(required=False)
    organization = serializers.IntegerField(required=False)
    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)
    request = serializers.CharField(required=False, help_text="Tracking code: the visits that raised it.")


class VisitRowSerializer(serializers.Serializer):
    household = VisibleTargetHouseholdField(required=False, allow_null=True)
    organization = VisibleOrganizationField(required=False, allow_null=True)
    visited_at = serializers.DateTimeField()
    mode = serializers.ChoiceField(VisitMode.choices, required=False, default=VisitMode.IN_PERSON)
    met_resident = VisibleResidentField(required=False, allow_null=True)
    met = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    summary = serializers.CharField(max_length=4000)
    needs = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class VisitCreateSerializer(VisitRowSerializer):
    client_token = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        help_text="Retries with the same token return the first visit; the Idempotency-Key header does the same.",
    )
    raise_request = serializers.BooleanField(
        required=False, default=False, help_text="Also register a request prefilled from the needs found."
    )
    request_kind = serializers.ChoiceField(Kind.choices, required=False, default=Kind.HELP)


class VisitBulkSerializer(serializers.Serializer):
    rows = VisitRowSerializer(many=True, help_text="A day's visits; at most 200. All or nothing.")


class RaiseRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(Kind.choices, required=False, default=Kind.HELP)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class PhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField(help_text="JPEG or PNG.")
    caption = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# --------------------------------------------------------------------------------------------- events


class OutreachEventSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    organization = OrganizationRefSerializer(read_only=True, allow_null=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    officers = OfficerRefSerializer(many=True, read_only=True)

    class Meta:
        model = OutreachEvent
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "starts_at",
            "ends_at",
            "region",
            "organization",
            "venue",
            "unit",
            "officers",
            "attendance",
            "topics",
            "version",
        ]
        read_only_fields = fields


class OutreachEventDetailSerializer(OutreachEventSerializer):
    requests = RequestRefSerializer(many=True, read_only=True)
    photos = OutreachPhotoSerializer(many=True, read_only=True)

    class Meta(OutreachEventSerializer.Meta):
        fields = [*OutreachEventSerializer.Meta.fields, "notes", "requests", "photos"]
        read_only_fields = fields


class EventFilterSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="Events starting on or after this day.")
    end = serializers.DateField(required=False, help_text="Events starting on or before this day.")
    officer = serializers.CharField(required=False, help_text="Staff number.")
    kind = serializers.ChoiceField(EventKind.choices, required=False)
    status = serializers.ChoiceField(EventStatus.choices, required=False)


class EventScheduleFields(serializers.Serializer):
    kind = serializers.ChoiceField(EventKind.choices)
    title = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    organization = VisibleOrganizationField(required=False, allow_null=True)
    venue = serializers.CharField(max_length=200, required=False, allow_blank=True)
    unit = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), required=False, allow_null=True
    )
    officers = officer_field(many=True)
    topics = serializers.CharField(max_length=300, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class EventCreateSerializer(EventScheduleFields):
    pass


class TrackingCodeField(serializers.SlugRelatedField):
    """A request by tracking code, among those the caller can see."""

    def __init__(self, **kwargs: Any):
        super().__init__(slug_field="tracking_code", queryset=Request.objects.all(), **kwargs)

    def get_queryset(self) -> Any:
        return Request.objects.visible_to(actor_for(self.context["request"].user))


class EventUpdateSerializer(VersionedUpdateSerializer, EventScheduleFields):
    kind = serializers.ChoiceField(EventKind.choices, required=False)
    title = serializers.CharField(max_length=200, required=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all(), required=False)
    officers = officer_field(many=True, required=False)
    status = serializers.ChoiceField(EventStatus.choices, required=False)
    attendance = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    requests = TrackingCodeField(
        many=True, required=False, help_text="Cases heard or mediated on the spot (tracking codes)."
    )


class EventReportFilterSerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="Default: 365 days before the end.")
    end = serializers.DateField(required=False, help_text="Default: today.")


class ReportOfficerRowSerializer(serializers.Serializer):
    officer = OfficerRefSerializer()
    events = serializers.IntegerField()
    attendance = serializers.IntegerField()
    cases = serializers.IntegerField()


class ReportPlaceRowSerializer(serializers.Serializer):
    region = RegionRefSerializer()
    events = serializers.IntegerField()
    attendance = serializers.IntegerField()
    circuit_trials = serializers.IntegerField()
    cases = serializers.IntegerField()


class EventReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    per_officer = ReportOfficerRowSerializer(many=True)
    per_place = ReportPlaceRowSerializer(many=True)


# ------------------------------------------------------------------------------ due, coverage, attention


class DueFilterSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Default: today.")
    officer = serializers.CharField(required=False, help_text="Staff number: that officer's list.")
    mine = serializers.BooleanField(required=False, help_text="My own list (computed from the visits).")
    horizon_days = serializers.IntegerField(
        min_value=0, max_value=366, required=False, help_text="Due within this many days (default 7)."
    )
    overdue = serializers.BooleanField(required=False, help_text="Only overdue liaisons.")


class DueItemSerializer(serializers.Serializer):
    liaison = serializers.IntegerField(source="liaison.id")
    officer = OfficerRefSerializer(source="liaison.officer")
    kind = serializers.CharField(source="liaison.kind")
    household = HouseholdRefSerializer(source="liaison.household", allow_null=True)
    organization = OrganizationRefSerializer(source="liaison.organization", allow_null=True)
    region = RegionRefSerializer(source="liaison.region")
    interval_days = serializers.IntegerField()
    last_visit = serializers.DateField(allow_null=True)
    due = serializers.DateField()
    state = serializers.ChoiceField(["covered", "pending", "overdue"])
    days_overdue = serializers.IntegerField()


class CoverageFilterSerializer(serializers.Serializer):
    group = serializers.ChoiceField([(g, g) for g in GROUPS], required=False, help_text="Default: officer.")
    as_of = serializers.DateField(required=False, help_text="Default: today.")
    live = serializers.BooleanField(
        required=False, help_text="Compute from the visits even where generated due lists answer."
    )


class CoverageRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text="Id of the officer, grid, region or unit.")
    label = serializers.CharField()
    assigned = serializers.IntegerField()
    covered = serializers.IntegerField()
    overdue = serializers.IntegerField()
    pending = serializers.IntegerField()
    coverage = serializers.FloatField(allow_null=True, help_text="covered / assigned; null without duties.")
    coverage_low = serializers.FloatField(allow_null=True, help_text="95 % Wilson interval, lower bound.")
    coverage_high = serializers.FloatField(allow_null=True, help_text="95 % Wilson interval, upper bound.")


@extend_schema_serializer(many=False)  # one object, though served by a list action
class OutreachCoverageSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    group = serializers.CharField()
    source = serializers.ChoiceField(
        ["generated", "visits"], help_text="Read from the generated due lists, or computed from the visits."
    )
    generated_at = serializers.DateTimeField(allow_null=True)
    total = CoverageRowSerializer()
    rows = CoverageRowSerializer(many=True)


class AttentionFilterSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="Default: today.")


class AttentionItemSerializer(serializers.Serializer):
    household = HouseholdRefSerializer()
    region = RegionRefSerializer(source="household.region")
    care_tags = serializers.SerializerMethodField()
    codes = serializers.SerializerMethodField(
        help_text="not_visited, repeat, unresolved, dissatisfied (one per reason)."
    )
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Each reason in words.")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_care_tags(self, obj: Any) -> list[str]:
        return [t.code for t in obj.household.care_tags.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_codes(self, obj: Any) -> list[str]:
        return sorted(obj.codes)


class DayFilterSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Default: today.")


class RouteStopSerializer(DueItemSerializer):
    order = serializers.IntegerField()
    village = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    leg_km = serializers.FloatField(allow_null=True, help_text="Distance from the previous stop.")


class DayRequestSerializer(RequestRefSerializer):
    due_at = serializers.DateTimeField(allow_null=True)
    deadline_state = serializers.CharField(help_text="none, on_time, due_soon, overdue or paused")

    class Meta(RequestRefSerializer.Meta):
        fields = [*RequestRefSerializer.Meta.fields, "due_at", "deadline_state"]
        read_only_fields = fields


class StandingDutySerializer(serializers.Serializer):
    liaison = serializers.IntegerField(source="id")
    kind = serializers.CharField()
    organization = OrganizationRefSerializer(allow_null=True)
    grid = GridRefSerializer(allow_null=True)
    region = RegionRefSerializer()
    duties = serializers.CharField()


@extend_schema_serializer(many=False)  # one object, though served by a list action
class OfficerDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    officer = OfficerRefSerializer(allow_null=True)
    coverage = CoverageRowSerializer(allow_null=True)
    route_method = serializers.ChoiceField(
        ["ortools", "village", "none"],
        help_text="ortools: a route over the stops with coordinates (the rest after it, by village).",
    )
    route_km = serializers.FloatField()
    stops = RouteStopSerializer(many=True)
    requests = DayRequestSerializer(many=True)
    events = OutreachEventSerializer(many=True)
    standing_duties = StandingDutySerializer(many=True)


class RequestCreatedSerializer(RequestRefSerializer):
    pass
