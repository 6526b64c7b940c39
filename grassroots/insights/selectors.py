"""Insights reads, scoped: the dashboard, the list behind each figure, warnings and the digest's facts.

Leaders and officers see the requests in their scope (``Request.visible_to``: a leader the jurisdiction of
the units they lead, an officer their unit's area and grids); administrators everything. HR and residents
have no insights: every read answers 404 for them, as for something that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from grassroots.casework.models import Category, Channel, Request
from grassroots.common.errors import FieldError, ValidationFailed
from grassroots.common.scoping import Actor, as_actor, get_visible_or_404
from grassroots.territory.models import Region
from grassroots.workforce.models import Unit

from . import figures
from .figures import DIMENSIONS, MEASURES, Filters
from .models import EarlyWarning, WarningStatus

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


def require_insights(actor: Actor | Any) -> Actor:
    """Officers, leaders and administrators; anyone else gets 404 (insights do not exist for them)."""
    actor = as_actor(actor)
    if not (actor.is_admin or actor.is_staff_officer):
        raise Http404
    return actor


def _date(value: str, name: str, errors: list[FieldError]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(FieldError(name, "is not a date (YYYY-MM-DD)", code="invalid"))
        return None


def parse_filters(actor: Actor | Any, params: dict[str, Any], today: date | None = None) -> Filters:
    """Filters from query parameters: ``start``/``end`` (dates, default the last 30 days), ``region``,
    ``unit``, ``category`` (ids; a region or unit outside the actor's scope is refused like a missing
    one) and ``channel``. Bad values raise ``ValidationFailed`` naming the field."""
    actor = require_insights(actor)
    today = today or timezone.localdate()
    errors: list[FieldError] = []
    end = _date(params["end"], "end", errors) if params.get("end") else today
    start = _date(params["start"], "start", errors) if params.get("start") else None
    if end and start is None and not any(e.field == "start" for e in errors):
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start and end:
        if start > end:
            errors.append(FieldError("start", "is after the end date", code="invalid"))
        elif (end - start).days > MAX_DAYS:
            errors.append(FieldError("start", f"the period may span at most {MAX_DAYS} days", code="invalid"))
    found: dict[str, Any] = {}
    sources = {
        "region": Region.objects.visible_to(actor),
        "unit": Unit.objects.visible_to(actor),
        "category": Category.objects.all(),
    }
    for name, qs in sources.items():
        raw = params.get(name)
        if raw in (None, ""):
            continue
        obj = qs.filter(pk=raw).first() if str(raw).isdigit() else None
        if obj is None:
            errors.append(FieldError(name, "does not exist or is out of scope", code="not_found"))
        found[name] = obj
    channel = params.get("channel") or ""
    if channel and channel not in Channel.values:
        errors.append(FieldError("channel", "is not a channel", code="invalid_choice"))
    if errors:
        raise ValidationFailed("Invalid filters", errors)
    return Filters(start=start, end=end, channel=channel, **found)


def scoped_requests(actor: Actor | Any, filters: Filters) -> QuerySet[Request]:
    actor = require_insights(actor)
    return figures.base_requests(Request.objects.visible_to(actor), filters)


def trend_by_category(qs: QuerySet[Request]) -> dict[str, Any]:
    """Weekly request counts per top-level category (weeks start on Monday)."""
    rows = (
        qs.order_by()
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("category__path", "day")
        .annotate(n=Count("id"))
    )
    tops = {c.path: c for c in Category.objects.filter(parent__isnull=True)}
    weekly: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    weeks: set[date] = set()
    for row in rows:
        path = row["category__path"] or ""
        top = tops.get(path.split("/")[0] + "/") if path else None
        name = top.name if top else "—"
        week = row["day"] - timedelta(days=row["day"].weekday())
        weekly[name][week] += row["n"]
        weeks.add(week)
    axis = sorted(weeks)
    series = sorted(
        ({"name": name, "data": [counts.get(w, 0) for w in axis]} for name, counts in weekly.items()),
        key=lambda s: -sum(s["data"]),
    )
    return {"weeks": [w.isoformat() for w in axis], "series": series}


def dashboard(*, actor: Actor | Any, filters: Filters, now: datetime | None = None) -> dict[str, Any]:
    """Every figure of the dashboard for these filters, each with its sample size."""
    now = now or timezone.now()
    qs = scoped_requests(actor, filters)
    counts = figures.totals(qs, now)
    return {
        "filters": filters,
        "counts": counts,
        "rates": figures.rates(counts),
        "breakdowns": {
            code: figures.breakdown(qs, code, now) for code in ("category", "channel", "unit", "grid")
        },
        "daily": figures.breakdown(qs, "day", now, measures=("total", "resolved")),
        "trend": trend_by_category(qs),
        "heat": figures.heat(qs, now),
        "coverage": coverage(actor=actor),
        "open_warnings": warning_list(actor=actor, status=WarningStatus.OPEN).count(),
    }


def drill_list(
    *,
    actor: Actor | Any,
    filters: Filters,
    measure: str,
    dimension: str = "",
    key: str = "",
    now: datetime | None = None,
) -> QuerySet[Request]:
    """The requests behind one figure of ``dashboard`` (same filters, same condition, same key)."""
    errors = []
    if measure not in MEASURES:
        errors.append(FieldError("measure", "is not a measure", code="invalid_choice"))
    if dimension and dimension not in DIMENSIONS:
        errors.append(FieldError("dimension", "is not a dimension", code="invalid_choice"))
    if dimension == "day" and key:
        try:
            date.fromisoformat(key)
        except ValueError:
            errors.append(FieldError("key", "is not a date (YYYY-MM-DD)", code="invalid"))
    elif (
        dimension in ("category", "region", "grid", "unit") and key not in ("", "None") and not key.isdigit()
    ):
        errors.append(FieldError("key", "is not an id", code="invalid"))
    if errors:
        raise ValidationFailed("Invalid drill-down", errors)
    qs = figures.drill(
        scoped_requests(actor, filters),
        measure=measure,
        now=now or timezone.now(),
        dimension=dimension,
        key=key,
    )
    return qs.select_related("region", "category", "grid").order_by("-created_at", "-id")


def coverage(*, actor: Actor | Any) -> dict[str, Any] | None:
    """Coverage of assigned households (走访覆盖率) from the outreach app, or None where it is not
    available. This is the dashboard's only dependency on outreach."""
    try:
        from grassroots.outreach import selectors as outreach_selectors
    except ImportError:
        return None
    compute = getattr(outreach_selectors, "coverage", None) or getattr(
        outreach_selectors, "coverage_summary", None
    )
    if compute is None:
        return None
    return compute(actor=actor)


def warning_list(*, actor: Actor | Any, status: str = "", kind: str = "") -> QuerySet[EarlyWarning]:
    actor = require_insights(actor)
    qs = EarlyWarning.objects.visible_to(actor).select_related("region", "category", "request")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("status", "-severity", "-detected_at", "-id")


def warning_get(*, actor: Actor | Any, pk: Any) -> EarlyWarning:
    actor = require_insights(actor)
    qs = EarlyWarning.objects.visible_to(actor).select_related(
        "region", "category", "request", "acknowledged_by", "closed_by"
    )
    return get_visible_or_404(qs, pk=pk)


def warning_evidence(*, actor: Actor | Any, warning: EarlyWarning) -> QuerySet[Request]:
    """The requests behind a warning that the actor may see."""
    actor = require_insights(actor)
    return (
        Request.objects.visible_to(actor)
        .filter(pk__in=warning.evidence.values("pk"))
        .select_related("region", "category")
        .order_by("-created_at")
    )
