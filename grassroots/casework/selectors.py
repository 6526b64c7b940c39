"""Casework reads, scoped and joined."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from grassroots.common.scoping import Actor, get_visible_or_404

from .models import Request, RequestEvent, RequestUnit


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
