"""Benchmark: the officer's "my requests" page at city scale on PostgreSQL.

The data: a copy (``CREATE DATABASE … TEMPLATE``) of a database that already holds ``manage.py demo --scale
city --seed 1`` (about 2M households, 5,000 officers, 600,000 requests a year), named by ``--source`` or
``BENCH_CITY_DB``. Without one (the default), a synthetic city is written with COPY into a fresh database
(``--scale synthetic``): 10 counties × 15 townships × 20 villages, a court and a filing centre per county, a
tribunal and a service centre per township, 5,000 officers (one post each, the court presidents leaders of
their county's subtree), and a year of requests (``--requests``, default 360,000; seasonal, skewed across
villages) with their lead and assisting unit links (some reassigned: an inactive old lead), their assignee
and linked duplicates (并单); about one in eight is still open. ``--scale tiny|county|city`` generates the
demo instead. The copy is migrated
(casework's own migrations, so new indexes are in place), analysed, measured and dropped; the source
database is only read (copied). With ``--in-place`` the source itself is migrated (casework's migrations only)
and measured, everything else the measurement writes (the officers' logins) being rolled back.

Measured in one child process, for a seeded sample of officers with work in the data (each given a login
in the copy), several times each:

* the page: ``GET /casework/`` through Django's test client (session, scope, selector, count, first page of
  50, template), default filters and the "overdue" filter;
* the selector alone: the same queries the page runs (count and first page), without rendering;
* the reference: the equivalent hand-written SQL on the same data (the officer's assigned requests and those
  led by their unit subtree, open, not linked; ``count(*)`` and the first 50 rows by deadline).

It also prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the page's two queries for the officer with the most open
work, so the plans can be checked at this scale.

    python bench/bench_my_requests.py [--source DB [--in-place]] [--officers 150] [--repeats 3]
                                      [--scale synthetic|tiny|county|city] [--requests 360000] [--keep]
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
COPY_DB = "grassroots_bench_casework_myreq"
SECRET_ENV = {
    "SECRET_KEY": "bench-my-requests-" + "k" * 50,
    "FIELD_ENCRYPTION_KEYS": "sJ4v8Qm0n3p9XyZ1bC2dE5fG7hJ8kL0mN2oP4qR6sT8=",
    "FIELD_HASH_KEY": "bench-my-requests-hash-key",
}
OPEN = ("registered", "accepted", "assigned", "in_progress", "reopened")
# The officer's work as one would write it by hand: the union of the assignee index and the lead links of
# the unit subtree (an OR of the two makes PostgreSQL scan the whole request table).
REFERENCE_WHERE = """
    r.matter_id IS NULL AND r.status = ANY(%(open)s)
    AND r.id IN (
        SELECT id FROM casework_request WHERE assignee_id = %(officer)s AND status = ANY(%(open)s)
        UNION
        SELECT ru.request_id FROM casework_requestunit ru JOIN workforce_unit u ON u.id = ru.unit_id
        WHERE ru.role = 'lead' AND ru.is_active AND u.path LIKE ANY(%(paths)s))
"""
REFERENCE_PAGE = f"""
    SELECT r.id, r.tracking_code, r.title, r.kind, r.status, r.risk, r.is_confidential, r.due_at, r.is_paused,
           reg.name, o.name
    FROM casework_request r JOIN territory_region reg ON reg.id = r.region_id
    LEFT JOIN workforce_officer o ON o.id = r.assignee_id
    WHERE {REFERENCE_WHERE} ORDER BY r.due_at ASC NULLS LAST, r.id LIMIT 50
"""  # noqa: S608 - a constant; the values are parameters
REFERENCE_COUNT = f"SELECT count(*) FROM casework_request r WHERE {REFERENCE_WHERE}"  # noqa: S608


def _option(options: Any, name: str, default: Any = None) -> Any:
    value = options.get(name) if isinstance(options, dict) else getattr(options, name, None)
    return default if value is None else value


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else 0.0


# -------------------------------------------------------------------------------------------- child


def _synthesise(requests_per_year: int, officers_n: int = 5000) -> dict[str, int]:  # noqa: C901 - one script
    """Write the synthetic city with COPY (see the module doc); returns the row counts."""
    from datetime import UTC, date, datetime, timedelta

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from grassroots.casework.models import Request, RequestUnit
    from grassroots.common.demo import DemoContext
    from grassroots.territory.models import Region
    from grassroots.workforce.models import Assignment, Officer, Post, Unit

    class _Writer:
        vendor = connection.vendor

    def insert(model: Any, fields: list[str], rows: list[tuple]) -> int:
        total = 0
        for start in range(0, len(rows), 100_000):
            total += DemoContext.insert_rows(_Writer(), model, fields, rows[start : start + 100_000])
        return total

    rng = random.Random(5)
    now = datetime.now(UTC).replace(microsecond=0)
    counties, townships, villages_per = 10, 15, 20
    with transaction.atomic():
        regions = [
            (1, "980000", "省", 1, None, "980000/", False),
            (2, "980100", "市", 2, 1, "980000/980100/", False),
        ]
        county_ids, towns, villages = [], [], []
        next_id = 10
        for c in range(counties):
            code = f"9801{c + 1:02d}"
            county_id, next_id = next_id, next_id + 1
            cpath = f"980000/980100/{code}/"
            regions.append((county_id, code, f"县{c}", 3, 2, cpath, False))
            county_ids.append(county_id)
            for t in range(townships):
                tcode = f"{code}{t + 100:03d}"
                town_id, next_id = next_id, next_id + 1
                regions.append((town_id, tcode, f"镇{c}-{t}", 4, county_id, f"{cpath}{tcode}/", False))
                towns.append((town_id, county_id, c, t))
                for v in range(villages_per):
                    vcode = f"{tcode}{v + 1:03d}"
                    regions.append(
                        (next_id, vcode, f"村{c}-{t}-{v}", 5, town_id, f"{cpath}{tcode}/{vcode}/", False)
                    )
                    villages.append((next_id, town_id, county_id))
                    next_id += 1
        insert(Region, ["id", "code", "name", "level", "parent_id", "path", "is_urban"], regions)
        units, posts = [], []
        court, filing, town_units = {}, {}, {}
        for c, county_id in enumerate(county_ids):
            uid = len(units) + 1
            court[county_id] = uid
            units.append((uid, f"C{c}", f"县{c}法院", "court", None, f"C{c}/", county_id, True))
            filing[county_id] = uid + 1
            units.append(
                (
                    uid + 1,
                    f"C{c}-LA",
                    f"县{c}诉讼服务中心",
                    "filing_centre",
                    uid,
                    f"C{c}/LA/",
                    county_id,
                    True,
                )
            )
        for town_id, county_id, c, t in towns:
            uid = len(units) + 1
            units.append(
                (uid, f"T{c}-{t}", f"法庭{c}-{t}", "tribunal", court[county_id], f"C{c}/T{t}/", town_id, True)
            )
            units.append(
                (
                    uid + 1,
                    f"G{c}-{t}",
                    f"镇{c}-{t}综治中心",
                    "service_centre",
                    None,
                    f"G{c}-{t}/",
                    town_id,
                    True,
                )
            )
            town_units[town_id] = (uid, uid + 1)
        insert(Unit, ["id", "code", "name", "kind", "parent_id", "path", "region_id", "is_active"], units)
        for uid, code, *_rest in units:
            posts.append(
                (
                    uid,
                    uid,
                    f"{code}-P",
                    "岗位",
                    True,
                    code.startswith("C") and "-" not in code,
                    1,
                    0,
                    9999,
                    True,
                )
            )
        insert(Post, ["id", "unit_id", "code", "name", "is_front_line", "is_leadership", "difficulty_weight",
                      "min_staff", "max_staff", "is_active"], posts)  # fmt: skip
        # Officers: the court presidents lead their county; the others are spread over the units, more in the
        # townships' tribunals and centres than in the county offices.
        unit_ids = [u[0] for u in units]
        weights = [1 if u[3] == "court" else 3 if u[1].endswith("-LA") else 8 for u in units]
        leader_units = list(court.values())
        officer_unit = leader_units + rng.choices(unit_ids, weights=weights, k=officers_n - len(leader_units))
        users, officers, assignments = [], [], []
        joined = now - timedelta(days=400)
        for i, uid in enumerate(officer_unit):
            oid = i + 1
            role = "leader" if i < len(leader_units) else "officer"
            users.append((oid, "!", f"o{oid}", "", "", "", False, False, True, joined, role))
            officers.append(
                (oid, oid, f"S{oid:06d}", f"干部{oid}", "", date(2015, 1, 1), "", "[]", "", True, 1)
            )
            assignments.append((oid, uid, date(2020, 1, 1), None, "actual", ""))
        insert(get_user_model(), ["id", "password", "username", "first_name", "last_name", "email",
                                  "is_superuser", "is_staff", "is_active", "date_joined", "role"], users)  # fmt: skip
        insert(Officer, ["id", "user_id", "staff_number", "name", "gender", "hire_date", "title", "skills",
                         "work_phone", "is_active", "version"], officers)  # fmt: skip
        insert(Assignment, ["officer_id", "post_id", "start", "end", "kind", "note"], assignments)
        by_unit: dict[int, list[int]] = {}
        for oid, uid in enumerate(officer_unit, start=1):
            by_unit.setdefault(uid, []).append(oid)
        # Requests over a year, with their unit links.
        names, defaults = [], []
        for f in Request._meta.concrete_fields:
            names.append(f.attname)
            defaults.append(None if f.null else f.get_default())
        index = {n: i for i, n in enumerate(names)}
        village_weights = [rng.lognormvariate(0, 0.6) for _ in villages]
        chosen = rng.choices(villages, weights=village_weights, k=requests_per_year)
        rows, links = [], []
        roots: list[int] = []
        open_count = 0
        for pk, (vid, town_id, county_id) in enumerate(chosen, start=1):
            created = now - timedelta(seconds=rng.randrange(365 * 86_400))
            age = (now - created).days
            roll = rng.random()
            if age < 3 and roll < 0.5:
                status = "registered"
            elif age < 25 and roll < 0.6:
                status = rng.choice(("accepted", "assigned", "in_progress", "in_progress", "reopened"))
            elif age < 45 and roll < 0.3:
                status = rng.choice(("resolved", "follow_up"))
            elif roll < 0.03:
                status = rng.choice(("rejected", "redirected"))
            elif roll < 0.035:
                status = rng.choice(("in_progress", "assigned"))  # old and still open: overdue
            else:
                status = "closed"
            open_count += status in OPEN
            tribunal, centre = town_units[town_id]
            lead = tribunal if rng.random() < 0.35 else centre
            if rng.random() < 0.05:
                lead = filing[county_id]
            handled = status not in ("registered", "accepted", "rejected", "redirected")
            assignee = rng.choice(by_unit[lead]) if handled and by_unit.get(lead) else None
            matter = None
            if roots and status in ("registered", "accepted") and rng.random() < 0.04:
                matter = roots[-rng.randrange(1, min(len(roots), 300) + 1)]
            row = list(defaults)
            due = created + timedelta(days=rng.choice((3, 5, 7, 15, 30)))
            for name, value in (
                ("id", pk), ("tracking_code", f"S{pk:09d}"), ("kind", "help"), ("channel", "hotline"),
                ("title", f"诉求{pk}"), ("description", "诉求内容"), ("region_id", vid), ("county_id", county_id),
                ("status", status), ("is_paused", False), ("due_at", due), ("matter_id", matter),
                ("assignee_id", assignee), ("created_at", created), ("updated_at", created),
                ("deadline_amount", 5), ("deadline_unit", "calendar_days"), ("urgency", "normal"), ("risk", "blue"),
            ):  # fmt: skip
                if name in index:
                    row[index[name]] = value
            rows.append(tuple(row))
            if matter is None:
                roots.append(pk)
            if handled:
                at = created + timedelta(hours=3)
                if rng.random() < 0.08:  # returned and reassigned: the first lead link is kept, inactive
                    links.append((pk, centre if lead != centre else tribunal, "lead", False, at))
                links.append((pk, lead, "lead", True, at))
                if rng.random() < 0.15:
                    links.append((pk, centre if lead != centre else tribunal, "assist", True, at))
        requests = insert(Request, names, rows)
        links_n = insert(RequestUnit, ["request_id", "unit_id", "role", "is_active", "assigned_at"], links)
        with connection.cursor() as cursor:
            for model in (get_user_model(), Officer, Unit, Post, Region, Request):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )  # noqa: S608
    return {"requests": requests, "open": open_count, "unit_links": links_n, "officers": officers_n,
            "units": len(units), "villages": len(villages)}  # fmt: skip


def _child_prepare(scale: str, generate: bool, requests: int = 360_000) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    synthetic: dict[str, int] = {}
    if generate and scale == "synthetic":
        call_command("migrate", verbosity=0)
        synthetic = _synthesise(requests)
    elif generate:
        call_command("migrate", verbosity=0)
        call_command("demo", scale=scale, seed=1, verbosity=0)
    else:
        call_command("migrate", "casework", verbosity=0)
    # The page is served as in production (DEBUG off): static files are collected and hashed first.
    call_command("collectstatic", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        # After a bulk load, the state autovacuum soon brings the tables to: statistics, and the visibility
        # map that lets index-only scans skip the table.
        cursor.execute(
            "VACUUM (ANALYZE) casework_request, casework_requestunit, workforce_unit, workforce_officer"
        )
    return {"prepare_seconds": round(time.perf_counter() - started, 1), "synthetic": synthetic}


def _sample_officers(count: int, seed: int) -> tuple[list[Any], list[Any]]:
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q

    from grassroots.casework.models import Request
    from grassroots.workforce.models import Officer

    # Officers with open work assigned to them, and officers of units that lead open work.
    busy = (
        Request.objects.filter(status__in=OPEN, matter__isnull=True, assignee__isnull=False)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    ids = [row["assignee_id"] for row in busy[:5000]]
    rng = random.Random(seed)
    chosen = sorted(rng.sample(ids, min(count, len(ids))))
    user_model = get_user_model()
    officers = list(Officer.objects.filter(pk__in=chosen).select_related("user"))
    for officer in officers:
        if officer.user_id is None:
            user = user_model.objects.create(username=f"bench-officer-{officer.pk}", role="officer")
            Officer.objects.filter(pk=officer.pk).update(user=user)
            officer.user = user
    leaders = list(user_model.objects.filter(Q(role="leader"), officer__isnull=False)[:5])
    return officers, leaders


def _reference(cursor: Any, actor: Any) -> tuple[float, int]:
    params = {
        "open": list(OPEN),
        "officer": actor.officer.pk if actor.officer else None,
        "paths": [f"{p}%" for p in actor.unit_paths] or ["-"],
    }
    t0 = time.perf_counter()
    cursor.execute(REFERENCE_COUNT, params)
    total = cursor.fetchone()[0]
    cursor.execute(REFERENCE_PAGE, params)
    cursor.fetchall()
    return time.perf_counter() - t0, total


def _child_measure(officers_wanted: int, repeats: int, plans_path: str) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from grassroots.casework import selectors
    from grassroots.common.pagination import KeysFirstPaginator
    from grassroots.common.scoping import actor_for

    results: dict[str, list[float]] = {"page": [], "page_overdue": [], "selector": [], "reference": []}
    sizes: list[int] = []
    plans: list[str] = []
    # Everything below (the logins it creates, the sessions) is rolled back: the copy stays as generated.
    with transaction.atomic():
        officers, leaders = _sample_officers(officers_wanted, seed=1)
        users = [o.user for o in officers] + leaders
        clients = {}
        for user in users:
            client = Client()
            client.force_login(user)
            clients[user.pk] = client
        # Warm-up: imports, templates, the first query plans.
        for user in users[:5]:
            clients[user.pk].get("/casework/")
        heaviest = (0, None)
        with connection.cursor() as cursor:
            for _ in range(repeats):
                for user in users:
                    actor = actor_for(user)
                    t0 = time.perf_counter()
                    page = KeysFirstPaginator(selectors.my_requests(actor=actor), 50).get_page(1)
                    list(page)
                    results["selector"].append(time.perf_counter() - t0)
                    sizes.append(page.paginator.count)
                    if page.paginator.count > heaviest[0]:
                        heaviest = (page.paginator.count, user)
                    seconds, total = _reference(cursor, actor)
                    results["reference"].append(seconds)
                    if total != page.paginator.count:
                        raise RuntimeError(f"reference counts {total}, the page {page.paginator.count}")
                    t0 = time.perf_counter()
                    assert clients[user.pk].get("/casework/").status_code == 200
                    results["page"].append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    assert clients[user.pk].get("/casework/?deadline=overdue").status_code == 200
                    results["page_overdue"].append(time.perf_counter() - t0)
            user = heaviest[1]
            if user is not None:
                with CaptureQueriesContext(connection) as captured:
                    clients[user.pk].get("/casework/")
                for query in captured.captured_queries:
                    if "casework_request" in query["sql"] and "SAVEPOINT" not in query["sql"]:
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                        plans.append(query["sql"] + "\n" + "\n".join(r[0] for r in cursor.fetchall()))
        transaction.set_rollback(True)
    Path(plans_path).write_text("\n\n".join(plans), encoding="utf-8")
    summary = {
        name: {
            "p50_ms": _percentile(values, 0.5) * 1000,
            "p95_ms": _percentile(values, 0.95) * 1000,
            "max_ms": max(values) * 1000,
            "samples": len(values),
        }
        for name, values in results.items()
    }
    from grassroots.casework.models import Request

    summary["officers"] = len(officers) + len(leaders)
    summary["open_rows"] = {"median": statistics.median(sizes), "max": max(sizes)}
    summary["requests"] = Request.objects.count()
    summary["plans"] = plans_path
    return summary


# -------------------------------------------------------------------------------------------- parent


def _pg_admin(sql: str, server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(SECRET_ENV)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "GRASSROOTS_VAR_DIR": str(ROOT / "var" / "bench"),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"my-requests benchmark child {args} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(
    officers: int = 150,
    repeats: int = 3,
    scale: str = "synthetic",
    source: str = "",
    requests: int = 360_000,
    pg_server: str = PG_SERVER,
    keep: bool = False,
    in_place: bool = False,
    plans: str = str(ROOT / "var" / "bench" / "my_requests_plans.txt"),
) -> dict[str, Any]:
    Path(plans).parent.mkdir(parents=True, exist_ok=True)
    use_city = bool(source)
    if in_place and use_city:
        env = _env(f"{pg_server}/{source}")
        prepared = _child(env, "prepare", scale, "no")
        data = _child(env, "measure", str(officers), str(repeats), plans)
        data.update(prepared, data_scale="city (the city demo, measured in place)")
        return data
    _pg_admin(f"DROP DATABASE IF EXISTS {COPY_DB}", pg_server)
    if use_city:
        for attempt in range(30):  # the template must have no other connection at the moment of the copy
            try:
                _pg_admin(f"CREATE DATABASE {COPY_DB} TEMPLATE {source}", pg_server)
                break
            except Exception:  # noqa: BLE001 - "source database is being accessed by other users"
                if attempt == 29:
                    raise
                time.sleep(10)
    else:
        _pg_admin(f"CREATE DATABASE {COPY_DB}", pg_server)
    env = _env(f"{pg_server}/{COPY_DB}")
    try:
        prepared = _child(env, "prepare", scale, "no" if use_city else "yes", str(requests))
        data = _child(env, "measure", str(officers), str(repeats), plans)
    finally:
        if not keep:
            _pg_admin(f"DROP DATABASE IF EXISTS {COPY_DB}", pg_server)
    if use_city:
        data.update(prepared, data_scale="city (copy of the city demo)")
    else:
        data.update(prepared, data_scale="city (synthetic, COPY)" if scale == "synthetic" else scale)
    return data


def run(options: Any) -> list[dict[str, Any]]:
    data = measure(
        officers=int(_option(options, "officers", 150)),
        repeats=int(_option(options, "repeats", 3)),
        scale=_option(options, "scale", "synthetic") or "synthetic",
        requests=int(_option(options, "requests", 360_000)),
        source=_option(options, "source", "") or os.environ.get("BENCH_CITY_DB", ""),
        pg_server=_option(options, "pg_server", PG_SERVER),
        keep=bool(_option(options, "keep", False)),
        in_place=bool(_option(options, "in_place", False)),
    )
    scale = data["data_scale"].split()[0]
    page, overdue, selector, reference = (data[k] for k in ("page", "page_overdue", "selector", "reference"))
    context = (
        f"{data['requests']} requests; {data['officers']} officers sampled (open rows each: median "
        f"{data['open_rows']['median']}, max {data['open_rows']['max']}); {page['samples']} page loads; "
        f"plans of the heaviest officer's queries in {data['plans']}"
    )
    return [
        {
            "name": f"my_requests.page_p95_ms.{scale}.postgresql",
            "value": round(page["p95_ms"], 1),
            "unit": "ms",
            "reference_value": round(reference["p95_ms"], 1),
            "ratio": round(page["p95_ms"] / reference["p95_ms"], 2) if reference["p95_ms"] else None,
            "median": round(page["p50_ms"], 1),
            "notes": "GET /casework/ (test client: session, scope, count + first 50, template); reference: the "
            "equivalent hand-written SQL (count + first 50) on the same data; ratio = page / reference. "
            + context,
        },
        {
            "name": f"my_requests.page_overdue_p95_ms.{scale}.postgresql",
            "value": round(overdue["p95_ms"], 1),
            "unit": "ms",
            "median": round(overdue["p50_ms"], 1),
            "notes": "GET /casework/?deadline=overdue",
        },
        {
            "name": f"my_requests.selector_p95_ms.{scale}.postgresql",
            "value": round(selector["p95_ms"], 1),
            "unit": "ms",
            "reference_value": round(reference["p95_ms"], 1),
            "ratio": round(selector["p95_ms"] / reference["p95_ms"], 2) if reference["p95_ms"] else None,
            "median": round(selector["p50_ms"], 1),
            "notes": "selectors.my_requests: count + first page of 50 read keys first, as the page and the API "
            "do (KeysFirstPaginator), no rendering; "
            "ratio = selector / hand-written SQL",
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--officers", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--scale",
        default="synthetic",
        help="without --source: synthetic (a city written with COPY) or a demo scale (tiny, county, city)",
    )
    parser.add_argument("--requests", type=int, default=360_000, help="requests of the synthetic city")
    parser.add_argument(
        "--source",
        default=os.environ.get("BENCH_CITY_DB", ""),
        help="database holding the city demo (copied)",
    )
    parser.add_argument("--pg-server", default=os.environ.get("BENCH_PG_SERVER", PG_SERVER))
    parser.add_argument("--keep", action="store_true", help="keep the copy database afterwards")
    parser.add_argument("--in-place", action="store_true", help="migrate and measure the source itself")
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        what, *rest = args.child
        if what == "prepare":
            print(json.dumps(_child_prepare(rest[0], rest[1] == "yes", int(rest[2]) if len(rest) > 2 else 0)))
        else:
            print(json.dumps(_child_measure(int(rest[0]), int(rest[1]), rest[2]), default=str))
        return
    for row in run(args):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
