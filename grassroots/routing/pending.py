"""Routing the requests nobody categorised at intake (public web, hotline, Open311): ``route_pending``.

For every open request without a category and without a stored suggestion, suggest and store the
suggestion. When the model (not the rules alone) is at least ``threshold`` confident and its label maps to
a category, apply the category and the category's responsible unit as lead unit through
``request_categorise`` (recorded as an automatic decision by the system); otherwise the suggestion waits for
the leader's assignment queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from grassroots.casework.categorise import ROUTABLE_STATUSES, SYSTEM, request_categorise
from grassroots.casework.models import Kind, Request
from grassroots.common.errors import DomainError

from .models import Mode, RoutingSuggestion, Screen, Task
from .services import suggestion_record
from .serving import suggest

logger = logging.getLogger(__name__)
DEFAULT_AUTO_APPLY = 0.8


@dataclass
class PendingReport:
    checked: int = 0
    suggested: int = 0
    applied: int = 0
    left: int = 0
    skipped: int = 0
    mode: str = ""


def auto_apply_threshold() -> float:
    return float(getattr(settings, "ROUTING_AUTO_APPLY", DEFAULT_AUTO_APPLY))


def pending_requests(*, again: bool = False):  # type: ignore[no-untyped-def]
    qs = Request.objects.filter(category__isnull=True, status__in=ROUTABLE_STATUSES, matter__isnull=True)
    if not again:
        suggested = RoutingSuggestion.objects.filter(task=Task.CATEGORY).values("request_id")
        qs = qs.exclude(id__in=suggested)
    return qs.order_by("created_at", "id")


def route_pending(
    *,
    threshold: float | None = None,
    limit: int | None = None,
    again: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> PendingReport:
    threshold = auto_apply_threshold() if threshold is None else threshold
    report = PendingReport()
    ids = list(pending_requests(again=again).values_list("id", flat=True)[:limit])
    for number, pk in enumerate(ids, start=1):
        report.checked += 1
        try:
            _route_one(pk, threshold, report)
        except DomainError as error:
            # Changed by someone meanwhile (a conflict) or no longer routable: the next run looks again.
            logger.info("route_pending: request %s left: %s", pk, error.message)
            report.skipped += 1
        if progress is not None:
            progress(number, len(ids))
    return report


def _route_one(pk: int, threshold: float, report: PendingReport) -> None:
    with transaction.atomic():
        item = Request.objects.select_for_update(of=("self",)).get(pk=pk)
        if item.category_id is not None:
            return
        result = suggest(Task.CATEGORY, title=item.title, body=item.description)
        report.mode = result.mode
        stored = suggestion_record(request=item, result=result)
        dispute = None
        if item.kind == Kind.DISPUTE and not item.dispute_type:
            dispute = suggest(Task.DISPUTE_TYPE, title=item.title, body=item.description)
            suggestion_record(request=item, result=dispute)
        if stored is None:
            report.left += 1
            return
        report.suggested += 1
        top = result.labels[0]
        if result.mode != Mode.MODEL or top.confidence < threshold or top.category is None:
            report.left += 1
            return
        dispute_type = None
        if dispute and dispute.mode == Mode.MODEL and dispute.labels:
            first = dispute.labels[0]
            if first.confidence >= threshold and first.dispute_type:
                dispute_type = first.dispute_type
        request_categorise(
            actor=SYSTEM,
            request=item,
            category=top.category,
            dispute_type=dispute_type,
            version=item.version,
            lead_unit=top.unit,
            screen=Screen.BATCH,
            automatic=True,
        )
        report.applied += 1
