"""The leaders' dashboard at scale: ``python bench/bench_dashboard.py [--scale city] [--pg]``.

A child process migrates a throw-away database and writes, with COPY (PostgreSQL) or executemany (SQLite),
a city of 10 counties × 15 townships × 20 villages (3 grids each; a court per county, a tribunal per
township; 7 top-level categories of 5 sub-categories) and a year and a month of requests (city scale:
800,000 a year; seasonal, weekday-shaped, skewed across places and categories), each with the rows the
workflow leaves that the figures read: its status and deadline, an intake and (when resolved) a resolve
event, the lead unit, follow-ups (some dissatisfied and reopened) and linked duplicates (并单).

It then times, in the same run and on the same rows:

* ``selectors.dashboard`` (every figure of the page: counts, rates, six breakdowns with the previous period,
  daily, weekly trend, heat table) for a county leader over 30 days, the city administrator over 30 days and
  over 365 days (read through the kept roll-up of settled requests), the administrator again after 0.1 % more
  of the requests changed and before the next refresh (``_pending``); and the whole page (the view with its
  template) for the first two;
* the first (full) and an incremental refresh of the kept outcomes and of the roll-up;
* the reference: the same aggregates computed by DuckDB (in-process, columnar) on a copy of the same rows
  (joins instead of correlated subqueries, ``GROUPING SETS``), whose results must equal the dashboard's.

The ``EXPLAIN ANALYZE`` of the dashboard's main statement for the county leader is written to
``var/bench/bench_dashboard_plans.txt`` (PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = "grassroots_bench_insights_dashboard"
SCALES = {"tiny": 20_000, "county": 50_000, "city": 800_000, "province": 8_000_000}
REPEATS = 7
BATCH = 50_000
COUNTIES, TOWNSHIPS, VILLAGES, GRIDS = 10, 15, 20, 3
TOP_CATEGORIES = ("劳动和社会保障", "城乡建设", "教育文体", "交通运输", "卫生计生", "商贸旅游", "环境保护")
CHANNELS = {
    "hotline": 50,
    "web": 13,
    "messaging": 12,
    "window": 8,
    "grid_report": 8,
    "visit": 5,
    "petition": 2,
}
MONTHS = [1.25, 0.8, 1.0, 1.0, 1.05, 1.15, 1.3, 1.3, 1.05, 0.95, 0.95, 1.1]
TZ = "Asia/Shanghai"


# ------------------------------------------------------------------------------------- child process


def _insert(model: Any, fields: list[str], rows: list[tuple]) -> int:
    from django.db import connection

    from grassroots.common.demo import DemoContext

    class _Context:
        vendor = connection.vendor

    return DemoContext.insert_rows(_Context(), model, fields, rows)


class _Sink:
    def __init__(self, model: Any, fields: list[str]):
        self.model, self.fields, self.rows, self.count = model, fields, [], 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        self.count += _insert(self.model, self.fields, self.rows)
        self.rows = []


def _request_fields(values: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """Every concrete column of Request: the given values, else the field's default (so that a column
    another app adds later with a default does not break the COPY)."""
    from grassroots.casework.models import Request

    names, defaults = [], []
    for f in Request._meta.concrete_fields:
        name = f.attname
        names.append(name)
        if name in values or f.null:
            defaults.append(None)
        else:
            defaults.append(f.get_default())
    return names, defaults


def _generate(requests_per_year: int, now: datetime) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from grassroots.casework.models import Category, FollowUp, Request, RequestEvent, RequestUnit
    from grassroots.common.models import Role
    from grassroots.insights.models import PlacePoint
    from grassroots.territory.models import Grid, Region
    from grassroots.workforce.models import Assignment, Officer, Post, Unit

    rng = random.Random(11)
    counts: dict[str, int] = {}
    with transaction.atomic():
        province = Region.objects.create(code="990000", name="省", level=1, path="990000/")
        city = Region.objects.create(
            code="990100", name="市", level=2, parent=province, path="990000/990100/"
        )
        regions, villages, townships = [], [], []
        next_id = 1000
        county_ids = []
        for c in range(COUNTIES):
            code = f"9901{c + 1:02d}"
            county_id = next_id
            next_id += 1
            county_ids.append((county_id, f"{city.path}{code}/"))
            regions.append((county_id, code, f"县{c}", 3, city.pk, f"{city.path}{code}/", False))
            lat0, lon0 = 34 + rng.uniform(-0.8, 0.8), 114 + rng.uniform(-0.8, 0.8)
            for t in range(TOWNSHIPS):
                tcode = f"{code}{t + 100:03d}"
                town_id = next_id
                next_id += 1
                tpath = f"{city.path}{code}/{tcode}/"
                regions.append((town_id, tcode, f"镇{c}-{t}", 4, county_id, tpath, False))
                townships.append((town_id, county_id))
                tlat, tlon = lat0 + rng.uniform(-0.2, 0.2), lon0 + rng.uniform(-0.2, 0.2)
                for v in range(VILLAGES):
                    vcode = f"{tcode}{v + 1:03d}"
                    regions.append((next_id, vcode, f"村{v}", 5, town_id, f"{tpath}{vcode}/", False))
                    villages.append(
                        (
                            next_id,
                            town_id,
                            county_id,
                            tlat + rng.uniform(-0.03, 0.03),
                            tlon + rng.uniform(-0.03, 0.03),
                        )
                    )
                    next_id += 1
        _insert(Region, ["id", "code", "name", "level", "parent_id", "path", "is_urban"], regions)
        grid_rows, grids = [], {}
        for i, (vid, _t, county_id, _lat, _lon) in enumerate(villages):
            grids[vid] = [i * GRIDS + g + 1 for g in range(GRIDS)]
            grid_rows += [
                (i * GRIDS + g + 1, f"G{vid}-{g}", f"网格{g}", vid, county_id) for g in range(GRIDS)
            ]
        _insert(Grid, ["id", "code", "name", "region_id", "county_id"], grid_rows)
        _insert(
            PlacePoint,
            ["region_id", "latitude", "longitude", "households", "updated_at"],
            [(vid, lat, lon, 600, now) for vid, _t, _c, lat, lon in villages],
        )
        courts, tribunals = {}, {}
        for c, (county_id, _path) in enumerate(county_ids):
            court = Unit.objects.create(
                code=f"C{c}", name=f"县{c}法院", kind="court", region_id=county_id, path=f"C{c}/"
            )
            courts[county_id] = court
        for t, (town_id, county_id) in enumerate(townships):
            parent = courts[county_id]
            tribunals[town_id] = Unit.objects.create(
                code=f"T{t}",
                name=f"法庭{t}",
                kind="tribunal",
                parent=parent,
                region_id=town_id,
                path=f"{parent.path}T{t}/",
            )
        tops = []
        leaves = []
        for i, name in enumerate(TOP_CATEGORIES):
            top = Category.objects.create(code=f"K{i}", name=name, path=f"K{i}/")
            tops.append(top)
            for j in range(5):
                leaves.append(
                    Category.objects.create(
                        code=f"K{i}-{j}", name=f"{name}{j}", parent=top, path=f"K{i}/K{i}-{j}/"
                    )
                )
        users = get_user_model().objects
        admin = users.create_user("bench-admin", password=None, role=Role.ADMIN, is_superuser=True)
        first_county, first_path = county_ids[0]
        leader_user = users.create_user("bench-leader", password=None, role=Role.LEADER)
        officer = Officer.objects.create(
            staff_number="L0001", name="县长", hire_date=date(2010, 1, 1), user=leader_user, is_active=True
        )
        post = Post.objects.create(unit=courts[first_county], code="P-L", name="院长", is_leadership=True)
        Assignment.objects.create(officer=officer, post=post, start=date(2015, 1, 1), kind="actual")
        counts.update(
            regions=len(regions), villages=len(villages), grids=len(grid_rows), categories=len(leaves)
        )

        # Requests: skewed places (a village's weight is lognormal) and categories, seasons, weekdays.
        village_weights = [rng.lognormvariate(0, 0.6) for _ in villages]
        leaf_weights = [rng.lognormvariate(0, 0.8) for _ in leaves]
        channels, channel_weights = list(CHANNELS), list(CHANNELS.values())
        days = 365 + 31
        per_day = requests_per_year / 365
        values = {
            "id", "tracking_code", "kind", "channel", "title", "description", "region_id", "county_id",
            "grid_id", "category_id", "status", "is_paused", "due_at", "reopen_count", "matter_id",
            "created_at", "updated_at", "deadline_amount", "deadline_unit", "version", "urgency", "risk",
        }  # fmt: skip
        names, defaults = _request_fields(dict.fromkeys(values))
        index = {n: i for i, n in enumerate(names)}
        request_sink = _Sink(Request, names)
        event_sink = _Sink(
            RequestEvent, ["request_id", "action", "from_status", "to_status", "at", "reason", "data"]
        )
        unit_sink = _Sink(RequestUnit, ["request_id", "unit_id", "role", "is_active", "assigned_at"])
        follow_sink = _Sink(
            FollowUp, ["request_id", "by_id", "at", "mode", "reached", "satisfaction", "comment"]
        )
        pk = 0
        roots: list[int] = []
        empty: Any = {}
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            empty = Jsonb({})
        start_day = now - timedelta(days=days)
        for d in range(days):
            moment = start_day + timedelta(days=d)
            weight = MONTHS[moment.month - 1] * (0.6 if moment.weekday() >= 5 else 1.1)
            n = int(per_day * weight + rng.random())
            chosen_villages = rng.choices(villages, weights=village_weights, k=n)
            chosen_leaves = rng.choices(leaves, weights=leaf_weights, k=n)
            for village, leaf in zip(chosen_villages, chosen_leaves, strict=True):
                pk += 1
                vid, town_id, county_id, _lat, _lon = village
                created = moment + timedelta(seconds=rng.randrange(86_400))
                if created >= now:
                    created = now - timedelta(seconds=rng.randrange(1, 3600))
                age = (now - created).days
                due = created + timedelta(days=rng.choice((3, 5, 7, 15)))
                roll = rng.random()
                if age < 2 and roll < 0.5:
                    status = "registered"
                elif roll < 0.02:
                    status = "rejected"
                elif age < 20 and roll < 0.45:
                    status = rng.choice(("accepted", "assigned", "in_progress"))
                elif age < 40 and roll < 0.55:
                    status = rng.choice(("resolved", "follow_up"))
                else:
                    status = "closed" if rng.random() < 0.97 else "reopened"
                matter = None
                if roots and rng.random() < 0.03 and status in ("registered", "accepted"):
                    matter = roots[-rng.randrange(1, min(len(roots), 200) + 1)]
                row = list(defaults)
                reopened = 1 if status == "reopened" or (status == "closed" and rng.random() < 0.04) else 0
                for name, value in (
                    ("id", pk), ("tracking_code", f"B{pk:09d}"), ("kind", "help"), ("channel", rng.choices(channels, channel_weights)[0]),
                    ("title", "诉求"), ("description", "诉求内容"), ("region_id", vid), ("county_id", county_id),
                    ("grid_id", rng.choice(grids[vid]) if rng.random() < 0.9 else None), ("category_id", leaf.pk),
                    ("status", status), ("is_paused", False), ("due_at", due), ("reopen_count", reopened),
                    ("matter_id", matter), ("created_at", created), ("updated_at", created), ("deadline_amount", 5),
                    ("deadline_unit", "calendar_days"), ("version", 1), ("urgency", "normal"), ("risk", "blue"),
                ):  # fmt: skip
                    row[index[name]] = value
                request_sink.add(tuple(row))
                event_sink.add((pk, "intake", "", "registered", created, "", empty))
                if matter is None:
                    roots.append(pk)
                if status in ("assigned", "in_progress", "resolved", "follow_up", "closed", "reopened"):
                    unit_sink.add((pk, tribunals[town_id].pk, "lead", True, created + timedelta(hours=3)))
                if status in ("resolved", "follow_up", "closed", "reopened"):
                    resolved = created + timedelta(days=rng.expovariate(1 / 4))
                    resolved = min(resolved, now - timedelta(minutes=5))
                    event_sink.add((pk, "resolve", "in_progress", "resolved", resolved, "", empty))
                    if status in ("closed", "reopened", "follow_up") and rng.random() < 0.85:
                        reached = rng.random() < 0.9
                        satisfaction = (
                            rng.choices(("satisfied", "basically", "dissatisfied"), (80, 14, 6))[0]
                            if reached
                            else ""
                        )
                        if status == "reopened":
                            satisfaction, reached = "dissatisfied", True
                        at = min(resolved + timedelta(days=1), now - timedelta(minutes=1))
                        follow_sink.add((pk, admin.pk, at, "phone", reached, satisfaction, ""))
        for sink in (request_sink, event_sink, unit_sink, follow_sink):
            sink.flush()
        counts.update(
            requests=request_sink.count,
            events=event_sink.count,
            lead_units=unit_sink.count,
            follow_ups=follow_sink.count,
        )
    return {
        "counts": counts,
        "county": first_county,
        "county_path": first_path,
        "court_path": courts[first_county].path,
    }


def _timed(fn) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(0.95 * len(ordered)) - 1))]


# -------------------------------------------------------------------------------------------- DuckDB

_DUCK_SQL = """
WITH lead AS (SELECT request_id, unit_id FROM units WHERE role = 'lead' AND is_active),
resolved AS (SELECT request_id, MIN("at") AS first_at FROM events WHERE action = 'resolve' GROUP BY request_id),
latest AS (
    SELECT request_id, arg_max(satisfaction, at_id) AS satisfaction
    FROM (SELECT request_id, satisfaction, (epoch_us("at")::HUGEINT * 1000000000 + id) AS at_id
          FROM follow_ups WHERE reached) GROUP BY request_id
),
handled AS (SELECT DISTINCT u.request_id FROM units u JOIN unit_paths p ON p.id = u.unit_id WHERE {handled}),
r AS (
    SELECT q.category_id, q.region_id, q.grid_id, q.channel, lead.unit_id AS lead_unit_id,
           CAST(q.created_local AS DATE) AS day,
           1 AS m_total,
           CASE WHEN q.status <> 'registered' THEN 1 ELSE 0 END AS m_responded,
           CASE WHEN q.status NOT IN ('registered', 'rejected', 'redirected') THEN 1 ELSE 0 END AS m_eligible,
           CASE WHEN q.status IN ('resolved', 'follow_up', 'closed') THEN 1 ELSE 0 END AS m_resolved,
           CASE WHEN q.status IN ('registered', 'accepted', 'assigned', 'in_progress', 'reopened') THEN 1 ELSE 0 END AS m_open,
           CASE WHEN q.status IN ('registered', 'accepted', 'assigned', 'in_progress', 'reopened')
                 AND NOT q.is_paused AND q.due_at < $now THEN 1 ELSE 0 END AS m_overdue,
           CASE WHEN q.status IN ('resolved', 'follow_up', 'closed') AND q.due_at IS NOT NULL THEN 1 ELSE 0 END AS m_clocked,
           CASE WHEN q.status IN ('resolved', 'follow_up', 'closed') AND q.due_at IS NOT NULL
                 AND resolved.first_at <= q.due_at THEN 1 ELSE 0 END AS m_on_time,
           CASE WHEN q.reopen_count > 0 THEN 1 ELSE 0 END AS m_reopened,
           CASE WHEN latest.satisfaction IS NOT NULL THEN 1 ELSE 0 END AS m_followed,
           CASE WHEN latest.satisfaction IN ('satisfied', 'basically') THEN 1 ELSE 0 END AS m_satisfied
    FROM requests q
    JOIN regions g ON g.id = q.region_id
    LEFT JOIN lead ON lead.request_id = q.id
    LEFT JOIN resolved ON resolved.request_id = q.id
    LEFT JOIN latest ON latest.request_id = q.id
    WHERE q.matter_id IS NULL AND q.created_local >= $start AND q.created_local < $end AND ({scope})
)
SELECT GROUPING(category_id, region_id, grid_id, channel, lead_unit_id, day) AS g,
       category_id, region_id, grid_id, channel, lead_unit_id, day,
       SUM(m_total), SUM(m_responded), SUM(m_eligible), SUM(m_resolved), SUM(m_open), SUM(m_overdue),
       SUM(m_clocked), SUM(m_on_time), SUM(m_reopened), SUM(m_followed), SUM(m_satisfied)
FROM r GROUP BY GROUPING SETS ((), (category_id), (region_id, grid_id), (channel), (lead_unit_id), (day),
                               (category_id, day))
"""


def _duckdb_load() -> Any:
    """A DuckDB copy of the rows the figures read (timestamps as the deployment's local time)."""
    import duckdb
    import pandas as pd
    from django.db import connection

    db = duckdb.connect()
    queries = {
        "requests": (
            "SELECT id, status, is_paused, due_at, reopen_count, matter_id, region_id, grid_id, category_id, channel, "
            "created_by_id, created_at FROM casework_request"
        ),
        "events": "SELECT request_id, action, at FROM casework_requestevent WHERE action = 'resolve'",
        "follow_ups": "SELECT id, request_id, at, reached, satisfaction FROM casework_followup",
        "units": "SELECT request_id, unit_id, role, is_active FROM casework_requestunit",
        "unit_paths": "SELECT id, path FROM workforce_unit",
        "regions": "SELECT id, path FROM territory_region",
    }
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            frame = pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])
            for column in ("due_at", "at", "created_at"):
                if column in frame:
                    frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
            if name == "requests":  # the registration day is the deployment's local day
                frame["created_local"] = frame["created_at"].dt.tz_convert(TZ).dt.tz_localize(None)
            db.register(f"{name}_frame", frame)
            db.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_frame")
            db.unregister(f"{name}_frame")
    return db


def _duckdb_run(db: Any, *, start: date, end: date, now: datetime, actor: Any):
    """The aggregates for this actor's scope: everything for an administrator; for a leader or officer the
    same rule as ``Request.visible_to`` (their regions, their grids, handled by their unit subtree, or
    registered by them)."""
    from datetime import UTC

    params: dict[str, Any] = {
        "start": datetime.combine(start, datetime.min.time()),
        "end": datetime.combine(end + timedelta(days=1), datetime.min.time()),
        "now": now.astimezone(UTC),
    }
    if actor.is_admin:
        scope, handled = "TRUE", "FALSE"
    else:
        parts, units = [], []
        for i, path in enumerate(actor.region_paths):
            params[f"region{i}"] = path + "%"
            parts.append(f"g.path LIKE $region{i}")
        for i, path in enumerate(actor.unit_paths):
            params[f"unit{i}"] = path + "%"
            units.append(f"p.path LIKE $unit{i}")
        if actor.grid_ids:
            parts.append("q.grid_id IN (" + ", ".join(str(int(g)) for g in actor.grid_ids) + ")")
        parts.append("q.id IN (SELECT request_id FROM handled)")
        if actor.pk is not None:
            params["user"] = actor.pk
            parts.append("q.created_by_id = $user")
        scope, handled = " OR ".join(parts), " OR ".join(units) or "FALSE"
    sql = _DUCK_SQL.format(scope=scope, handled=handled)
    return db.execute(sql, params).fetchall()


def _duckdb_counts(rows: list[tuple]) -> dict[str, Any]:
    """The DuckDB result in the dashboard's terms: totals, per category, per channel, per day."""
    from grassroots.insights.figures import MEASURES

    codes = list(MEASURES)
    out: dict[str, Any] = {"all": None, "category": {}, "channel": {}, "day": {}}
    full = (1 << 6) - 1
    for row in rows:
        g, category, _region, _grid, channel, _unit, day = row[:7]
        counts = dict(zip(codes, (int(v or 0) for v in row[7:]), strict=True))
        if g == full:
            out["all"] = counts
        elif g == full ^ (1 << 5):
            out["category"][category] = counts["total"]
        elif g == full ^ (1 << 2):
            out["channel"][channel] = counts["total"]
        elif g == full ^ 1:
            out["day"][day] = counts["total"]
    return out


# ----------------------------------------------------------------------------------------- measuring


def _capture_plan(run: Any) -> str:
    """EXPLAIN ANALYZE of the GROUPING SETS statement the dashboard sends."""
    from django.db import connection, transaction

    captured: list[tuple[str, Any]] = []

    def spy(execute, sql, params, many, context):
        if "GROUPING SETS" in sql and not captured:
            captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        run()
    if not captured:
        return ""
    sql, params = captured[0]
    # In a transaction of its own with the settings the dashboard sends it with (SET LOCAL outside one is
    # ignored).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _child(requests_per_year: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    now = timezone.now().replace(microsecond=0)
    existing = bool(os.environ.get("BENCH_EXISTING_DB"))
    # A shared database gets only this app's tables (and what they depend on); a throw-away one everything.
    call_command("migrate", *(["insights"] if existing else []), verbosity=0)
    if existing:
        # A database generated by ``manage.py demo``: read it; every write below is rolled back.
        with transaction.atomic():
            result = _measure(now, world=None)
            transaction.set_rollback(True)
        return result
    load_seconds, world = _timed(lambda: _generate(requests_per_year, now))
    result = _measure(now, world=world)
    result["load_seconds"] = load_seconds
    return result


def _measure(now: datetime, *, world: dict[str, Any] | None) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count, F
    from django.test import Client
    from django.utils import timezone

    from grassroots.casework.models import FollowUp, Request, RequestEvent, RequestUnit
    from grassroots.common.scoping import actor_for
    from grassroots.insights import selectors
    from grassroots.insights.services import outcomes_refresh, rollup_refresh

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    refresh_seconds, refreshed = _timed(outcomes_refresh)
    rollup_seconds, rolled = _timed(rollup_refresh)
    with connection.cursor() as cursor:
        # A freshly loaded database has no visibility map yet (index-only scans still visit the rows) until
        # autovacuum gets to it, as it would long before any reading in a deployment; VACUUM does it now.
        # Inside the shared city demo's rolled-back transaction only ANALYZE can run.
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")

    def move(share: int) -> None:
        """1 in ``share`` of the requests move on (their version, as a transition does; the triggers record
        them)."""
        moved = list(Request.objects.order_by("?").values_list("pk", flat=True)[: max(1, refreshed // share)])
        Request.objects.filter(pk__in=moved).update(version=F("version") + 1)

    move(100)
    incremental_seconds, incremental = _timed(outcomes_refresh)
    rollup_incremental_seconds, rollup_incremental = _timed(rollup_refresh)

    users = get_user_model().objects
    if world is None:
        leader, admin = users.get(username="demo-leader"), users.get(username="demo-admin")
        counts = {
            "requests": Request.objects.count(),
            "events": RequestEvent.objects.count(),
            "lead_units": RequestUnit.objects.filter(role="lead", is_active=True).count(),
            "follow_ups": FollowUp.objects.count(),
            "villages": Request.objects.aggregate(n=Count("region_id", distinct=True))["n"],
            "grids": Request.objects.aggregate(n=Count("grid_id", distinct=True))["n"],
        }
    else:
        leader, admin = users.get(username="bench-leader"), users.get(username="bench-admin")
        counts = world["counts"]
    today = timezone.localdate(now)
    # The city administrator's view reads the kept roll-up; the last two scenarios run after 0.1 % more of the
    # requests moved and before the next refresh (those are read live and their old part taken out): at this
    # volume (about 200 events an hour) some four hours of work, where a refresh every few minutes leaves tens.
    scenarios = {
        "county_leader_30d": (leader, 30),
        "city_admin_30d": (admin, 30),
        "city_admin_365d": (admin, 365),
        "city_admin_30d_pending": (admin, 30),
        "city_admin_365d_pending": (admin, 365),
    }
    duck_seconds, duck = _timed(_duckdb_load)
    m: dict[str, Any] = {
        "duckdb_load": duck_seconds,
        "scenarios": {},
        "refresh": [refresh_seconds, refreshed, incremental_seconds, incremental],
        "rollup": [rollup_seconds, rolled, rollup_incremental_seconds, rollup_incremental],
    }
    mismatches: list[str] = []
    for name, (user, days) in scenarios.items():
        if name == "city_admin_30d_pending":
            move(1000)
        actor = actor_for(user)
        filters = selectors.parse_filters(
            actor, {"start": (today - timedelta(days=days - 1)).isoformat(), "end": today.isoformat()}
        )
        ours, theirs = [], []
        data = selectors.dashboard(actor=actor, filters=filters, now=now, with_coverage=False)  # warm-up
        for _ in range(REPEATS):
            seconds, data = _timed(
                lambda a=actor, f=filters: selectors.dashboard(
                    actor=a, filters=f, now=now, with_coverage=False
                )
            )
            ours.append(seconds)
            seconds, rows = _timed(
                lambda f=filters, a=actor: _duckdb_run(duck, start=f.start, end=f.end, now=now, actor=a)
            )
            theirs.append(seconds)
        reference = _duckdb_counts(rows)
        if reference["all"] != {k: data["counts"][k] for k in reference["all"]}:
            mismatches.append(f"{name}: totals {reference['all']} vs {data['counts']}")
        by_leaf = {r["key"]: r["total"] for r in data["breakdowns"]["category"]}
        if by_leaf != reference["category"]:
            mismatches.append(f"{name}: categories differ")
        by_day = {r["key"]: r["total"] for r in data["daily"] if r["total"]}
        if by_day != reference["day"]:
            mismatches.append(f"{name}: days differ")
        entry = {"ours": ours, "duckdb": theirs, "requests": data["counts"]["total"]}
        if days == 30 and not name.endswith("_pending"):
            client = Client()
            client.force_login(user)
            query = {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
            client.get("/insights/", query)
            pages = []
            for _ in range(REPEATS):
                seconds, response = _timed(lambda c=client, q=query: c.get("/insights/", q))
                assert response.status_code == 200, response.status_code
                pages.append(seconds)
            entry["page"] = pages
        m["scenarios"][name] = entry
    if connection.vendor == "postgresql":
        actor = actor_for(leader)
        filters = selectors.parse_filters(actor, {})
        plan = _capture_plan(
            lambda: selectors.dashboard(actor=actor, filters=filters, now=now, with_coverage=False)
        )
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        (BENCH_DIR / "bench_dashboard_plans.txt").write_text(plan)
        m["plan_tail"] = plan.strip().splitlines()[-2:] if plan else []
    return {
        "vendor": connection.vendor,
        "load_seconds": 0.0,
        "counts": counts,
        "m": m,
        "mismatches": mismatches,
        "source": "manage.py demo --scale city --seed 1" if world is None else "generated",
    }


# ------------------------------------------------------------------------------------------- parent


def _option(options: Any, name: str, default: Any = None) -> Any:
    return options.get(name, default) if isinstance(options, dict) else getattr(options, name, default)


def _pg_admin(sql: str, server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


CITY_READY = Path("/tmp/grassroots-city.ready")  # noqa: S108 - the shared city demo's marker file
CITY_DB = "grassroots_bench_city"


def measure(
    requests_per_year: int, pg: bool = False, pg_server: str = PG_SERVER, existing: str | None = None
) -> dict[str, Any]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sqlite_path = BENCH_DIR / "bench_dashboard.sqlite3"
    if existing:
        database_url = f"{pg_server}/{existing}"
    elif pg:
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}", pg_server)
        _pg_admin(f"CREATE DATABASE {PG_DB}", pg_server)
        database_url = f"{pg_server}/{PG_DB}"
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{sqlite_path}"
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "SECRET_KEY": "bench-dashboard-" + "k" * 60,
            "FIELD_ENCRYPTION_KEYS": "sJ4v8Qm0n3p9XyZ1bC2dE5fG7hJ8kL0mN2oP4qR6sT8=",
            "FIELD_HASH_KEY": "bench-dashboard-hash-key",
            "GRASSROOTS_VAR_DIR": str(BENCH_DIR),
            "PYTHONPATH": str(ROOT),
        }
    )
    if existing:
        # The city demo was generated with the test settings' field keys.
        env.update({"DJANGO_SETTINGS_MODULE": "config.settings_test", "BENCH_EXISTING_DB": "1"})
        env.pop("SECRET_KEY")
        env.pop("FIELD_ENCRYPTION_KEYS")
        env.pop("FIELD_HASH_KEY")
    try:
        result = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(requests_per_year)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=4 * 3600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"dashboard benchmark child failed:\n{result.stderr[-4000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        if pg and not existing:
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}", pg_server)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)


def _figure(name: str, values: list[float], reference: list[float] | None, notes: str) -> dict[str, Any]:
    value, ref = _p95(values), (_p95(reference) if reference else None)
    return {
        "name": name,
        "value": round(value, 4),
        "unit": "s",
        "reference_value": None if ref is None else round(ref, 4),
        "ratio": round(value / ref, 2) if ref else None,
        "median": round(statistics.median(values), 4),
        "notes": notes,
    }


def run(options: Any) -> list[dict[str, Any]]:
    scale = str(_option(options, "scale") or "county")
    per_year = SCALES.get(scale, SCALES["county"])
    pg = bool(_option(options, "pg", False))
    # At city scale on PostgreSQL, the shared city demo is used when it is there (read, never changed).
    existing = CITY_DB if pg and scale == "city" and CITY_READY.exists() else None
    data = measure(
        per_year, pg=pg, pg_server=_option(options, "pg_server", None) or PG_SERVER, existing=existing
    )
    vendor, c, m = data["vendor"], data["counts"], data["m"]
    source = data.get("source", "generated")
    base = (
        f"data: {source}; {c['requests']:,} requests ({c['events']:,} events, {c['lead_units']:,} lead units, "
        f"{c['follow_ups']:,} follow-ups) in {c['villages']:,} villages / {c['grids']:,} grids; data load "
        f"{data['load_seconds']:.0f} s; DuckDB copy {m['duckdb_load']:.1f} s; "
        f"{'results identical to DuckDB' if not data['mismatches'] else 'MISMATCH: ' + '; '.join(data['mismatches'])}"
    )
    results = []
    for name, entry in m["scenarios"].items():
        results.append(
            _figure(
                f"insights.dashboard_p95_seconds.{name}.{scale}.{vendor}",
                entry["ours"],
                entry["duckdb"],
                f"selectors.dashboard ({entry['requests']:,} requests in the period), {REPEATS} runs, p95 "
                f"(median in the median column); reference: the same aggregates by DuckDB on a copy of the same "
                f"rows (p95); target < 0.5 s; {base}",
            )
        )
        if "page" in entry:
            results.append(
                _figure(
                    f"insights.dashboard_page_p95_seconds.{name}.{scale}.{vendor}",
                    entry["page"],
                    entry["duckdb"],
                    f"GET /insights/ (view, figures and template), {REPEATS} runs, p95; reference as above",
                )
            )
    full_s, full_n, incr_s, incr_n = m["refresh"]
    results.append(
        {
            "name": f"insights.outcomes_refresh_seconds.{scale}.{vendor}",
            "value": round(incr_s, 3),
            "unit": "s",
            "reference_value": round(full_s, 3),
            "ratio": round(incr_s / full_s, 3) if full_s else None,
            "median": None,
            "notes": f"outcomes_refresh after {incr_n:,} requests (1 %) moved; reference: the first, full refresh of "
            f"{full_n:,} requests; the dashboard figures above are read with every outcome current",
        }
    )
    full_s, full_n, incr_s, incr_n = m["rollup"]
    results.append(
        {
            "name": f"insights.rollup_refresh_seconds.{scale}.{vendor}",
            "value": round(incr_s, 3),
            "unit": "s",
            "reference_value": round(full_s, 3),
            "ratio": round(incr_s / full_s, 3) if full_s else None,
            "median": None,
            "notes": f"rollup_refresh after {incr_n:,} requests (1 %) moved; reference: the first run, which builds "
            f"the roll-up from all {full_n:,} requests",
        }
    )
    if m.get("plan_tail"):
        results[0]["notes"] += "; county leader's main statement: " + " ".join(m["plan_tail"])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--scale", default="county", choices=sorted(SCALES))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(int(args.child)), default=str))
        return
    for r in run({"scale": args.scale, "pg": args.pg}):
        print(
            f"{r['name']}: {r['value']} {r['unit']} (reference {r['reference_value']}, ratio {r['ratio']}, "
            f"median {r['median']}) — {r['notes']}"
        )


if __name__ == "__main__":
    main()
