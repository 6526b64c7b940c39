"""Reads of the workforce, scoped and joined."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from grassroots.common.scoping import Actor, get_visible_or_404

from .models import Assignment, AssignmentKind, Officer, Post, Unit


def unit_list(*, actor: Actor | Any, kind: str | None = None) -> QuerySet[Unit]:
    qs = Unit.objects.visible_to(actor).select_related("parent", "region")
    return qs.filter(kind=kind) if kind else qs


def unit_get(*, actor: Actor | Any, pk: Any) -> Unit:
    return get_visible_or_404(unit_list(actor=actor), pk=pk)


def post_list(
    *, actor: Actor | Any, unit_id: int | None = None, front_line: bool | None = None
) -> QuerySet[Post]:
    qs = Post.objects.visible_to(actor).select_related("unit")
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if front_line is not None:
        qs = qs.filter(is_front_line=front_line)
    return qs


def post_get(*, actor: Actor | Any, pk: Any) -> Post:
    return get_visible_or_404(post_list(actor=actor), pk=pk)


def _current_assignments(day: date) -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.current(day).select_related("post", "post__unit"),
        to_attr="current_assignments",
    )


def officer_list(
    *,
    actor: Actor | Any,
    unit_id: int | None = None,
    search: str | None = None,
    recruits_only: bool = False,
    front_line: bool | None = None,
    day: date | None = None,
) -> QuerySet[Officer]:
    from dateutil.relativedelta import relativedelta
    from django.conf import settings

    day = day or timezone.localdate()
    qs = Officer.objects.visible_to(actor).filter(is_active=True)
    if unit_id:
        unit = Unit.objects.filter(pk=unit_id).only("path").first()
        serving = Assignment.objects.current(day).filter(
            post__unit__path__startswith=unit.path if unit else "-"
        )
        qs = qs.filter(id__in=serving.values("officer_id"))
    if front_line is not None:
        serving = Assignment.objects.current(day).filter(post__is_front_line=front_line)
        qs = qs.filter(id__in=serving.values("officer_id"))
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(staff_number__icontains=search))
    if recruits_only:
        qs = qs.filter(hire_date__gt=day - relativedelta(months=settings.RECRUIT_PERIOD_MONTHS))
    return qs.select_related("user").prefetch_related(_current_assignments(day)).order_by("staff_number")


def officer_get(*, actor: Actor | Any, pk: Any) -> Officer:
    qs = (
        Officer.objects.visible_to(actor)
        .select_related("user")
        .prefetch_related(
            _current_assignments(timezone.localdate()),
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("post", "post__unit").order_by("-start"),
                to_attr="history",
            ),
            "grids",
        )
    )
    return get_visible_or_404(qs, pk=pk)


def assignment_list(
    *, actor: Actor | Any, officer_id: int | None = None, kind: str | None = AssignmentKind.ACTUAL
) -> QuerySet[Assignment]:
    qs = Assignment.objects.visible_to(actor).select_related("officer", "post", "post__unit")
    if officer_id:
        qs = qs.filter(officer_id=officer_id)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("officer_id", "-start")


def assignment_get(*, actor: Actor | Any, pk: Any) -> Assignment:
    return get_visible_or_404(assignment_list(actor=actor, kind=None), pk=pk)


def post_staffing(
    *, actor: Actor | Any, front_line: bool | None = None, day: date | None = None
) -> QuerySet[Post]:
    """Active posts in scope, each annotated with ``staffed``: officers holding it on ``day``."""
    day = day or timezone.localdate()
    current = Q(assignments__kind=AssignmentKind.ACTUAL, assignments__start__lte=day) & (
        Q(assignments__end__isnull=True) | Q(assignments__end__gte=day)
    )
    return (
        post_list(actor=actor, front_line=front_line)
        .filter(is_active=True)
        .annotate(staffed=Count("assignments", filter=current))
        .order_by("unit__path", "code")
    )


def workforce_totals(*, actor: Actor | Any, day: date | None = None) -> dict[str, int]:
    """Counts of the units, posts, officers and recruits the actor may see."""
    day = day or timezone.localdate()
    officers = officer_list(actor=actor, day=day)
    return {
        "units": Unit.objects.visible_to(actor).filter(is_active=True).count(),
        "posts": Post.objects.visible_to(actor).filter(is_active=True).count(),
        "front_line_posts": Post.objects.visible_to(actor).filter(is_active=True, is_front_line=True).count(),
        "officers": officers.count(),
        "recruits": officer_list(actor=actor, day=day, recruits_only=True).count(),
    }


def unit_staffing(*, actor: Actor | Any, day: date | None = None) -> QuerySet[Unit]:
    """Active units in scope, each annotated with ``serving``: current assignments to its posts."""
    day = day or timezone.localdate()
    current = Q(
        posts__assignments__kind=AssignmentKind.ACTUAL,
        posts__assignments__start__lte=day,
    ) & (Q(posts__assignments__end__isnull=True) | Q(posts__assignments__end__gte=day))
    return (
        unit_list(actor=actor)
        .filter(is_active=True)
        .annotate(serving=Count("posts__assignments", filter=current))
        .order_by("path")
    )
