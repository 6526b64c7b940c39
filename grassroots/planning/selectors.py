"""Reads of planning records, scoped (``visible_to``) and joined; views of a plan per officer and per post,
and of a stored roster as a calendar."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from grassroots.common.scoping import Actor, get_visible_or_404
from grassroots.workforce.models import Officer, Post

from .models import (
    DutyType,
    PlannedMove,
    PlanRun,
    RosterAssignment,
    RosterCover,
    RosterDefinition,
    RosterMember,
    RosterRequest,
    RosterRun,
    RotationRuleSet,
)


def rule_set_list(*, actor: Actor | Any) -> QuerySet[RotationRuleSet]:
    return (
        RotationRuleSet.objects.visible_to(actor)
        .select_related("unit")
        .annotate(run_count=Count("runs"))
        .order_by("-updated_at", "-id")
    )


def rule_set_get(*, actor: Actor | Any, pk: Any) -> RotationRuleSet:
    qs = RotationRuleSet.objects.visible_to(actor).select_related("unit").prefetch_related("rules")
    return get_visible_or_404(qs, pk=pk)


def plan_run_list(*, actor: Actor | Any, rule_set_id: int | None = None) -> QuerySet[PlanRun]:
    qs = (
        PlanRun.objects.visible_to(actor)
        .select_related("rule_set", "rule_set__unit", "created_by", "approved_by")
        .defer("problem", "plan", "report", "explanation", "stats")
    )
    if rule_set_id:
        qs = qs.filter(rule_set_id=rule_set_id)
    return qs.order_by("-created_at", "-id")


def plan_run_get(*, actor: Actor | Any, pk: Any) -> PlanRun:
    qs = PlanRun.objects.visible_to(actor).select_related(
        "rule_set", "rule_set__unit", "created_by", "approved_by"
    )
    return get_visible_or_404(qs, pk=pk)


def planned_move_list(
    *, run: PlanRun, period: int | None = None, search: str | None = None
) -> QuerySet[PlannedMove]:
    """The run's moves (the run was fetched through a scoped selector)."""
    qs = PlannedMove.objects.filter(run=run).select_related(
        "officer", "from_post", "from_post__unit", "to_post", "to_post__unit"
    )
    if period is not None:
        qs = qs.filter(period=period)
    if search:
        qs = qs.filter(Q(officer__name__icontains=search) | Q(officer__staff_number__icontains=search))
    return qs.order_by("period", "officer__staff_number")


@dataclass
class OfficerPlanRow:
    officer: Officer
    current: Post | None
    posts: list[Post | None]
    moves: int
    front_line: int  # front-line periods in the plan


@dataclass
class PostPlanRow:
    post: Post
    staffed: list[int]
    arriving: list[int]
    leaving: list[int]
    problems: list[bool] = field(default_factory=list)  # below min or above max, per period


def _posts_by_code(codes: set[str]) -> dict[str, Post]:
    return {p.code: p for p in Post.objects.filter(code__in=codes).select_related("unit")}


def plan_officer_rows(
    *, run: PlanRun, search: str | None = None, offset: int = 0, limit: int = 50
) -> tuple[list[OfficerPlanRow], int]:
    """One row per officer of the plan: the post now and in each period (a page of them)."""
    plan: dict[str, list[str]] = run.plan or {}
    history = {o["id"]: o["history"] for o in (run.problem or {}).get("officers", [])}
    numbers = sorted(plan)
    officers_qs = Officer.objects.filter(staff_number__in=numbers)
    if search:
        officers_qs = officers_qs.filter(Q(name__icontains=search) | Q(staff_number__icontains=search))
    total = officers_qs.count()
    officers = list(officers_qs.order_by("staff_number")[offset : offset + limit])
    codes = {c for o in officers for c in plan.get(o.staff_number, [])}
    codes |= {history[o.staff_number][-1] for o in officers if history.get(o.staff_number)} - {None}
    posts = _posts_by_code(codes)
    rows = []
    for officer in officers:
        planned = plan.get(officer.staff_number, [])
        past = history.get(officer.staff_number) or [None]
        current = posts.get(past[-1]) if past[-1] else None
        sequence = [past[-1], *planned]
        rows.append(
            OfficerPlanRow(
                officer=officer,
                current=current,
                posts=[posts.get(c) for c in planned],
                moves=sum(
                    1 for a, b in zip(sequence, sequence[1:], strict=False) if a is not None and a != b
                ),
                front_line=sum(1 for c in planned if c in posts and posts[c].is_front_line),
            )
        )
    return rows, total


def plan_post_rows(*, run: PlanRun) -> list[PostPlanRow]:
    """One row per post of the plan: staff in each period, arrivals and departures."""
    plan: dict[str, list[str]] = run.plan or {}
    problem_posts = [q["id"] for q in (run.problem or {}).get("posts", [])]
    history = {o["id"]: o["history"] for o in (run.problem or {}).get("officers", [])}
    posts = _posts_by_code(set(problem_posts))
    periods = run.periods
    staffed = [Counter() for _ in range(periods)]
    arriving = [Counter() for _ in range(periods)]
    leaving = [Counter() for _ in range(periods)]
    for number, planned in plan.items():
        before = (history.get(number) or [None])[-1]
        for t, code in enumerate(planned):
            staffed[t][code] += 1
            if before is not None and code != before:
                arriving[t][code] += 1
                leaving[t][before] += 1
            before = code
    rows = []
    for code in problem_posts:
        post = posts.get(code)
        if post is None:
            continue
        counts = [staffed[t][code] for t in range(periods)]
        rows.append(
            PostPlanRow(
                post=post,
                staffed=counts,
                arriving=[arriving[t][code] for t in range(periods)],
                leaving=[leaving[t][code] for t in range(periods)],
                problems=[not post.min_staff <= n <= post.max_staff for n in counts],
            )
        )
    return rows


# -- duty rosters -------------------------------------------------------------------------------------------


def roster_list(*, actor: Actor | Any) -> QuerySet[RosterDefinition]:
    return (
        RosterDefinition.objects.visible_to(actor)
        .select_related("unit")
        .annotate(member_count=Count("members", distinct=True), run_count=Count("runs", distinct=True))
        .order_by("-start_date", "-id")
    )


def roster_get(*, actor: Actor | Any, pk: Any) -> RosterDefinition:
    qs = (
        RosterDefinition.objects.visible_to(actor)
        .select_related("unit")
        .prefetch_related(
            "duty_types",
            Prefetch(
                "members",
                queryset=RosterMember.objects.select_related("officer").prefetch_related(
                    "days_off", Prefetch("requests", queryset=RosterRequest.objects.select_related("duty"))
                ),
            ),
            Prefetch("covers", queryset=RosterCover.objects.select_related("duty")),
        )
    )
    return get_visible_or_404(qs, pk=pk)


def roster_run_list(*, actor: Actor | Any, roster_id: int | None = None) -> QuerySet[RosterRun]:
    qs = (
        RosterRun.objects.visible_to(actor)
        .select_related("definition", "definition__unit", "created_by")
        .defer("problem_text", "report", "trace")
    )
    if roster_id:
        qs = qs.filter(definition_id=roster_id)
    return qs.order_by("-created_at", "-id")


def roster_run_get(*, actor: Actor | Any, pk: Any) -> RosterRun:
    qs = RosterRun.objects.visible_to(actor).select_related("definition", "definition__unit", "created_by")
    return get_visible_or_404(qs, pk=pk)


def roster_assignments(*, run: RosterRun, officer: Officer | None = None) -> QuerySet[RosterAssignment]:
    qs = RosterAssignment.objects.filter(run=run).select_related("officer", "duty")
    if officer is not None:
        qs = qs.filter(officer=officer)
    return qs.order_by("date", "duty_id", "officer__staff_number")


@dataclass
class CalendarDay:
    day: date
    duties: list[tuple[DutyType, list[Officer]]]
    weekend: bool
    holiday: bool


def roster_calendar(
    *, run: RosterRun, month: date | None = None
) -> tuple[list[list[CalendarDay | None]], date]:
    """The stored roster as month weeks (Monday first) of days, each with its duties and who has them."""
    from grassroots.casework.clock import calendar_overrides, is_workday

    overrides = calendar_overrides()
    definition = run.definition
    first = month or definition.start_date
    first = first.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    by_day: dict[date, dict[int, list[Officer]]] = defaultdict(lambda: defaultdict(list))
    duties = {d.pk: d for d in definition.duty_types.all()}
    for a in RosterAssignment.objects.filter(run=run, date__gte=first, date__lte=last).select_related(
        "officer"
    ):
        by_day[a.date][a.duty_id].append(a.officer)
    weeks: list[list[CalendarDay | None]] = []
    week: list[CalendarDay | None] = [None] * first.weekday()
    day = first
    while day <= last:
        holiday = day.weekday() < 5 and not is_workday(day, overrides)
        week.append(
            CalendarDay(
                day=day,
                duties=[(duties[k], v) for k, v in sorted(by_day[day].items())],
                weekend=day.weekday() >= 5,
                holiday=holiday,
            )
        )
        if len(week) == 7:
            weeks.append(week)
            week = []
        day += timedelta(days=1)
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return weeks, first


def own_roster_runs(*, actor: Actor | Any) -> list[RosterRun]:
    """The latest finished run of each roster that gives the actor's officer a duty."""
    officer = getattr(actor, "officer", None)
    if officer is None:
        return []
    latest: dict[int, RosterRun] = {}
    runs = (
        RosterRun.objects.filter(status="done", assignments__officer=officer)
        .select_related("definition")
        .defer("problem_text", "report", "trace")
        .distinct()
        .order_by("definition_id", "-finished_at", "-id")
    )
    for run in runs:
        latest.setdefault(run.definition_id, run)
    return sorted(latest.values(), key=lambda r: r.definition.start_date, reverse=True)


def own_duties(*, actor: Actor | Any) -> QuerySet[RosterAssignment]:
    """The actor's own duties in the latest roster of each duty roster (an officer sees only these)."""
    officer = getattr(actor, "officer", None)
    if officer is None:
        return RosterAssignment.objects.none()
    return (
        RosterAssignment.objects.filter(run__in=own_roster_runs(actor=actor), officer=officer)
        .select_related("duty", "officer", "run__definition")
        .order_by("date", "duty__code")
    )
