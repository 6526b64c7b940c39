"""The dashboard's figures, defined once for both the aggregate and the list behind it.

Every measure is a condition on a request (``MEASURES``) and every breakdown a dimension with a key
(``DIMENSIONS``): the figure is ``Count(filter=condition)`` over the filtered requests grouped by the
dimension, and its drill-down is the same requests filtered by the same condition and key, so the two
always agree. Linked duplicates (并单) are counted once: only a matter's root request is counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.casework.models import Category, FollowUp, Request, RequestEvent, RequestUnit, Satisfaction
from grassroots.casework.workflow import OPEN, TERMINAL, Status
from grassroots.territory.models import Region, RegionLevel
from grassroots.workforce.models import Unit

RESOLVED = (Status.RESOLVED, Status.FOLLOW_UP, Status.CLOSED)


def _resolved_on_time() -> Exists:
    return Exists(
        RequestEvent.objects.filter(request=OuterRef("pk"), action="resolve", at__lte=OuterRef("due_at"))
    )


def _followed(satisfied: bool) -> Exists:
    qs = FollowUp.objects.filter(request=OuterRef("pk"), reached=True)
    if satisfied:
        qs = qs.filter(satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY])
    return Exists(qs)


@dataclass(frozen=True)
class Measure:
    code: str
    label: Any
    condition: Callable[[datetime], Q]


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure("total", _("Requests"), lambda now: Q()),
        Measure("responded", _("Responded"), lambda now: ~Q(status=Status.REGISTERED)),
        Measure("eligible", _("Accepted for handling"), lambda now: ~Q(status__in=TERMINAL)),
        Measure("resolved", _("Resolved"), lambda now: Q(status__in=RESOLVED)),
        Measure("open", _("Open"), lambda now: Q(status__in=OPEN)),
        Measure(
            "overdue",
            _("Overdue"),
            lambda now: Q(status__in=OPEN, is_paused=False, due_at__lt=now),
        ),
        Measure(
            "clocked", _("Resolved with a deadline"), lambda now: Q(status__in=RESOLVED, due_at__isnull=False)
        ),
        Measure(
            "on_time",
            _("Resolved on time"),
            lambda now: Q(_resolved_on_time(), status__in=RESOLVED, due_at__isnull=False),
        ),
        Measure("reopened", _("Reopened"), lambda now: Q(reopen_count__gt=0)),
        Measure("followed", _("Reached at follow-up"), lambda now: Q(_followed(False))),
        Measure("satisfied", _("Satisfied at follow-up"), lambda now: Q(_followed(True))),
    )
}

# Rates: (numerator, denominator).
RATES: dict[str, tuple[Any, str, str]] = {
    "response": (_("Response rate"), "responded", "total"),
    "resolution": (_("Resolution rate"), "resolved", "eligible"),
    "satisfaction": (_("Satisfaction rate"), "satisfied", "followed"),
    "on_time": (_("On-time completion"), "on_time", "clocked"),
    "reopen": (_("Reopen rate"), "reopened", "resolved"),
}
TABLE_MEASURES = ("total", "responded", "resolved", "open", "overdue", "satisfied", "followed")


@dataclass
class Filters:
    start: date
    end: date  # inclusive
    region: Region | None = None
    unit: Unit | None = None
    category: Category | None = None
    channel: str = ""

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    def as_query(self) -> dict[str, str]:
        query = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for name in ("region", "unit", "category"):
            value = getattr(self, name)
            if value is not None:
                query[name] = str(value.pk)
        if self.channel:
            query["channel"] = self.channel
        return query


def lead_units() -> QuerySet:
    return RequestUnit.objects.filter(request=OuterRef("pk"), role="lead", is_active=True)


def base_requests(visible: QuerySet[Request], filters: Filters) -> QuerySet[Request]:
    """The requests the figures count: in scope, matter roots only, registered in the period, filtered."""
    start, end = filters.bounds()
    qs = visible.filter(matter__isnull=True, created_at__gte=start, created_at__lt=end)
    if filters.region is not None:
        qs = qs.filter(region__path__startswith=filters.region.path)
    if filters.category is not None:
        qs = qs.filter(category__path__startswith=filters.category.path)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.unit is not None:
        qs = qs.filter(Exists(lead_units().filter(unit__path__startswith=filters.unit.path)))
    return qs


@dataclass(frozen=True)
class Dimension:
    code: str
    label: Any
    # The value grouped by (a field path or an expression) and how a key narrows the drill-down.
    group: Callable[[], Any]
    narrow: Callable[[QuerySet, str], QuerySet]
    names: Callable[[list[Any]], dict[Any, str]] = field(default=lambda keys: {k: str(k) for k in keys})


def _names(model: Any, attr: str = "name") -> Callable[[list[Any]], dict[Any, str]]:
    def lookup(keys: list[Any]) -> dict[Any, str]:
        return {o.pk: getattr(o, attr) for o in model.objects.filter(pk__in=[k for k in keys if k])}

    return lookup


def _channel_names(keys: list[Any]) -> dict[Any, str]:
    from grassroots.casework.models import Channel

    labels = dict(Channel.choices)
    return {k: str(labels.get(k, k)) for k in keys}


def _by_id(field_name: str) -> Callable[[QuerySet, str], QuerySet]:
    def narrow(qs: QuerySet, key: str) -> QuerySet:
        return (
            qs.filter(**{f"{field_name}__isnull": True})
            if key in ("", "None")
            else qs.filter(**{field_name: key})
        )

    return narrow


DIMENSIONS: dict[str, Dimension] = {
    d.code: d
    for d in (
        Dimension("category", _("Category"), lambda: "category_id", _by_id("category_id"), _names(Category)),
        Dimension(
            "region", _("Village / community"), lambda: "region_id", _by_id("region_id"), _names(Region)
        ),
        Dimension("grid", _("Grid"), lambda: "grid_id", _by_id("grid_id"), lambda keys: _grid_names(keys)),
        Dimension(
            "channel", _("Channel"), lambda: "channel", lambda qs, key: qs.filter(channel=key), _channel_names
        ),
        Dimension(
            "unit",
            _("Lead unit"),
            lambda: Subquery(lead_units().values("unit_id")[:1]),
            lambda qs, key: (
                qs.filter(Exists(lead_units().filter(unit_id=key)))
                if key not in ("", "None")
                else qs.filter(~Exists(lead_units()))
            ),
            _names(Unit),
        ),
        Dimension(
            "day",
            _("Day"),
            lambda: TruncDate("created_at", tzinfo=timezone.get_current_timezone()),
            lambda qs, key: qs.filter(created_at__date=date.fromisoformat(key)),
            lambda keys: {k: k.isoformat() if k else "" for k in keys},
        ),
    )
}


def _grid_names(keys: list[Any]) -> dict[Any, str]:
    from grassroots.territory.models import Grid

    return {g.pk: g.name for g in Grid.objects.filter(pk__in=[k for k in keys if k])}


def _aggregates(now: datetime, codes: tuple[str, ...]) -> dict[str, Count]:
    return {code: Count("id", filter=MEASURES[code].condition(now)) for code in codes}


def totals(qs: QuerySet[Request], now: datetime) -> dict[str, int]:
    return qs.aggregate(**_aggregates(now, tuple(MEASURES)))


def rates(counts: dict[str, int]) -> list[dict[str, Any]]:
    """Each rate with its numerator and denominator (the sample size is always shown)."""
    out = []
    for code, (label, num, den) in RATES.items():
        n, d = counts.get(num, 0), counts.get(den, 0)
        out.append(
            {
                "code": code,
                "label": label,
                "numerator": n,
                "denominator": d,
                "value": n / d if d else None,
                "measure": num,
                "base": den,
            }
        )
    return out


def breakdown(
    qs: QuerySet[Request], dimension: str, now: datetime, measures: tuple[str, ...] = TABLE_MEASURES
) -> list[dict[str, Any]]:
    dim = DIMENSIONS[dimension]
    group = dim.group()
    rows = list(
        qs.order_by()
        .annotate(_key=F(group) if isinstance(group, str) else group)
        .values("_key")
        .annotate(**_aggregates(now, measures))
    )
    names = dim.names([r["_key"] for r in rows])
    for row in rows:
        row["key"] = row.pop("_key")
        row["name"] = names.get(row["key"], "") or "—"
    if dimension == "day":
        rows.sort(key=lambda r: r["key"] or date.min)
    else:
        rows.sort(key=lambda r: (-r["total"], r["name"]))
    return rows


def drill(
    qs: QuerySet[Request], *, measure: str, now: datetime, dimension: str = "", key: str = ""
) -> QuerySet[Request]:
    """The requests behind one figure: the same condition, narrowed to one key of one dimension."""
    qs = qs.filter(MEASURES[measure].condition(now))
    if dimension:
        qs = DIMENSIONS[dimension].narrow(qs, key)
    return qs


def township_of(region_paths: dict[int, str], townships: dict[str, Region], region_id: int) -> Region | None:
    path = region_paths.get(region_id, "")
    for prefix, township in townships.items():
        if path.startswith(prefix):
            return township
    return None


def heat(qs: QuerySet[Request], now: datetime) -> list[dict[str, Any]]:
    """Villages (and grids) by requests, open and overdue, with their township and coordinates where the
    requests carry them (the mean of their points)."""
    from django.db.models import Avg

    rows = list(
        qs.order_by()
        .values("region_id", "grid_id")
        .annotate(
            **_aggregates(now, ("total", "open", "overdue")),
            lat=Avg("latitude"),
            lon=Avg("longitude"),
        )
    )
    regions = {r.pk: r for r in Region.objects.filter(pk__in={r["region_id"] for r in rows})}
    grids = _grid_names([r["grid_id"] for r in rows])
    parents = {
        r.pk: r for r in Region.objects.filter(pk__in={g.parent_id for g in regions.values() if g.parent_id})
    }
    for row in rows:
        region = regions.get(row["region_id"])
        row["village"] = region.name if region else "—"
        parent = parents.get(region.parent_id) if region and region.level == RegionLevel.VILLAGE else None
        row["township"] = parent.name if parent else ""
        row["grid"] = grids.get(row["grid_id"], "")
    rows.sort(key=lambda r: (-r["total"], r["township"], r["village"]))
    return rows
