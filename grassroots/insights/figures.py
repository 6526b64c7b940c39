"""The dashboard's figures, defined once for both the aggregate and the list behind it.

Every measure is a condition on a request (``MEASURES``) and every breakdown a dimension with a key
(``DIMENSIONS``). A figure is the number of the filtered requests that meet the condition, grouped by the
dimension; its drill-down is the same requests filtered by the same condition and narrowed to the same key,
so the two always agree. Linked duplicates (并单) are counted once: only a matter's root request counts.

All figures of one dashboard come from one pass over the requests: the per-request flags are computed once
in an inner query and summed by ``GROUPING SETS`` on PostgreSQL (one statement), or by one ``GROUP BY`` per
set on SQLite. Coarser breakdowns (township, top-level category, week) are sums of the finer rows.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.casework.models import Category, FollowUp, Request, RequestEvent, RequestUnit, Satisfaction
from grassroots.casework.workflow import OPEN, TERMINAL, Status
from grassroots.common.queries import many_ids, many_texts
from grassroots.territory.models import Grid, Region, RegionLevel
from grassroots.workforce.models import Unit

RESOLVED = (Status.RESOLVED, Status.FOLLOW_UP, Status.CLOSED)
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)
Z_95 = 1.959963984540054


def lead_units() -> QuerySet:
    return RequestUnit.objects.filter(request=OuterRef("pk"), role="lead", is_active=True)


def with_flags(qs: QuerySet[Request]) -> QuerySet[Request]:
    """The per-request facts the measures read: the latest reached follow-up's satisfaction, whether the
    request was resolved by its deadline, and its current lead unit. Taken from the request's
    ``RequestOutcome`` while that row is of the request's current version, else read from the history
    (the subqueries run only for those requests), so the figures are exact either way."""
    latest = (
        FollowUp.objects.filter(request=OuterRef("pk"), reached=True)
        .order_by("-at", "-id")
        .values("satisfaction")
    )
    resolved = RequestEvent.objects.filter(
        request=OuterRef("pk"), action="resolve", at__lte=OuterRef("due_at")
    )
    fresh = Q(insights_outcome__version=F("version"))
    return qs.annotate(
        _satisfaction=Case(
            When(fresh, then=F("insights_outcome__satisfaction")),
            default=Subquery(latest[:1]),
            output_field=CharField(null=True),
        ),
        _on_time=Case(
            When(fresh & Q(insights_outcome__first_resolved_at__lte=F("due_at")), then=Value(True)),
            When(fresh, then=Value(False)),
            default=Exists(resolved),
            output_field=BooleanField(),
        ),
        _lead_unit=Case(
            When(fresh, then=F("insights_outcome__lead_unit_id")),
            default=Subquery(lead_units().values("unit_id")[:1]),
            output_field=BigIntegerField(null=True),
        ),
    )


def history_values(qs: QuerySet[Request]) -> QuerySet:
    """The values a ``RequestOutcome`` keeps, read from the history, with the version they belong to."""
    latest = (
        FollowUp.objects.filter(request=OuterRef("pk"), reached=True)
        .order_by("-at", "-id")
        .values("satisfaction")
    )
    first = (
        RequestEvent.objects.filter(request=OuterRef("pk"), action="resolve")
        .order_by("at", "id")
        .values("at")[:1]
    )
    return (
        qs.order_by()
        .values("pk", "version")
        .annotate(
            first_resolved_at=Subquery(first),
            satisfaction=Subquery(latest[:1]),
            lead_unit_id=Subquery(lead_units().values("unit_id")[:1]),
        )
    )


@dataclass(frozen=True)
class Measure:
    code: str
    label: Any
    condition: Callable[[datetime], Q]  # on a queryset that went through ``with_flags``


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in (
        Measure("total", _("Requests"), lambda now: Q(pk__isnull=False)),
        Measure("responded", _("Responded"), lambda now: ~Q(status=Status.REGISTERED)),
        Measure(
            "eligible",
            _("Accepted for handling"),
            lambda now: ~Q(status__in=[Status.REGISTERED, *TERMINAL]),
        ),
        Measure("resolved", _("Resolved"), lambda now: Q(status__in=RESOLVED)),
        Measure("open", _("Open"), lambda now: Q(status__in=OPEN)),
        Measure("overdue", _("Overdue"), lambda now: Q(status__in=OPEN, is_paused=False, due_at__lt=now)),
        Measure(
            "clocked", _("Resolved with a deadline"), lambda now: Q(status__in=RESOLVED, due_at__isnull=False)
        ),
        Measure(
            "on_time",
            _("Resolved on time"),
            lambda now: Q(_on_time=True, status__in=RESOLVED, due_at__isnull=False),
        ),
        Measure("reopened", _("Reopened"), lambda now: Q(reopen_count__gt=0)),
        Measure("followed", _("Reached at follow-up"), lambda now: Q(_satisfaction__isnull=False)),
        Measure("satisfied", _("Satisfied at follow-up"), lambda now: Q(_satisfaction__in=SATISFIED)),
    )
}

# Rates: (label, numerator, denominator).
RATES: dict[str, tuple[Any, str, str]] = {
    "response": (_("Response rate"), "responded", "total"),
    "resolution": (_("Resolution rate"), "resolved", "eligible"),
    "satisfaction": (_("Satisfaction rate"), "satisfied", "followed"),
    "on_time": (_("On-time completion"), "on_time", "clocked"),
    "reopen": (_("Reopen rate"), "reopened", "resolved"),
}
TABLE_MEASURES = ("total", "responded", "resolved", "open", "overdue", "satisfied", "followed")


def wilson(numerator: int, denominator: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95 % by default); None without a sample."""
    if denominator <= 0:
        return None
    p = numerator / denominator
    centre = (p + z * z / (2 * denominator)) / (1 + z * z / denominator)
    half = z * math.sqrt(p * (1 - p) / denominator + z * z / (4 * denominator * denominator))
    half /= 1 + z * z / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


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

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one, with the same other filters."""
        return Filters(
            start=self.start - timedelta(days=self.days),
            end=self.start - timedelta(days=1),
            region=self.region,
            unit=self.unit,
            category=self.category,
            channel=self.channel,
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


# --------------------------------------------------------------------------------------------- dimensions


def _none_key(key: str) -> bool:
    return key in ("", "None")


def _by_id(field_name: str) -> Callable[[QuerySet, str], QuerySet]:
    def narrow(qs: QuerySet, key: str) -> QuerySet:
        if _none_key(key):
            return qs.filter(**{f"{field_name}__isnull": True})
        return qs.filter(**{field_name: key})

    return narrow


def _by_path(field_name: str, model: Any, outside: Q) -> Callable[[QuerySet, str], QuerySet]:
    """Narrow to a subtree (a township, a top-level category); the empty key is what lies outside all."""

    def narrow(qs: QuerySet, key: str) -> QuerySet:
        if _none_key(key):
            return qs.filter(outside)
        node = model.objects.filter(pk=key).first()
        return qs.filter(**{f"{field_name}__startswith": node.path}) if node else qs.none()

    return narrow


def _names(model: Any) -> Callable[[list[Any]], dict[Any, str]]:
    def lookup(keys: list[Any]) -> dict[Any, str]:
        return dict(model.objects.filter(pk__in=many_ids(k for k in keys if k)).values_list("pk", "name"))

    return lookup


_grid_names = _names(Grid)


def _channel_names(keys: list[Any]) -> dict[Any, str]:
    from grassroots.casework.models import Channel

    labels = dict(Channel.choices)
    return {k: str(labels.get(k, k)) for k in keys}


def _day_narrow(qs: QuerySet, key: str) -> QuerySet:
    tz = timezone.get_current_timezone()
    day = date.fromisoformat(key)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return qs.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))


def place_key(region_id: int, grid_id: int | None) -> str:
    """The key of one row of the heat table: a village and one of its grids (or none)."""
    return f"{region_id}-{grid_id if grid_id is not None else 'None'}"


def _place_narrow(qs: QuerySet, key: str) -> QuerySet:
    region_id, _, grid_id = key.partition("-")
    qs = qs.filter(region_id=region_id)
    return qs.filter(grid__isnull=True) if grid_id == "None" else qs.filter(grid_id=grid_id)


def _place_names(keys: list[Any]) -> dict[Any, str]:
    names = {}
    for key in keys:
        region_id, _, grid_id = str(key).partition("-")
        region = Region.objects.filter(pk=region_id).first() if region_id.isdigit() else None
        grid = Grid.objects.filter(pk=grid_id).first() if grid_id.isdigit() else None
        names[key] = " · ".join(n for n in (region.name if region else "", grid.name if grid else "") if n)
    return names


@dataclass(frozen=True)
class Dimension:
    code: str
    label: Any
    narrow: Callable[[QuerySet, str], QuerySet]
    names: Callable[[list[Any]], dict[Any, str]] = field(default=lambda keys: {k: str(k) for k in keys})
    key_kind: str = "id"  # id, text or date: what a drill-down key must look like
    none_label: Any = "—"  # the name of the row of requests without a value


DIMENSIONS: dict[str, Dimension] = {
    d.code: d
    for d in (
        Dimension(
            "category_group",
            _("Category"),
            _by_path("category__path", Category, Q(category__isnull=True)),
            _names(Category),
            none_label=_("Not categorised"),
        ),
        Dimension(
            "category",
            _("Sub-category"),
            _by_id("category_id"),
            _names(Category),
            none_label=_("Not categorised"),
        ),
        Dimension(
            "township",
            _("Township / street"),
            _by_path("region__path", Region, Q(region__level__lt=RegionLevel.TOWNSHIP)),
            _names(Region),
            none_label=_("Above township level"),
        ),
        Dimension("region", _("Village / community"), _by_id("region_id"), _names(Region)),
        Dimension("grid", _("Grid"), _by_id("grid_id"), _grid_names, none_label=_("No grid")),
        Dimension("place", _("Village / community and grid"), _place_narrow, _place_names, key_kind="place"),
        Dimension(
            "channel", _("Channel"), lambda qs, key: qs.filter(channel=key), _channel_names, key_kind="text"
        ),
        Dimension(
            "unit",
            _("Lead unit"),
            lambda qs, key: (
                qs.filter(~Exists(lead_units()))
                if _none_key(key)
                else qs.filter(Exists(lead_units().filter(unit_id=key)))
            ),
            _names(Unit),
            none_label=_("Not yet assigned"),
        ),
        Dimension(
            "day",
            _("Day"),
            _day_narrow,
            lambda keys: {k: k.isoformat() if k else "" for k in keys},
            key_kind="date",
        ),
    )
}
# The breakdown tables of the dashboard, in order.
BREAKDOWNS = ("category_group", "township", "grid", "channel", "unit", "category")


def drill(
    qs: QuerySet[Request], *, measure: str, now: datetime, dimension: str = "", key: str = ""
) -> QuerySet[Request]:
    """The requests behind one figure: the same condition, narrowed to one key of one dimension."""
    qs = with_flags(qs).filter(MEASURES[measure].condition(now))
    if dimension:
        qs = DIMENSIONS[dimension].narrow(qs, key)
    return qs


# ------------------------------------------------------------------------------------------ aggregation

# The columns of the inner query, and the grouping sets summed over it.
_COLUMNS = ("category_id", "region_id", "grid_id", "channel", "lead_unit_id", "day", "month")
GROUPING_SETS: dict[str, tuple[str, ...]] = {
    "all": (),
    "category": ("category_id",),
    "place": ("region_id", "grid_id"),
    "channel": ("channel",),
    "unit": ("lead_unit_id",),
    "day": ("day",),
    "category_day": ("category_id", "day"),
    "category_month": ("category_id", "month"),
}
# Up to this many days the trend is drawn by week (from the daily rows), beyond it by month.
WEEKLY_TREND_DAYS = 92


def sets_for(filters: Filters) -> tuple[str, ...]:
    trend = "category_day" if filters.days <= WEEKLY_TREND_DAYS else "category_month"
    return ("all", "category", "place", "channel", "unit", "day", trend)


# Measures read from a per-request subquery are summed from that subquery's value, selected once in the
# inner query (a condition on it would make the database run the subquery once per condition). Each is the
# same condition as its ``MEASURES`` entry, which the drill-down uses; the tests hold the two together.
_OUTER = {
    "on_time": "CASE WHEN d.m_clocked = 1 AND d.x_on_time THEN 1 ELSE 0 END",
    "followed": "CASE WHEN d.x_satisfaction IS NOT NULL THEN 1 ELSE 0 END",
    "satisfied": "CASE WHEN d.x_satisfaction IN ('satisfied', 'basically') THEN 1 ELSE 0 END",
}


def _flag_rows(
    qs: QuerySet[Request], now: datetime, measures: tuple[str, ...], extra: tuple[str, ...] = ()
) -> QuerySet:
    """Per request: the key columns, a 0/1 column ``m_<code>`` per measure computed in SQL and the raw values
    the ``_OUTER`` measures read (``x_on_time``, ``x_satisfaction``); ``extra`` columns besides."""
    inner = [code for code in measures if code not in _OUTER]
    if "on_time" in measures and "clocked" not in inner:
        inner.append("clocked")
    flags = {
        f"m_{code}": Case(
            When(MEASURES[code].condition(now), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
        for code in inner
    }
    raw = {}
    if "on_time" in measures:
        raw["x_on_time"] = F("_on_time")
    if "followed" in measures or "satisfied" in measures:
        raw["x_satisfaction"] = F("_satisfaction")
    tz = timezone.get_current_timezone()
    return (
        with_flags(qs)
        .order_by()
        .annotate(
            lead_unit_id=F("_lead_unit"),
            day=TruncDate("created_at", tzinfo=tz),
            month=TruncMonth("created_at", tzinfo=tz, output_field=DateField()),
            **flags,
            **raw,
        )
        .values(*extra, *_COLUMNS, *flags, *raw)
    )


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def aggregate(
    qs: QuerySet[Request],
    now: datetime,
    sets: Iterable[str] = GROUPING_SETS,
    measures: Iterable[str] = tuple(MEASURES),
) -> dict[str, list[dict]]:
    """Each grouping set's rows: its key columns and the count of each measure (one statement on
    PostgreSQL, one query per set elsewhere). Measures not asked for count 0."""
    sets, measures = list(sets), tuple(measures)
    try:
        inner, params = _flag_rows(qs, now, measures).query.sql_with_params()
    except Exception as exc:  # an actor who sees nothing: Django refuses to build the SQL
        from django.core.exceptions import EmptyResultSet

        if isinstance(exc, EmptyResultSet):
            return {name: [] for name in sets}
        raise
    quote = connection.ops.quote_name
    sums = ", ".join(
        f"SUM({_OUTER[code]})" if code in _OUTER else f"SUM(d.{quote('m_' + code)})" for code in measures
    )
    result: dict[str, list[dict]] = {name: [] for name in sets}

    def unpack(name: str, key_values: tuple, counts: tuple) -> None:
        row = dict(zip(GROUPING_SETS[name], key_values, strict=True))
        for column in ("day", "month"):
            if column in row:
                row[column] = _as_date(row[column])
        row.update(dict.fromkeys(MEASURES, 0))
        row.update({code: int(v or 0) for code, v in zip(measures, counts, strict=True)})
        result[name].append(row)

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # JIT compilation costs seconds and saves milliseconds on a statement of this size.
            cursor.execute("SET LOCAL jit = off")
            # The grouping sets hash or sort every row once per set: in memory, not in temporary files.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # A row's grouping set is told by GROUPING(...): bit i set = column i not grouped.
            used = [c for c in _COLUMNS if any(c in GROUPING_SETS[name] for name in sets)] or ["channel"]
            cols = ", ".join(f"d.{quote(c)}" for c in used)
            grouping = ", ".join(
                "(" + ", ".join(f"d.{quote(c)}" for c in GROUPING_SETS[name]) + ")" for name in sets
            )
            sql = (
                f"SELECT GROUPING({cols}), {cols}, {sums} FROM ({inner}) AS d "  # noqa: S608 - quoted constants
                f"GROUP BY GROUPING SETS ({grouping})"
            )
            cursor.execute(sql, params)
            by_mask = {
                sum(
                    1 << (len(used) - 1 - i) for i, c in enumerate(used) if c not in GROUPING_SETS[name]
                ): name
                for name in sets
            }
            for row in cursor.fetchall():
                name = by_mask[row[0]]
                values = dict(zip(used, row[1 : 1 + len(used)], strict=True))
                unpack(name, tuple(values[c] for c in GROUPING_SETS[name]), row[1 + len(used) :])
        else:
            for name in sets:
                keys = ", ".join(f"d.{quote(c)}" for c in GROUPING_SETS[name])
                select = f"{keys}, {sums}" if keys else sums
                group = f" GROUP BY {keys}" if keys else ""
                cursor.execute(f"SELECT {select} FROM ({inner}) AS d{group}", params)  # noqa: S608
                width = len(GROUPING_SETS[name])
                for row in cursor.fetchall():
                    unpack(name, row[:width], row[width:])
    if "all" in result and not result["all"]:
        result["all"] = [dict.fromkeys(MEASURES, 0)]
    return result


def rates(counts: dict[str, int]) -> list[dict[str, Any]]:
    """Each rate with its numerator, denominator (the sample size) and 95 % Wilson interval."""
    out = []
    for code, (label, num, den) in RATES.items():
        n, d = counts.get(num, 0), counts.get(den, 0)
        interval = wilson(n, d)
        out.append(
            {
                "code": code,
                "label": label,
                "numerator": n,
                "denominator": d,
                "value": n / d if d else None,
                "low": interval[0] if interval else None,
                "high": interval[1] if interval else None,
                "measure": num,
                "base": den,
            }
        )
    return out


def _sum_into(
    target: dict[Any, dict[str, int]],
    key: Any,
    row: dict[str, Any],
    measures: tuple[str, ...] = tuple(MEASURES),
) -> None:
    bucket = target.get(key)
    if bucket is None:
        target[key] = bucket = dict.fromkeys(MEASURES, 0)
    for code in measures:
        bucket[code] += row[code]


@dataclass(frozen=True, slots=True)
class _Place:
    pk: int
    name: str
    path: str


class Places:
    """Regions, townships and top-level categories behind the keys of the aggregated rows."""

    def __init__(
        self, region_ids: set[int], category_ids: set[int], grid_ids: set[int] = frozenset()
    ) -> None:
        self.regions: dict[int, _Place] = {}
        self.township: dict[int, _Place | None] = {}
        self.categories: dict[int, Category] = {}
        self.top_category: dict[int, Category | None] = {}
        self._load(set(region_ids), set(category_ids))
        self.grid_names = _grid_names(list(grid_ids))

    def _load(self, region_ids: set[int], category_ids: set[int]) -> None:
        region_ids -= set(self.regions)
        category_ids -= set(self.categories)
        if region_ids:
            # Light records, not model instances: a city has thousands of villages.
            regions = {
                pk: _Place(pk, name, path)
                for pk, name, path in Region.objects.filter(pk__in=many_ids(region_ids)).values_list(
                    "id", "name", "path"
                )
            }
            codes = {c for r in regions.values() for c in r.path.split("/") if c}
            townships = {
                code: _Place(pk, name, path)
                for pk, code, name, path in Region.objects.filter(
                    code__in=many_texts(codes), level=RegionLevel.TOWNSHIP
                ).values_list("id", "code", "name", "path")
            }
            self.regions.update(regions)
            for pk, region in regions.items():
                chain = [c for c in region.path.split("/") if c]
                self.township[pk] = next((townships[c] for c in chain if c in townships), None)
        if category_ids:
            cats = {
                c.pk: c
                for c in Category.objects.filter(pk__in=many_ids(category_ids)).only("id", "path", "name")
            }
            top_codes = {c.path.split("/")[0] for c in cats.values()}
            tops = {c.path: c for c in Category.objects.filter(parent__isnull=True, code__in=top_codes)}
            self.categories.update(cats)
            self.top_category.update({pk: tops.get(c.path.split("/")[0] + "/") for pk, c in cats.items()})

    def extended(self, region_ids: set[int], category_ids: set[int]) -> Places:
        """These places and those of more keys (only the keys not known yet are looked up)."""
        more = copy.copy(self)
        more.regions, more.township = dict(self.regions), dict(self.township)
        more.categories, more.top_category = dict(self.categories), dict(self.top_category)
        more._load(set(region_ids), set(category_ids))
        return more

    def names(self, dimension: str) -> dict[Any, str] | None:
        """Names of the keys of a breakdown from what is already loaded (None: look them up)."""
        if dimension == "region":
            return {pk: r.name for pk, r in self.regions.items()}
        if dimension == "township":
            return {t.pk: t.name for t in self.township.values() if t is not None}
        if dimension == "category":
            return {pk: c.name for pk, c in self.categories.items()}
        if dimension == "category_group":
            return {t.pk: t.name for t in self.top_category.values() if t is not None}
        if dimension == "grid":
            return self.grid_names
        return None


def _labelled(buckets: dict[Any, dict[str, int]], names: dict[Any, str], none_label: Any = "—") -> list[dict]:
    rows = []
    for key, counts in buckets.items():
        name = str(none_label) if key is None else names.get(key, "") or "—"
        rows.append({"key": key, "name": name, **counts})
    rows.sort(key=lambda r: (-r["total"], r["name"]))
    return rows


def breakdowns(
    sets: dict[str, list[dict]],
    places: Places,
    *,
    named: bool = True,
    measures: tuple[str, ...] = tuple(MEASURES),
) -> dict[str, list[dict[str, Any]]]:
    """Rows of every breakdown table, busiest first, each with every measure (and its name, unless
    ``named`` is False: the previous period's rows are only looked up by key). Only ``measures`` are summed
    (the others stay 0)."""
    out: dict[str, dict[Any, dict[str, int]]] = defaultdict(dict)
    m = measures
    for row in sets.get("category", []):
        top = places.top_category.get(row["category_id"]) if row["category_id"] else None
        _sum_into(out["category_group"], top.pk if top else None, row, m)
        _sum_into(out["category"], row["category_id"], row, m)
    for row in sets.get("place", []):
        township = places.township.get(row["region_id"])
        _sum_into(out["township"], township.pk if township else None, row, m)
        _sum_into(out["region"], row["region_id"], row, m)
        _sum_into(out["grid"], row["grid_id"], row, m)
    for row in sets.get("channel", []):
        _sum_into(out["channel"], row["channel"], row, m)
    for row in sets.get("unit", []):
        _sum_into(out["unit"], row["lead_unit_id"], row, m)
    result = {}
    for code in (*BREAKDOWNS, "region"):
        buckets = out.get(code, {})
        if not named:
            result[code] = [{"key": key, **counts} for key, counts in buckets.items()]
            continue
        known = places.names(code)
        names = known if known is not None else DIMENSIONS[code].names(list(buckets))
        result[code] = _labelled(buckets, names, DIMENSIONS[code].none_label)
    return result


def daily(sets: dict[str, list[dict]], filters: Filters) -> list[dict[str, Any]]:
    """Every day of the period (zeros included), oldest first."""
    by_day = {row["day"]: row for row in sets.get("day", [])}
    out = []
    day = filters.start
    while day <= filters.end:
        row = by_day.get(day, dict.fromkeys(MEASURES, 0))
        out.append({"key": day, "name": day.isoformat(), **{c: row[c] for c in MEASURES}})
        day += timedelta(days=1)
    return out


def trend_by_category(sets: dict[str, list[dict]], places: Places, filters: Filters) -> dict[str, Any]:
    """Request counts per top-level category, busiest first: in seven-day weeks counted back from the
    period's last day (so the last week is whole; the first may be shorter) for periods up to
    ``WEEKLY_TREND_DAYS``, by calendar month beyond. Each bin is named by its first day."""
    if "category_month" in sets:
        starts, month = [], date(filters.start.year, filters.start.month, 1)
        while month <= filters.end:
            starts.append(month)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        index_of = {m: i for i, m in enumerate(starts)}
        rows, bin_of = sets["category_month"], lambda row: index_of[row["month"]]
        labels = [max(m, filters.start) for m in starts]
    else:
        count = -(-filters.days // 7)
        labels = [max(filters.start, filters.end - timedelta(days=7 * (count - i) - 1)) for i in range(count)]
        rows = sets.get("category_day", [])

        def bin_of(row: dict) -> int:
            return count - 1 - (filters.end - row["day"]).days // 7

    series: dict[Any, list[int]] = {}
    names: dict[Any, str] = {}
    for row in rows:
        top = places.top_category.get(row["category_id"]) if row["category_id"] else None
        key = top.pk if top else None
        names[key] = top.name if top else str(DIMENSIONS["category_group"].none_label)
        series.setdefault(key, [0] * len(labels))[bin_of(row)] += row["total"]
    ordered = sorted(series.items(), key=lambda item: -sum(item[1]))
    ends = [*(b - timedelta(days=1) for b in labels[1:]), filters.end]
    return {
        "bins": "month" if "category_month" in sets else "week",
        "weeks": [w.isoformat() for w in labels],
        "days": [(e - b).days + 1 for b, e in zip(labels, ends, strict=True)],
        "series": [{"key": k, "name": names[k], "data": data} for k, data in ordered],
    }


def heat(sets: dict[str, list[dict]], places: Places, points: dict[int, tuple[float, float]]) -> list[dict]:
    """Villages and grids by requests, open and overdue, with their township and, where known, the place's
    coordinates (``points``: region id → (lat, lon))."""
    grids = places.grid_names
    rows = []
    for row in sets.get("place", []):
        region = places.regions.get(row["region_id"])
        township = places.township.get(row["region_id"])
        point = points.get(row["region_id"])
        rows.append(
            {
                "key": place_key(row["region_id"], row["grid_id"]),
                "region_id": row["region_id"],
                "grid_id": row["grid_id"],
                "township_id": township.pk if township else None,
                "township": township.name if township and township.pk != row["region_id"] else "",
                "village": region.name if region else "—",
                "grid": grids.get(row["grid_id"], ""),
                "lat": point[0] if point else None,
                "lon": point[1] if point else None,
                **{c: row[c] for c in ("total", "open", "overdue", "resolved")},
            }
        )
    rows.sort(key=lambda r: (-r["total"], r["township"], r["village"], r["grid"]))
    return rows


def compare(current: list[dict[str, Any]], previous: list[dict[str, Any]]) -> None:
    """Add each row's total of the previous period (``previous``) and the change, in place."""
    before = {r["key"]: r["total"] for r in previous}
    for row in current:
        row["previous"] = before.get(row["key"], 0)
        row["change"] = (row["total"] - row["previous"]) / row["previous"] if row["previous"] else None
