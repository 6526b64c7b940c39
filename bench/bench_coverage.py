"""Coverage computation at scale: ``python bench/bench_coverage.py [--households N] [--pg]``.

A child process migrates a throw-away database, writes a synthetic territory (counties of 15 townships of
20 villages, 3 grids per village, one liaison officer per 400 households, 20 % of households care-tagged),
one household liaison per household, an organisation liaison per 50 households and about 1.5 visits per
liaison over the last 120 days (plain executemany / COPY), then times ``coverage_counts`` grouped by
officer, village and township, and a county leader's scoped report. The reference, measured in the same
run on the same rows, is the cheapest query over the same liaisons: ``COUNT(*) … GROUP BY officer`` of the
active liaisons, without rules or visits.
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
PG_DB = "grassroots_bench_coverage"
SCALES = {"tiny": 6_000, "county": 170_000, "city": 2_000_000, "province": 20_000_000}
AS_OF = date(2025, 6, 30)
REPEATS = 3
HOUSEHOLDS_PER_VILLAGE = 660
HOUSEHOLDS_PER_OFFICER = 400


# ------------------------------------------------------------------------------------- child process


def _insert(model: Any, fields: list[str], rows: list[tuple]) -> None:
    from grassroots.common.demo import DemoContext

    DemoContext.insert_rows(_FakeContext(), model, fields, rows)


class _FakeContext:
    @property
    def vendor(self) -> str:
        from django.db import connection

        return connection.vendor


def _generate(households: int) -> dict[str, int]:
    from django.db import transaction
    from django.utils import timezone

    from grassroots.outreach.defaults import ensure_default_rules
    from grassroots.outreach.models import Liaison, Visit
    from grassroots.territory.models import CareTag, Grid, Household, Organization, Region
    from grassroots.workforce.models import Officer

    rng = random.Random(7)
    now = timezone.now()
    villages_total = max(1, households // HOUSEHOLDS_PER_VILLAGE)
    per_county = 15 * 20
    counties = max(1, -(-villages_total // per_county))
    counts: dict[str, int] = {}
    with transaction.atomic():
        province = Region.objects.create(code="990000", name="省", level=1, path="990000/")
        city = Region.objects.create(
            code="990100", name="市", level=2, parent=province, path="990000/990100/"
        )
        region_rows, villages = [], []
        next_id = 1000
        for c in range(counties):
            county_code = f"9901{c + 1:02d}"
            county_id = next_id
            next_id += 1
            region_rows.append(
                (county_id, county_code, f"县{c}", 3, city.pk, f"{city.path}{county_code}/", False)
            )
            for t in range(15):
                town_code = f"{county_code}{t + 100:03d}"
                town_id = next_id
                next_id += 1
                town_path = f"{city.path}{county_code}/{town_code}/"
                region_rows.append((town_id, town_code, f"镇{t}", 4, county_id, town_path, False))
                for v in range(20):
                    if len(villages) >= villages_total:
                        break
                    code = f"{town_code}{v + 1:03d}"
                    region_rows.append((next_id, code, f"村{v}", 5, town_id, f"{town_path}{code}/", False))
                    villages.append((next_id, county_id))
                    next_id += 1
        _insert(Region, ["id", "code", "name", "level", "parent_id", "path", "is_urban"], region_rows)
        grid_rows, grids = [], {}
        for i, (village_id, county_id) in enumerate(villages):
            grids[village_id] = []
            for g in range(3):
                grid_id = i * 3 + g + 1
                grid_rows.append((grid_id, f"G{village_id}-{g}", f"网格{g}", village_id, county_id))
                grids[village_id].append(grid_id)
        _insert(Grid, ["id", "code", "name", "region_id", "county_id"], grid_rows)
        officers = max(1, households // HOUSEHOLDS_PER_OFFICER)
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
        tags = list(CareTag.objects.values_list("id", flat=True))
        rules = ensure_default_rules()
        household_rows, tag_rows, liaison_rows, visit_rows, org_rows, org_liaisons = [], [], [], [], [], []
        start = AS_OF - timedelta(days=365)
        for h in range(households):
            hid = h + 1
            village_id, county_id = villages[min(h // HOUSEHOLDS_PER_VILLAGE, len(villages) - 1)]
            grid_id = grids[village_id][h % 3]
            officer_id = h // HOUSEHOLDS_PER_OFFICER % officers + 1
            household_rows.append(
                (hid, f"H{hid:08d}", village_id, county_id, grid_id, "地址", True, "", now, now, 1)
            )
            if rng.random() < 0.2:
                tag_rows.append((hid, rng.choice(tags)))
            liaison_rows.append(
                (
                    hid,
                    officer_id,
                    "household",
                    hid,
                    None,
                    grid_id,
                    village_id,
                    county_id,
                    "",
                    start,
                    None,
                    "",
                    now,
                    1,
                )
            )
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                day = AS_OF - timedelta(days=rng.randrange(120))
                visit_rows.append(
                    (
                        officer_id,
                        hid,
                        None,
                        village_id,
                        county_id,
                        day,
                        datetime(day.year, day.month, day.day, 10, tzinfo=now.tzinfo),
                        "in_person",
                        "",
                        "走访",
                        "",
                        now,
                    )
                )
            if h % 50 == 0:
                oid = h // 50 + 1
                org_rows.append(
                    (oid, f"单位{oid}", "enterprise", village_id, county_id, "", "", "", "", True)
                )
                org_liaisons.append(
                    (
                        households + oid,
                        officer_id,
                        "organization",
                        None,
                        oid,
                        None,
                        village_id,
                        county_id,
                        "",
                        start,
                        None,
                        "",
                        now,
                        1,
                    )
                )
                if rng.random() < 0.7:
                    day = AS_OF - timedelta(days=rng.randrange(45))
                    visit_rows.append(
                        (
                            officer_id,
                            None,
                            oid,
                            village_id,
                            county_id,
                            day,
                            datetime(day.year, day.month, day.day, 15, tzinfo=now.tzinfo),
                            "in_person",
                            "",
                            "法制副职走访",
                            "",
                            now,
                        )
                    )
        _insert(
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
            household_rows,
        )
        _insert(Household.care_tags.through, ["household_id", "caretag_id"], tag_rows)
        _insert(
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
            org_rows,
        )
        liaison_fields = [
            "id",
            "officer_id",
            "kind",
            "household_id",
            "organization_id",
            "grid_id",
            "region_id",
            "county_id",
            "duties",
            "start",
            "end",
            "end_reason",
            "created_at",
            "version",
        ]
        _insert(Liaison, liaison_fields, liaison_rows + org_liaisons)
        visit_fields = [
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
        ]
        _insert(Visit, visit_fields, visit_rows)
    counts.update(
        households=households,
        liaisons=len(liaison_rows) + len(org_liaisons),
        visits=len(visit_rows),
        officers=officers,
        villages=len(villages),
        counties=counties,
        rules=len(rules),
        care_tagged=len(tag_rows),
    )
    return counts


def _timed(fn) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _child(households: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    load_seconds, counts = _timed(lambda: _generate(households))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from grassroots.common.scoping import Actor
    from grassroots.outreach import coverage as cov
    from grassroots.outreach.models import Liaison
    from grassroots.territory.models import Region

    def reference() -> int:
        rows = (
            Liaison.objects.active_on(AS_OF)
            .values("officer_id")
            .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
        )
        return len(list(rows))

    county = Region.objects.filter(level=3).order_by("code").first()
    leader = Actor(user=None, role="leader", region_paths=(county.path,), county_paths=(county.path,))
    measures: dict[str, list[float]] = {
        "reference": [],
        "officer": [],
        "village": [],
        "township": [],
        "scoped_county": [],
    }
    totals = {}
    for _ in range(REPEATS):
        measures["reference"].append(_timed(reference)[0])
        for group in ("officer", "village", "township"):
            seconds, rows = _timed(
                lambda g=group: cov.coverage_counts(liaisons=Liaison.objects.all(), as_of=AS_OF, group=g)
            )
            measures[group].append(seconds)
            total = cov.coverage_total(rows)
            totals[group] = [total.assigned, total.covered, total.overdue, total.pending]
        seconds, rows = _timed(
            lambda: cov.coverage_counts(
                liaisons=Liaison.objects.visible_to(leader), as_of=AS_OF, group="village"
            )
        )
        measures["scoped_county"].append(seconds)
        totals["scoped_county"] = cov.coverage_total(rows).assigned
    return {
        "vendor": connection.vendor,
        "counts": counts,
        "load_seconds": load_seconds,
        "measures": measures,
        "totals": totals,
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
            timeout=7200,
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


def run(options: Any) -> list[dict[str, Any]]:
    explicit = _option(options, "households")
    scale = _option(options, "scale") or "county"
    households = int(explicit) if explicit else SCALES.get(str(scale), SCALES["county"])
    pg = bool(_option(options, "pg", False))
    data = measure(households, pg=pg, pg_server=_option(options, "pg_server", None) or PG_SERVER)
    vendor, counts, m = data["vendor"], data["counts"], data["measures"]
    label = explicit and f"{households}" or str(scale)
    reference = statistics.median(m["reference"])
    base = (
        f"{counts['households']:,} households, {counts['liaisons']:,} liaisons, {counts['visits']:,} visits, "
        f"{counts['officers']:,} officers, {counts['villages']:,} villages in {counts['counties']} counties; "
        f"{REPEATS} runs; reference: COUNT(*) GROUP BY officer over the same active liaisons (median "
        f"{reference:.3f} s); load {data['load_seconds']:.0f} s"
    )
    results = []
    for key, what in (
        ("officer", "by officer"),
        ("village", "by village"),
        ("township", "by township"),
        ("scoped_county", "one county leader's scope, by village"),
    ):
        value = min(m[key])
        results.append(
            {
                "name": f"coverage.{key}_seconds.{label}.{vendor}",
                "value": round(value, 3),
                "unit": "s",
                "reference_value": round(min(m["reference"]), 3),
                "ratio": round(value / min(m["reference"]), 2) if min(m["reference"]) else None,
                "median": round(statistics.median(m[key]), 3),
                "notes": f"coverage {what} (best of {REPEATS}); {base}; totals {data['totals'].get(key)}",
            }
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
            f"{r['name']}: {r['value']} s (reference {r['reference_value']} s, ratio {r['ratio']}, median {r['median']}) — {r['notes']}"
        )


if __name__ == "__main__":
    main()
