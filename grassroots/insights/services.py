"""Insights writes: raising a warning (by the detection, as the system), acknowledging and closing it (by a
person). Each is one transaction with its audit entry; a person names the version they read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from grassroots.casework.models import Request
from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, FieldError, ValidationFailed
from grassroots.common.scoping import Actor, as_actor

from . import danger
from .models import EarlyWarning, WarningKind, WarningStatus
from .selectors import require_insights, warning_get


def warning_raise(
    *,
    actor: Actor | Any = None,
    kind: str,
    key: str,
    region: Any,
    facts: dict[str, Any],
    evidence: Iterable[Request] = (),
    severity: str = "medium",
    category: Any = None,
    grid: Any = None,
    request: Request | None = None,
) -> tuple[EarlyWarning, bool]:
    """Record a warning once per ``key``: returns ``(warning, created)``; an existing warning with the
    same key gains the new evidence and keeps its status (a closed matter is not raised again)."""
    if kind not in WarningKind.values:
        raise ValidationFailed(
            "Warning not raised", [FieldError("kind", "is not a warning kind", code="invalid")]
        )
    from grassroots.territory.services import region_county

    evidence = list(evidence)
    try:
        with transaction.atomic():
            warning, created = EarlyWarning.objects.select_for_update().get_or_create(
                key=key[:200],
                defaults={
                    "kind": kind,
                    "severity": severity,
                    "region": region,
                    "county": region_county(region),
                    "grid": grid,
                    "category": category,
                    "request": request,
                    "facts": facts,
                    "detected_at": timezone.now(),
                },
            )
            if evidence:
                warning.evidence.add(*evidence)
            if created:
                audit_record(
                    actor=actor,
                    action="warning.raise",
                    obj=warning,
                    data={
                        "kind": kind,
                        "key": warning.key,
                        "severity": severity,
                        "evidence": [r.pk for r in evidence],
                    },
                )
    except IntegrityError:
        # Raised at the same moment by another run: the first one stands.
        return EarlyWarning.objects.get(key=key[:200]), False
    return warning, created


def _locked(actor: Actor, warning: EarlyWarning, version: int) -> EarlyWarning:
    warning_get(actor=actor, pk=warning.pk)  # 404 when out of scope
    locked = EarlyWarning.objects.select_for_update().get(pk=warning.pk)
    if locked.version != version:
        raise Conflict("This warning was changed by someone else; reload it")
    return locked


def warning_acknowledge(
    *, actor: Actor | Any, warning: EarlyWarning, version: int, note: str = ""
) -> EarlyWarning:
    """A person has seen the warning and takes it on."""
    actor = require_insights(as_actor(actor))
    with transaction.atomic():
        locked = _locked(actor, warning, version)
        if locked.status != WarningStatus.OPEN:
            raise ValidationFailed(
                "Warning not acknowledged",
                [FieldError("status", "only an open warning can be acknowledged", code="invalid")],
            )
        locked.status = WarningStatus.ACKNOWLEDGED
        locked.acknowledged_by = actor.user
        locked.acknowledged_at = timezone.now()
        if note.strip():
            locked.note = _append(locked.note, note)
        locked.version += 1
        locked.save()
        audit_record(actor=actor, action="warning.acknowledge", obj=locked, data={"note": note.strip()})
    return locked


def warning_close(*, actor: Actor | Any, warning: EarlyWarning, version: int, note: str) -> EarlyWarning:
    """Close a warning with what was done (a note is required). An open warning is acknowledged at once."""
    actor = require_insights(as_actor(actor))
    if not (note or "").strip():
        raise ValidationFailed("Warning not closed", [FieldError("note", "is required", code="required")])
    with transaction.atomic():
        locked = _locked(actor, warning, version)
        if locked.status == WarningStatus.CLOSED:
            raise ValidationFailed(
                "Warning not closed", [FieldError("status", "is already closed", code="invalid")]
            )
        now = timezone.now()
        if locked.acknowledged_at is None:
            locked.acknowledged_by, locked.acknowledged_at = actor.user, now
        locked.status = WarningStatus.CLOSED
        locked.closed_by, locked.closed_at = actor.user, now
        locked.note = _append(locked.note, note)
        locked.version += 1
        locked.save()
        audit_record(actor=actor, action="warning.close", obj=locked, data={"note": note.strip()})
    return locked


def _append(existing: str, note: str) -> str:
    return f"{existing}\n{note.strip()}".strip()


def danger_check(*, request: Request, today: Any = None) -> EarlyWarning | None:
    """Read a new request's text for danger signals and raise a warning at once when one is found."""
    signals = danger.detect(f"{request.title}\n{request.description}")
    if not signals:
        return None
    today = today or timezone.localdate()
    severity = danger.severity_of(signals, today)
    facts = {
        "signals": [s.code for s in signals],
        "phrases": sorted({p for s in signals for p in s.phrases}),
        "before_holiday": danger.before_holiday(today),
    }
    warning, _ = warning_raise(
        kind=WarningKind.DANGER,
        key=f"danger:{request.pk}",
        region=request.region,
        grid=request.grid,
        category=request.category,
        request=request,
        facts=facts,
        evidence=[request],
        severity=severity,
    )
    return warning
