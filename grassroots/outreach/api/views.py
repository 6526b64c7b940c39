"""Outreach API: reads through the selectors (scoped, joined), every change through the services. An object
outside the caller's scope answers 404, exactly like a missing one."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from grassroots.common.api.schema import DETAIL_ERRORS, READ_ERRORS, error_responses
from grassroots.common.api.views import ScopedViewSet
from grassroots.common.errors import Forbidden, NotFound
from grassroots.common.scoping import Actor
from grassroots.workforce.models import Officer

from .. import coverage as cov
from .. import selectors, services
from ..events import EventInput, event_create, event_update, photo_attach
from ..exporting import coverage_workbook
from ..models import Liaison, OutreachEvent, Visit, VisitRule
from ..routing import route_length_km
from . import serializers as s

ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Same as client_token: a retry returns the first visit.",
)


def require_outreach(actor: Actor) -> Actor:
    """Officers, leaders and administrators; HR and residents have no outreach data (403)."""
    if not (actor.is_admin or actor.is_staff_officer):
        raise Forbidden("Your role has no outreach data")
    return actor


def visible_officer(actor: Actor, staff_number: str) -> Officer:
    """An officer the actor may see, by staff number; otherwise 404, like a missing one."""
    officer = Officer.objects.visible_to(actor).filter(staff_number=staff_number).first()
    if officer is None and actor.is_admin:
        officer = Officer.objects.filter(staff_number=staff_number).first()
    if officer is None:
        raise NotFound("No such officer in your scope")
    return officer


class OutreachViewSet(ScopedViewSet):
    """Every outreach endpoint is for officers, leaders and administrators."""

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if not getattr(self, "swagger_fake_view", False):
            require_outreach(self.actor)


# ------------------------------------------------------------------------------------------- liaisons


@extend_schema_view(
    list=extend_schema(
        summary="List liaisons",
        parameters=[s.LiaisonFilterSerializer],
        responses={200: s.LiaisonSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a liaison",
        parameters=[ID_PARAMETER],
        responses={200: s.LiaisonSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Link an officer to a household, an organisation (法制副职) or a grid",
        request=s.LiaisonCreateSerializer,
        responses={201: s.LiaisonSerializer, **error_responses(400, 401, 403)},
    ),
)
class LiaisonViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, OutreachViewSet
):
    """Liaisons (联系关系): officer ↔ household, organisation or grid, from a start to an end; ended
    liaisons stay as history."""

    queryset = Liaison.objects.none()
    serializer_class = s.LiaisonSerializer
    filter_serializer_class = s.LiaisonFilterSerializer

    def select_list(
        self,
        officer: str | None = None,
        kind: str | None = None,
        household: int | None = None,
        organization: int | None = None,
        current: bool | None = None,
    ) -> QuerySet[Liaison]:
        officer_id = visible_officer(self.actor, officer).pk if officer else None
        qs = selectors.liaison_list(
            actor=self.actor, officer_id=officer_id, kind=kind, current_only=current is not False
        )
        if household:
            qs = qs.filter(household_id=household)
        if organization:
            qs = qs.filter(organization_id=organization)
        return qs

    def select_one(self, pk: Any) -> Liaison:
        return selectors.liaison_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.LiaisonCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        liaison = services.liaison_create(actor=self.actor, **serializer.validated_data)
        return Response(s.LiaisonSerializer(self.select_one(liaison.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End a liaison (the row stays: history)",
        parameters=[ID_PARAMETER],
        request=s.LiaisonEndSerializer,
        responses={200: s.LiaisonSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["post"])
    def end(self, request, *args, **kwargs) -> Response:
        liaison = self.get_object()
        serializer = s.LiaisonEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        services.liaison_end(
            actor=self.actor,
            liaison=liaison,
            end=values["end"],
            reason=values["reason"],
            expected_version=values["version"],
        )
        return Response(s.LiaisonSerializer(self.select_one(liaison.pk)).data)

    @extend_schema(
        summary="Hand every current liaison of one officer over to another",
        request=s.LiaisonHandoverSerializer,
        responses={200: s.OutreachCountSerializer, **error_responses(400, 401, 403)},
    )
    @action(detail=False, methods=["post"])
    def handover(self, request, *args, **kwargs) -> Response:
        serializer = s.LiaisonHandoverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.liaison_handover(actor=self.actor, **serializer.validated_data)
        return Response({"count": count})

    @extend_schema(
        summary="Link an officer to every household of a township, village or grid",
        request=s.LiaisonAreaSerializer,
        responses={200: s.OutreachCountSerializer, **error_responses(400, 401, 403)},
    )
    @action(detail=False, methods=["post"])
    def area(self, request, *args, **kwargs) -> Response:
        serializer = s.LiaisonAreaSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = services.liaison_assign_area(actor=self.actor, **serializer.validated_data)
        return Response({"count": count})


# ---------------------------------------------------------------------------------------- visit rules


@extend_schema_view(
    list=extend_schema(
        summary="List visit rules",
        responses={200: s.VisitRuleSerializer(many=True), **error_responses(*READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a visit rule",
        parameters=[ID_PARAMETER],
        responses={200: s.VisitRuleSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Add a visit rule",
        request=s.VisitRuleCreateSerializer,
        responses={201: s.VisitRuleSerializer, **error_responses(400, 401, 403)},
    ),
    partial_update=extend_schema(
        summary="Change a visit rule",
        parameters=[ID_PARAMETER],
        request=s.VisitRuleUpdateSerializer,
        responses={200: s.VisitRuleSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    ),
)
class VisitRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OutreachViewSet):
    """How often liaisons must visit, by care tag, household type (urban / rural) and organisation kind;
    where several rules match, the shortest interval applies."""

    queryset = VisitRule.objects.none()
    serializer_class = s.VisitRuleSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def select_list(self) -> QuerySet[VisitRule]:
        return selectors.visit_rule_list()

    def select_one(self, pk: Any) -> VisitRule:
        return selectors.visit_rule_get(pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.VisitRuleCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.visit_rule_save(actor=self.actor, **_rule_values(serializer.validated_data))
        return Response(s.VisitRuleSerializer(self.select_one(rule.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs) -> Response:
        rule = self.get_object()
        serializer = s.VisitRuleUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, changes = serializer.changes()
        current = {
            "name": rule.name,
            "applies_to": rule.applies_to,
            "interval_days": rule.interval_days,
            "care_tag": rule.care_tag,
            "household_area": rule.household_area,
            "organization_kind": rule.organization_kind,
            "county": rule.county,
            "is_active": rule.is_active,
        }
        values = _rule_values({**current, **changes})
        services.visit_rule_save(actor=self.actor, rule=rule, expected_version=version, **values)
        return Response(s.VisitRuleSerializer(self.select_one(rule.pk)).data)


def _rule_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"],
        "applies_to": data["applies_to"],
        "interval_days": data["interval_days"],
        "care_tag": data.get("care_tag"),
        "household_area": data.get("household_area") or "",
        "organization_kind": data.get("organization_kind") or "",
        "county": data.get("county"),
        "is_active": data.get("is_active", True),
    }


# --------------------------------------------------------------------------------------------- visits


@extend_schema_view(
    list=extend_schema(
        summary="List visits",
        parameters=[s.VisitFilterSerializer],
        responses={200: s.VisitSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a visit with the requests raised from it and its photos",
        parameters=[ID_PARAMETER],
        responses={200: s.VisitDetailSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Record a visit (idempotent with a client token), optionally raising a request from it",
        request=s.VisitCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: s.VisitDetailSerializer,
            200: s.VisitDetailSerializer,
            **error_responses(400, 401, 403),
        },
    ),
)
class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OutreachViewSet):
    """Visits (走访) to households and organisations, in person, by phone or by video."""

    queryset = Visit.objects.none()
    serializer_class = s.VisitSerializer
    filter_serializer_class = s.VisitFilterSerializer

    def get_serializer_class(self) -> type:
        return s.VisitSerializer if self.action == "list" else s.VisitDetailSerializer

    def get_parsers(self) -> list:
        if getattr(self, "action", None) == "photos" or self.request is None:
            return [MultiPartParser(), FormParser(), JSONParser()]
        return super().get_parsers()

    def select_list(
        self,
        officer: str | None = None,
        household: int | None = None,
        organization: int | None = None,
        since: Any = None,
        until: Any = None,
        request: str | None = None,
    ) -> QuerySet[Visit]:
        officer_id = visible_officer(self.actor, officer).pk if officer else None
        qs = selectors.visit_list(actor=self.actor, officer_id=officer_id, household_id=household)
        if organization:
            qs = qs.filter(organization_id=organization)
        if since:
            qs = qs.filter(visited_on__gte=since)
        if until:
            qs = qs.filter(visited_on__lte=until)
        if request:
            qs = qs.filter(requests__tracking_code=request.strip().upper())
        return qs

    def select_one(self, pk: Any) -> Visit:
        return selectors.visit_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.VisitCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        raise_request, kind = values.pop("raise_request"), values.pop("request_kind")
        token = values.get("client_token") or request.headers.get("Idempotency-Key") or None
        values["client_token"] = token
        existing = (
            bool(token) and Visit.objects.filter(client_token=token, officer=self.actor.officer).exists()
        )
        visit = services.visit_record(
            actor=self.actor,
            data=services.VisitInput(**values),
            raise_request=raise_request,
            request_kind=kind,
        )
        body = s.VisitDetailSerializer(self.select_one(visit.pk)).data
        return Response(body, status=status.HTTP_200_OK if existing else status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record a day's visits at once (all or nothing; errors name their row)",
        request=s.VisitBulkSerializer,
        responses={201: s.VisitSerializer(many=True), **error_responses(400, 401, 403)},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request, *args, **kwargs) -> Response:
        serializer = s.VisitBulkSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        rows = [services.VisitInput(**row) for row in serializer.validated_data["rows"]]
        visits = services.visits_bulk_record(actor=self.actor, rows=rows)
        listed = selectors.visit_list(actor=self.actor).filter(pk__in=[v.pk for v in visits])
        return Response(s.VisitSerializer(listed, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Raise a request from a visit (prefilled; linked both ways)",
        parameters=[ID_PARAMETER],
        request=s.RaiseRequestSerializer,
        responses={201: s.RequestCreatedSerializer, **error_responses(400, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"], url_path="raise-request")
    def raise_request(self, request, *args, **kwargs) -> Response:
        visit = self.get_object()
        serializer = s.RaiseRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.visit_raise_request(actor=self.actor, visit=visit, **serializer.validated_data)
        return Response(s.RequestCreatedSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add a photo to a visit",
        parameters=[ID_PARAMETER],
        request={"multipart/form-data": s.PhotoUploadSerializer},
        responses={201: s.OutreachPhotoSerializer, **error_responses(400, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def photos(self, request, *args, **kwargs) -> Response:
        visit = self.get_object()
        serializer = s.PhotoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = photo_attach(
            actor=self.actor,
            visit=visit,
            upload=serializer.validated_data["photo"],
            caption=serializer.validated_data["caption"],
        )
        return Response(s.OutreachPhotoSerializer(photo).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------------------------- events


@extend_schema_view(
    list=extend_schema(
        summary="List outreach events",
        parameters=[s.EventFilterSerializer],
        responses={200: s.OutreachEventSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get an outreach event with the cases heard on the spot",
        parameters=[ID_PARAMETER],
        responses={200: s.OutreachEventDetailSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Schedule an outreach event",
        request=s.EventCreateSerializer,
        responses={201: s.OutreachEventDetailSerializer, **error_responses(400, 401, 403)},
    ),
    partial_update=extend_schema(
        summary="Change an event: schedule, or outcome (held, attendance, cases heard or mediated)",
        parameters=[ID_PARAMETER],
        request=s.EventUpdateSerializer,
        responses={200: s.OutreachEventDetailSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    ),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OutreachViewSet):
    """Outreach events: 送法上门, 巡回审判, 法治宣传, 现场调解, 接待日, 诉讼服务站 days."""

    queryset = OutreachEvent.objects.none()
    serializer_class = s.OutreachEventSerializer
    filter_serializer_class = s.EventFilterSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self) -> type:
        return s.OutreachEventSerializer if self.action == "list" else s.OutreachEventDetailSerializer

    def select_list(
        self,
        start: Any = None,
        end: Any = None,
        officer: str | None = None,
        kind: str | None = None,
        status: str | None = None,
    ) -> QuerySet[OutreachEvent]:
        officer_id = visible_officer(self.actor, officer).pk if officer else None
        qs = selectors.event_list(actor=self.actor, start=start, end=end, officer_id=officer_id)
        if kind:
            qs = qs.filter(kind=kind)
        if status:
            qs = qs.filter(status=status)
        return qs

    def select_one(self, pk: Any) -> OutreachEvent:
        return selectors.event_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.EventCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        values["officers"] = list(values["officers"])
        event = event_create(actor=self.actor, data=EventInput(**values))
        return Response(
            s.OutreachEventDetailSerializer(self.select_one(event.pk)).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request, *args, **kwargs) -> Response:
        event = self.get_object()
        serializer = s.EventUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        version, changes = serializer.changes()
        event_update(actor=self.actor, event=event, expected_version=version, changes=changes)
        return Response(s.OutreachEventDetailSerializer(self.select_one(event.pk)).data)

    @extend_schema(
        summary="Add a photo to an event",
        parameters=[ID_PARAMETER],
        request={"multipart/form-data": s.PhotoUploadSerializer},
        responses={201: s.OutreachPhotoSerializer, **error_responses(400, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request, *args, **kwargs) -> Response:
        event = self.get_object()
        serializer = s.PhotoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photo = photo_attach(
            actor=self.actor,
            event=event,
            upload=serializer.validated_data["photo"],
            caption=serializer.validated_data["caption"],
        )
        return Response(s.OutreachPhotoSerializer(photo).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Activity report of held events per officer and per place",
        parameters=[s.EventReportFilterSerializer],
        responses={200: s.EventReportSerializer, **error_responses(400, *READ_ERRORS)},
    )
    @action(detail=False, methods=["get"], filter_serializer_class=s.EventReportFilterSerializer)
    def report(self, request, *args, **kwargs) -> Response:
        report = selectors.event_report(actor=self.actor, **self.query_filters())
        return Response(s.EventReportSerializer(report).data)


# -------------------------------------------------------------------------- due lists, coverage, the day


@extend_schema_view(
    list=extend_schema(
        summary="Visits due or overdue (a due list)",
        description="Without `officer` or `mine`: every liaison in your scope, read from the generated due "
        "lists when they answer for the day. With `officer` (staff number, in your scope) or `mine`: one "
        "officer's list, computed from the visits.",
        parameters=[s.DueFilterSerializer],
        responses={200: s.DueItemSerializer(many=True), **error_responses(400, *DETAIL_ERRORS)},
    ),
)
class DueViewSet(mixins.ListModelMixin, OutreachViewSet):
    queryset = Liaison.objects.none()
    serializer_class = s.DueItemSerializer
    filter_serializer_class = s.DueFilterSerializer

    def select_list(
        self,
        as_of: Any = None,
        officer: str | None = None,
        mine: bool | None = None,
        horizon_days: int | None = None,
        overdue: bool | None = None,
    ) -> Any:
        who = None
        if mine:
            who = self.actor.officer
            if who is None:
                raise NotFound("Your account is not linked to an officer")
        elif officer:
            who = visible_officer(self.actor, officer)
        return selectors.due_list(
            actor=self.actor,
            officer=who,
            as_of=as_of,
            horizon_days=selectors.DUE_HORIZON_DAYS if horizon_days is None else horizon_days,
            overdue_only=bool(overdue),
        )


def _coverage_body(rows: list[cov.CoverageRow]) -> list[dict[str, Any]]:
    return [
        {
            "key": r.key,
            "label": r.label,
            "assigned": r.assigned,
            "covered": r.covered,
            "overdue": r.overdue,
            "pending": r.pending,
            "coverage": r.coverage,
            "coverage_low": r.interval[0] if r.interval else None,
            "coverage_high": r.interval[1] if r.interval else None,
        }
        for r in rows
    ]


def coverage_data(actor: Actor, group: str, as_of: Any, live: bool) -> dict[str, Any]:
    as_of = as_of or timezone.localdate()
    source = None if live else selectors.coverage_source(as_of=as_of)
    rows = selectors.coverage_report(actor=actor, group=group, as_of=as_of, live=live)
    total = cov.coverage_total(rows)
    total.label = ""
    return {
        "as_of": as_of,
        "group": group,
        "source": "generated" if source is not None else "visits",
        "generated_at": source.finished_at if source is not None else None,
        "total": _coverage_body([total])[0],
        "rows": _coverage_body(rows),
    }


class CoverageViewSet(OutreachViewSet):
    """Visit coverage (走访覆盖率): the share of liaisons visited within their interval."""

    queryset = Liaison.objects.none()
    serializer_class = s.OutreachCoverageSerializer
    filter_serializer_class = s.CoverageFilterSerializer
    pagination_class = None

    @extend_schema(
        summary="Coverage grouped by officer, grid, village, township, county or unit",
        parameters=[s.CoverageFilterSerializer],
        responses={200: s.OutreachCoverageSerializer, **error_responses(400, *READ_ERRORS)},
    )
    def list(self, request, *args, **kwargs) -> Response:
        filters = self.query_filters()
        data = coverage_data(
            self.actor, filters.get("group", "officer"), filters.get("as_of"), bool(filters.get("live"))
        )
        return Response(s.OutreachCoverageSerializer(data).data)

    @extend_schema(
        summary="The coverage report as an .xlsx workbook (one sheet per grouping, plus the overdue list)",
        parameters=[OpenApiParameter("as_of", str, description="YYYY-MM-DD; default today.")],
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                bytes, description="The workbook."
            ),
            **error_responses(400, *READ_ERRORS),
        },
    )
    @action(detail=False, methods=["get"], filter_serializer_class=s.CoverageFilterSerializer)
    def export(self, request, *args, **kwargs) -> Any:
        from django.http import HttpResponse

        filters = self.query_filters()
        as_of = filters.get("as_of") or timezone.localdate()
        content = coverage_workbook(actor=self.actor, as_of=as_of)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="coverage-{as_of:%Y-%m-%d}.xlsx"'
        return response


class AttentionViewSet(mixins.ListModelMixin, OutreachViewSet):
    """把好事办在群众开口之前: households that need contact now, each with its reasons."""

    queryset = Liaison.objects.none()
    serializer_class = s.AttentionItemSerializer
    filter_serializer_class = s.AttentionFilterSerializer

    @extend_schema(
        summary="Households that need contact now, with the reason for each",
        parameters=[s.AttentionFilterSerializer],
        responses={200: s.AttentionItemSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def list(self, request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    def select_list(self, as_of: Any = None) -> list:
        return selectors.attention_list(actor=self.actor, as_of=as_of)


class OfficerDayViewSet(OutreachViewSet):
    """The officer's day: due and overdue visits in route order, open requests with their clocks, today's
    events and standing duties."""

    queryset = Liaison.objects.none()
    serializer_class = s.OfficerDaySerializer
    filter_serializer_class = s.DayFilterSerializer
    pagination_class = None

    @extend_schema(
        summary="My day",
        parameters=[s.DayFilterSerializer],
        responses={200: s.OfficerDaySerializer, **error_responses(400, *READ_ERRORS)},
    )
    def list(self, request, *args, **kwargs) -> Response:
        day = selectors.officer_day(actor=self.actor, day=self.query_filters().get("date"))
        stops = []
        for order, stop in enumerate(day.route, start=1):
            item = stop.item
            stops.append(
                {
                    **s.DueItemSerializer(item).data,
                    "order": order,
                    "village": stop.village,
                    "latitude": stop.latitude,
                    "longitude": stop.longitude,
                    "leg_km": stop.leg_km,
                }
            )
        coverage = _coverage_body([day.coverage])[0] if day.coverage else None
        if coverage is not None:
            coverage["label"] = day.officer.name
        data = {
            "date": day.day,
            "officer": s.OfficerRefSerializer(day.officer).data if day.officer else None,
            "coverage": coverage,
            "route_method": day.route_method,
            "route_km": route_length_km(day.route),
            "stops": stops,
            "requests": [
                {**s.RequestRefSerializer(r).data, "due_at": r.due_at, "deadline_state": state}
                for r, state in day.requests
            ],
            "events": s.OutreachEventSerializer(day.events, many=True).data,
            "standing_duties": s.StandingDutySerializer(day.standing, many=True).data,
        }
        return Response(data)


__all__ = [
    "AttentionViewSet",
    "CoverageViewSet",
    "DueViewSet",
    "EventViewSet",
    "LiaisonViewSet",
    "OfficerDayViewSet",
    "VisitRuleViewSet",
    "VisitViewSet",
]
