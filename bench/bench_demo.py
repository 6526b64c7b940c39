"""Benchmark: demo generation (``manage.py demo``) against a raw bulk insert of the same rows.

The demo of one scale is generated into a throw-away database in a child process (Django settings are
process-global): by default the county scale into a SQLite file under var/bench/; with ``--pg`` the city
scale into the PostgreSQL database ``grassroots_bench`` on 127.0.0.1:5432 (user postgres), created and
dropped here. The reference, measured in the same run on the same database, is a raw insert of exactly
the rows the generator stored in its large tables (residents, households, care tags, organisations): they
are read back to a temporary file, deleted, and written again with ``executemany`` (SQLite) or ``COPY``
(PostgreSQL). It is compared with the generator steps that write those tables (households and
organisations), whose time includes choosing every value and encrypting the protected fields; the
reference only writes. The total generation time (all steps, password hashing of the demo logins and the
audit summaries included) is reported on its own.

    python bench/bench_demo.py [--pg] [--scale county|city|tiny] [--households N]

``run(options)`` is the entry point for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_DB = "grassroots_bench"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
SEED = 1
# Tables of the reference insert, parents first (they are deleted in the reverse order).
REFERENCE_TABLES = (
    "territory_household",
    "territory_household_care_tags",
    "territory_resident",
    "territory_organization",
)
LARGE_TABLE_STEPS = ("territory.households", "territory.organisations")


def _option(options: Any, name: str, default: Any = None) -> Any:
    value = options.get(name) if isinstance(options, dict) else getattr(options, name, None)
    return default if value is None else value


# -------------------------------------------------------------------------------------------- child


def _child(scale: str, households: int | None) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from grassroots.common.demo import DemoContext, build_plan, demo_generate

    call_command("migrate", verbosity=0)
    plan = build_plan(scale=scale, seed=SEED, households=households)
    ctx = DemoContext(plan, progress_enabled=False)
    started = time.perf_counter()
    cpu_started = time.process_time()
    demo_generate(ctx)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    counts: dict[str, int] = {}
    for _, _, step_counts in ctx.timings:
        for name, n in step_counts.items():
            counts[name] = counts.get(name, 0) + n
    with connection.cursor() as cursor:
        table_rows = {}
        for table in REFERENCE_TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            table_rows[table] = cursor.fetchone()[0]
    raw_seconds = _raw_reinsert(connection)
    return {
        "vendor": connection.vendor,
        "scale": scale,
        "counties": len(plan.counties),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "steps": {name: round(s, 3) for name, s, _ in ctx.timings},
        "counts": counts,
        "reference_rows": sum(table_rows.values()),
        "raw_seconds": raw_seconds,
    }


def _raw_reinsert(connection) -> float:
    """Read the stored rows out, delete them, and time writing them back with the fastest plain insert."""
    from django.db import transaction

    with tempfile.TemporaryDirectory(dir=BENCH_DIR) as tmp:
        files: dict[str, Path] = {}
        columns: dict[str, list[str]] = {}
        with connection.cursor() as cursor:
            for table in REFERENCE_TABLES:
                cursor.execute(f"SELECT * FROM {table} WHERE 1 = 0")
                columns[table] = [c[0] for c in cursor.description]
                files[table] = Path(tmp) / f"{table}.data"
                _dump(connection, table, files[table])
            for table in reversed(REFERENCE_TABLES):
                cursor.execute(f"DELETE FROM {table}")
        started = time.perf_counter()
        with transaction.atomic():
            for table in REFERENCE_TABLES:
                _load(connection, table, columns[table], files[table])
        return time.perf_counter() - started


def _dump(connection, table: str, path: Path) -> None:
    raw = connection.connection
    if connection.vendor == "postgresql":
        with (
            raw.cursor() as cursor,
            path.open("wb") as handle,
            cursor.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy,
        ):
            for chunk in copy:
                handle.write(chunk)
        return
    cursor = raw.cursor()
    cursor.execute(f"SELECT * FROM {table}")
    with path.open("wb") as handle:
        while rows := cursor.fetchmany(20000):
            pickle.dump(rows, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _load(connection, table: str, columns: list[str], path: Path) -> None:
    raw = connection.connection
    if connection.vendor == "postgresql":
        with (
            raw.cursor() as pg_cursor,
            path.open("rb") as handle,
            pg_cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        return
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    sqlite_cursor = raw.cursor()
    with path.open("rb") as handle:
        while True:
            try:
                rows = pickle.load(handle)  # noqa: S301 - a file this process wrote a moment ago
            except EOFError:
                break
            sqlite_cursor.executemany(sql, rows)


# ------------------------------------------------------------------------------------------- parent


def _pg_admin(sql: str, server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def measure(
    scale: str, *, pg: bool = False, households: int | None = None, pg_server: str = PG_SERVER
) -> dict:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sqlite_path = BENCH_DIR / "bench_demo.sqlite3"
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
            "SECRET_KEY": "bench-demo-" + "k" * 60,
            "FIELD_ENCRYPTION_KEYS": "sJ4v8Qm0n3p9XyZ1bC2dE5fG7hJ8kL0mN2oP4qR6sT8=",
            "FIELD_HASH_KEY": "bench-demo-hash-key",
            "GRASSROOTS_VAR_DIR": str(BENCH_DIR),
            "PYTHONPATH": str(ROOT),
        }
    )
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--scale", scale]
    if households:
        command += ["--households", str(households)]
    try:
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=4 * 3600
        )
        if result.returncode != 0:
            raise RuntimeError(f"demo benchmark child failed:\n{result.stderr[-4000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        if pg:
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}", pg_server)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)


def run(options: Any) -> list[dict[str, Any]]:
    pg = bool(_option(options, "pg", False))
    scale = _option(options, "scale", "city" if pg else "county")
    data = measure(
        scale,
        pg=pg,
        households=_option(options, "households", None),
        pg_server=_option(options, "pg_server", PG_SERVER),
    )
    vendor = data["vendor"]
    engine, method = ("PostgreSQL", "COPY") if vendor == "postgresql" else ("SQLite (WAL)", "executemany")
    counts = data["counts"]
    rows = sum(counts.values())
    reference_rows = data["reference_rows"]
    # The steps that write the reference tables: the like-for-like part of the generator's time.
    large_seconds = sum(data["steps"].get(s, 0.0) for s in LARGE_TABLE_STEPS) or data["seconds"]
    generator_rate = reference_rows / large_seconds
    raw_rate = reference_rows / data["raw_seconds"] if data["raw_seconds"] else None
    notes = (
        f"{engine}; {scale}: {data['counties']} counties, {counts.get('households', 0):,} households, "
        f"{counts.get('residents', 0):,} residents, {counts.get('officers', 0):,} officers, {rows:,} rows in all; "
        f"CPU {data['cpu_seconds']:.1f} s of {data['seconds']:.1f} s wall"
    )
    reference_notes = (
        f"reference: raw {method} of the same {reference_rows:,} stored rows of the large tables "
        "(households, care tags, residents, organisations); the generator also chooses values and encrypts"
    )
    return [
        {
            "name": f"demo.generate_seconds.{scale}.{vendor}",
            "value": round(data["seconds"], 2),
            "unit": "s",
            "notes": notes + "; steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in data["steps"].items()),
        },
        {
            "name": f"demo.rows_per_s.{scale}.{vendor}",
            "value": round(generator_rate, 1),
            "unit": "rows/s",
            "reference_value": round(raw_rate, 1) if raw_rate else None,
            "ratio": round(generator_rate / raw_rate, 3) if raw_rate else None,
            "notes": reference_notes + "; ratio = generator rate / raw rate",
        },
        {
            "name": f"demo.large_tables_seconds.{scale}.{vendor}",
            "value": round(large_seconds, 2),
            "unit": "s",
            "reference_value": round(data["raw_seconds"], 2),
            "ratio": round(large_seconds / data["raw_seconds"], 2) if data["raw_seconds"] else None,
            "notes": reference_notes + "; ratio = generator time / raw insert time",
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pg", action="store_true", help="city scale into PostgreSQL")
    parser.add_argument("--scale", default=None)
    parser.add_argument("--households", type=int, default=None)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.scale, args.households)))
        return
    for row in run(args):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
