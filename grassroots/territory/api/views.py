"""Territory API: reads through the selectors (scoped, joined), writes through the services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from grassroots.common.api.schema import DETAIL_ERRORS, READ_ERRORS, error_responses
from grassroots.common.api.views import ScopedViewSet
from grassroots.common.protected import blind_index, normalise_id_number

from .. import selectors, services
from ..models import CareTag, Grid, Household, Organization, Region, Resident
from . import serializers as s

ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(
        summary="List regions",
        parameters=[s.RegionFilterSerializer],
        responses={200: s.RegionSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a region",
        parameters=[ID_PARAMETER],
        responses={200: s.RegionSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
)
class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The region tree (行政区划): staff see their county, HR and administrators all, residents none."""

    queryset = Region.objects.none()
    serializer_class = s.RegionSerializer
    filter_serializer_class = s.RegionFilterSerializer

    def select_list(self, parent: str | None = None, level: int | None = None) -> Any:
        return selectors.region_list(actor=self.actor, parent_code=parent, level=level)

    def select_one(self, pk: Any) -> Region:
        return selectors.region_get(actor=self.actor, pk=pk)


@extend_schema_view(
    list=extend_schema(
        summary="List grids",
        parameters=[s.GridFilterSerializer],
        responses={200: s.GridSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a grid",
        parameters=[ID_PARAMETER],
        responses={200: s.GridSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
)
class GridViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Grids (网格), the smallest management cells, with their grid officer."""

    queryset = Grid.objects.none()
    serializer_class = s.GridSerializer
    filter_serializer_class = s.GridFilterSerializer

    def select_list(self, region: str | None = None) -> Any:
        return selectors.grid_list(actor=self.actor, region_code=region)

    def select_one(self, pk: Any) -> Grid:
        return selectors.grid_get(actor=self.actor, pk=pk)


@extend_schema_view(
    list=extend_schema(
        summary="List care tags",
        responses={200: s.CareTagSerializer(many=True), **error_responses(*READ_ERRORS)},
    ),
)
class CareTagViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Care tags (关爱标签) households can carry; use their codes in household filters and input."""

    queryset = CareTag.objects.none()
    serializer_class = s.CareTagSerializer

    def select_list(self) -> Any:
        return selectors.care_tag_list()


@extend_schema_view(
    list=extend_schema(
        summary="List households",
        parameters=[s.HouseholdFilterSerializer],
        responses={200: s.HouseholdSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a household with its residents (masked)",
        parameters=[ID_PARAMETER],
        responses={200: s.HouseholdDetailSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Register a household",
        request=s.HouseholdCreateSerializer,
        responses={201: s.HouseholdDetailSerializer, **error_responses(400, 401, 403)},
    ),
    partial_update=extend_schema(
        summary="Change a household",
        parameters=[ID_PARAMETER],
        request=s.HouseholdUpdateSerializer,
        responses={200: s.HouseholdDetailSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    ),
)
class HouseholdViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Households (户). Officers and leaders see their area, residents their own household, HR none."""

    queryset = Household.objects.none()
    serializer_class = s.HouseholdSerializer
    filter_serializer_class = s.HouseholdFilterSerializer

    def get_serializer_class(self) -> type:
        return s.HouseholdDetailSerializer if self.action != "list" else s.HouseholdSerializer

    def select_list(
        self,
        region: str | None = None,
        grid: str | None = None,
        care_tag: str | None = None,
        search: str | None = None,
        active: bool | None = True,
    ) -> Any:
        return selectors.household_list(
            actor=self.actor,
            region_code=region,
            grid_code=grid,
            care_tag=care_tag,
            search=search,
            active=active,
        )

    def select_one(self, pk: Any) -> Household:
        return selectors.household_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.HouseholdCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["care_tags"] = tuple(data.get("care_tags", ()))
        household = services.household_create(actor=self.actor, data=services.HouseholdInput(**data))
        return self._detail(household.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs) -> Response:
        household = self.get_object()
        serializer = s.HouseholdUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        version, changes = serializer.changes()
        services.household_update(actor=self.actor, household=household, version=version, changes=changes)
        return self._detail(household.pk)

    def _detail(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        household = selectors.household_get(actor=self.actor, pk=pk)
        return Response(s.HouseholdDetailSerializer(household).data, status=status_code)


@extend_schema_view(
    list=extend_schema(
        summary="List residents (masked)",
        parameters=[s.ResidentFilterSerializer],
        responses={200: s.ResidentSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a resident (masked)",
        parameters=[ID_PARAMETER],
        responses={200: s.ResidentSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Register a resident",
        request=s.ResidentCreateSerializer,
        responses={201: s.ResidentSerializer, **error_responses(400, 401, 403)},
    ),
    partial_update=extend_schema(
        summary="Change a resident",
        parameters=[ID_PARAMETER],
        request=s.ResidentUpdateSerializer,
        responses={200: s.ResidentSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    ),
)
class ResidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Residents (居民). ID and phone numbers are shown masked; ``reveal`` returns them in full and is
    written to the audit log."""

    queryset = Resident.objects.none()
    serializer_class = s.ResidentSerializer
    filter_serializer_class = s.ResidentFilterSerializer

    def select_list(
        self, household: int | None = None, search: str | None = None, id_number: str | None = None
    ) -> Any:
        id_hash = blind_index(normalise_id_number(id_number)) if id_number else None
        return selectors.resident_list(
            actor=self.actor, household_id=household, search=search, id_number_hash=id_hash
        )

    def select_one(self, pk: Any) -> Resident:
        return selectors.resident_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.ResidentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        household = data.pop("household")
        resident = services.resident_create(
            actor=self.actor, household=household, data=services.ResidentInput(**data)
        )
        return self._detail(resident.pk, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs) -> Response:
        resident = self.get_object()
        serializer = s.ResidentUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        version, changes = serializer.changes()
        services.resident_update(actor=self.actor, resident=resident, version=version, changes=changes)
        return self._detail(resident.pk)

    @extend_schema(
        summary="Reveal a resident's full ID and phone numbers (audited)",
        parameters=[ID_PARAMETER],
        request=s.RevealReasonSerializer,
        responses={200: s.RevealedValuesSerializer, **error_responses(400, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, *args, **kwargs) -> Response:
        resident = self.get_object()
        serializer = s.RevealReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = services.resident_reveal(
            actor=self.actor, resident=resident, reason=serializer.validated_data.get("reason", "")
        )
        # Unmasked personal data: no shared or browser cache may keep a copy.
        return Response(s.RevealedValuesSerializer(values).data, headers={"Cache-Control": "no-store"})

    def _detail(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        resident = selectors.resident_get(actor=self.actor, pk=pk)
        return Response(s.ResidentSerializer(resident).data, status=status_code)


@extend_schema_view(
    list=extend_schema(
        summary="List organisations",
        parameters=[s.OrganizationFilterSerializer],
        responses={200: s.OrganizationSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get an organisation",
        parameters=[ID_PARAMETER],
        responses={200: s.OrganizationSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Register an organisation",
        request=s.OrganizationCreateSerializer,
        responses={201: s.OrganizationSerializer, **error_responses(400, 401, 403)},
    ),
)
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Organisations (单位): agencies, enterprises, schools, village committees, social organisations."""

    queryset = Organization.objects.none()
    serializer_class = s.OrganizationSerializer
    filter_serializer_class = s.OrganizationFilterSerializer

    def select_list(
        self, kind: str | None = None, region: str | None = None, search: str | None = None
    ) -> Any:
        return selectors.organization_list(actor=self.actor, kind=kind, region_code=region, search=search)

    def select_one(self, pk: Any) -> Organization:
        return selectors.organization_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.OrganizationCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        organization = services.organization_create(actor=self.actor, **serializer.validated_data)
        detail = selectors.organization_get(actor=self.actor, pk=organization.pk)
        return Response(s.OrganizationSerializer(detail).data, status=status.HTTP_201_CREATED)
