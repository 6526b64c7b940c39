"""The kept roll-up of matter roots, read together with what it cannot hold, so that the city-wide dashboard
does not pass over every request of its period.

Of a request's measures only ``overdue`` depends on the time of reading (an open request falls overdue when
its deadline passes, with no write); every other one changes only when the request's row does.
``FigureRollup`` keeps every matter root's counts but ``overdue`` per day and per calendar month of
registration for each of four dimensions (sub-category, village and grid, channel, lead unit); every grouping
set of the dashboard is a sum of such rows, and ``overdue`` is read live from the open requests past their
deadline.

Exact at every moment, not only after a refresh:

* ``RolledRequest`` holds what each request contributes to the roll-up now (its keys and measure bits).
* Database triggers on ``casework_request`` add a ``ChangedRequest`` row whenever a request is inserted or
  deleted, or its version (every transition, link and follow-up moves it) or a column the figures read changes,
  whatever code path wrote it.
* A read sums: the roll-up, minus what the changed requests contributed to it, plus the changed requests
  read live and the ``overdue`` count of the others (both through ``figures.aggregate``, the same definition
  as without a roll-up).
* ``rollup_refresh`` takes the changed requests in batches (one transaction each, under the state row's lock):
  it takes their old contributions out, puts the current ones in, and removes their change rows. The first
  run (and a rebuild) starts over from every request in a few set-based statements (``_build``).

The roll-up serves whoever sees every request (an administrator) without a region, unit, category or channel
filter: the city-wide view, the one that reads the most requests. Scoped and filtered views read live (their
scope is not a sum of these dimensions: a leader also sees what their units handle anywhere).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from grassroots.casework.models import Request
from grassroots.common.queries import many_ids, many_texts

from . import figures
from .figures import GROUPING_SETS, MEASURES, Filters
from .models import ChangedRequest, FigureRollup, RolledRequest, RollupGrain, RollupState

# The measures kept (every one but ``overdue``); bit i of ``RolledRequest.flags`` is the i-th.
ROLLED_MEASURES = (
    "total",
    "responded",
    "eligible",
    "resolved",
    "clocked",
    "on_time",
    "reopened",
    "followed",
    "satisfied",
    "open",
)
# The key columns of each dimension.
KEYS: dict[str, tuple[str, ...]] = {
    "category": ("category_id",),
    "place": ("region_id", "grid_id"),
    "channel": ("channel",),
    "unit": ("lead_unit_id",),
}
_KEY_COLUMNS = ("category_id", "region_id", "grid_id", "channel", "lead_unit_id")  # of every dimension


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _key_text(values: Iterable[Any]) -> str:
    return "-".join("" if v is None else str(v) for v in values)


# -------------------------------------------------------------------------------------------- refresh

TRIGGERS = {
    "postgresql": {"insights_request_added", "insights_request_updated"},
    "sqlite": {"insights_request_added", "insights_request_deleted", "insights_request_updated"},
}


def triggers_present() -> bool:
    """Whether the triggers that record changed requests (migration 0004) are on ``casework_request``. On
    SQLite a later migration that rebuilds that table drops them; without them the roll-up is not used."""
    wanted = TRIGGERS.get(connection.vendor)
    if not wanted:
        return False
    table = Request._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table]
            )
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
        return wanted <= {row[0] for row in cursor.fetchall()}


def _lock_state() -> RollupState | None:
    """The state row, locked for this transaction (None before the first refresh)."""
    RollupState.objects.filter(pk=1).update(time_zone=F("time_zone"))  # the write lock first on SQLite too
    return RollupState.objects.select_for_update().filter(pk=1).first()


_ROLLED_COLUMNS = ("request_id", "day", *_KEY_COLUMNS, "flags")


def _contribution_sql(qs: Any, now: datetime) -> tuple[str, list[Any]]:
    """SELECT of what each request of ``qs`` contributes (``_ROLLED_COLUMNS``): its keys and its bits, from
    the same per-request query as the live figures (``figures._flag_rows``), each measure read as
    ``figures.aggregate`` sums it. The one definition for the first build and for each refresh."""
    inner, params = figures._flag_rows(qs, now, tuple(MEASURES), extra=("pk",)).query.sql_with_params()
    flags = " + ".join(
        f"({figures._OUTER.get(code, f'd.m_{code}')}) * {1 << i}" for i, code in enumerate(ROLLED_MEASURES)
    )
    columns = ", ".join(f"d.{c}" for c in ("pk", "day", *_KEY_COLUMNS))
    return f"SELECT {columns}, {flags} FROM ({inner}) AS d", list(params)  # noqa: S608 - quoted constants


def _contributions(request_ids: list[int], now: datetime) -> dict[int, RolledRequest]:
    """What these requests contribute now: a row for each matter root among them."""
    qs = Request.objects.filter(pk__in=many_ids(request_ids), matter__isnull=True)
    try:
        sql, params = _contribution_sql(qs, now)
    except EmptyResultSet:  # no ids
        return {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = {}
    for row in rows:
        rolled = RolledRequest(**dict(zip(_ROLLED_COLUMNS, row, strict=True)))
        rolled.day = figures._as_date(rolled.day)
        out[rolled.request_id] = rolled
    return out


def _same(a: RolledRequest, b: RolledRequest) -> bool:
    return all(
        getattr(a, name) == getattr(b, name)
        for name in ("day", "category_id", "region_id", "grid_id", "channel", "lead_unit_id", "flags")
    )


def _apply(request_ids: list[int], now: datetime) -> None:
    """Replace these requests' contributions in the roll-up by their current ones (in the caller's
    transaction, under the state lock)."""
    old = {r.request_id: r for r in RolledRequest.objects.filter(request_id__in=many_ids(request_ids))}
    new = _contributions(request_ids, now)
    moved = [pk for pk in request_ids if not (pk in old and pk in new and _same(old[pk], new[pk]))]
    if not moved:
        return
    # (dimension, grain, bucket, key) → (key values, counts by measure)
    delta: dict[tuple[str, str, date, str], tuple[dict[str, Any], list[int]]] = {}
    for rows, sign in (
        ((old[pk] for pk in moved if pk in old), -1),
        ((new[pk] for pk in moved if pk in new), 1),
    ):
        for rolled in rows:
            bits = [sign if rolled.flags >> i & 1 else 0 for i in range(len(ROLLED_MEASURES))]
            for dimension, columns in KEYS.items():
                values = {c: getattr(rolled, c) for c in columns}
                text = _key_text(values.values())
                for grain, bucket in ((RollupGrain.DAY, rolled.day), (RollupGrain.MONTH, _month(rolled.day))):
                    entry = delta.setdefault((dimension, grain, bucket, text), (values, [0] * len(bits)))
                    for i, b in enumerate(bits):
                        entry[1][i] += b
    by_group: dict[tuple[str, str], tuple[set[date], set[str]]] = defaultdict(lambda: (set(), set()))
    for dimension, grain, bucket, text in delta:
        by_group[(dimension, grain)][0].add(bucket)
        by_group[(dimension, grain)][1].add(text)
    existing: dict[tuple[str, str, date, str], FigureRollup] = {}
    for (dimension, grain), (buckets, texts) in by_group.items():
        for row in FigureRollup.objects.filter(
            dimension=dimension, grain=grain, bucket__in=sorted(buckets), key__in=many_texts(sorted(texts))
        ):
            existing[(row.dimension, row.grain, row.bucket, row.key)] = row
    upsert, empty = [], []
    for (dimension, grain, bucket, text), (values, counts) in delta.items():
        if not any(counts):
            continue
        row = existing.get((dimension, grain, bucket, text)) or FigureRollup(
            dimension=dimension, grain=grain, bucket=bucket, key=text, **{"channel": "", **values}
        )
        for code, change in zip(ROLLED_MEASURES, counts, strict=True):
            value = getattr(row, code) + change
            if value < 0:
                raise RuntimeError(
                    f"figure roll-up out of step at {dimension} {grain} {bucket} {text}: {code} "
                    "(rows changed by hand?); rebuild it: manage.py insights_refresh --rebuild"
                )
            setattr(row, code, value)
        (upsert if row.total else empty).append(row)
    if empty:
        FigureRollup.objects.filter(pk__in=[r.pk for r in empty if r.pk]).delete()
    if upsert:
        FigureRollup.objects.bulk_create(
            upsert,
            update_conflicts=True,
            unique_fields=["dimension", "grain", "bucket", "key"],
            update_fields=list(ROLLED_MEASURES),
            batch_size=2000,
        )
    RolledRequest.objects.filter(request_id__in=many_ids(moved)).delete()
    RolledRequest.objects.bulk_create([new[pk] for pk in moved if pk in new], batch_size=2000)


def _build(now: datetime) -> int:
    """Start over from every request, in SQL (a few statements rather than a pass in Python per request): each
    matter root's contribution (``_contribution_sql``), then the roll-up rows summed from those. In the caller's transaction, under the
    state lock; the change rows recorded so far are taken in (removed first, so that a change committed
    meanwhile keeps its row for the next run). Returns the number of requests looked at."""
    quote = connection.ops.quote_name
    rolled, table = quote(RolledRequest._meta.db_table), quote(FigureRollup._meta.db_table)
    FigureRollup.objects.all().delete()
    RolledRequest.objects.all().delete()
    ChangedRequest.objects.all().delete()
    select, params = _contribution_sql(Request.objects.filter(matter__isnull=True), now)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {rolled} ({', '.join(_ROLLED_COLUMNS)}) {select}", params)  # noqa: S608
        month = (
            "CAST(DATE_TRUNC('month', CAST(day AS timestamp)) AS date)"
            if connection.vendor == "postgresql"
            else "DATE(day, 'start of month')"
        )
        sums = ", ".join(f"SUM((flags >> {i}) & 1)" for i in range(len(ROLLED_MEASURES)))
        for dimension, columns in KEYS.items():
            # The key text as ``_key_text`` writes it: the values joined by "-", NULL as "".
            key = " || '-' || ".join(f"COALESCE(CAST({c} AS text), '')" for c in columns)
            values = [c if c in columns else ("''" if c == "channel" else "NULL") for c in _KEY_COLUMNS]
            for grain, bucket in ((RollupGrain.DAY, "day"), (RollupGrain.MONTH, month)):
                cursor.execute(
                    f"INSERT INTO {table} (dimension, grain, bucket, key, {', '.join(_KEY_COLUMNS)}, "  # noqa: S608 - quoted constants
                    f"{', '.join(ROLLED_MEASURES)}) SELECT %s, %s, {bucket}, {key}, {', '.join(values)}, {sums} "
                    f"FROM {rolled} GROUP BY {bucket}, {', '.join(columns)}",
                    [dimension, str(grain)],
                )
        cursor.execute(f"SELECT COUNT(*) FROM {quote(Request._meta.db_table)}")  # noqa: S608 - table name
        return cursor.fetchone()[0]


def rollup_refresh(
    *,
    batch_size: int = 2000,
    progress: Callable[[int], Any] | None = None,
    now: datetime | None = None,
    rebuild: bool = False,
) -> int:
    """Bring the roll-up up to date with every change recorded so far; returns the number of requests taken
    in. The first run (or a run after the deployment's time zone changed, or with ``rebuild``) starts over
    from every request (``_build``, set-based).
    Safe to run at any time and concurrently (the state row's lock makes runs take turns); a request that
    changes meanwhile gets a new change row and is taken in by the next run."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone_name()
    if not triggers_present():
        raise RuntimeError(
            "the triggers that record changed requests are missing from casework_request (a migration rebuilt "
            "the table?): re-create them as insights migration 0004 does, then run insights_refresh --rebuild"
        )
    built = 0
    with transaction.atomic():
        state = _lock_state()
        if rebuild or state is None or state.time_zone != zone:
            built = _build(now)
            RollupState.objects.update_or_create(pk=1, defaults={"time_zone": zone})
    if built and progress:
        progress(built)
    top = ChangedRequest.objects.aggregate(top=Max("id"))["top"]
    ids: list[int] = []
    if top is not None:
        ids = list(
            ChangedRequest.objects.filter(id__lte=top)
            .order_by("request_id")
            .values_list("request_id", flat=True)
            .distinct()
        )
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with transaction.atomic():
            _lock_state()
            _apply(chunk, now)
            ChangedRequest.objects.filter(id__lte=top, request_id__in=many_ids(chunk)).delete()
        if progress:
            progress(len(chunk))
    RollupState.objects.filter(pk=1).update(refreshed_at=timezone.now())
    return built + len(ids)


# ----------------------------------------------------------------------------------------------- read


def usable(actor: Any, filters: Filters) -> bool:
    """Whether the roll-up can give this actor's figures: they see every request, nothing narrows them but
    the period, the roll-up's days were cut in the deployment's time zone and the triggers are in place."""
    if not actor.is_admin or filters.region or filters.unit or filters.category or filters.channel:
        return False
    zone = timezone.get_current_timezone_name()
    return RollupState.objects.filter(pk=1, time_zone=zone).exists() and triggers_present()


def _period_sql(start: date, end: date) -> tuple[str, list[Any]]:
    """Month rows for the calendar months inside the period, day rows for the days outside those."""
    first = _month(start) if start.day == 1 else _next_month(start)
    after = first
    while _next_month(after) - timedelta(days=1) <= end:
        after = _next_month(after)
    days = "(grain = 'd' AND bucket >= %s AND bucket <= %s)"
    if after == first:  # no whole month
        return days, [start, end]
    return (
        f"(grain = 'm' AND bucket >= %s AND bucket < %s) OR ({days} AND NOT (bucket >= %s AND bucket < %s))",
        [first, after, start, end, first, after],
    )


_SUMS = ", ".join(f"SUM({code})" for code in ROLLED_MEASURES)


def _summed(dimension: str, group: tuple[str, ...], where: str, params: list[Any]) -> list[dict[str, Any]]:
    """Rows of ``group`` columns with every measure summed over the roll-up rows of one dimension."""
    adapt = connection.ops.adapt_datefield_value
    columns = ", ".join(group)
    table = connection.ops.quote_name(FigureRollup._meta.db_table)
    sql = (
        f"SELECT {columns}, {_SUMS} FROM {table} "  # noqa: S608 - constant column and table names
        f"WHERE dimension = %s AND ({where}) GROUP BY {columns}"
    )
    width, zero = len(group), dict.fromkeys(MEASURES, 0)
    with connection.cursor() as cursor:
        cursor.execute(sql, [dimension, *(adapt(p) if isinstance(p, date) else p for p in params)])
        rows = cursor.fetchall()
    out = []
    for row in rows:
        item = {**dict(zip(group, row[:width], strict=True)), **zero}
        item.update(zip(ROLLED_MEASURES, row[width:], strict=True))  # SUM of integers: integers
        if "bucket" in item:
            item["bucket"] = figures._as_date(item["bucket"])
        out.append(item)
    return out


def _as_day(row: dict[str, Any]) -> dict[str, Any]:
    row["day"] = row.pop("bucket")
    return row


def _rolled_sets(filters: Filters, sets: list[str]) -> dict[str, list[dict]]:
    start, end = filters.start, filters.end
    period, period_params = _period_sql(start, end)
    days, day_params = "grain = 'd' AND bucket >= %s AND bucket <= %s", [start, end]
    out: dict[str, list[dict]] = {}
    for name in ("category", "place", "channel", "unit"):
        if name in sets or (name == "channel" and "all" in sets):
            out[name] = _summed(name, KEYS[name], period, period_params)
    if "all" in sets:
        total = dict.fromkeys(MEASURES, 0)
        for row in out["channel"]:
            for code in ROLLED_MEASURES:
                total[code] += row[code]
        out["all"] = [total]
    if "day" in sets:
        out["day"] = [_as_day(row) for row in _summed("channel", ("bucket",), days, day_params)]
    if "category_day" in sets:
        out["category_day"] = [
            _as_day(row) for row in _summed("category", ("category_id", "bucket"), days, day_params)
        ]
    if "category_month" in sets:
        months: dict[tuple, dict[str, Any]] = {}
        for row in _summed("category", ("category_id", "bucket"), period, period_params):
            key = (row["category_id"], _month(row["bucket"]))
            bucket = months.setdefault(
                key, {"category_id": key[0], "month": key[1], **dict.fromkeys(MEASURES, 0)}
            )
            for code in ROLLED_MEASURES:
                bucket[code] += row[code]
        out["category_month"] = list(months.values())
    return {name: out.get(name, []) for name in sets}


def _stale_sets(filters: Filters, sets: list[str]) -> dict[str, list[dict]]:
    """What the changed requests registered in the period contribute to the roll-up now (to take out)."""
    rows = RolledRequest.objects.filter(
        request_id__in=ChangedRequest.objects.values("request_id"),
        day__gte=filters.start,
        day__lte=filters.end,
    )
    out: dict[str, list[dict]] = {name: [] for name in sets}
    for rolled in rows:
        counts = dict.fromkeys(MEASURES, 0)
        counts.update({code: rolled.flags >> i & 1 for i, code in enumerate(ROLLED_MEASURES)})
        values = {
            "category_id": rolled.category_id,
            "region_id": rolled.region_id,
            "grid_id": rolled.grid_id,
            "channel": rolled.channel,
            "lead_unit_id": rolled.lead_unit_id,
            "day": rolled.day,
            "month": _month(rolled.day),
        }
        for name in sets:
            out[name].append({**{c: values[c] for c in GROUPING_SETS[name]}, **counts})
    return out


def _merge(
    base: dict[str, list[dict]], parts: list[tuple[dict[str, list[dict]], int]], measures: tuple[str, ...]
) -> dict[str, list[dict]]:
    """``base`` (rows with distinct keys, changed in place) plus each part times its sign, by set and key;
    keys left with no request are dropped."""
    result: dict[str, list[dict]] = {}
    for name, rows in base.items():
        columns = GROUPING_SETS[name]
        index = {tuple(row[c] for c in columns): row for row in rows}
        for part, sign in parts:
            for row in part.get(name, []):
                key = tuple(row[c] for c in columns)
                target = index.get(key)
                if target is None:
                    index[key] = target = {
                        **dict(zip(columns, key, strict=True)),
                        **dict.fromkeys(MEASURES, 0),
                    }
                for code in measures:
                    target[code] += sign * row[code]
        for row in index.values():  # measures not asked for count 0, as in ``figures.aggregate``
            for code in MEASURES:
                if code not in measures:
                    row[code] = 0
        kept = [row for row in index.values() if not columns or "total" not in measures or row["total"]]
        result[name] = kept or ([dict.fromkeys(MEASURES, 0)] if not columns else [])
    return result


def aggregate(
    filters: Filters, now: datetime, sets: Iterable[str], measures: Iterable[str] = tuple(MEASURES)
) -> dict[str, list[dict]]:
    """The same as ``figures.aggregate`` over every request of the period (``base_requests`` of all requests
    with these filters), from the roll-up, the requests changed since and the ``overdue`` count of the rest."""
    sets, measures = list(sets), tuple(measures)
    with _snapshot():
        base = figures.base_requests(Request.objects.all(), filters)
        overdue = base.filter(MEASURES["overdue"].condition(now))
        parts: list[tuple[dict[str, list[dict]], int]] = []
        if ChangedRequest.objects.exists():  # none right after a refresh
            changed = ChangedRequest.objects.values("request_id")
            overdue = overdue.exclude(pk__in=changed)
            parts.append((_stale_sets(filters, sets), -1))
            parts.append((figures.aggregate(base.filter(pk__in=changed), now, sets, measures), 1))
        if "overdue" in measures:
            parts.append((figures.aggregate(overdue, now, sets, ("overdue",)), 1))
        return _merge(_rolled_sets(filters, sets), parts, measures)


@contextmanager
def _snapshot() -> Iterator[None]:
    """One snapshot for every statement of a read, so that a refresh committing in between cannot make a
    request count twice or not at all (PostgreSQL: repeatable read; SQLite: a read transaction is one)."""
    if connection.in_atomic_block:  # the caller's transaction decides
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
