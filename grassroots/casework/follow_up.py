"""Follow-up (回访): independent of the resolver; a satisfied answer closes, dissatisfaction reopens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from grassroots.common.audit import AuditRecord, audit_append, audit_record
from grassroots.common.errors import FieldError, ValidationFailed
from grassroots.common.scoping import Actor, as_actor

from .models import AlertKind, ClockAlert, FollowUp, Request, RequestUnit, Satisfaction, UnitRole
from .services import MAX_UNREACHED_ATTEMPTS, InvalidTransition, request_transition
from .workflow import Action, Status

AWAITING = (Status.RESOLVED, Status.FOLLOW_UP)


def follow_up_record(
    *,
    actor: Actor | Any,
    request: Request,
    reached: bool,
    satisfaction: str = "",
    comment: str = "",
    mode: str = "phone",
) -> FollowUp:
    """Record one follow-up attempt and move the request on: closed when satisfied, reopened (with the
    comment as the reason) when dissatisfied, still awaiting follow-up when the reporter was not reached."""
    actor = as_actor(actor)
    errors = []
    if reached and satisfaction not in Satisfaction.values:
        errors.append(FieldError("satisfaction", f"must be one of {', '.join(Satisfaction.values)}"))
    if not reached and satisfaction:
        errors.append(FieldError("satisfaction", "is only given when the reporter was reached"))
    if satisfaction == Satisfaction.DISSATISFIED and not comment.strip():
        errors.append(FieldError("comment", "say why the reporter is dissatisfied", code="required"))
    if mode not in ("phone", "visit", "message"):
        errors.append(FieldError("mode", "must be phone, visit or message"))
    if errors:
        raise ValidationFailed("Follow-up not recorded", errors)
    with transaction.atomic():
        current = Request.objects.get(pk=request.pk)
        if current.status == Status.RESOLVED:
            current = request_transition(actor=actor, request=current, action=Action.SCHEDULE_FOLLOW_UP)
        if current.status != Status.FOLLOW_UP:
            raise InvalidTransition(f"A request that is {current.status} is not awaiting follow-up")
        follow_up = FollowUp.objects.create(
            request=current,
            by=actor.user,
            at=timezone.now(),
            mode=mode,
            reached=reached,
            satisfaction=satisfaction if reached else "",
            comment=comment.strip(),
        )
        audit_record(
            actor=actor,
            action="request.follow_up",
            obj=current,
            data={"reached": reached, "satisfaction": satisfaction, "mode": mode},
        )
        if reached and satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASICALLY):
            request_transition(actor=actor, request=current, action=Action.CLOSE)
        elif satisfaction == Satisfaction.DISSATISFIED:
            request_transition(
                actor=actor, request=current, action=Action.REOPEN_DISSATISFIED, reason=comment.strip()
            )
        elif (
            FollowUp.objects.filter(request=current, reached=False, at__gte=_resolved_at(current)).count()
            >= MAX_UNREACHED_ATTEMPTS
        ):
            request_transition(actor=actor, request=current, action=Action.CLOSE)
    return follow_up


def _resolved_at(request: Request) -> Any:
    return (
        request.events.filter(action=Action.RESOLVE)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )


@dataclass
class FollowUpTickReport:
    checked: int = 0
    reminders: int = 0


def follow_up_tick(*, now: datetime | None = None) -> FollowUpTickReport:
    """Write one "follow-up overdue" alert, to the lead unit, for every resolved request whose follow-up
    (scheduled by the rule at resolution) is past due. Idempotent like the deadline alerts."""
    now = now or timezone.now()
    overdue = list(
        Request.objects.filter(
            status__in=AWAITING, follow_up_due_at__isnull=False, follow_up_due_at__lt=now, matter__isnull=True
        ).only("id", "follow_up_due_at")
    )
    report = FollowUpTickReport(checked=len(overdue))
    if not overdue:
        return report
    leads = dict(
        RequestUnit.objects.filter(request__in=overdue, role=UnitRole.LEAD, is_active=True).values_list(
            "request_id", "unit_id"
        )
    )
    with transaction.atomic():
        existing = set(
            ClockAlert.objects.filter(request__in=overdue, kind=AlertKind.FOLLOW_UP).values_list(
                "request_id", "due_at"
            )
        )
        new = [
            ClockAlert(
                request_id=r.pk,
                kind=AlertKind.FOLLOW_UP,
                tier=0,
                unit_id=leads.get(r.pk),
                due_at=r.follow_up_due_at,
                created_at=now,
            )
            for r in overdue
            if (r.pk, r.follow_up_due_at) not in existing
        ]
        ClockAlert.objects.bulk_create(new, ignore_conflicts=True)
        audit_append(
            actor=None,
            records=[
                AuditRecord(
                    action="request.follow_up_overdue",
                    object_type="casework.request",
                    object_id=str(a.request_id),
                    data={"due_at": a.due_at.isoformat()},
                )
                for a in new
            ],
        )
    report.reminders = len(new)
    return report
