"""Insights API: the dashboard's figures, the list behind each, hotspots and warnings, scoped as the pages.
HR and residents get 404, as for anything out of scope."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from grassroots.common.api.pagination import StandardPagination
from grassroots.common.api.schema import DETAIL_ERRORS, READ_ERRORS, error_responses
from grassroots.common.api.views import ScopedViewSet
from grassroots.common.scoping import actor_for

from .. import selectors, services
from ..hotspots import hotspot_topics
from ..models import EarlyWarning
from ..views import HOTSPOT_DOCUMENTS
from . import serializers as s


def _filters(request) -> Any:
    params = {k: v for k, v in request.query_params.items() if v != ""}
    return selectors.parse_filters(actor_for(request.user), params)


class DashboardView(GenericAPIView):
    serializer_class = s.DashboardSerializer

    @extend_schema(
        summary="Dashboard figures",
        description="Every figure of the leaders' dashboard for the filters, each rate with its numerator, "
        "denominator and 95 % Wilson interval; each breakdown row's `key` opens its list at "
        "`/api/insights/requests/`.",
        parameters=[s.FilterSerializer],
        responses={200: s.DashboardSerializer, **error_responses(400, *DETAIL_ERRORS)},
    )
    def get(self, request) -> Response:
        data = selectors.dashboard(actor=actor_for(request.user), filters=_filters(request))
        return Response(s.DashboardSerializer(data).data)


class DrillView(GenericAPIView):
    serializer_class = s.DrillRequestSerializer
    pagination_class = StandardPagination

    @extend_schema(
        summary="The requests behind one dashboard figure",
        parameters=[s.DrillFilterSerializer],
        responses={200: s.DrillRequestSerializer(many=True), **error_responses(400, *DETAIL_ERRORS)},
    )
    def get(self, request) -> Response:
        qs = selectors.drill_list(
            actor=actor_for(request.user),
            filters=_filters(request),
            measure=request.query_params.get("measure", "total"),
            dimension=request.query_params.get("dimension", ""),
            key=request.query_params.get("key", ""),
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class HotspotView(GenericAPIView):
    serializer_class = s.TopicSerializer
    pagination_class = None  # at most 30 topics: one list, never pages

    @extend_schema(
        summary="Hotspot topics of the period's requests",
        parameters=[s.FilterSerializer],
        responses={200: s.TopicSerializer(many=True), **error_responses(400, *DETAIL_ERRORS)},
    )
    def get(self, request) -> Response:
        actor = actor_for(request.user)
        qs = (
            selectors.scoped_requests(actor, _filters(request))
            .select_related("region")
            .order_by("-created_at")
        )
        requests = list(qs[:HOTSPOT_DOCUMENTS])
        data = [
            {
                **t.__dict__,
                "trend": t.trend,
                "examples": [requests[i].pk for i in t.examples],
                "places": [{"name": name, "count": n} for name, n in t.places],
            }
            for t in hotspot_topics(requests)[:30]
        ]
        return Response(s.TopicSerializer(data, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Early warnings in scope",
        parameters=[s.WarningFilterSerializer],
        responses={200: s.WarningSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="One warning", responses={200: s.WarningSerializer, **error_responses(*DETAIL_ERRORS)}
    ),
)
class WarningViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    queryset = EarlyWarning.objects.none()
    serializer_class = s.WarningSerializer
    filter_serializer_class = s.WarningFilterSerializer

    def select_list(self, **filters: Any) -> Any:
        return selectors.warning_list(actor=self.actor, **filters).prefetch_related("evidence")

    def select_one(self, pk: Any) -> Any:
        return selectors.warning_get(actor=self.actor, pk=pk)

    def _step(self, request, service, note_required: bool = False) -> Response:
        warning = self.get_object()
        body = s.WarningStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        warning = service(actor=self.actor, warning=warning, **body.validated_data)
        return Response(s.WarningSerializer(warning).data)

    @extend_schema(
        summary="Acknowledge a warning",
        request=s.WarningStepSerializer,
        responses={200: s.WarningSerializer, **error_responses(400, 409, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None) -> Response:
        return self._step(request, services.warning_acknowledge)

    @extend_schema(
        summary="Close a warning (a note is required)",
        request=s.WarningStepSerializer,
        responses={200: s.WarningSerializer, **error_responses(400, 409, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None) -> Response:
        return self._step(request, services.warning_close)
