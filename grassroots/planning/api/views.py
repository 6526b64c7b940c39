"""Planning API: reads through the selectors (scoped, joined), every change through the services.

Rotation (rule sets, plan runs) is for the political/HR department and administrators; duty rosters also
for the unit's leaders (their unit subtree). Another role gets 403 on these endpoints; an object outside
the caller's scope answers 404, exactly like a missing one. Any officer reads their own duties at
``planning/my-duties``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from grassroots.common.api.schema import DETAIL_ERRORS, READ_ERRORS, error_responses
from grassroots.common.api.views import ScopedViewSet
from grassroots.common.errors import FieldError, Forbidden, NotFound, ValidationFailed
from grassroots.workforce.models import Officer

from .. import selectors, services
from ..models import PlanRun, RosterAssignment, RosterDefinition, RosterRun, RotationRuleSet
from ..views import may_plan_rosters, may_plan_rotation
from . import serializers as s

ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)


class RotationViewSet(ScopedViewSet):
    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if not getattr(self, "swagger_fake_view", False) and not may_plan_rotation(self.actor):
            raise Forbidden("Only the political/HR department and administrators plan rotations")


class RosterPlanningViewSet(ScopedViewSet):
    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if not getattr(self, "swagger_fake_view", False) and not may_plan_rosters(self.actor):
            raise Forbidden("Only HR, administrators and unit leaders plan duty rosters")


def _rules(data: list[dict[str, Any]]) -> list[services.RuleInput]:
    return [
        services.RuleInput(
            r["family"],
            enabled=r.get("enabled", True),
            hard=r.get("hard", True),
            weight=r.get("weight", 10),
            params=dict(r.get("params") or {}),
        )
        for r in data
    ]


@extend_schema_view(
    list=extend_schema(
        summary="List rotation rule sets",
        responses={200: s.RuleSetSerializer(many=True), **error_responses(*READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a rotation rule set",
        parameters=[ID_PARAMETER],
        responses={200: s.RuleSetSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Create a rotation rule set",
        request=s.RuleSetCreateSerializer,
        responses={201: s.RuleSetSerializer, **error_responses(400, *READ_ERRORS)},
    ),
    partial_update=extend_schema(
        summary="Change a rotation rule set (name the version read)",
        parameters=[ID_PARAMETER],
        request=s.RuleSetUpdateSerializer,
        responses={200: s.RuleSetSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    ),
)
class RuleSetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RotationViewSet):
    """Rotation rule sets: the unit planned, the period, and each rule family on/off, hard/soft, with
    its weight and parameters."""

    queryset = RotationRuleSet.objects.none()
    serializer_class = s.RuleSetSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def select_list(self) -> QuerySet[RotationRuleSet]:
        return selectors.rule_set_list(actor=self.actor).prefetch_related("rules")

    def select_one(self, pk: Any) -> RotationRuleSet:
        return selectors.rule_set_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.RuleSetCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        rule_set = services.rule_set_create(
            actor=self.actor,
            name=d["name"],
            unit=d["unit"],
            period_kind=d["period_kind"],
            pool_depth=d.get("pool_depth"),
            history_periods=d["history_periods"],
            rules=_rules(d["rules"]) if "rules" in d else None,
        )
        return Response(
            s.RuleSetSerializer(self.select_one(rule_set.pk)).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request, *args, **kwargs) -> Response:
        rule_set = self.get_object()
        serializer = s.RuleSetUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, changes = serializer.changes()
        rules = (
            _rules(changes["rules"])
            if "rules" in changes
            else [
                services.RuleInput(r.family, r.enabled, r.hard, r.weight, dict(r.params))
                for r in rule_set.rules.all()
            ]
        )
        services.rule_set_update(
            actor=self.actor,
            rule_set=rule_set,
            expected_version=version,
            name=changes.get("name", rule_set.name),
            period_kind=changes.get("period_kind", rule_set.period_kind),
            pool_depth=changes.get("pool_depth", rule_set.pool_depth),
            history_periods=changes.get("history_periods", rule_set.history_periods),
            rules=rules,
        )
        return Response(s.RuleSetSerializer(self.select_one(rule_set.pk)).data)


class PlanRunFilterSerializer(serializers.Serializer):
    rule_set = serializers.IntegerField(required=False, help_text="Only the runs of this rule set.")


@extend_schema_view(
    list=extend_schema(
        summary="List rotation plan runs",
        parameters=[PlanRunFilterSerializer],
        responses={200: s.PlanRunSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a plan run: status, progress, result and the checker's verdict",
        parameters=[ID_PARAMETER],
        responses={200: s.PlanRunSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Start a plan run (queued; solved in the background)",
        request=s.PlanRunCreateSerializer,
        responses={201: s.PlanRunSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    ),
)
class PlanRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RotationViewSet):
    """Rotation plan runs. Poll a run for its progress; cancel keeps the best plan found so far; approve
    (naming the version read) writes the moves as planned assignments."""

    queryset = PlanRun.objects.none()
    serializer_class = s.PlanRunSerializer
    filter_serializer_class = PlanRunFilterSerializer
    http_method_names = ["get", "post", "head", "options"]

    def select_list(self, rule_set: int | None = None) -> QuerySet[PlanRun]:
        return (
            selectors.plan_run_list(actor=self.actor, rule_set_id=rule_set)
            .defer(None)
            .defer("problem", "plan")
        )

    def select_one(self, pk: Any) -> PlanRun:
        return selectors.plan_run_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.PlanRunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        rule_set = selectors.rule_set_get(actor=self.actor, pk=d["rule_set"])
        run = services.plan_run_create(
            actor=self.actor,
            rule_set=rule_set,
            start=d["start"],
            periods=d["periods"],
            time_limit=d["time_limit"],
        )
        return Response(s.PlanRunSerializer(self.select_one(run.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a plan run (a queued one closes; a running one stops with its best plan)",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: s.PlanRunSerializer, **error_responses(*DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk: Any = None) -> Response:
        run = services.plan_run_cancel(actor=self.actor, run=self.get_object())
        return Response(s.PlanRunSerializer(self.select_one(run.pk)).data)

    @extend_schema(
        summary="Approve a plan: its moves become planned assignments",
        parameters=[ID_PARAMETER],
        request=s.ApproveSerializer,
        responses={200: s.PlanRunSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk: Any = None) -> Response:
        run = self.get_object()
        serializer = s.ApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.plan_run_approve(
            actor=self.actor, run=run, expected_version=serializer.validated_data["version"]
        )
        return Response(s.PlanRunSerializer(self.select_one(run.pk)).data)

    @extend_schema(
        summary="The moves of a plan: who moves where, when, and why",
        parameters=[ID_PARAMETER],
        responses={200: s.PlannedMoveSerializer(many=True), **error_responses(*DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["get"])
    def moves(self, request, pk: Any = None) -> Response:
        run = self.get_object()
        page = self.paginate_queryset(selectors.planned_move_list(run=run))
        return self.get_paginated_response(s.PlannedMoveSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="List duty rosters",
        responses={200: s.RosterListSerializer(many=True), **error_responses(*READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a duty roster with its duties, members, wishes, days off and cover",
        parameters=[ID_PARAMETER],
        responses={200: s.RosterSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Create a duty roster",
        request=s.RosterCreateSerializer,
        responses={201: s.RosterSerializer, **error_responses(400, *READ_ERRORS)},
    ),
)
class RosterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RosterPlanningViewSet):
    """Duty rosters (值班表): the days, duties, members with their limits, wishes, days off and cover."""

    queryset = RosterDefinition.objects.none()
    serializer_class = s.RosterSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return s.RosterListSerializer if self.action == "list" else s.RosterSerializer

    def select_list(self) -> QuerySet[RosterDefinition]:
        return selectors.roster_list(actor=self.actor)

    def select_one(self, pk: Any) -> RosterDefinition:
        return selectors.roster_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.RosterCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        roster = services.roster_create(actor=self.actor, **serializer.validated_data)
        return Response(s.RosterSerializer(self.select_one(roster.pk)).data, status=status.HTTP_201_CREATED)

    def _saved(self, roster: RosterDefinition) -> Response:
        return Response(s.RosterSerializer(self.select_one(roster.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add a duty type to a roster",
        parameters=[ID_PARAMETER],
        request=s.DutyTypeInputSerializer,
        responses={201: s.RosterSerializer, **error_responses(400, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def duties(self, request, pk: Any = None) -> Response:
        roster = self.get_object()
        serializer = s.DutyTypeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.duty_type_save(
            actor=self.actor, roster=roster, data=services.DutyInput(**serializer.validated_data)
        )
        return self._saved(roster)

    @extend_schema(
        summary="Add a member to a roster",
        parameters=[ID_PARAMETER],
        request=s.MemberInputSerializer,
        responses={201: s.RosterSerializer, **error_responses(400, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def members(self, request, pk: Any = None) -> Response:
        roster = self.get_object()
        serializer = s.MemberInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        officer = Officer.objects.visible_to(self.actor).filter(pk=data.pop("officer")).first()
        if officer is None:
            raise NotFound("No such officer in your scope")
        services.member_save(
            actor=self.actor, roster=roster, officer=officer, data=services.MemberInput(**data)
        )
        return self._saved(roster)

    @extend_schema(
        summary="Add cover (a minimum and a preferred number of people) to a roster",
        parameters=[ID_PARAMETER],
        request=s.CoverInputSerializer,
        responses={201: s.RosterSerializer, **error_responses(400, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def covers(self, request, pk: Any = None) -> Response:
        roster = self.get_object()
        serializer = s.CoverInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        services.cover_save(
            actor=self.actor,
            roster=roster,
            duty=_duty(roster, data.pop("duty")),
            on_date=data.pop("date"),
            **data,
        )
        return self._saved(roster)

    @extend_schema(
        summary="Add a fixed day off of a member",
        parameters=[ID_PARAMETER],
        request=s.DayOffInputSerializer,
        responses={201: s.RosterSerializer, **error_responses(400, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"], url_path="days-off")
    def days_off(self, request, pk: Any = None) -> Response:
        roster = self.get_object()
        serializer = s.DayOffInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        services.day_off_save(
            actor=self.actor,
            member=services.get_member_or_404(roster, d["member"]),
            on_date=d["date"],
            reason=d["reason"],
        )
        return self._saved(roster)

    @extend_schema(
        summary="Add a member's wish to have or not to have a duty on a day",
        parameters=[ID_PARAMETER],
        request=s.RequestInputSerializer,
        responses={201: s.RosterSerializer, **error_responses(400, *DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["post"])
    def requests(self, request, pk: Any = None) -> Response:
        roster = self.get_object()
        serializer = s.RequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        services.request_save(
            actor=self.actor,
            member=services.get_member_or_404(roster, d["member"]),
            on_date=d["date"],
            duty=_duty(roster, d["duty"]),
            on=d["on"],
            weight=d["weight"],
        )
        return self._saved(roster)


def _duty(roster: RosterDefinition, code: str):
    duty = roster.duty_types.filter(code=code).first()
    if duty is None:
        raise ValidationFailed(
            "Unknown duty", [FieldError("duty", f"no duty {code} in this roster", code="does_not_exist")]
        )
    return duty


class RosterRunFilterSerializer(serializers.Serializer):
    roster = serializers.IntegerField(required=False, help_text="Only the runs of this roster.")


@extend_schema_view(
    list=extend_schema(
        summary="List duty roster runs",
        parameters=[RosterRunFilterSerializer],
        responses={200: s.RosterRunSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Get a roster run: status, progress, result and the checker's verdict",
        parameters=[ID_PARAMETER],
        responses={200: s.RosterRunSerializer, **error_responses(*DETAIL_ERRORS)},
    ),
    create=extend_schema(
        summary="Solve a duty roster (queued; solved in the background)",
        request=s.RosterRunCreateSerializer,
        responses={201: s.RosterRunSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    ),
)
class RosterRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RosterPlanningViewSet):
    queryset = RosterRun.objects.none()
    serializer_class = s.RosterRunSerializer
    filter_serializer_class = RosterRunFilterSerializer
    http_method_names = ["get", "post", "head", "options"]

    def select_list(self, roster: int | None = None) -> QuerySet[RosterRun]:
        return selectors.roster_run_list(actor=self.actor, roster_id=roster).defer(None).defer("problem_text")

    def select_one(self, pk: Any) -> RosterRun:
        return selectors.roster_run_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        serializer = s.RosterRunCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        roster = selectors.roster_get(actor=self.actor, pk=serializer.validated_data["roster"])
        run = services.roster_run_create(
            actor=self.actor, roster=roster, time_limit=serializer.validated_data["time_limit"]
        )
        return Response(s.RosterRunSerializer(self.select_one(run.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel a roster run (a running one stops with its best roster)",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: s.RosterRunSerializer, **error_responses(*DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk: Any = None) -> Response:
        run = services.roster_run_cancel(actor=self.actor, run=self.get_object())
        return Response(s.RosterRunSerializer(self.select_one(run.pk)).data)

    @extend_schema(
        summary="The duties of a stored roster, by date",
        parameters=[ID_PARAMETER],
        responses={200: s.RosterAssignmentSerializer(many=True), **error_responses(*DETAIL_ERRORS)},
    )
    @action(detail=True, methods=["get"])
    def assignments(self, request, pk: Any = None) -> Response:
        run = self.get_object()
        page = self.paginate_queryset(selectors.roster_assignments(run=run))
        return self.get_paginated_response(s.RosterAssignmentSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="My duties: the caller's own duties in the latest roster of each duty roster",
        responses={200: s.RosterAssignmentSerializer(many=True), **error_responses(*READ_ERRORS)},
    ),
)
class MyDutiesViewSet(mixins.ListModelMixin, ScopedViewSet):
    queryset = RosterAssignment.objects.none()
    serializer_class = s.RosterAssignmentSerializer

    def select_list(self) -> QuerySet[RosterAssignment]:
        if self.actor.officer is None:
            raise Forbidden("Only officers have duties")
        return selectors.own_duties(actor=self.actor)
