"""Evaluation reads, scoped with ``visible_to(actor)`` and joined; an object out of scope answers 404.

Who sees what: the political/HR department and administrators see every run and result (drafts too);
a unit leader sees the published results of officers whose unit lies in the subtree they lead; an officer
sees their own published results; residents see nothing. Nothing here returns residents' personal data.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.http import Http404

from grassroots.common.scoping import Actor, as_actor, get_visible_or_404

from .drill import Drill, drill
from .indicators import INDICATORS
from .models import (
    Adjustment,
    AdjustmentKind,
    Appeal,
    DecisionStatus,
    EvaluationRun,
    Honour,
    HonourTitle,
    MentoringSession,
    Mentorship,
    Nomination,
    OfficerResult,
    RunStatus,
    Scheme,
    SchemeVersion,
    UnitResult,
    VersionStatus,
)
from .services import window_for_run


def may_manage(actor: Actor | Any) -> bool:
    actor = as_actor(actor)
    return actor.is_admin or actor.is_hr


def may_use_evaluation(actor: Actor | Any) -> bool:
    actor = as_actor(actor)
    return actor.is_admin or actor.is_hr or actor.is_staff_officer


# ------------------------------------------------------------------------------------------ schemes


def scheme_list(*, actor: Actor | Any) -> QuerySet[Scheme]:
    if not may_use_evaluation(actor):
        return Scheme.objects.none()
    versions = SchemeVersion.objects.order_by("-number")
    if not may_manage(actor):
        versions = versions.exclude(status=VersionStatus.DRAFT)
    return Scheme.objects.prefetch_related(Prefetch("versions", queryset=versions)).order_by("code")


def scheme_version_list(*, actor: Actor | Any) -> QuerySet[SchemeVersion]:
    qs = SchemeVersion.objects.select_related("scheme")
    if not may_use_evaluation(actor):
        return qs.none()
    if not may_manage(actor):
        qs = qs.exclude(status=VersionStatus.DRAFT)
    return qs


def scheme_version_get(*, actor: Actor | Any, pk: Any) -> SchemeVersion:
    return get_visible_or_404(scheme_version_list(actor=actor), pk=pk)


def active_version(code: str = "default") -> SchemeVersion | None:
    return SchemeVersion.objects.filter(scheme__code=code, status=VersionStatus.ACTIVE).first()


# --------------------------------------------------------------------------------------------- runs


def run_list(*, actor: Actor | Any, status: str | None = None) -> QuerySet[EvaluationRun]:
    qs = EvaluationRun.objects.visible_to(actor).select_related(
        "scheme_version__scheme", "unit", "created_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-period_end", "-id")


def run_get(*, actor: Actor | Any, pk: Any) -> EvaluationRun:
    return get_visible_or_404(run_list(actor=actor), pk=pk)


def latest_published_run() -> EvaluationRun | None:
    return EvaluationRun.objects.filter(status=RunStatus.PUBLISHED).order_by("-period_end", "-id").first()


# ------------------------------------------------------------------------------------------ results


def _effective(qs: QuerySet[OfficerResult]) -> QuerySet[OfficerResult]:
    """Annotate the effective score and grade: the published ones changed by approved adjustments."""
    approved = Adjustment.objects.filter(result=OuterRef("pk"), status=DecisionStatus.APPROVED)
    delta = Subquery(
        approved.filter(kind=AdjustmentKind.SCORE)
        .order_by()
        .values("result")
        .annotate(total=Sum("score_delta"))
        .values("total"),
        output_field=FloatField(),
    )
    grade = Subquery(
        approved.filter(kind=AdjustmentKind.GRADE).order_by("-decided_at", "-id").values("grade")[:1]
    )
    return qs.annotate(
        score_change=Coalesce(delta, Value(0.0)),
        effective_score=Least(Greatest(F("score") + Coalesce(delta, Value(0.0)), Value(0.0)), Value(100.0)),
        effective_grade=Coalesce(grade, F("grade")),
    )


def result_list(
    *,
    actor: Actor | Any,
    run: EvaluationRun | None = None,
    unit_id: int | None = None,
    peer_group: str | None = None,
    grade: str | None = None,
    search: str | None = None,
    shortlisted: bool | None = None,
    officer_id: int | None = None,
) -> QuerySet[OfficerResult]:
    qs = OfficerResult.objects.visible_to(actor).select_related(
        "officer", "unit", "post", "run__scheme_version__scheme"
    )
    if run is not None:
        qs = qs.filter(run=run)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if peer_group:
        qs = qs.filter(peer_group=peer_group)
    if grade:
        qs = qs.filter(grade=grade)
    if officer_id:
        qs = qs.filter(officer_id=officer_id)
    if shortlisted is not None:
        qs = qs.filter(shortlisted=shortlisted)
    if search:
        qs = qs.filter(Q(officer__name__icontains=search) | Q(officer__staff_number__icontains=search))
    return _effective(qs).order_by(F("rank").asc(nulls_last=True), "officer__staff_number")


def result_get(*, actor: Actor | Any, pk: Any) -> OfficerResult:
    qs = _effective(
        OfficerResult.objects.visible_to(actor).select_related(
            "officer", "unit", "post", "run__scheme_version__scheme"
        )
    ).prefetch_related(
        Prefetch(
            "adjustments",
            queryset=Adjustment.objects.select_related("requested_by", "decided_by").order_by(
                "requested_at", "id"
            ),
        ),
        Prefetch(
            "appeals", queryset=Appeal.objects.select_related("filed_by", "decided_by").order_by("filed_at")
        ),
    )
    return get_visible_or_404(qs, pk=pk)


def result_drill(*, actor: Actor | Any, result: OfficerResult, code: str, part: str) -> Drill:
    """The records behind one figure of a result the actor may see."""
    if not OfficerResult.objects.visible_to(actor).filter(pk=result.pk).exists():
        raise Http404
    try:
        return drill(window=window_for_run(result.run), officer_id=result.officer_id, code=code, part=part)
    except KeyError as exc:
        raise Http404 from exc


def unit_result_list(*, actor: Actor | Any, run: EvaluationRun) -> QuerySet[UnitResult]:
    return UnitResult.objects.visible_to(actor).filter(run=run).select_related("unit").order_by("unit__path")


def unit_result_get(*, actor: Actor | Any, pk: Any) -> UnitResult:
    return get_visible_or_404(UnitResult.objects.visible_to(actor).select_related("unit", "run"), pk=pk)


def peer_groups(*, run: EvaluationRun) -> list[str]:
    return list(run.results.order_by("peer_group").values_list("peer_group", flat=True).distinct())


def grade_counts(*, actor: Actor | Any, run: EvaluationRun) -> dict[str, int]:
    rows = result_list(actor=actor, run=run).order_by().values("grade").annotate(n=Count("id"))
    return {r["grade"]: r["n"] for r in rows}


def adjustment_list(*, actor: Actor | Any, status: str | None = None) -> QuerySet[Adjustment]:
    qs = Adjustment.objects.visible_to(actor).select_related(
        "result__officer", "result__run", "requested_by", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-requested_at", "-id")


def adjustment_get(*, actor: Actor | Any, pk: Any) -> Adjustment:
    return get_visible_or_404(adjustment_list(actor=actor), pk=pk)


def appeal_list(*, actor: Actor | Any, status: str | None = None) -> QuerySet[Appeal]:
    qs = Appeal.objects.visible_to(actor).select_related(
        "result__officer", "result__run", "filed_by", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-filed_at", "-id")


def appeal_get(*, actor: Actor | Any, pk: Any) -> Appeal:
    return get_visible_or_404(appeal_list(actor=actor), pk=pk)


# ---------------------------------------------------------------------------------------- mentoring


def mentorship_list(*, actor: Actor | Any, status: str | None = None) -> QuerySet[Mentorship]:
    qs = (
        Mentorship.objects.visible_to(actor)
        .select_related("mentor", "mentee")
        .annotate(session_count=Count("sessions", distinct=True), goal_count=Count("goals", distinct=True))
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-proposed_at", "-id")


def mentorship_get(*, actor: Actor | Any, pk: Any) -> Mentorship:
    qs = (
        Mentorship.objects.visible_to(actor)
        .select_related("mentor", "mentee", "based_on_run")
        .prefetch_related(
            "goals",
            Prefetch(
                "sessions",
                queryset=MentoringSession.objects.select_related("recorded_by").order_by("-held_on"),
            ),
        )
    )
    return get_visible_or_404(qs, pk=pk)


# ---------------------------------------------------------------------------------------- exemplars


def honour_title_list() -> QuerySet[HonourTitle]:
    return HonourTitle.objects.filter(is_active=True).order_by("code")


def nomination_list(
    *, actor: Actor | Any, run: EvaluationRun | None = None, status: str | None = None
) -> QuerySet[Nomination]:
    qs = Nomination.objects.visible_to(actor).select_related("title", "officer", "unit", "run", "proposed_by")
    if run is not None:
        qs = qs.filter(run=run)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("title__code", "-run__period_end", "rank")


def nomination_get(*, actor: Actor | Any, pk: Any) -> Nomination:
    return get_visible_or_404(nomination_list(actor=actor), pk=pk)


def honour_list(*, actor: Actor | Any) -> QuerySet[Honour]:
    return Honour.objects.visible_to(actor).select_related("title", "officer", "unit", "awarded_by")


def honour_get(*, actor: Actor | Any, pk: Any) -> Honour:
    return get_visible_or_404(honour_list(actor=actor), pk=pk)


def indicator_label(code: str) -> Any:
    spec = INDICATORS.get(code)
    return spec.label if spec else code
