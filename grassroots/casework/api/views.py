"""Casework API: reads through the selectors, every change through the services."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from grassroots.common.api.pagination import KeysFirstPagination
from grassroots.common.api.schema import DETAIL_ERRORS, READ_ERRORS, error_responses
from grassroots.common.api.views import ScopedViewSet
from grassroots.common.errors import NotFound
from grassroots.common.scoping import get_visible_or_404

from .. import escalation, follow_up, matters, selectors, services
from ..models import ClockAlert, Request, RequestEvent, RequestUnit
from ..throttle import PublicIntakeThrottle
from . import serializers as s

ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Same as client_token: a retry returns the first request.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List requests",
        parameters=[s.RequestFilterSerializer],
        responses={200: s.RequestSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a request with its timeline",
        parameters=[ID_PARAMETER],
        responses={200: s.RequestDetailSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Register a request (idempotent with a client token)",
        request=s.IntakeSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: s.RequestDetailSerializer,
            200: s.RequestDetailSerializer,
            **error_responses(400, 401, 403, 409, 429),
        },
    ),
)
class RequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Requests and disputes (诉求/矛盾纠纷). Out of scope answers 404, as for a missing request."""

    queryset = Request.objects.none()
    serializer_class = s.RequestSerializer
    filter_serializer_class = s.RequestFilterSerializer
    pagination_class = KeysFirstPagination  # an officer's or a county's open requests: read keys first

    def get_serializer_class(self) -> type:
        return s.RequestSerializer if self.action == "list" else s.RequestDetailSerializer

    def get_permissions(self) -> list:
        # Public channels (web, messaging, Open311, hotline) may be used anonymously; the service decides.
        return [AllowAny()] if self.action == "create" else super().get_permissions()

    def get_throttles(self) -> list:
        return [PublicIntakeThrottle()] if self.action == "create" else super().get_throttles()

    def select_list(
        self,
        status: str | None = None,
        kind: str | None = None,
        channel: str | None = None,
        mine: bool | None = None,
    ) -> Any:
        if mine:
            qs = selectors.my_requests(actor=self.actor)
            return qs.filter(status=status) if status else qs
        return selectors.request_list(actor=self.actor, status=status, kind=kind, channel=channel)

    def select_one(self, pk: Any) -> Request:
        return selectors.request_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.IntakeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = s.as_data(serializer.validated_data)
        data.setdefault("client_token", request.headers.get("Idempotency-Key") or None)
        created_request, created = services.request_intake(
            actor=self.actor, data=services.IntakeInput(**data)
        )
        if created:
            # A new request's timeline is its intake event and it has no handling unit yet; the service's own
            # instance carries its place, category and grid, so nothing is read back.
            created_request._prefetched_objects_cache = {
                "events": [created_request.intake_event],
                "units": [],
            }
        else:
            prefetch_related_objects(
                [created_request],
                Prefetch(
                    "events", queryset=RequestEvent.objects.select_related("actor").order_by("at", "id")
                ),
                Prefetch("units", queryset=RequestUnit.objects.filter(is_active=True).select_related("unit")),
            )
        body = s.RequestDetailSerializer(created_request).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Take a workflow action",
        parameters=[ID_PARAMETER],
        request=s.TransitionSerializer,
        responses={200: s.RequestDetailSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["post"])
    def transitions(self, request, *args, **kwargs) -> Response:
        current = self.get_object()
        serializer = s.TransitionSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        services.request_transition(
            actor=self.actor,
            request=current,
            action=values["action"],
            reason=values["reason"],
            expected_version=values["version"],
            data=dict(values.get("data") or {}),
        )
        return Response(s.RequestDetailSerializer(self.select_one(current.pk)).data)

    @extend_schema(
        summary="Record a follow-up (回访)",
        parameters=[ID_PARAMETER],
        request=s.FollowUpInputSerializer,
        responses={201: s.FollowUpSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["post"], url_path="follow-ups")
    def follow_ups(self, request, *args, **kwargs) -> Response:
        current = self.get_object()
        serializer = s.FollowUpInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = follow_up.follow_up_record(actor=self.actor, request=current, **serializer.validated_data)
        return Response(s.FollowUpSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Link into a matter (并单)",
        parameters=[ID_PARAMETER],
        request=s.LinkSerializer,
        responses={200: s.RequestDetailSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["post"])
    def link(self, request, *args, **kwargs) -> Response:
        current = self.get_object()
        serializer = s.LinkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        matter = Request.objects.visible_to(self.actor).filter(pk=serializer.validated_data["matter"]).first()
        if matter is None:
            raise NotFound("No such matter in your scope")
        matters.request_link(
            actor=self.actor, request=current, matter=matter, reason=serializer.validated_data["reason"]
        )
        return Response(s.RequestDetailSerializer(self.select_one(current.pk)).data)

    @extend_schema(
        summary="Likely duplicates of a request being entered",
        request=s.DuplicateQuerySerializer,
        responses={200: s.DuplicateCandidateSerializer(many=True), **error_responses(400, 401, 403)},
    )
    @action(detail=False, methods=["post"])
    def duplicates(self, request, *args, **kwargs) -> Response:
        serializer = s.DuplicateQuerySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        found = matters.duplicate_candidates(
            actor=self.actor,
            text=values["text"],
            region=values["region"],
            reporter_phone=values.get("reporter_phone", ""),
            reporter_resident_id=values.get("reporter_resident"),
            category=values.get("category"),
        )
        data = [{"request": c.request, "score": c.score, "reasons": c.reasons} for c in found]
        return Response(s.DuplicateCandidateSerializer(data, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Open escalations in my units",
        responses={200: s.ClockAlertSerializer(many=True), **error_responses(*READ_ERRORS)},
    ),
)
class ClockAlertViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Deadline reminders and escalations awaiting a leader's acknowledgement."""

    queryset = ClockAlert.objects.none()
    serializer_class = s.ClockAlertSerializer

    def select_list(self) -> Any:
        return selectors.leader_queue(actor=self.actor)["escalations"]

    def select_one(self, pk: Any) -> ClockAlert:
        # A malformed id (``false``, ``1.5``) is a missing alert, as an alert out of scope is.
        return get_visible_or_404(
            ClockAlert.objects.filter(request__in=Request.objects.visible_to(self.actor)), pk=pk
        )

    @extend_schema(
        summary="Acknowledge an alert",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: s.ClockAlertSerializer, **error_responses(*DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, *args, **kwargs) -> Response:
        alert = escalation.clock_alert_acknowledge(actor=self.actor, alert=self.get_object())
        return Response(s.ClockAlertSerializer(alert).data)
