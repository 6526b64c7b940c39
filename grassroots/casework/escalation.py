"""Reminders before a deadline and escalation after it, up the unit tree. Idempotent: each alert is
written once (a unique constraint), so the tick can run every few minutes from cron or a worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from grassroots.common.audit import AuditRecord, audit_append, audit_record
from grassroots.common.errors import Forbidden, NotFound
from grassroots.common.scoping import Actor, as_actor
from grassroots.workforce.models import Unit

from .models import AlertKind, ClockAlert, DeadlinePolicy, Request, RequestUnit, Risk, UnitRole
from .services import policy_for
from .workflow import OPEN

MAX_TIER = 3  # village/tribunal → township/court → county leadership


@dataclass
class TickReport:
    reminders: int = 0
    escalations: int = 0
    checked: int = 0


def _unit_chain(request: Request, leads: dict[int, Unit], units_by_code: dict[str, Unit]) -> list[Unit]:
    """The lead unit and its ancestors, nearest first (the escalation ladder)."""
    lead = leads.get(request.pk)
    if lead is None:
        return []
    codes = [c for c in lead.path.split("/") if c]
    return [units_by_code[c] for c in reversed(codes) if c in units_by_code]


def clock_tick(*, now: datetime | None = None) -> TickReport:
    now = now or timezone.now()
    report = TickReport()
    horizon = now + timedelta(
        hours=max(DeadlinePolicy.objects.values_list("remind_before_hours", flat=True), default=24)
    )
    candidates = list(
        Request.objects.filter(
            status__in=OPEN, is_paused=False, due_at__isnull=False, due_at__lte=horizon
        ).select_related("category")
    )
    report.checked = len(candidates)
    if not candidates:
        return report
    leads = {
        link.request_id: link.unit
        for link in RequestUnit.objects.filter(
            request__in=candidates, role=UnitRole.LEAD, is_active=True
        ).select_related("unit")
    }
    ancestor_codes = {c for unit in leads.values() for c in unit.path.split("/") if c}
    units_by_code = {u.code: u for u in Unit.objects.filter(code__in=ancestor_codes)}
    policies: dict[tuple, DeadlinePolicy | None] = {}
    alerts: list[ClockAlert] = []
    tiers: dict[int, int] = {}
    for request in candidates:
        key = (request.kind, request.urgency, request.channel, request.category_id)
        if key not in policies:
            policies[key] = policy_for(
                kind=request.kind, urgency=request.urgency, channel=request.channel, category=request.category
            )
        policy = policies[key]
        remind = timedelta(hours=policy.remind_before_hours if policy else 24)
        every = timedelta(hours=max(policy.escalate_every_hours if policy else 24, 1))
        chain = _unit_chain(request, leads, units_by_code)
        if request.due_at > now:
            if request.due_at - remind <= now:
                alerts.append(
                    ClockAlert(
                        request=request,
                        kind=AlertKind.REMINDER,
                        tier=0,
                        unit=chain[0] if chain else None,
                        due_at=request.due_at,
                        created_at=now,
                    )
                )
            continue
        overdue_steps = int((now - request.due_at) / every) + 1
        tier = min(overdue_steps + (1 if request.risk == Risk.RED else 0), MAX_TIER)
        for level in range(1, tier + 1):
            target = chain[min(level, len(chain) - 1)] if chain else None
            alerts.append(
                ClockAlert(
                    request=request,
                    kind=AlertKind.ESCALATION,
                    tier=level,
                    unit=target,
                    due_at=request.due_at,
                    created_at=now,
                )
            )
        tiers[request.pk] = tier
    with transaction.atomic():
        existing = set(
            ClockAlert.objects.filter(request__in=candidates)
            .filter(Q(kind=AlertKind.REMINDER) | Q(kind=AlertKind.ESCALATION))
            .values_list("request_id", "kind", "tier", "due_at")
        )
        new = [a for a in alerts if (a.request_id, a.kind, a.tier, a.due_at) not in existing]
        ClockAlert.objects.bulk_create(new, ignore_conflicts=True)
        for request_id, tier in tiers.items():
            Request.objects.filter(pk=request_id, escalation_tier__lt=tier).update(escalation_tier=tier)
        audit_append(
            actor=None,
            records=[
                AuditRecord(
                    action=f"request.{a.kind}",
                    object_type="casework.request",
                    object_id=str(a.request_id),
                    data={
                        "tier": a.tier,
                        "unit": a.unit.code if a.unit else None,
                        "due_at": a.due_at.isoformat(),
                    },
                )
                for a in new
            ],
        )
    report.reminders = sum(1 for a in new if a.kind == AlertKind.REMINDER)
    report.escalations = sum(1 for a in new if a.kind == AlertKind.ESCALATION)
    return report


def clock_alert_acknowledge(*, actor: Actor | Any, alert: ClockAlert, note: str = "") -> ClockAlert:
    """A leader (or the handling unit) takes note of a reminder or escalation; recorded once."""
    actor = as_actor(actor)
    if not Request.objects.visible_to(actor).filter(pk=alert.request_id).exists():
        raise NotFound()
    if not (actor.is_admin or actor.is_staff_officer):
        raise Forbidden("Your role may not acknowledge alerts")
    with transaction.atomic():
        locked = ClockAlert.objects.select_for_update().get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            return locked
        locked.acknowledged_by = actor.user
        locked.acknowledged_at = timezone.now()
        locked.save(update_fields=["acknowledged_by", "acknowledged_at"])
        # The lower tiers of the same escalation are taken note of with it.
        lower = ClockAlert.objects.filter(
            request_id=locked.request_id,
            kind=locked.kind,
            tier__lt=locked.tier,
            acknowledged_at__isnull=True,
        )
        lower_ids = list(lower.values_list("id", flat=True))
        lower.update(acknowledged_by=actor.user, acknowledged_at=locked.acknowledged_at)
        audit_record(
            actor=actor,
            action="request.alert_acknowledge",
            obj=locked.request,
            data={
                "alert": locked.pk,
                "kind": locked.kind,
                "tier": locked.tier,
                "note": note,
                "with_lower_tiers": lower_ids,
            },
        )
    return locked
