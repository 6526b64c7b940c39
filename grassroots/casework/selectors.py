"""Casework reads, scoped and joined."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from grassroots.common.scoping import Actor, as_actor, get_visible_or_404, paths_q

from . import clock
from .models import (
    AlertKind,
    Category,
    ClockAlert,
    Request,
    RequestEvent,
    RequestUnit,
    UnitRole,
    request_scope_q,
)
from .workflow import OPEN, Status

REMIND_WINDOW = timedelta(hours=24)
DEADLINE_STATES = ("overdue", "due_soon", "paused", "on_time", "none")
AWAITING_FOLLOW_UP = (Status.RESOLVED, Status.FOLLOW_UP)


def request_list(
    *,
    actor: Actor | Any,
    status: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    assignee_id: int | None = None,
) -> QuerySet[Request]:
    qs = Request.objects.visible_to(actor).select_related("region", "category", "assignee")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if channel:
        qs = qs.filter(channel=channel)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    return qs.order_by("-created_at", "-id")


def request_get(*, actor: Actor | Any, pk: Any) -> Request:
    qs = (
        Request.objects.visible_to(actor)
        .select_related("region", "grid", "category", "assignee")
        .prefetch_related(
            Prefetch("events", queryset=RequestEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch("units", queryset=RequestUnit.objects.filter(is_active=True).select_related("unit")),
        )
    )
    return get_visible_or_404(qs, pk=pk)


def deadline_filter(state: str, now: datetime | None = None) -> Q:
    """The requests whose deadline colour (``deadline_state``) is ``state``, as a filter."""
    now = now or timezone.now()
    running = Q(status__in=OPEN, due_at__isnull=False)
    if state == "paused":
        return running & Q(is_paused=True)
    if state == "overdue":
        return running & Q(is_paused=False, due_at__lt=now)
    if state == "due_soon":
        return running & Q(is_paused=False, due_at__gte=now, due_at__lte=now + REMIND_WINDOW)
    if state == "on_time":
        return running & Q(is_paused=False, due_at__gt=now + REMIND_WINDOW)
    if state == "none":
        return ~Q(status__in=OPEN) | Q(due_at__isnull=True)
    raise ValueError(f"unknown deadline state {state!r}")


def my_requests(
    *,
    actor: Actor | Any,
    include_closed: bool = False,
    status: str | None = None,
    kind: str | None = None,
    channel: str | None = None,
    deadline: str | None = None,
    query: str | None = None,
) -> QuerySet[Request]:
    """What an officer has to work on: assigned to them, or led by their unit; soonest deadline first.
    Filters: status (any status; without it, open requests unless ``include_closed``), kind, channel, the
    deadline colour, and ``query`` (a tracking code, or words of the title)."""
    qs = _my_requests(actor=actor, include_closed=include_closed or bool(status))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if channel:
        qs = qs.filter(channel=channel)
    if deadline:
        qs = qs.filter(deadline_filter(deadline))
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(tracking_code=query.upper()) | Q(title__icontains=query))
    return qs


def _my_requests(*, actor: Actor | Any, include_closed: bool = False) -> QuerySet[Request]:
    """The requests assigned to the officer or led by their units, as the UNION of two index scans (the
    assignee index, and the lead links of the unit subtree): an OR of the two over the request table made
    PostgreSQL scan the whole table at city scale."""
    actor = as_actor(actor)
    parts: list[QuerySet] = []
    if actor.officer is not None:
        assigned = Request.objects.visible_to(actor).filter(assignee_id=actor.officer.id)
        if not include_closed:
            assigned = assigned.filter(status__in=OPEN)
        parts.append(assigned.order_by().values("id"))
    if actor.unit_paths:
        led = RequestUnit.objects.filter(
            paths_q("unit__path", actor.unit_paths), role=UnitRole.LEAD, is_active=True
        )
        if not (actor.is_admin or actor.is_staff_officer):
            led = led.filter(request__in=Request.objects.visible_to(actor))
        # Otherwise visible by definition (``request_scope_q`` shows every request the unit subtree handles):
        # the scope's OR over the request table is left out of the big part of a leader's list.
        parts.append(led.order_by().values("request_id"))
    if not parts:
        return Request.objects.none()
    ids = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    qs = Request.objects.filter(pk__in=ids, matter__isnull=True)
    if not include_closed:
        qs = qs.filter(status__in=OPEN)
    return qs.select_related("region", "category", "assignee").order_by("due_at", "id")


def leader_queue(*, actor: Actor | Any) -> dict[str, QuerySet]:
    """A leader's queue: accepted requests awaiting assignment, and open escalations in their units."""
    actor = as_actor(actor)
    # What the leader can act on: their area, not requests they merely registered elsewhere.
    visible = Request.objects.visible_to(actor, include_registered=False).filter(matter__isnull=True)
    awaiting = visible.filter(status__in=[Status.ACCEPTED, Status.REOPENED]).select_related(
        "region", "category"
    )
    # One row per request and kind: its highest open tier (acknowledging it takes note of the lower ones).
    higher = ClockAlert.objects.filter(
        request_id=OuterRef("request_id"),
        kind=OuterRef("kind"),
        acknowledged_at__isnull=True,
        tier__gt=OuterRef("tier"),
    )
    # Alerts of requests still waiting for what the alert is about (open ones; resolved ones for an overdue
    # follow-up), in the area, through the join rather than by listing every visible request first.
    pending = Q(kind=AlertKind.ESCALATION, request__status__in=OPEN) | Q(
        kind=AlertKind.FOLLOW_UP, request__status__in=AWAITING_FOLLOW_UP
    )
    alerts = (
        ClockAlert.objects.filter(
            pending,
            request_scope_q(actor, prefix="request__", include_registered=False),
            acknowledged_at__isnull=True,
            request__matter__isnull=True,
        )
        .exclude(Exists(higher))
        .filter(paths_q("unit__path", actor.unit_paths) | Q(unit__isnull=True) if not actor.is_admin else Q())
        .select_related("request", "unit")
        .order_by("-tier", "due_at")
    )
    return {"awaiting_assignment": awaiting.order_by("due_at", "id"), "escalations": alerts}


def follow_up_queue(*, actor: Actor | Any) -> QuerySet[Request]:
    """Resolved requests in the actor's area awaiting their follow-up call, soonest due first, less those the
    actor resolved (the follow-up is someone else's)."""
    actor = as_actor(actor)
    qs = Request.objects.visible_to(actor, include_registered=False).filter(
        status__in=AWAITING_FOLLOW_UP, matter__isnull=True
    )
    if actor.pk is not None:
        qs = qs.exclude(resolved_by_id=actor.pk)
    return qs.select_related("region", "category", "assignee").order_by(
        F("follow_up_due_at").asc(nulls_last=True), "id"
    )


def follow_up_state(request: Request, now: datetime | None = None) -> str:
    """The follow-up's colour: overdue, due soon (within a day) or on time; none without a due date."""
    now = now or timezone.now()
    if request.status not in AWAITING_FOLLOW_UP or request.follow_up_due_at is None:
        return "none"
    if request.follow_up_due_at < now:
        return "overdue"
    if request.follow_up_due_at - REMIND_WINDOW <= now:
        return "due_soon"
    return "on_time"


@dataclass(frozen=True)
class TypicalTime:
    """How long similar requests took, from registration to resolution, over the last year."""

    median_days: float
    p80_days: float
    sample: int
    by_category: bool


TYPICAL_SAMPLE = 500
TYPICAL_MIN_SAMPLE = 10
TYPICAL_CACHE_SECONDS = 3600


def typical_resolution(
    *, kind: str, category: Category | None = None, county_id: int | None = None
) -> TypicalTime | None:
    """The median and 80th percentile of the days the latest resolved requests of this kind (and category,
    when it has enough of them) took in the county; None below ``TYPICAL_MIN_SAMPLE``. An aggregate without
    personal data, kept in the cache for an hour."""
    key = f"casework:typical:{kind}:{category.pk if category else ''}:{county_id or ''}"
    found = cache.get(key)
    if found is not None:
        return found or None
    since = timezone.now() - timedelta(days=365)
    base = Request.objects.filter(kind=kind, resolved_at__gte=since, matter__isnull=True)
    if county_id:
        base = base.filter(county_id=county_id)
    result = _typical(base.filter(category__path__startswith=category.path), True) if category else None
    if result is None:
        result = _typical(base, False)
    cache.set(key, result or False, TYPICAL_CACHE_SECONDS)
    return result


def _typical(qs: QuerySet[Request], by_category: bool) -> TypicalTime | None:
    rows = list(qs.order_by("-resolved_at").values_list("created_at", "resolved_at")[:TYPICAL_SAMPLE])
    if len(rows) < TYPICAL_MIN_SAMPLE:
        return None
    days = sorted(max((done - start).total_seconds(), 0) / 86400 for start, done in rows)
    p80 = statistics.quantiles(days, n=5, method="inclusive")[3]
    return TypicalTime(round(statistics.median(days), 1), round(p80, 1), len(days), by_category)


@dataclass(frozen=True)
class ExpectedDeadline:
    due_at: datetime
    amount: int
    unit: str
    policy: str


def expected_deadline(
    *, kind: str, urgency: str, channel: str, category: Category | None = None, now: datetime | None = None
) -> ExpectedDeadline | None:
    """The deadline a request registered now would get (the policy intake would apply)."""
    from .services import policy_for

    policy = policy_for(kind=kind, urgency=urgency, channel=channel, category=category)
    if policy is None:
        return None
    due = clock.deadline_from(now or timezone.now(), policy.amount, policy.unit)
    return ExpectedDeadline(due, policy.amount, policy.unit, policy.name)


def deadline_state(request: Request, now: datetime | None = None) -> str:
    """The colour an officer sees: paused, overdue, due soon, on time, or none (no clock / finished)."""
    now = now or timezone.now()
    if request.status not in OPEN or request.due_at is None:
        return "none"
    if request.is_paused:
        return "paused"
    if request.due_at < now:
        return "overdue"
    if request.due_at - REMIND_WINDOW <= now:
        return "due_soon"
    return "on_time"


def with_open_alerts(qs: QuerySet[Request]) -> QuerySet[Request]:
    return qs.annotate(
        has_open_alert=Exists(ClockAlert.objects.filter(request=OuterRef("pk"), acknowledged_at__isnull=True))
    )
