"""Insights reads, scoped: the dashboard, the list behind each figure, coverage, warnings and their record.

Leaders and officers see the requests in their scope (``Request.visible_to``: a leader the jurisdiction of
the units they lead, an officer their unit's area and grids); administrators everything. HR and residents
have no insights: every read answers 404 for them, as for something that does not exist. A region or unit
filter outside the reader's scope answers 404 too, exactly like one that does not exist.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_noop

from grassroots.casework.models import Category, Channel, Request
from grassroots.common.errors import FieldError, ValidationFailed
from grassroots.common.models import AuditEntry
from grassroots.common.queries import many_ids
from grassroots.common.scoping import Actor, as_actor, get_visible_or_404
from grassroots.territory.models import Region
from grassroots.workforce.models import Unit

from . import figures, rollup
from .figures import DIMENSIONS, MEASURES, Filters
from .models import EarlyWarning, PlacePoint, Severity, WarningKind, WarningStatus

# Field names as the pages show them in error messages (the messages themselves are marked where raised).
FIELD_NAMES = (
    gettext_noop("start"),
    gettext_noop("end"),
    gettext_noop("category"),
    gettext_noop("channel"),
    gettext_noop("measure"),
    gettext_noop("dimension"),
    gettext_noop("key"),
    gettext_noop("note"),
    gettext_noop("status"),
)
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
        errors.append(FieldError(name, gettext_noop("is not a date (YYYY-MM-DD)"), code="invalid"))
        return None


def parse_filters(actor: Actor | Any, params: dict[str, Any], today: date | None = None) -> Filters:
    """Filters from query parameters: ``start``/``end`` (dates, default the last 30 days), ``region``,
    ``unit`` (ids, in the reader's scope: 404 otherwise, as for a missing one), ``category`` (id) and
    ``channel``. Bad values raise ``ValidationFailed`` naming the field."""
    actor = require_insights(actor)
    today = today or timezone.localdate()
    errors: list[FieldError] = []
    end = _date(params["end"], "end", errors) if params.get("end") else today
    start = _date(params["start"], "start", errors) if params.get("start") else None
    if end and start is None and not any(e.field == "start" for e in errors):
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start and end:
        if start > end:
            errors.append(FieldError("start", gettext_noop("is after the end date"), code="invalid"))
        elif (end - start).days >= MAX_DAYS:
            errors.append(
                FieldError("start", gettext_noop("the period may span at most three years"), code="invalid")
            )
    found: dict[str, Any] = {}
    for name, qs in (("region", Region.objects.visible_to(actor)), ("unit", Unit.objects.visible_to(actor))):
        raw = params.get(name)
        if raw in (None, ""):
            continue
        obj = qs.filter(pk=raw).first() if str(raw).isdigit() else None
        if obj is None:
            raise Http404  # out of scope answers exactly like missing
        found[name] = obj
    raw = params.get("category")
    if raw not in (None, ""):
        category = Category.objects.filter(pk=raw).first() if str(raw).isdigit() else None
        if category is None:
            errors.append(FieldError("category", gettext_noop("does not exist"), code="not_found"))
        found["category"] = category
    channel = params.get("channel") or ""
    if channel and channel not in Channel.values:
        errors.append(FieldError("channel", gettext_noop("is not a channel"), code="invalid_choice"))
    if errors:
        raise ValidationFailed("Invalid filters", errors)
    return Filters(start=start, end=end, channel=channel, **found)


def scoped_requests(actor: Actor | Any, filters: Filters) -> QuerySet[Request]:
    actor = require_insights(actor)
    return figures.base_requests(Request.objects.visible_to(actor), filters)


def place_points(region_ids: set[int]) -> dict[int, tuple[float, float]]:
    rows = PlacePoint.objects.filter(region_id__in=many_ids(region_ids)).values_list(
        "region_id", "latitude", "longitude"
    )
    return {pk: (lat, lon) for pk, lat, lon in rows}


def _previous_places(before: dict[str, list[dict]], current: figures.Places) -> figures.Places:
    """Townships and top categories of the previous period's keys (loaded only for keys not seen now)."""
    regions = {r["region_id"] for r in before["place"]} - set(current.regions)
    categories = {r["category_id"] for r in before["category"] if r["category_id"]} - set(current.categories)
    if not regions and not categories:
        return current
    return current.extended(regions, categories)


def _aggregate(
    actor: Actor,
    filters: Filters,
    now: datetime,
    sets: tuple[str, ...],
    measures: tuple[str, ...] = tuple(MEASURES),
) -> dict[str, list[dict]]:
    """``figures.aggregate`` of the actor's requests, read from the kept roll-up where it can serve them."""
    if rollup.usable(actor, filters):
        return rollup.aggregate(filters, now, sets, measures)
    return figures.aggregate(scoped_requests(actor, filters), now, sets=sets, measures=measures)


def dashboard(
    *, actor: Actor | Any, filters: Filters, now: datetime | None = None, with_coverage: bool = True
) -> dict[str, Any]:
    """Every figure of the dashboard for these filters, each with its sample size; the totals of the
    previous period of the same length beside each breakdown row. ``with_coverage=False`` leaves the
    visit coverage out (the page loads it separately, see ``coverage``)."""
    actor = require_insights(actor)
    now = now or timezone.now()
    sets = _aggregate(actor, filters, now, sets=figures.sets_for(filters))
    before = _aggregate(
        actor,
        filters.previous(),
        now,
        sets=("all", "category", "place", "channel", "unit"),
        measures=("total",),
    )
    places = figures.Places(
        {r["region_id"] for r in sets["place"]},
        {r["category_id"] for r in sets["category"] if r["category_id"]},
        {r["grid_id"] for r in sets["place"] if r["grid_id"]},
    )
    counts = sets["all"][0]
    tables = figures.breakdowns(sets, places)
    previous = figures.breakdowns(before, _previous_places(before, places), named=False, measures=("total",))
    for code, rows in tables.items():
        figures.compare(rows, previous.get(code, []))
    heat = figures.heat(sets, places, place_points({r["region_id"] for r in sets["place"]}))
    cover = (
        coverage(actor=actor, region=filters.region, as_of=min(filters.end, timezone.localdate()))
        if with_coverage
        else None
    )
    by_village = cover["by_village"] if cover else {}
    for row in heat:
        village = by_village.get(row["region_id"])
        row["coverage"] = village.coverage if village else None
    warnings = warning_list(actor=actor, status=WarningStatus.OPEN)
    return {
        "filters": filters,
        "counts": counts,
        "previous_total": before["all"][0]["total"],
        "rates": figures.rates(counts),
        "breakdowns": {code: tables[code] for code in figures.BREAKDOWNS},
        "villages": tables["region"],
        "daily": figures.daily(sets, filters),
        "trend": figures.trend_by_category(sets, places, filters),
        "heat": heat,
        "coverage": cover["total"] if cover else None,
        "open_warnings": warnings.count(),
        "urgent_warnings": list(
            warnings.filter(severity=Severity.HIGH, kind__in=[WarningKind.DANGER, WarningKind.GROUP])[:5]
        ),
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
        errors.append(FieldError("measure", gettext_noop("is not a measure"), code="invalid_choice"))
    if dimension and dimension not in DIMENSIONS:
        errors.append(FieldError("dimension", gettext_noop("is not a dimension"), code="invalid_choice"))
    elif dimension and not figures._none_key(key):
        kind = DIMENSIONS[dimension].key_kind
        if kind == "date":
            try:
                date.fromisoformat(key)
            except ValueError:
                errors.append(FieldError("key", gettext_noop("is not a date (YYYY-MM-DD)"), code="invalid"))
        elif kind == "id" and not key.isdigit():
            errors.append(FieldError("key", gettext_noop("is not an id"), code="invalid"))
        elif kind == "place" and not re.fullmatch(r"\d+-(\d+|None)", key):
            errors.append(FieldError("key", gettext_noop("is not a place (village-grid)"), code="invalid"))
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


# -------------------------------------------------------------------------------------------- coverage


def coverage(*, actor: Actor | Any, region: Region | None = None, as_of: date | None = None) -> dict | None:
    """Visit coverage of assigned liaisons (走访覆盖率) on ``as_of``, exactly as the outreach app defines
    and reports it (``outreach.selectors.coverage_report``, from its due lists where generated): the total
    with its Wilson interval, and the rows per village. Narrowed to ``region`` when given; None when
    nothing in scope carries a visit duty."""
    from grassroots.outreach import coverage as cov
    from grassroots.outreach.selectors import coverage_report

    actor = require_insights(actor)
    as_of = as_of or timezone.localdate()
    rows = coverage_report(actor=actor, group="village", as_of=as_of)
    if region is not None:
        inside = set(
            Region.objects.filter(pk__in=[r.key for r in rows], path__startswith=region.path).values_list(
                "pk", flat=True
            )
        )
        rows = [r for r in rows if r.key in inside]
    total = cov.coverage_total(rows)
    if not total.assigned:
        return None
    interval = figures.wilson(total.covered, total.assigned)
    return {
        "total": {
            "assigned": total.assigned,
            "covered": total.covered,
            "overdue": total.overdue,
            "pending": total.pending,
            "rate": total.coverage,
            "low": interval[0],
            "high": interval[1],
            "as_of": as_of,
        },
        "by_village": {row.key: row for row in rows},
    }


# -------------------------------------------------------------------------------------------- warnings


def warning_list(*, actor: Actor | Any, status: str = "", kind: str = "") -> QuerySet[EarlyWarning]:
    actor = require_insights(actor)
    qs = EarlyWarning.objects.visible_to(actor).select_related("region", "category", "request")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    # Open before acknowledged before closed, high severity first, newest first.
    rank = Case(
        When(status=WarningStatus.OPEN, then=Value(0)),
        When(status=WarningStatus.ACKNOWLEDGED, then=Value(1)),
        default=Value(2),
    )
    high_first = Case(When(severity=Severity.HIGH, then=Value(0)), default=Value(1))
    return qs.annotate(_rank=rank, _severity=high_first).order_by("_rank", "_severity", "-detected_at", "-id")


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


def warning_history(*, actor: Actor | Any, warning: EarlyWarning) -> QuerySet[AuditEntry]:
    """The warning's record from the audit log: raised, escalated, evidence added, acknowledged, closed."""
    require_insights(actor)
    return AuditEntry.objects.filter(
        object_type=EarlyWarning._meta.label_lower, object_id=str(warning.pk), action__startswith="warning."
    ).order_by("id")
