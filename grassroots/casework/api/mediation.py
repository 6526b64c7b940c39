"""Mediation API (parties, sessions, the agreement and its judicial confirmation, diversion to litigation,
mediators) and the public tracking API (a tracking code's status and feedback; confidential matters show
only a redacted summary). Reads are scoped like the request itself: out of scope answers 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from grassroots.common.api.schema import DETAIL_ERRORS, READ_ERRORS, error_responses
from grassroots.common.api.views import ScopedViewSet
from grassroots.common.errors import FieldError, NotFound, ValidationFailed
from grassroots.workforce.models import Unit

from .. import mediation, selectors, throttle
from ..models import (
    Agreement,
    Kind,
    LitigationHandOff,
    MediationSession,
    Mediator,
    Party,
    Request,
    Satisfaction,
)
from ..public import AWAITING_FEEDBACK, public_feedback_record
from ..workflow import OPEN

ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)
CODE_PARAMETER = OpenApiParameter("code", str, OpenApiParameter.PATH, description="The tracking code.")


class PartySerializer(serializers.ModelSerializer):
    phone = serializers.CharField(source="phone_masked", read_only=True, help_text="Masked.")

    class Meta:
        model = Party
        fields = ["id", "role", "name", "phone", "address", "resident", "organization"]
        read_only_fields = fields


class PartyInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(["applicant", "respondent", "third_party"])
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class MediatorSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Mediator
        fields = ["id", "kind", "name", "region", "specialties", "public_phone"]
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    mediators = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    parties_present = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = MediationSession
        fields = ["id", "at", "place", "mediators", "parties_present", "outcome", "notes"]
        read_only_fields = fields


class SessionInputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)
    mediators = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    parties_present = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    outcome = serializers.ChoiceField(["continued", "agreement", "failed"])
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class AgreementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agreement
        fields = [
            "number",
            "facts",
            "terms",
            "performance",
            "signed_on",
            "confirmation",
            "confirmation_case_number",
            "confirmation_updated_at",
        ]
        read_only_fields = fields


class AgreementInputSerializer(serializers.Serializer):
    facts = serializers.CharField()
    terms = serializers.CharField()
    performance = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    signed_on = serializers.DateField()


class ConfirmationInputSerializer(serializers.Serializer):
    confirmation = serializers.ChoiceField(["applied", "confirmed", "refused"])
    case_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class LitigationSerializer(serializers.ModelSerializer):
    court = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = LitigationHandOff
        fields = ["court", "handed_at", "case_number", "materials"]
        read_only_fields = fields


class LitigationInputSerializer(serializers.Serializer):
    court = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.filter(is_active=True))
    case_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    materials = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


def _county_mediators(request: Request) -> Any:
    return Mediator.objects.filter(is_active=True).filter(
        Q(region__isnull=True) | Q(region__path__startswith=request.county.path)
    )


class DisputeViewSet(ScopedViewSet):
    """A dispute's mediation record, under ``/api/requests/{id}/``."""

    queryset = Request.objects.none()
    serializer_class = PartySerializer

    def select_one(self, pk: Any) -> Request:
        item = selectors.request_get(actor=self.actor, pk=pk)
        if item.kind != Kind.DISPUTE:
            raise NotFound("Only disputes are mediated")
        return item

    @extend_schema(
        methods=["GET"],
        summary="A dispute's parties (phones masked)",
        parameters=[ID_PARAMETER],
        responses={200: PartySerializer(many=True), **error_responses(*DETAIL_ERRORS)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a party to a dispute",
        parameters=[ID_PARAMETER],
        request=PartyInputSerializer,
        responses={201: PartySerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["get", "post"])
    def parties(self, request, *args, **kwargs) -> Response:
        item = self.get_object()
        if request.method == "GET":
            return Response(PartySerializer(item.parties.all(), many=True).data)
        data = PartyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        party = mediation.party_add(actor=self.actor, request=item, **data.validated_data)
        return Response(PartySerializer(party).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="A dispute's mediation sessions",
        parameters=[ID_PARAMETER],
        responses={200: SessionSerializer(many=True), **error_responses(*DETAIL_ERRORS)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a mediation session",
        parameters=[ID_PARAMETER],
        request=SessionInputSerializer,
        responses={201: SessionSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["get", "post"], url_path="mediation-sessions")
    def sessions(self, request, *args, **kwargs) -> Response:
        item = self.get_object()
        if request.method == "GET":
            sessions = item.mediation_sessions.prefetch_related("mediators", "parties_present")
            return Response(SessionSerializer(sessions, many=True).data)
        data = SessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        mediators = list(_county_mediators(item).filter(pk__in=values["mediators"]))
        parties = list(item.parties.filter(pk__in=values["parties_present"]))
        errors = []
        if len(mediators) != len(set(values["mediators"])):
            errors.append(
                FieldError("mediators", "includes a mediator who is not registered for this county")
            )
        if len(parties) != len(set(values["parties_present"])):
            errors.append(
                FieldError("parties_present", "includes someone who is not a party of this dispute")
            )
        if errors:
            raise ValidationFailed("Session not recorded", errors)
        session = mediation.mediation_session_record(
            actor=self.actor,
            request=item,
            at=values["at"],
            place=values["place"],
            mediators=mediators,
            parties_present=parties,
            outcome=values["outcome"],
            notes=values["notes"],
        )
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        summary="The dispute's agreement (调解协议)",
        parameters=[ID_PARAMETER],
        responses={200: AgreementSerializer, **error_responses(*DETAIL_ERRORS)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record the signed agreement; resolves the dispute",
        parameters=[ID_PARAMETER],
        request=AgreementInputSerializer,
        responses={201: AgreementSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["get", "post"])
    def agreement(self, request, *args, **kwargs) -> Response:
        item = self.get_object()
        if request.method == "GET":
            found = Agreement.objects.filter(request=item).first()
            if found is None:
                raise NotFound("No agreement recorded")
            return Response(AgreementSerializer(found).data)
        data = AgreementInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signed = mediation.agreement_sign(actor=self.actor, request=item, **data.validated_data)
        return Response(AgreementSerializer(signed).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Judicial confirmation (司法确认): apply, then record the court's decision",
        parameters=[ID_PARAMETER],
        request=ConfirmationInputSerializer,
        responses={200: AgreementSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["post"], url_path="agreement/confirmation")
    def confirmation(self, request, *args, **kwargs) -> Response:
        item = self.get_object()
        found = Agreement.objects.filter(request=item).select_related("request").first()
        if found is None:
            raise NotFound("No agreement recorded")
        data = ConfirmationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = mediation.agreement_confirmation_update(
            actor=self.actor, agreement=found, **data.validated_data
        )
        return Response(AgreementSerializer(updated).data)

    @extend_schema(
        summary="Divert the dispute to litigation (hand-off record); resolves it",
        parameters=[ID_PARAMETER],
        request=LitigationInputSerializer,
        responses={201: LitigationSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["post"])
    def litigation(self, request, *args, **kwargs) -> Response:
        item = self.get_object()
        data = LitigationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff = mediation.litigation_divert(actor=self.actor, request=item, **data.validated_data)
        return Response(LitigationSerializer(handoff).data, status=status.HTTP_201_CREATED)


@extend_schema(
    summary="Mediators registered for my counties",
    responses={200: MediatorSerializer(many=True), **error_responses(*READ_ERRORS)},
)
class MediatorViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Active mediators (officers, people's mediators, volunteers, social courts) of the caller's counties,
    and those registered without an area."""

    queryset = Mediator.objects.none()
    serializer_class = MediatorSerializer

    def select_list(self) -> Any:
        actor = self.actor
        if not (actor.is_admin or actor.is_staff_officer):
            return Mediator.objects.none()
        qs = Mediator.objects.filter(is_active=True).select_related("region")
        if not actor.is_admin:
            area = Q(region__isnull=True)
            for path in actor.county_paths:
                area |= Q(region__path__startswith=path)
            qs = qs.filter(area)
        return qs.order_by("name", "id")


class PublicTrackSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField(help_text="Of the matter that handles it (a linked report follows it).")
    received = serializers.DateField()
    last_update = serializers.DateField()
    expected_by = serializers.DateTimeField(allow_null=True, help_text="While open: the deadline.")
    redacted = serializers.BooleanField(help_text="Confidential: only kind, status and dates are given.")
    summary = serializers.CharField(allow_null=True, help_text="Null when redacted.")
    place = serializers.CharField(allow_null=True, help_text="Null when redacted.")
    handled_together = serializers.BooleanField()
    awaiting_feedback = serializers.BooleanField()


class PublicFeedbackInputSerializer(serializers.Serializer):
    satisfaction = serializers.ChoiceField(Satisfaction.choices)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class PublicTrackThrottle(BaseThrottle):
    """Misses (unknown codes) and feedback are limited per address on the shared counters."""

    def __init__(self, scope: str, setting: str, default: tuple[int, int]) -> None:
        from django.conf import settings

        self.scope = scope
        self.limit, self.window_seconds = getattr(settings, setting, default)

    def allow_request(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        return throttle.hit(request, scope=self.scope, limit=self.limit, window_seconds=self.window_seconds)

    def wait(self) -> float:
        return float(throttle.seconds_left(self.window_seconds))


def public_track_data(item: Request) -> dict[str, Any]:
    """What anyone holding the tracking code may read; a confidential matter only its progress."""
    handled = item.matter or item
    redacted = item.is_confidential or handled.is_confidential
    return {
        "tracking_code": item.tracking_code,
        "kind": item.kind,
        "status": handled.status,
        "received": item.created_at.date(),
        "last_update": handled.updated_at.date(),
        "expected_by": handled.due_at if handled.status in OPEN else None,
        "redacted": redacted,
        "summary": None if redacted else (item.public_summary or item.title),
        "place": None if redacted else item.region.name,
        "handled_together": handled.pk != item.pk,
        "awaiting_feedback": handled.status in AWAITING_FEEDBACK,
    }


class PublicTrackViewSet(ScopedViewSet):
    """``/api/public/track/{code}/``: no login; guessing codes is limited per address."""

    queryset = Request.objects.none()
    serializer_class = PublicTrackSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []
    lookup_field = "code"

    def _tracked(self, code: str) -> Request | None:
        return (
            Request.objects.filter(tracking_code=code.strip().upper())
            .select_related("matter", "region")
            .first()
        )

    def _miss(self, request) -> None:  # type: ignore[no-untyped-def]
        limiter = PublicTrackThrottle("public-track-miss", "PUBLIC_TRACK_MISS_LIMIT", (20, 600))
        if not limiter.allow_request(request, self):
            self.throttled(request, limiter.wait())
        raise NotFound("No request has this tracking code")

    @extend_schema(
        summary="Track a request by its code (public; confidential matters redacted)",
        parameters=[CODE_PARAMETER],
        responses={200: PublicTrackSerializer, **error_responses(404, 429)},
    )
    def retrieve(self, request, code: str = "", *args, **kwargs) -> Response:
        item = self._tracked(code)
        if item is None:
            self._miss(request)
        return Response(PublicTrackSerializer(public_track_data(item)).data)

    @extend_schema(
        summary="Leave feedback on a resolved request (passed to the follow-up; changes no status)",
        parameters=[CODE_PARAMETER],
        request=PublicFeedbackInputSerializer,
        responses={201: None, **error_responses(400, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request, code: str = "", *args, **kwargs) -> Response:
        limiter = PublicTrackThrottle("public-feedback", "PUBLIC_FEEDBACK_LIMIT", (10, 3600))
        if not limiter.allow_request(request, self):
            self.throttled(request, limiter.wait())
        item = self._tracked(code)
        if item is None:
            raise NotFound("No request has this tracking code")
        data = PublicFeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        public_feedback_record(request=item.matter or item, **data.validated_data)
        return Response(status=status.HTTP_201_CREATED)
