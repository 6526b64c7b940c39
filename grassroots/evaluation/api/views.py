"""Evaluation API: reads through the selectors (scoped, joined), every change through the services.
An object outside the caller's scope answers 404, exactly like a missing one; residents get 403."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from grassroots.common.api.schema import DETAIL_ERRORS, READ_ERRORS, error_responses
from grassroots.common.api.views import ScopedViewSet
from grassroots.common.errors import FieldError, Forbidden, ValidationFailed
from grassroots.workforce.models import Unit

from .. import honours, mentoring, reviews, selectors, services
from ..models import EvaluationRun, HonourTitle, OfficerResult, SchemeVersion
from . import serializers as s

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
WRITE_ERRORS = (400, *DETAIL_ERRORS, 409)


class EvaluationViewSet(ScopedViewSet):
    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        if not getattr(self, "swagger_fake_view", False) and not selectors.may_use_evaluation(self.actor):
            raise Forbidden("Your role has no evaluation data")


def _run(actor: Any, pk: Any) -> EvaluationRun:
    try:
        return selectors.run_get(actor=actor, pk=pk)
    except Http404 as exc:
        raise ValidationFailed(
            "Not found", [FieldError("run", "no such run in your scope", code="does_not_exist")]
        ) from exc


# ------------------------------------------------------------------------------------------ schemes


@extend_schema_view(
    list=extend_schema(summary="List scheme versions", responses={200: s.SchemeVersionSerializer(many=True), **error_responses(*READ_ERRORS)}),
    retrieve=extend_schema(summary="Get a scheme version", parameters=[ID], responses={200: s.SchemeVersionSerializer, **error_responses(*DETAIL_ERRORS)}),
    create=extend_schema(summary="Create a scheme (its first version is a draft)", request=s.SchemeCreateSerializer,
                         responses={201: s.SchemeVersionSerializer, **error_responses(400, 401, 403)}),
    update=extend_schema(summary="Change a draft version's definition", parameters=[ID], request=s.SchemeVersionUpdateSerializer,
                         responses={200: s.SchemeVersionSerializer, **error_responses(*WRITE_ERRORS)}),
)  # fmt: skip
class SchemeVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EvaluationViewSet):
    """Scheme versions (考评方案): indicators with weights and targets, grade rules and quotas. Active and
    retired versions never change; officers see those, HR drafts too."""

    queryset = SchemeVersion.objects.none()
    serializer_class = s.SchemeVersionSerializer

    def select_list(self) -> QuerySet[SchemeVersion]:
        return selectors.scheme_version_list(actor=self.actor).order_by("scheme__code", "-number")

    def select_one(self, pk: Any) -> SchemeVersion:
        return selectors.scheme_version_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        data = s.SchemeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.scheme_create(actor=self.actor, **data.validated_data)
        return Response(s.SchemeVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs) -> Response:
        version = self.get_object()
        data = s.SchemeVersionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        version = services.scheme_version_update(
            actor=self.actor, version=version, definition=values["definition"], note=values.get("note"),
            expected_version=values["version"],
        )  # fmt: skip
        return Response(s.SchemeVersionSerializer(version).data)

    @extend_schema(summary="Activate a draft (it is frozen from now on)", parameters=[ID], request=s.VersionSerializer,
                   responses={200: s.SchemeVersionSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def activate(self, request, *args, **kwargs) -> Response:
        version = self.get_object()
        data = s.VersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.scheme_version_activate(
            actor=self.actor, version=version, expected_version=data.validated_data["version"]
        )
        return Response(s.SchemeVersionSerializer(version).data)

    @extend_schema(summary="Draft a new version from this one", parameters=[ID], request=s.NoteSerializer,
                   responses={201: s.SchemeVersionSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def draft(self, request, *args, **kwargs) -> Response:
        version = self.get_object()
        data = s.NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = services.scheme_version_draft(
            actor=self.actor, scheme=version.scheme, note=data.validated_data["note"]
        )
        return Response(s.SchemeVersionSerializer(draft).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------------------------- runs


@extend_schema_view(
    list=extend_schema(summary="List runs", responses={200: s.RunSerializer(many=True), **error_responses(*READ_ERRORS)}),
    retrieve=extend_schema(summary="Get a run (with its progress while computing)", parameters=[ID],
                           responses={200: s.RunSerializer, **error_responses(*DETAIL_ERRORS)}),
    create=extend_schema(summary="Open a run and compute it (large runs continue in the background)",
                         request=s.RunCreateSerializer, responses={201: s.RunSerializer, **error_responses(400, 401, 403, 409)}),
)  # fmt: skip
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EvaluationViewSet):
    """Runs: a scheme version scored over a period from the record as of a cut-off. HR sees drafts; officers
    and leaders published runs only."""

    queryset = EvaluationRun.objects.none()
    serializer_class = s.RunSerializer

    def select_list(self) -> QuerySet[EvaluationRun]:
        return selectors.run_list(actor=self.actor)

    def select_one(self, pk: Any) -> EvaluationRun:
        return selectors.run_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        data = s.RunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        unit_id = values.pop("unit", None)
        unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
        if unit_id and unit is None:
            raise ValidationFailed(
                "Run not created", [FieldError("unit", "no such unit", code="does_not_exist")]
            )
        run = services.run_create(actor=self.actor, unit=unit, **values)
        services.run_start(actor=self.actor, run=run)
        return Response(s.RunSerializer(self.select_one(run.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Publish a computed run (it is immutable from now on)", parameters=[ID], request=s.VersionSerializer,
                   responses={200: s.RunSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def publish(self, request, *args, **kwargs) -> Response:
        run = self.get_object()
        data = s.VersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.run_publish(actor=self.actor, run=run, expected_version=data.validated_data["version"])
        return Response(s.RunSerializer(run).data)

    @extend_schema(summary="Recompute from the stored inputs and compare (optionally read the record again)",
                   parameters=[ID], request=s.RecomputeSerializer,
                   responses={200: s.RecomputeReportSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def recompute(self, request, *args, **kwargs) -> Response:
        run = self.get_object()
        data = s.RecomputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.run_recompute(
            actor=self.actor, run=run, read_record=data.validated_data["read_record"]
        )
        return Response(s.RecomputeReportSerializer({**report.__dict__, "ok": report.ok}).data)


# ------------------------------------------------------------------------------------------ results


@extend_schema_view(
    list=extend_schema(summary="List results", parameters=[s.ResultFilterSerializer],
                       responses={200: s.ResultSerializer(many=True), **error_responses(400, *READ_ERRORS)}),
    retrieve=extend_schema(summary="Get a result with its breakdown", parameters=[ID],
                           responses={200: s.ResultDetailSerializer, **error_responses(*DETAIL_ERRORS)}),
)  # fmt: skip
class ResultViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EvaluationViewSet):
    """Officers' results: an officer sees their own, a leader those of their units, HR all."""

    queryset = OfficerResult.objects.none()
    serializer_class = s.ResultSerializer
    filter_serializer_class = s.ResultFilterSerializer

    def get_serializer_class(self):
        return s.ResultDetailSerializer if self.action == "retrieve" else s.ResultSerializer

    def select_list(self, run: int | None = None, unit: int | None = None, peer_group: str | None = None,
                    grade: str | None = None, q: str | None = None, shortlisted: bool | None = None) -> QuerySet:  # fmt: skip
        return selectors.result_list(
            actor=self.actor, run=_run(self.actor, run) if run else None, unit_id=unit, peer_group=peer_group,
            grade=grade, search=q, shortlisted=shortlisted,
        )  # fmt: skip

    def select_one(self, pk: Any) -> OfficerResult:
        return selectors.result_get(actor=self.actor, pk=pk)

    @extend_schema(summary="The records behind one figure (as many rows as the figure counts)",
                   parameters=[ID, s.DrillFilterSerializer],
                   responses={200: s.DrillSerializer, **error_responses(400, *DETAIL_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["get"])
    def drill(self, request, *args, **kwargs) -> Response:
        result = self.get_object()
        data = s.DrillFilterSerializer(data=request.query_params.dict())
        data.is_valid(raise_exception=True)
        code, part = data.validated_data["indicator"], data.validated_data["part"]
        found = selectors.result_drill(actor=self.actor, result=result, code=code, part=part)
        entry = next((e for e in result.breakdown if e["code"] == code), {})
        body = {"code": code, "part": part, "total": found.total, "value_sum": found.value_sum,
                "figure": entry.get("k" if part == "numerator" else "n"), "rows": found.rows}  # fmt: skip
        return Response(s.DrillSerializer(body).data)

    @extend_schema(summary="Appeal against your own published result", parameters=[ID], request=s.AppealCreateSerializer,
                   responses={201: s.AppealSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def appeal(self, request, *args, **kwargs) -> Response:
        result = self.get_object()
        data = s.AppealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = reviews.appeal_file(actor=self.actor, result=result, reason=data.validated_data["reason"])
        return Response(s.AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Ask for an adjustment (HR, or the officer's unit leader)", parameters=[ID],
                   request=s.AdjustmentCreateSerializer, responses={201: s.AdjustmentSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def adjust(self, request, *args, **kwargs) -> Response:
        result = self.get_object()
        data = s.AdjustmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        adjustment = reviews.adjustment_request(actor=self.actor, result=result, **data.validated_data)
        return Response(s.AdjustmentSerializer(adjustment).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List a run's unit results", parameters=[s.UnitResultFilterSerializer],
                       responses={200: s.UnitResultSerializer(many=True), **error_responses(400, *READ_ERRORS)}),
    retrieve=extend_schema(summary="Get a unit result", parameters=[ID], responses={200: s.UnitResultSerializer, **error_responses(*DETAIL_ERRORS)}),
)  # fmt: skip
class UnitResultViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EvaluationViewSet):
    """Units' figures: leaders their subtree, HR all."""

    queryset = OfficerResult.objects.none()
    serializer_class = s.UnitResultSerializer
    filter_serializer_class = s.UnitResultFilterSerializer

    def select_list(self, run: int) -> QuerySet:
        return selectors.unit_result_list(actor=self.actor, run=_run(self.actor, run))

    def select_one(self, pk: Any) -> Any:
        return selectors.unit_result_get(actor=self.actor, pk=pk)


# --------------------------------------------------------------------------------- reviews (HR only)


@extend_schema_view(
    list=extend_schema(summary="List adjustments", parameters=[s.StatusFilterSerializer],
                       responses={200: s.AdjustmentSerializer(many=True), **error_responses(400, *READ_ERRORS)}),
    retrieve=extend_schema(summary="Get an adjustment", parameters=[ID], responses={200: s.AdjustmentSerializer, **error_responses(*DETAIL_ERRORS)}),
)  # fmt: skip
class AdjustmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EvaluationViewSet):
    queryset = OfficerResult.objects.none()
    serializer_class = s.AdjustmentSerializer
    filter_serializer_class = s.StatusFilterSerializer

    def select_list(self, status: str | None = None) -> QuerySet:
        return selectors.adjustment_list(actor=self.actor, status=status)

    def select_one(self, pk: Any) -> Any:
        return selectors.adjustment_get(actor=self.actor, pk=pk)

    @extend_schema(summary="Approve or reject (HR; never the requester)", parameters=[ID], request=s.DecideSerializer,
                   responses={200: s.AdjustmentSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def decide(self, request, *args, **kwargs) -> Response:
        adjustment = self.get_object()
        data = s.DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        adjustment = reviews.adjustment_decide(actor=self.actor, adjustment=adjustment, approve=v["approve"],
                                                reason=v["reason"], expected_version=v["version"])  # fmt: skip
        return Response(s.AdjustmentSerializer(adjustment).data)


@extend_schema_view(
    list=extend_schema(summary="List appeals", parameters=[s.StatusFilterSerializer],
                       responses={200: s.AppealSerializer(many=True), **error_responses(400, *READ_ERRORS)}),
    retrieve=extend_schema(summary="Get an appeal", parameters=[ID], responses={200: s.AppealSerializer, **error_responses(*DETAIL_ERRORS)}),
)  # fmt: skip
class AppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EvaluationViewSet):
    queryset = OfficerResult.objects.none()
    serializer_class = s.AppealSerializer
    filter_serializer_class = s.StatusFilterSerializer

    def select_list(self, status: str | None = None) -> QuerySet:
        return selectors.appeal_list(actor=self.actor, status=status)

    def select_one(self, pk: Any) -> Any:
        return selectors.appeal_get(actor=self.actor, pk=pk)

    @extend_schema(summary="Decide an appeal (HR; never the appellant)", parameters=[ID], request=s.AppealDecideSerializer,
                   responses={200: s.AppealSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def decide(self, request, *args, **kwargs) -> Response:
        appeal = self.get_object()
        data = s.AppealDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        appeal = reviews.appeal_decide(actor=self.actor, appeal=appeal, upheld=v["upheld"], reason=v["reason"],
                                        score_delta=v["score_delta"], grade=v["grade"], expected_version=v["version"])  # fmt: skip
        return Response(s.AppealSerializer(appeal).data)


# ---------------------------------------------------------------------------------------- mentoring


@extend_schema_view(
    list=extend_schema(summary="List mentoring pairs", parameters=[s.StatusFilterSerializer],
                       responses={200: s.MentorshipSerializer(many=True), **error_responses(400, *READ_ERRORS)}),
    retrieve=extend_schema(summary="Get a pair with its goals and sessions", parameters=[ID],
                           responses={200: s.MentorshipDetailSerializer, **error_responses(*DETAIL_ERRORS)}),
)  # fmt: skip
class MentorshipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EvaluationViewSet):
    """Mentoring (传帮带): the pairs an officer is part of, a leader's units' pairs, HR all."""

    queryset = OfficerResult.objects.none()
    serializer_class = s.MentorshipSerializer
    filter_serializer_class = s.StatusFilterSerializer

    def get_serializer_class(self):
        return s.MentorshipDetailSerializer if self.action == "retrieve" else s.MentorshipSerializer

    def select_list(self, status: str | None = None) -> QuerySet:
        return selectors.mentorship_list(actor=self.actor, status=status)

    def select_one(self, pk: Any) -> Any:
        return selectors.mentorship_get(actor=self.actor, pk=pk)

    @extend_schema(summary="Propose pairs with the optimiser (HR)", request=s.ProposeSerializer,
                   responses={201: s.MentorshipSerializer(many=True), **error_responses(400, 401, 403, 409)})  # fmt: skip
    @action(detail=False, methods=["post"])
    def propose(self, request, *args, **kwargs) -> Response:
        data = s.ProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = _run(self.actor, data.validated_data["run"])
        made = mentoring.mentoring_propose(
            actor=self.actor, run=run, capacity=data.validated_data["capacity"]
        )
        pairs = selectors.mentorship_list(actor=self.actor).filter(pk__in=[m.pk for m in made])
        return Response(s.MentorshipSerializer(pairs, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Accept or decline a proposed pair (HR)", parameters=[ID], request=s.AcceptSerializer,
                   responses={200: s.MentorshipSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def decide(self, request, *args, **kwargs) -> Response:
        pair = self.get_object()
        data = s.AcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mentoring.mentorship_decide(actor=self.actor, mentorship=pair, accept=data.validated_data["accept"],
                                    expected_version=data.validated_data["version"])  # fmt: skip
        return Response(s.MentorshipSerializer(self.select_one(pair.pk)).data)

    @extend_schema(summary="Record a mentoring session (mentor, mentee or HR)", parameters=[ID],
                   request=s.SessionCreateSerializer, responses={201: s.MentoringSessionSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def sessions(self, request, *args, **kwargs) -> Response:
        pair = self.get_object()
        data = s.SessionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session = mentoring.mentoring_session_record(actor=self.actor, mentorship=pair, **data.validated_data)
        return Response(s.MentoringSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Add a goal (mentor, mentee or HR)", parameters=[ID], request=s.GoalCreateSerializer,
                   responses={201: s.MentoringGoalSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def goals(self, request, *args, **kwargs) -> Response:
        pair = self.get_object()
        data = s.GoalCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        goal = mentoring.mentoring_goal_add(actor=self.actor, mentorship=pair, **data.validated_data)
        return Response(s.MentoringGoalSerializer(goal).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------- exemplars


@extend_schema_view(
    list=extend_schema(summary="List nominations (HR)", parameters=[s.StatusFilterSerializer],
                       responses={200: s.NominationSerializer(many=True), **error_responses(400, *READ_ERRORS)}),
    retrieve=extend_schema(summary="Get a nomination", parameters=[ID], responses={200: s.NominationSerializer, **error_responses(*DETAIL_ERRORS)}),
    create=extend_schema(summary="Nominate a title's candidates from a published run", request=s.NominateSerializer,
                         responses={201: s.NominationSerializer(many=True), **error_responses(400, 401, 403, 409)}),
)  # fmt: skip
class NominationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EvaluationViewSet):
    queryset = OfficerResult.objects.none()
    serializer_class = s.NominationSerializer
    filter_serializer_class = s.StatusFilterSerializer

    def select_list(self, status: str | None = None) -> QuerySet:
        return selectors.nomination_list(actor=self.actor, status=status)

    def select_one(self, pk: Any) -> Any:
        return selectors.nomination_get(actor=self.actor, pk=pk)

    def create(self, request, *args, **kwargs) -> Response:
        data = s.NominateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        title = HonourTitle.objects.filter(code=data.validated_data["title"]).first()
        if title is None:
            raise ValidationFailed(
                "Not nominated", [FieldError("title", "no such title", code="does_not_exist")]
            )
        made = honours.nominations_propose(
            actor=self.actor, title=title, run=_run(self.actor, data.validated_data["run"])
        )
        return Response(s.NominationSerializer(self.select_list().filter(pk__in=[n.pk for n in made]), many=True).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip

    @extend_schema(summary="The committee's decision (never the proposer)", parameters=[ID],
                   request=s.NominationDecideSerializer, responses={200: s.NominationSerializer, **error_responses(*WRITE_ERRORS)})  # fmt: skip
    @action(detail=True, methods=["post"])
    def decide(self, request, *args, **kwargs) -> Response:
        nomination = self.get_object()
        data = s.NominationDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        honours.nomination_decide(actor=self.actor, nomination=nomination, approve=v["approve"], reason=v["reason"],
                                  citation=v["citation"], expected_version=v["version"])  # fmt: skip
        return Response(s.NominationSerializer(self.select_one(nomination.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="The honours register", responses={200: s.HonourSerializer(many=True), **error_responses(*READ_ERRORS)}),
    retrieve=extend_schema(summary="Get an honour with the records that earned it", parameters=[ID],
                           responses={200: s.HonourSerializer, **error_responses(*DETAIL_ERRORS)}),
)  # fmt: skip
class HonourViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, EvaluationViewSet):
    queryset = OfficerResult.objects.none()
    serializer_class = s.HonourSerializer

    def select_list(self) -> QuerySet:
        return selectors.honour_list(actor=self.actor)

    def select_one(self, pk: Any) -> Any:
        return selectors.honour_get(actor=self.actor, pk=pk)
