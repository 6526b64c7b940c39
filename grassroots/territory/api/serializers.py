"""Territory API shapes. Serializers check types and resolve codes into objects; the services decide.

Protected columns never leave the server through these: residents carry their masked ID and phone numbers
only; the unmasked values come from ``resident_reveal``, which audits every call.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from grassroots.common.api.serializers import VersionedUpdateSerializer
from grassroots.common.scoping import actor_for

from ..models import (
    CareTag,
    Gender,
    Grid,
    Household,
    Organization,
    OrganizationKind,
    Region,
    RegionLevel,
    Relationship,
    Resident,
)


# Reference data (regions, grids, care tags) is resolved without scope: codes are public, and the service
# then answers whether the caller may use them (403 for a role that may not write, a field error otherwise).
def region_code_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), label="Region code", **kwargs
    )


class VisibleHouseholdField(serializers.PrimaryKeyRelatedField):
    """A household the caller can see; any other id is reported as not existing."""

    def get_queryset(self) -> Any:
        return Household.objects.visible_to(actor_for(self.context["request"].user))


# ---- output -------------------------------------------------------------------------------------------


class RegionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name"]
        read_only_fields = fields


class RegionSerializer(serializers.ModelSerializer):
    parent = RegionRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "parent", "path", "is_urban"]
        read_only_fields = fields


class GridOfficerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class GridSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    officer = GridOfficerSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Grid
        fields = ["id", "code", "name", "region", "officer"]
        read_only_fields = fields


class GridRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Grid
        fields = ["id", "code", "name"]
        read_only_fields = fields


class CareTagSerializer(serializers.ModelSerializer):
    class Meta:
        model = CareTag
        fields = ["code", "name", "name_en"]
        read_only_fields = fields


class ResidentSerializer(serializers.ModelSerializer):
    gender = serializers.ChoiceField(choices=Gender.choices, allow_blank=True, read_only=True)
    household_number = serializers.CharField(source="household.number", read_only=True)
    id_number = serializers.CharField(
        source="id_number_masked", read_only=True, help_text="Masked; POST …/reveal/ for the full value."
    )
    phone = serializers.CharField(
        source="phone_masked", read_only=True, help_text="Masked; POST …/reveal/ for the full value."
    )

    class Meta:
        model = Resident
        fields = [
            "id",
            "household",
            "household_number",
            "name",
            "gender",
            "birth_date",
            "relationship",
            "id_number",
            "phone",
            "is_active",
            "version",
        ]
        read_only_fields = fields


class HouseholdResidentSerializer(ResidentSerializer):
    class Meta(ResidentSerializer.Meta):
        fields = [f for f in ResidentSerializer.Meta.fields if f not in ("household", "household_number")]
        read_only_fields = fields


class HouseholdSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    grid = GridRefSerializer(read_only=True, allow_null=True)
    care_tags = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    member_count = serializers.IntegerField(read_only=True, help_text="Active residents.")

    class Meta:
        model = Household
        fields = [
            "id",
            "number",
            "region",
            "grid",
            "address",
            "care_tags",
            "member_count",
            "is_active",
            "version",
        ]
        read_only_fields = fields


class HouseholdDetailSerializer(HouseholdSerializer):
    county = RegionRefSerializer(read_only=True)
    residents = HouseholdResidentSerializer(many=True, read_only=True)
    member_count = None

    class Meta(HouseholdSerializer.Meta):
        fields = [
            "id",
            "number",
            "county",
            "region",
            "grid",
            "address",
            "care_tags",
            "latitude",
            "longitude",
            "notes",
            "is_active",
            "residents",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class OrganizationSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "kind",
            "region",
            "credit_code",
            "address",
            "contact_name",
            "contact_phone",
            "is_active",
        ]
        read_only_fields = fields


class RevealedValuesSerializer(serializers.Serializer):
    id_number = serializers.CharField()
    phone = serializers.CharField()


# ---- input --------------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="Household")  # documented as HouseholdRequest
class HouseholdCreateSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=32)
    region = region_code_field(help_text="Code of the village or community.")
    grid = serializers.SlugRelatedField(
        slug_field="code", queryset=Grid.objects.all(), required=False, allow_null=True, label="Grid code"
    )
    address = serializers.CharField(max_length=255)
    care_tags = serializers.SlugRelatedField(
        slug_field="code", queryset=CareTag.objects.all(), many=True, required=False, label="Care tag codes"
    )
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class HouseholdUpdateSerializer(VersionedUpdateSerializer):
    """Only the fields sent are changed; ``version`` is the one the client read."""

    region = region_code_field(required=False)
    grid = serializers.SlugRelatedField(
        slug_field="code", queryset=Grid.objects.all(), required=False, allow_null=True, label="Grid code"
    )
    address = serializers.CharField(max_length=255, required=False)
    care_tags = serializers.SlugRelatedField(
        slug_field="code", queryset=CareTag.objects.all(), many=True, required=False, label="Care tag codes"
    )
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


@extend_schema_serializer(component_name="Resident")  # documented as ResidentRequest
class ResidentCreateSerializer(serializers.Serializer):
    household = VisibleHouseholdField(queryset=Household.objects.all())
    name = serializers.CharField(max_length=100)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=32)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    relationship = serializers.ChoiceField(choices=Relationship.choices, required=False)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)


class ResidentUpdateSerializer(VersionedUpdateSerializer):
    """Only the fields sent are changed; ``version`` is the one the client read. An empty ``id_number`` or
    ``phone`` clears it."""

    household = VisibleHouseholdField(queryset=Household.objects.all(), required=False)
    name = serializers.CharField(max_length=100, required=False)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=32)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    relationship = serializers.ChoiceField(choices=Relationship.choices, required=False)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class RevealReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Why the full values are needed (audited).",
    )


@extend_schema_serializer(component_name="Organization")  # documented as OrganizationRequest
class OrganizationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=OrganizationKind.choices)
    region = region_code_field(help_text="Region code.")
    credit_code = serializers.CharField(
        required=False, allow_blank=True, max_length=18, help_text="Unified social credit code."
    )
    address = serializers.CharField(required=False, allow_blank=True, max_length=255)
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=32)


# ---- query parameters ---------------------------------------------------------------------------------


class RegionFilterSerializer(serializers.Serializer):
    parent = serializers.CharField(required=False, help_text="Code of the parent region (direct children).")
    level = serializers.ChoiceField(choices=RegionLevel.choices, required=False)


class GridFilterSerializer(serializers.Serializer):
    region = serializers.CharField(required=False, help_text="Region code: grids in its subtree.")


class HouseholdFilterSerializer(serializers.Serializer):
    region = serializers.CharField(required=False, help_text="Region code: households in its subtree.")
    grid = serializers.CharField(required=False, help_text="Grid code.")
    care_tag = serializers.CharField(required=False, help_text="Care tag code.")
    search = serializers.CharField(required=False, help_text="Part of the household number or address.")
    active = serializers.BooleanField(
        required=False, default=True, help_text="Active (default) or inactive households."
    )


class ResidentFilterSerializer(serializers.Serializer):
    household = serializers.IntegerField(required=False, min_value=1, help_text="Household id.")
    search = serializers.CharField(required=False, help_text="Part of the name.")
    id_number = serializers.CharField(
        required=False, help_text="Exact ID number, matched through its keyed hash (never stored in clear)."
    )


class OrganizationFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OrganizationKind.choices, required=False)
    region = serializers.CharField(required=False, help_text="Region code: organisations in its subtree.")
    search = serializers.CharField(required=False, help_text="Part of the name.")
