"""Outreach at scale: ``python bench/bench_coverage.py [--households N] [--pg]`` (or through bench/run.py).

A child process migrates a throw-away database and writes a synthetic city with the issue's shapes:
counties of 15 townships × 20 villages (10 % urban), 3 grids a village, 660 households a village, one
liaison officer per 400 households, 20 % of households care-tagged, one household liaison each (4 % of them
handed over to another officer in the year), a legal vice-head (法制副职) liaison per 50 households, and a
year of visits following the visit rules with gaps (about 5 per household: 2M households give ≈ 10M
visits). Rows go in with COPY (PostgreSQL) or executemany (SQLite), in batches.

It then measures, each against a plain-SQL reference run in the same process on the same rows:

- **generating all due lists** (``duties_generate``: every liaison's duty as of today, county by county)
  against one hand-written set-based ``INSERT … SELECT`` (last visits by ``GROUP BY`` over the visits,
  intervals by joining the rules) into a scratch table; the two results are compared row for row by
  checksum (count, covered, overdue and the sum of due dates);
- **the coverage dashboard query** (``coverage_report`` for a city administrator, every county leader and
  sampled township leaders, grouped by officer, village, township, grid and county) against the
  hand-written ``GROUP BY`` over the same generated rows with the same scope predicate: p95 and median;
- the officer's day due list (one officer, computed from the visits) for sampled officers: p95;
- once, for comparison, one county's coverage computed from the visits (no generated rows).

On PostgreSQL the plans (``EXPLAIN ANALYZE``) of the generation of one county and of a county leader's
dashboard query are written to ``var/bench/bench_coverage_plans.txt``.
"""

from __future__ import annotations

import argparse
import json
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
PG_DB = "grassroots_bench_outreach_coverage"
SCALES = {"tiny": 6_000, "county": 170_000, "city": 2_000_000, "province": 20_000_000}
HOUSEHOLDS_PER_VILLAGE = 660
HOUSEHOLDS_PER_OFFICER = 400
TOWNSHIPS_PER_COUNTY, VILLAGES_PER_TOWNSHIP = 15, 20
BATCH = 200_000
REPEATS = 5
VISIT_KEPT = 0.9
HANDOVER_SHARE = 0.04
# Default rules (migration 0002): care tag code -> interval; households without a matching tag: 91 days.
TAG_DAYS = {"key_attention": 14, "elderly_alone": 30, "dibao": 30, "tekun": 30}
OTHER_DAYS, ORG_DAYS = 91, 30


# ------------------------------------------------------------------------------------- child process


def _insert(model: Any, fields: list[str], rows: list[tuple]) -> int:
    from django.db import connection

    from grassroots.common.demo import DemoContext

    class _Context:
        vendor = connection.vendor

    return DemoContext.insert_rows(_Context(), model, fields, rows)


class _Sink:
    """Rows of one table written in batches, so that ten million visits never sit in memory at once."""

    def __init__(self, model: Any, fields: list[str], before: tuple[_Sink, ...] = ()):
        # ``before``: sinks whose rows these rows refer to (flushed first, for the foreign keys).
        self.model, self.fields, self.rows, self.count, self.before = model, fields, [], 0, before

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for sink in self.before:
            sink.flush()
        self.count += _insert(self.model, self.fields, self.rows)
        self.rows = []


def _visit_days(rng: random.Random, first: date, last: date, interval: int) -> list[date]:
    days, day = [], first + timedelta(days=rng.randrange(interval))
    while day <= last:
        if rng.random() < VISIT_KEPT:
            days.append(day)
        day += timedelta(days=max(1, interval - rng.randrange(max(1, interval // 4))))
    return days


def _generate(households: int, as_of: date) -> dict[str, int]:
    from django.db import transaction
    from django.utils import timezone

    from grassroots.outreach.defaults import ensure_default_rules
    from grassroots.outreach.models import Liaison, Visit
    from grassroots.territory.models import CareTag, Grid, Household, Organization, Region
    from grassroots.workforce.models import Officer

    rng = random.Random(7)
    now = timezone.now()
    year_start = as_of - timedelta(days=365)
    villages_total = max(1, households // HOUSEHOLDS_PER_VILLAGE)
    per_county = TOWNSHIPS_PER_COUNTY * VILLAGES_PER_TOWNSHIP
    counties = max(1, -(-villages_total // per_county))
    with transaction.atomic():
        province = Region.objects.create(code="990000", name="省", level=1, path="990000/")
        city = Region.objects.create(
            code="990100", name="市", level=2, parent=province, path="990000/990100/"
        )
        region_rows, villages, next_id = [], [], 1000
        for c in range(counties):
            county_code, county_id = f"9901{c + 1:02d}", next_id
            next_id += 1
            region_rows.append(
                (county_id, county_code, f"县{c}", 3, city.pk, f"{city.path}{county_code}/", False)
            )
            for t in range(TOWNSHIPS_PER_COUNTY):
                town_code, town_id = f"{county_code}{t + 100:03d}", next_id
                next_id += 1
                town_path = f"{city.path}{county_code}/{town_code}/"
                region_rows.append((town_id, town_code, f"镇{t}", 4, county_id, town_path, False))
                for v in range(VILLAGES_PER_TOWNSHIP):
                    if len(villages) >= villages_total:
                        break
                    code, urban = f"{town_code}{v + 1:03d}", v < 2
                    region_rows.append((next_id, code, f"村{v}", 5, town_id, f"{town_path}{code}/", urban))
                    villages.append((next_id, county_id))
                    next_id += 1
        _insert(Region, ["id", "code", "name", "level", "parent_id", "path", "is_urban"], region_rows)
        grid_rows, grids = [], {}
        for i, (village_id, county_id) in enumerate(villages):
            grids[village_id] = [i * 3 + g + 1 for g in range(3)]
            grid_rows += [
                (i * 3 + g + 1, f"G{village_id}-{g}", f"网格{g}", village_id, county_id) for g in range(3)
            ]
        _insert(Grid, ["id", "code", "name", "region_id", "county_id"], grid_rows)
        officers = max(2, households // HOUSEHOLDS_PER_OFFICER)
        _insert(
            Officer,
            [
                "id",
                "staff_number",
                "name",
                "hire_date",
                "title",
                "skills",
                "work_phone",
                "is_active",
                "version",
                "gender",
            ],
            [
                (i + 1, f"B{i + 1:06d}", f"干警{i}", date(2015, 1, 1), "", [], "", True, 1, "")
                for i in range(officers)
            ],
        )
        tags = {t.code: t.pk for t in CareTag.objects.all()}
        tag_ids = list(tags.values())
        days_of_tag = {tags[code]: days for code, days in TAG_DAYS.items() if code in tags}
        rules = ensure_default_rules()
    household_sink = _Sink(
        Household,
        [
            "id",
            "number",
            "region_id",
            "county_id",
            "grid_id",
            "address",
            "is_active",
            "notes",
            "created_at",
            "updated_at",
            "version",
        ],
    )
    tag_sink = _Sink(Household.care_tags.through, ["household_id", "caretag_id"], before=(household_sink,))
    org_sink = _Sink(
        Organization,
        [
            "id",
            "name",
            "kind",
            "region_id",
            "county_id",
            "credit_code",
            "address",
            "contact_name",
            "contact_phone",
            "is_active",
        ],
    )
    liaison_fields = [
        "id", "officer_id", "kind", "household_id", "organization_id", "grid_id", "region_id", "county_id",
        "duties", "start", "end", "end_reason", "created_at", "version",
    ]  # fmt: skip
    liaison_sink = _Sink(Liaison, liaison_fields, before=(household_sink, org_sink))
    visit_sink = _Sink(
        Visit,
        [
            "officer_id",
            "household_id",
            "organization_id",
            "region_id",
            "county_id",
            "visited_on",
            "visited_at",
            "mode",
            "met",
            "summary",
            "needs",
            "created_at",
        ],
        before=(household_sink, org_sink),
    )
    next_liaison = 1
    handovers = 0

    def visits_for(officer_id, hid, oid, village_id, county_id, first, last, interval, summary):
        for day in _visit_days(rng, first, last, interval):
            at = datetime(day.year, day.month, day.day, 10, tzinfo=now.tzinfo)
            visit_sink.add(
                (officer_id, hid, oid, village_id, county_id, day, at, "in_person", "", summary, "", now)
            )

    def liaison(officer_id, kind, hid, oid, grid_id, village_id, county_id, start, end):
        nonlocal next_liaison
        liaison_sink.add(
            (next_liaison, officer_id, kind, hid, oid, grid_id, village_id, county_id, "", start, end,
             "轮岗" if end else "", now, 1)
        )  # fmt: skip
        next_liaison += 1

    for h in range(households):
        hid = h + 1
        village_id, county_id = villages[min(h // HOUSEHOLDS_PER_VILLAGE, len(villages) - 1)]
        grid_id = grids[village_id][h % 3]
        officer_id = h // HOUSEHOLDS_PER_OFFICER % officers + 1
        household_sink.add(
            (hid, f"H{hid:08d}", village_id, county_id, grid_id, "地址", True, "", now, now, 1)
        )
        interval = OTHER_DAYS
        if rng.random() < 0.2:
            tag = rng.choice(tag_ids)
            tag_sink.add((hid, tag))
            interval = days_of_tag.get(tag, OTHER_DAYS)
        if rng.random() < HANDOVER_SHARE:  # handed over to the next officer during the year
            handovers += 1
            switch = year_start + timedelta(days=rng.randrange(60, 330))
            successor = officer_id % officers + 1
            liaison(officer_id, "household", hid, None, grid_id, village_id, county_id, year_start, switch)
            liaison(
                successor,
                "household",
                hid,
                None,
                grid_id,
                village_id,
                county_id,
                switch + timedelta(days=1),
                None,
            )
            visits_for(officer_id, hid, None, village_id, county_id, year_start, switch, interval, "走访")
            visits_for(
                successor,
                hid,
                None,
                village_id,
                county_id,
                switch + timedelta(days=1),
                as_of,
                interval,
                "走访",
            )
        else:
            liaison(officer_id, "household", hid, None, grid_id, village_id, county_id, year_start, None)
            visits_for(officer_id, hid, None, village_id, county_id, year_start, as_of, interval, "走访")
        if h % 50 == 0:
            oid = h // 50 + 1
            org_sink.add((oid, f"单位{oid}", "enterprise", village_id, county_id, "", "", "", "", True))
            liaison(officer_id, "organization", None, oid, None, village_id, county_id, year_start, None)
            visits_for(
                officer_id, None, oid, village_id, county_id, year_start, as_of, ORG_DAYS, "法制副职走访"
            )
    for sink in (household_sink, tag_sink, org_sink, liaison_sink, visit_sink):
        sink.flush()
    return {
        "households": household_sink.count,
        "care_tagged": tag_sink.count,
        "organizations": org_sink.count,
        "liaisons": liaison_sink.count,
        "handovers": handovers,
        "visits": visit_sink.count,
        "officers": officers,
        "villages": len(villages),
        "counties": counties,
        "rules": len(rules),
    }


def _timed(fn) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def _add_days(column: str, days: str) -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"({column} + {days})"
    return f"date({column}, '+' || {days} || ' days')"


REFERENCE_TABLE = "bench_reference_duty"


def _reference_generation(as_of: date) -> int:
    """The due lists in one hand-written, set-based statement (no ORM): the same definition as
    ``grassroots.outreach.coverage``, written with joins and GROUP BY instead of correlated subqueries."""
    from django.db import connection

    d = "%(as_of)s"
    covered = _add_days("l.last_visit", "l.interval_days")
    grace = _add_days("l.start", "l.interval_days")
    sql = f"""
    CREATE TABLE {REFERENCE_TABLE} AS
    WITH alive AS (
        SELECT l.id, l.officer_id, l.kind, l.household_id, l.organization_id, l.start, l."end",
               COALESCE(h.region_id, o.region_id) AS region_id, h.grid_id,
               COALESCE(h.county_id, o.county_id) AS county_id, v.is_urban, o.kind AS org_kind
        FROM outreach_liaison l
        LEFT JOIN territory_household h ON h.id = l.household_id
        LEFT JOIN territory_organization o ON o.id = l.organization_id
        LEFT JOIN territory_region v ON v.id = h.region_id
        WHERE l.kind IN ('household', 'organization') AND (l."end" IS NULL OR l."end" >= {d})
          AND (h.is_active OR o.is_active)
    ),
    household_rules AS (
        SELECT a.id, MIN(r.interval_days) AS interval_days
        FROM alive a JOIN outreach_visitrule r ON r.is_active AND r.applies_to = 'household'
         AND (r.household_area = '' OR (r.household_area = 'urban') = a.is_urban)
         AND (r.county_id IS NULL OR r.county_id = a.county_id)
        LEFT JOIN territory_household_care_tags t ON t.household_id = a.household_id AND t.caretag_id = r.care_tag_id
        WHERE a.kind = 'household' AND (r.care_tag_id IS NULL OR t.id IS NOT NULL)
        GROUP BY a.id
    ),
    organization_rules AS (
        SELECT a.id, MIN(r.interval_days) AS interval_days
        FROM alive a JOIN outreach_visitrule r ON r.is_active AND r.applies_to = 'organization'
         AND (r.organization_kind = '' OR r.organization_kind = a.org_kind)
         AND (r.county_id IS NULL OR r.county_id = a.county_id)
        WHERE a.kind = 'organization'
        GROUP BY a.id
    ),
    own_household AS (
        SELECT officer_id, household_id, MAX(visited_on) AS last
        FROM outreach_visit WHERE visited_on <= {d} AND household_id IS NOT NULL
        GROUP BY officer_id, household_id
    ),
    own_organization AS (
        SELECT officer_id, organization_id, MAX(visited_on) AS last
        FROM outreach_visit WHERE visited_on <= {d} AND organization_id IS NOT NULL
        GROUP BY officer_id, organization_id
    ),
    carried AS (
        SELECT a.id, MAX(v.visited_on) AS last
        FROM alive a
        JOIN outreach_liaison p ON p.household_id = a.household_id AND p.start < a.start
        JOIN outreach_visit v ON v.household_id = a.household_id AND v.officer_id = p.officer_id
         AND v.visited_on < a.start AND v.visited_on <= {d}
         AND v.visited_on >= p.start AND (p."end" IS NULL OR v.visited_on <= p."end")
        GROUP BY a.id
        UNION ALL
        SELECT a.id, MAX(v.visited_on) AS last
        FROM alive a
        JOIN outreach_liaison p ON p.organization_id = a.organization_id AND p.start < a.start
        JOIN outreach_visit v ON v.organization_id = a.organization_id AND v.officer_id = p.officer_id
         AND v.visited_on < a.start AND v.visited_on <= {d}
         AND v.visited_on >= p.start AND (p."end" IS NULL OR v.visited_on <= p."end")
        GROUP BY a.id
    ),
    l AS (
        SELECT a.*, COALESCE(hr.interval_days, orr.interval_days) AS interval_days,
               CASE WHEN c.last IS NOT NULL AND (COALESCE(oh.last, oo.last) IS NULL
                                                 OR c.last > COALESCE(oh.last, oo.last))
                    THEN c.last ELSE COALESCE(oh.last, oo.last) END AS last_visit
        FROM alive a
        LEFT JOIN household_rules hr ON hr.id = a.id
        LEFT JOIN organization_rules orr ON orr.id = a.id
        LEFT JOIN own_household oh ON oh.officer_id = a.officer_id AND oh.household_id = a.household_id
        LEFT JOIN own_organization oo ON oo.officer_id = a.officer_id AND oo.organization_id = a.organization_id
        LEFT JOIN carried c ON c.id = a.id
    )
    SELECT l.id AS liaison_id, l.officer_id, l.region_id, l.grid_id, l.county_id, l.start, l."end",
           l.interval_days, l.last_visit, {covered} AS covered_until, {grace} AS grace_until,
           CASE WHEN l.last_visit >= l.start THEN {covered} ELSE {grace} END AS due_on
    FROM l WHERE l.interval_days IS NOT NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {REFERENCE_TABLE}")
        cursor.execute(sql.replace("%(as_of)s", "%s"), [as_of] * sql.count("%(as_of)s"))
        cursor.execute(f"SELECT COUNT(*) FROM {REFERENCE_TABLE}")
        return cursor.fetchone()[0]


def _checksum(table: str, as_of: date) -> list[int]:
    from django.db import connection

    epoch = "(due_on - DATE '2000-01-01')" if connection.vendor == "postgresql" else "julianday(due_on)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), SUM(CASE WHEN covered_until >= %s THEN 1 ELSE 0 END), "  # noqa: S608
            f"SUM(CASE WHEN (covered_until IS NULL OR covered_until < %s) AND grace_until < %s THEN 1 ELSE 0 END), "
            f"SUM({epoch}), SUM(officer_id), SUM(region_id) FROM {table}",
            [as_of, as_of, as_of],
        )
        return [int(x or 0) for x in cursor.fetchone()]


def _reference_dashboard(group_column: str, region_paths: tuple[str, ...] | None, as_of: date) -> list:
    """The dashboard's counts in hand-written SQL over the generated rows, scoped like ``visible_to``."""
    from django.db import connection

    where, params = "", [as_of, as_of, as_of, as_of, as_of]
    if region_paths is not None:
        where = " AND (" + " OR ".join("r.path LIKE %s" for _ in region_paths) + ")"
        params += [p + "%" for p in region_paths]
    sql = (
        f"SELECT d.{group_column}, COUNT(*), SUM(CASE WHEN d.covered_until >= %s THEN 1 ELSE 0 END), "  # noqa: S608
        "SUM(CASE WHEN (d.covered_until IS NULL OR d.covered_until < %s) AND d.grace_until < %s THEN 1 ELSE 0 END) "
        "FROM outreach_visitduty d JOIN territory_region r ON r.id = d.region_id "
        f'WHERE d.start <= %s AND (d."end" IS NULL OR d."end" >= %s){where} GROUP BY d.{group_column}'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _plans(as_of: date, county_id: int, county_path: str) -> str:
    from django.db import connection
    from django.db.models import Count, Sum

    from grassroots.common.scoping import Actor
    from grassroots.outreach import coverage as cov
    from grassroots.outreach.models import CoverageCount, VisitDuty

    out = []
    with cov.analytic_statements(), connection.cursor() as cursor:
        from_sql, params = cov.duty_sql(
            as_of=as_of, rules=cov.active_rules(), active=False, county_id=county_id
        )
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(*), SUM(d.interval_days), MAX(d.last_visit), "  # noqa: S608
            f"COUNT(d.last_visit), MAX(d.place_region) {from_sql}",
            params,
        )
        out.append("== generation of one county (the SELECT of duties_generate)\n")
        out += [row[0] for row in cursor.fetchall()]
        leader = Actor(user=None, role="leader", region_paths=(county_path,), county_paths=(county_path,))
        for title, qs in (
            (
                "a county leader's dashboard, by village, from the day's counts",
                CoverageCount.objects.visible_to(leader).filter(as_of=as_of).order_by().values("region_id"),
            ),
            (
                "a city administrator's dashboard, by officer, from the day's counts",
                CoverageCount.objects.filter(as_of=as_of).order_by().values("officer_id"),
            ),
        ):
            qs = qs.annotate(Sum("assigned"), Sum("covered"), Sum("overdue"))
            sql, sql_params = qs.query.sql_with_params()
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", sql_params)
            out.append(f"\n== {title}\n")
            out += [row[0] for row in cursor.fetchall()]
        states = cov.duty_state_filters(as_of)
        qs = (
            VisitDuty.objects.visible_to(leader)
            .active_on(as_of)
            .order_by()
            .values("region_id")
            .annotate(
                n=Count("pk"),
                c=Count("pk", filter=states["covered"]),
                o=Count("pk", filter=states["overdue"]),
            )
        )
        sql, sql_params = qs.query.sql_with_params()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", sql_params)
        out.append(
            "\n== a county leader's dashboard, by village, from the duty rows (a day without counts)\n"
        )
        out += [row[0] for row in cursor.fetchall()]
    return "\n".join(out)


def _child(households: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    as_of = timezone.localdate()
    load_seconds, counts = _timed(lambda: _generate(households, as_of))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    from grassroots.common.scoping import Actor
    from grassroots.outreach import coverage as cov
    from grassroots.outreach import selectors
    from grassroots.outreach.models import Liaison, VisitDuty
    from grassroots.territory.models import Region
    from grassroots.workforce.models import Officer

    m: dict[str, Any] = {}
    # 1. Generating all due lists: the product, then the plain-SQL reference, then the product again.
    m["generate"], run = _timed(lambda: cov.duties_generate(as_of=as_of))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    m["generate_reference"], reference_rows = _timed(lambda: _reference_generation(as_of))
    m["generate_again"], again = _timed(lambda: cov.duties_generate(as_of=as_of))
    m["checksum"] = _checksum("outreach_visitduty", as_of)
    m["checksum_reference"] = _checksum(REFERENCE_TABLE, as_of)
    m["duties"], m["reference_rows"] = run.duties, reference_rows
    # 2. The dashboard: actors × groups, through the selector and in plain SQL.
    counties = list(Region.objects.filter(level=3).order_by("code"))
    towns = list(Region.objects.filter(level=4).order_by("code"))
    sample = random.Random(3)
    actors = [("city_admin", Actor(user=None, role="admin"), None)]
    actors += [
        (
            f"county_leader:{c.code}",
            Actor(user=None, role="leader", region_paths=(c.path,), county_paths=(c.path,)),
            (c.path,),
        )
        for c in counties
    ]
    for t in sample.sample(towns, min(10, len(towns))):
        county_path = "/".join(t.path.split("/")[:3]) + "/"
        actors.append(
            (
                f"township_leader:{t.code}",
                Actor(user=None, role="leader", region_paths=(t.path,), county_paths=(county_path,)),
                (t.path,),
            )
        )
    groups = {
        "officer": "officer_id",
        "village": "region_id",
        "township": "township_id",
        "grid": "grid_id",
        "county": "county_id",
    }
    dashboard: dict[str, list[float]] = {"city": [], "county": [], "township": []}
    from_rows: dict[str, list[float]] = {"city": [], "county": [], "township": []}
    reference: dict[str, list[float]] = {"city": [], "county": [], "township": []}
    tomorrow = as_of + timedelta(days=1)
    mismatches = 0
    for _ in range(REPEATS):
        for name, actor, paths in actors:
            scope = name.split("_")[0]
            for group, column in groups.items():
                seconds, rows = _timed(
                    lambda a=actor, g=group: selectors.coverage_report(actor=a, group=g, as_of=as_of)
                )
                dashboard[scope].append(seconds)
                from_rows[scope].append(
                    _timed(
                        lambda a=actor, g=group: selectors.coverage_report(actor=a, group=g, as_of=tomorrow)
                    )[0]
                )
                seconds, raw = _timed(lambda c=column, p=paths: _reference_dashboard(c, p, as_of))
                reference[scope].append(seconds)
                mine = sorted(((r.key or 0), r.assigned, r.covered, r.overdue) for r in rows)
                theirs = sorted(((k or 0), int(a), int(c or 0), int(o or 0)) for k, a, c, o in raw)
                mismatches += mine != theirs
    m["dashboard_from_rows"] = from_rows
    m["dashboard"], m["dashboard_reference"], m["dashboard_mismatches"] = dashboard, reference, mismatches
    # 3. The officer's day due list (one officer, from the visits).
    officers = list(Officer.objects.order_by("?")[:20])
    day_times, day_reference = [], []
    for officer in officers:
        actor = Actor(user=None, role="officer", officer=officer)
        seconds, items = _timed(
            lambda a=actor, o=officer: selectors.due_list(actor=a, officer=o, as_of=as_of, horizon_days=0)
        )
        day_times.append(seconds)
        day_reference.append(
            _timed(
                lambda o=officer: list(
                    VisitDuty.objects.filter(officer=o, due_on__lte=as_of).values_list("pk")
                )
            )[0]
        )
    m["officer_day"], m["officer_day_reference"] = day_times, day_reference
    # 4. Once: one county's coverage computed from the visits, without the generated rows.
    county = counties[0]
    leader = Actor(user=None, role="leader", region_paths=(county.path,), county_paths=(county.path,))
    m["live_county"], _rows = _timed(
        lambda: cov.coverage_counts(liaisons=Liaison.objects.visible_to(leader), as_of=as_of, group="village")
    )
    if connection.vendor == "postgresql":
        (BENCH_DIR / "bench_coverage_plans.txt").write_text(_plans(as_of, county.pk, county.path))
    return {
        "vendor": connection.vendor,
        "counts": counts,
        "load_seconds": load_seconds,
        "measures": m,
        "generated_again": again.duties,
        "actors": len(actors),
    }


# ------------------------------------------------------------------------------------------- parent


def _option(options: Any, name: str, default: Any = None) -> Any:
    return options.get(name, default) if isinstance(options, dict) else getattr(options, name, default)


def _pg_admin(sql: str, server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def measure(households: int, pg: bool = False, pg_server: str = PG_SERVER) -> dict[str, Any]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sqlite_path = BENCH_DIR / "bench_coverage.sqlite3"
    if pg:
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
            "SECRET_KEY": "bench-coverage-" + "k" * 60,
            "FIELD_ENCRYPTION_KEYS": "sJ4v8Qm0n3p9XyZ1bC2dE5fG7hJ8kL0mN2oP4qR6sT8=",
            "FIELD_HASH_KEY": "bench-coverage-hash-key",
            "GRASSROOTS_VAR_DIR": str(BENCH_DIR),
            "PYTHONPATH": str(ROOT),
        }
    )
    try:
        result = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(households)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=4 * 3600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"coverage benchmark child failed:\n{result.stderr[-4000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        if pg:
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}", pg_server)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)


def _figure(
    name: str, value: float, reference: float | None, median: float | None, notes: str, unit="s"
) -> dict:
    return {
        "name": name,
        "value": round(value, 4),
        "unit": unit,
        "reference_value": None if reference is None else round(reference, 4),
        "ratio": round(value / reference, 2) if reference else None,
        "median": None if median is None else round(median, 4),
        "notes": notes,
    }


def run(options: Any) -> list[dict[str, Any]]:
    explicit = _option(options, "households")
    scale = _option(options, "scale") or "county"
    households = int(explicit) if explicit else SCALES.get(str(scale), SCALES["county"])
    pg = bool(_option(options, "pg", False))
    data = measure(households, pg=pg, pg_server=_option(options, "pg_server", None) or PG_SERVER)
    vendor, c, m = data["vendor"], data["counts"], data["measures"]
    label = f"{households}" if explicit else str(scale)
    base = (
        f"{c['households']:,} households ({c['care_tagged']:,} care-tagged), {c['liaisons']:,} liaisons "
        f"({c['handovers']:,} handovers), {c['visits']:,} visits, {c['officers']:,} officers, "
        f"{c['villages']:,} villages in {c['counties']} counties; data load {data['load_seconds']:.0f} s"
    )
    same = m["checksum"] == m["checksum_reference"]
    results = [
        _figure(
            f"outreach.due_lists_generate_seconds.{label}.{vendor}",
            m["generate"],
            m["generate_reference"],
            None,
            f"duties_generate for every county ({m['duties']:,} duties; again: {m['generate_again']:.1f} s, "
            f"{data['generated_again']:,} duties, idempotent); reference: one hand-written set-based INSERT … "
            f"SELECT ({m['reference_rows']:,} rows); results {'identical' if same else 'DIFFER'} by checksum "
            f"{m['checksum']} vs {m['checksum_reference']}; target < 60 s at city scale; {base}",
        )
    ]
    for scope, what in (
        ("city", "a city administrator"),
        ("county", "each county leader"),
        ("township", "10 township leaders"),
    ):
        values, refs = m["dashboard"][scope], m["dashboard_reference"][scope]
        if not values:
            continue
        results.append(
            _figure(
                f"outreach.coverage_dashboard_p95_seconds.{scope}.{label}.{vendor}",
                _p95(values),
                _p95(refs),
                statistics.median(values),
                f"coverage_report for {what}, grouped by officer, village, township, grid and county, "
                f"{REPEATS} rounds ({len(values)} queries; p95, median in the median column); reference: "
                f"hand-written GROUP BY over the same generated rows and scope (p95); "
                f"{m['dashboard_mismatches']} mismatching results; target p95 < 300 ms",
            )
        )
        rows = m["dashboard_from_rows"][scope]
        results.append(
            _figure(
                f"outreach.coverage_dashboard_from_duty_rows_p95_seconds.{scope}.{label}.{vendor}",
                _p95(rows),
                _p95(refs),
                statistics.median(rows),
                f"the same queries for tomorrow, a day the generation's counts do not answer: summed from the "
                f"{m['duties']:,} generated duty rows in the scope; reference as above",
            )
        )
    results.append(
        _figure(
            f"outreach.officer_day_due_p95_seconds.{label}.{vendor}",
            _p95(m["officer_day"]),
            _p95(m["officer_day_reference"]),
            statistics.median(m["officer_day"]),
            "one officer's due list computed from the visits (the officer's day), 20 sampled officers; "
            "reference: reading the same officer's generated rows",
        )
    )
    results.append(
        _figure(
            f"outreach.coverage_from_visits_one_county_seconds.{label}.{vendor}",
            m["live_county"],
            None,
            None,
            "one county leader's coverage by village computed from the visits (what the dashboard does "
            "for a past day, when no generated rows answer)",
        )
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--households", type=int, default=SCALES["county"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(int(args.child)), default=str))
        return
    for r in run({"households": args.households, "pg": args.pg}):
        print(
            f"{r['name']}: {r['value']} {r['unit']} (reference {r['reference_value']}, ratio {r['ratio']}, median {r['median']}) — {r['notes']}"
        )


if __name__ == "__main__":
    main()
