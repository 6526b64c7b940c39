"""Casework API shapes: types and code look-ups only; the services decide everything else."""

from __future__ import annotations

import copy
from typing import Any

from rest_framework import serializers

from grassroots.territory.api.serializers import RegionRefSerializer
from grassroots.territory.models import Grid, Region, Resident
from grassroots.workforce.models import Officer, Unit

from ..models import (
    Category,
    Channel,
    ClockAlert,
    FollowUp,
    Kind,
    Request,
    RequestEvent,
    RequestUnit,
    Risk,
    Satisfaction,
    Urgency,
)
from ..selectors import deadline_state
from ..workflow import Action


class FieldsOnce:
    """Build a model serializer's fields once per class, then hand each instance fresh copies: DRF otherwise
    introspects the model (and deep-copies every field) on each instantiation, which was the largest cost
    of answering an intake. A plain field is copied shallowly (binding then sets its name and parent on the
    copy only); a nested serializer is deep-copied, as DRF does."""

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()  # type: ignore[misc]
            cls._built_fields = built
        return {
            name: copy.deepcopy(field) if isinstance(field, serializers.BaseSerializer) else copy.copy(field)
            for name, field in built.items()
        }


class RequestSerializer(FieldsOnce, serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    assignee = serializers.SlugRelatedField(slug_field="staff_number", read_only=True, allow_null=True)
    deadline_state = serializers.SerializerMethodField(help_text="none, on_time, due_soon, overdue or paused")

    class Meta:
        model = Request
        fields = [
            "id",
            "tracking_code",
            "kind",
            "channel",
            "title",
            "status",
            "urgency",
            "risk",
            "is_confidential",
            "region",
            "category",
            "assignee",
            "due_at",
            "deadline_state",
            "is_paused",
            "matter",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    def get_deadline_state(self, obj: Request) -> str:
        return deadline_state(obj)


class RequestEventSerializer(FieldsOnce, serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = RequestEvent
        fields = ["at", "action", "from_status", "to_status", "actor", "reason", "data"]
        read_only_fields = fields


class RequestUnitSerializer(FieldsOnce, serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = RequestUnit
        fields = ["unit", "role", "assigned_at"]
        read_only_fields = fields


class RequestDetailSerializer(RequestSerializer):
    events = RequestEventSerializer(many=True, read_only=True)
    units = RequestUnitSerializer(many=True, read_only=True)
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    reporter_phone = serializers.CharField(source="reporter_phone_masked", read_only=True)

    class Meta(RequestSerializer.Meta):
        fields = [
            *RequestSerializer.Meta.fields,
            "description",
            "address",
            "grid",
            "reporter_resident",
            "reporter_name",
            "reporter_phone",
            "is_anonymous",
            "dispute_type",
            "outcome",
            "deadline_amount",
            "deadline_unit",
            "extension_pending",
            "return_count",
            "reopen_count",
            "escalation_tier",
            "units",
            "events",
        ]
        read_only_fields = fields


class IntakeSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(Channel.choices)
    kind = serializers.ChoiceField(Kind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=4000)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    grid = serializers.SlugRelatedField(
        slug_field="code", queryset=Grid.objects.all(), required=False, allow_null=True
    )
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    reporter_resident = serializers.PrimaryKeyRelatedField(
        queryset=Resident.objects.all(), required=False, allow_null=True
    )
    reporter_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    reporter_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    is_anonymous = serializers.BooleanField(required=False, default=False)
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    dispute_type = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(Urgency.choices, required=False, default=Urgency.NORMAL)
    risk = serializers.ChoiceField(Risk.choices, required=False, default=Risk.BLUE)
    is_confidential = serializers.BooleanField(required=False, default=False)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    client_token = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        help_text="Retries with the same token return the first request instead of creating another; the "
        "Idempotency-Key header does the same.",
    )

    def validate_reporter_resident(self, value: Resident | None) -> Resident | None:
        from grassroots.common.scoping import actor_for

        if (
            value is not None
            and not Resident.objects.visible_to(actor_for(self.context["request"].user))
            .filter(pk=value.pk)
            .exists()
        ):
            raise serializers.ValidationError("No such resident in your scope.", code="does_not_exist")
        return value


class TransitionDataSerializer(serializers.Serializer):
    lead_unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all(), required=False)
    assist_units = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), many=True, required=False
    )
    assignee = serializers.SlugRelatedField(
        slug_field="staff_number", queryset=Officer.objects.all(), required=False, allow_null=True
    )
    outcome = serializers.CharField(required=False)
    days = serializers.IntegerField(required=False)


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField([a for a in Action.choices if a[0] != Action.REOPEN_DISSATISFIED])
    version = serializers.IntegerField(
        min_value=1, help_text="The version you read; a stale one answers 409."
    )
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    data = TransitionDataSerializer(required=False, default=dict)


class FollowUpInputSerializer(serializers.Serializer):
    reached = serializers.BooleanField()
    satisfaction = serializers.ChoiceField(Satisfaction.choices, required=False, allow_blank=True, default="")
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    mode = serializers.ChoiceField(["phone", "visit", "message"], required=False, default="phone")


class FollowUpSerializer(serializers.ModelSerializer):
    by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "at", "by", "mode", "reached", "satisfaction", "comment"]
        read_only_fields = fields


class DuplicateQuerySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    reporter_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    reporter_resident = serializers.IntegerField(required=False)
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.all(), required=False
    )


class DuplicateCandidateSerializer(serializers.Serializer):
    request = RequestSerializer(read_only=True)
    score = serializers.FloatField(read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)


class LinkSerializer(serializers.Serializer):
    matter = serializers.IntegerField(help_text="Id of the request that stands for the matter.")
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ClockAlertSerializer(serializers.ModelSerializer):
    request = RequestSerializer(read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = ClockAlert
        fields = ["id", "kind", "tier", "unit", "due_at", "created_at", "acknowledged_at", "request"]
        read_only_fields = fields


class RequestFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False)
    kind = serializers.ChoiceField(Kind.choices, required=False)
    channel = serializers.ChoiceField(Channel.choices, required=False)
    mine = serializers.BooleanField(
        required=False, help_text="Only what I have to work on, soonest due first."
    )


def as_data(validated: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in validated.items() if value is not None}
