"""Casework reads, scoped and joined."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from grassroots.common.scoping import Actor, as_actor, get_visible_or_404, paths_q

from .models import AlertKind, ClockAlert, Request, RequestEvent, RequestUnit, UnitRole
from .workflow import OPEN, Status

REMIND_WINDOW = timedelta(hours=24)


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


def my_requests(*, actor: Actor | Any, include_closed: bool = False) -> QuerySet[Request]:
    """What an officer has to work on: assigned to them, or led by their unit; soonest deadline first."""
    actor = as_actor(actor)
    mine = Q(pk__in=[])
    if actor.officer is not None:
        mine |= Q(assignee_id=actor.officer.id)
    if actor.unit_paths:
        led = RequestUnit.objects.filter(
            paths_q("unit__path", actor.unit_paths), role=UnitRole.LEAD, is_active=True
        )
        mine |= Q(id__in=led.values("request_id"))
    qs = Request.objects.visible_to(actor).filter(mine, matter__isnull=True)
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
    alerts = (
        ClockAlert.objects.filter(
            kind=AlertKind.ESCALATION, acknowledged_at__isnull=True, request__in=visible
        )
        .filter(paths_q("unit__path", actor.unit_paths) | Q(unit__isnull=True) if not actor.is_admin else Q())
        .select_related("request", "unit")
        .order_by("-tier", "due_at")
    )
    return {"awaiting_assignment": awaiting.order_by("due_at", "id"), "escalations": alerts}


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
