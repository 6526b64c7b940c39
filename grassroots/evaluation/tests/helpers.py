"""Building a record to evaluate: historical requests through casework's bulk writer (the same rows the
workflow leaves behind), and a scheme and run through the evaluation services."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from grassroots.casework.history import HistoricalFollowUp, HistoricalRequest, requests_write_history
from grassroots.evaluation.definition import DEFAULT_DEFINITION
from grassroots.evaluation.models import EvaluationRun
from grassroots.evaluation.services import (
    run_create,
    run_publish,
    run_start,
    scheme_create,
    scheme_version_activate,
)

_serial = itertools.count(1)


def history(
    *,
    officer: Any,
    unit: Any,
    region: Any,
    created: datetime,
    status: str = "closed",
    kind: str = "complaint",
    channel: str = "hotline",
    days: float = 1.0,
    satisfaction: str = "satisfied",
    follow_up_by: Any = None,
    reopened: bool = False,
    outcome: str = "",
    handler_user: Any = None,
    **extra: Any,
) -> HistoricalRequest:
    """One historical request handled by ``officer``: resolved ``days`` after registration; closed after a
    follow-up by ``follow_up_by`` (a user) with ``satisfaction``; ``reopened`` adds a dissatisfied first
    follow-up, a second resolution and a satisfied second follow-up."""
    n = next(_serial)
    resolved = created + timedelta(days=days)
    record = HistoricalRequest(
        kind=kind,
        channel=channel,
        title=f"诉求{n}",
        description="测试诉求",
        region_id=region.id,
        created_at=created,
        status=status,
        record_id=f"eval-{n}",
        reporter_name="测试人",
        lead_unit_id=unit.id,
        assignee_id=officer.id,
        handler_user_id=getattr(handler_user, "id", None),
        **extra,
    )
    if status in ("resolved", "follow_up", "closed", "reopened"):
        record.resolved_at = resolved
        record.outcome = outcome or ("agreement" if kind == "dispute" else "fulfilled")
    caller = getattr(follow_up_by, "id", None)
    if status == "closed":
        if reopened:
            first = resolved + timedelta(hours=6)
            again = first + timedelta(days=1)
            record.follow_ups = [
                HistoricalFollowUp(at=first, satisfaction="dissatisfied", comment="没解决", by_id=caller),
                HistoricalFollowUp(at=again + timedelta(hours=2), satisfaction="satisfied", by_id=caller),
            ]
            record.resolved_at = again
            record.closed_at = again + timedelta(hours=2, minutes=5)
        else:
            record.follow_ups = [
                HistoricalFollowUp(at=resolved + timedelta(hours=6), satisfaction=satisfaction, by_id=caller)
            ]
            record.closed_at = resolved + timedelta(hours=6, minutes=5)
    return record


def write(actor: Any, records: list[HistoricalRequest]) -> list[int]:
    return requests_write_history(actor=actor, records=records, source="evaluation-tests").ids


def active_scheme(actor: Any, definition: dict | None = None, code: str = "default") -> Any:
    version = scheme_create(
        actor=actor, code=code, name="考评方案", definition=definition or DEFAULT_DEFINITION
    )
    return scheme_version_activate(actor=actor, version=version)


def computed_run(
    actor: Any, version: Any, start: date, end: date, *, as_of: datetime | None = None, publish: bool = False
) -> EvaluationRun:
    run = run_create(
        actor=actor, scheme_version=version, period_start=start, period_end=end, as_of=as_of or timezone.now()
    )
    run = run_start(actor=actor, run=run, background=False)
    if publish:
        run = run_publish(actor=actor, run=run, expected_version=run.version)
    return run


def period_days_ago(days: int = 60) -> tuple[date, date]:
    today = timezone.localdate()
    return today - timedelta(days=days), today


def ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)
