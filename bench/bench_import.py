"""Benchmark: the register importer against a raw bulk insert of the same rows.

A deterministic register CSV (default 20,000 households, about 58,000 residents) is imported by the real
``register_import`` into a throw-away database in a child process (Django settings are process-global):
a SQLite file under var/bench/, or with ``--pg`` a PostgreSQL database ``grassroots_bench_import`` on
127.0.0.1:5432 that is created and dropped here. The reference, measured in the same run on the same
database, is a raw bulk insert of exactly the rows the importer stored (read back, deleted, re-inserted):
``executemany`` on SQLite, ``COPY`` on PostgreSQL. Reported: rows/s of both, and importer time / raw time.
The importer's time includes reading, validating, encrypting and the audit entry; the raw insert only
writes.

    python bench/bench_import.py [--pg] [--households N]

``run(options)`` is the entry point for the benchmark runner.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_DB = "grassroots_bench_import"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
SEED = 20240601
SCALES = {"tiny": 500, "small": 2000, "county": 20000, "city": 100000, "province": 200000}

COUNTY = "410225"
TOWNSHIPS = 10
VILLAGES_PER_TOWNSHIP = 20
GRIDS_PER_VILLAGE = 3
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国红梅志文玉珍凤兴"
TAGS = ["低保", "特困", "独居老人", "留守儿童", "残疾人", "退役军人", "重点关注"]
HEADERS = [
    "户编号",
    "村社区代码",
    "网格编码",
    "地址",
    "关爱标签",
    "姓名",
    "与户主关系",
    "身份证号",
    "联系电话",
]
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(region6: str, birth: date, seq: int) -> str:
    first17 = f"{region6}{birth:%Y%m%d}{seq:03d}"
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def village_codes() -> list[str]:
    return [
        f"{COUNTY}{100 + t:03d}{v + 1:03d}" for t in range(TOWNSHIPS) for v in range(VILLAGES_PER_TOWNSHIP)
    ]


def generate_register(path: Path, households: int, seed: int = SEED) -> int:
    """Write the register CSV (UTF-8 with BOM, as Excel saves it); returns the number of residents."""
    rng = random.Random(seed)
    villages = village_codes()
    person = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(households):
            village = villages[n % len(villages)]
            grid = f"{village}-{rng.randrange(GRIDS_PER_VILLAGE) + 1:02d}"
            address = f"{rng.randrange(1, 12)}组{rng.randrange(1, 200)}号"
            tags = "、".join(rng.sample(TAGS, rng.choice((1, 1, 2)))) if rng.random() < 0.15 else ""
            surname = rng.choice(SURNAMES)
            size = rng.choices((1, 2, 3, 4, 5), weights=(12, 25, 30, 22, 11))[0]
            relations = ["户主", "配偶", "子女", "子女", "父母"][:size]
            for relation in relations:
                # A bijection of the person counter onto (birth day, sequence): every ID number is unique.
                day, seq = (person * 7919) % 29000, person // 29000
                birth = date(1940, 1, 1) + timedelta(days=day)
                name = (surname if relation != "配偶" else rng.choice(SURNAMES)) + "".join(
                    rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
                )
                phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.7 else ""
                writer.writerow(
                    [
                        f"H{n + 1:07d}",
                        village,
                        grid,
                        address,
                        tags,
                        name,
                        relation,
                        _id_number(COUNTY, birth, seq),
                        phone,
                    ]
                )
                person += 1
    return person


# ------------------------------------------------------------------------------------- child process


def _child(csv_path: Path) -> dict[str, Any]:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    admin = _reference_data()
    from grassroots.territory.importing import register_import

    marks: dict[str, float] = {}

    def progress(phase: str, done: int, total: int | None) -> None:
        marks.setdefault(phase, time.perf_counter())

    start = time.perf_counter()
    report = register_import(actor=admin, path_or_file=csv_path, file_name=csv_path.name, progress=progress)
    importer_seconds = time.perf_counter() - start
    if report.errors:
        raise SystemExit(f"the generated register was rejected: {report.errors[:5]}")
    validate_seconds = marks.get("write", time.perf_counter()) - start

    tables = _tables()
    stored = {}
    with connection.cursor() as cursor:
        for table, columns in tables:
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
            stored[table] = cursor.fetchall()
        for table, _columns in reversed(tables):
            cursor.execute(f"DELETE FROM {table}")
    rows = sum(len(v) for v in stored.values())

    start = time.perf_counter()
    if connection.vendor == "postgresql":
        _raw_copy(connection, tables, stored)
    else:
        _raw_executemany(connection, tables, stored)
    raw_seconds = time.perf_counter() - start
    return {
        "vendor": connection.vendor,
        "file_rows": report.rows_read,
        "households": report.households,
        "residents": report.residents,
        "table_rows": rows,
        "importer_seconds": importer_seconds,
        "validate_seconds": validate_seconds,
        "raw_seconds": raw_seconds,
    }


def _tables() -> list[tuple[str, list[str]]]:
    from grassroots.territory.models import Household, Resident

    def columns(model: Any) -> list[str]:
        return [f.column for f in model._meta.concrete_fields]

    through = Household.care_tags.through
    return [
        (Household._meta.db_table, columns(Household)),
        (through._meta.db_table, columns(through)),
        (Resident._meta.db_table, columns(Resident)),
    ]


def _raw_executemany(connection: Any, tables: list[tuple[str, list[str]]], stored: dict[str, list]) -> None:
    raw = connection.connection  # the sqlite3 connection
    raw.execute("BEGIN IMMEDIATE")
    for table, columns in tables:
        marks = ", ".join("?" * len(columns))
        raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", stored[table])
    raw.execute("COMMIT")


def _raw_copy(connection: Any, tables: list[tuple[str, list[str]]], stored: dict[str, list]) -> None:
    raw = connection.connection  # the psycopg connection
    with raw.transaction(), raw.cursor() as cursor:
        for table, columns in tables:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in stored[table]:
                    copy.write_row(row)


def _reference_data() -> Any:
    from django.contrib.auth import get_user_model

    from grassroots.territory.models import Grid, Region, RegionLevel

    admin = get_user_model().objects.create_user(
        "bench_admin", password=None, role="admin", is_staff=True, is_superuser=True
    )
    province = Region.objects.create(code="410000", name="河南省", level=RegionLevel.PROVINCE, path="410000/")
    prefecture = Region.objects.create(
        code="410200", name="开封市", level=RegionLevel.PREFECTURE, parent=province, path="410000/410200/"
    )
    county = Region.objects.create(
        code=COUNTY,
        name="兰考县",
        level=RegionLevel.COUNTY,
        parent=prefecture,
        path=f"{prefecture.path}{COUNTY}/",
    )
    for t in range(TOWNSHIPS):
        code = f"{COUNTY}{100 + t:03d}"
        township = Region.objects.create(
            code=code,
            name=f"第{t + 1}镇",
            level=RegionLevel.TOWNSHIP,
            parent=county,
            path=f"{county.path}{code}/",
        )
        for v in range(VILLAGES_PER_TOWNSHIP):
            vcode = f"{code}{v + 1:03d}"
            village = Region.objects.create(
                code=vcode,
                name=f"第{v + 1}村",
                level=RegionLevel.VILLAGE,
                parent=township,
                path=f"{township.path}{vcode}/",
            )
            Grid.objects.bulk_create(
                Grid(code=f"{vcode}-{g + 1:02d}", name=f"{g + 1}网格", region=village, county=county)
                for g in range(GRIDS_PER_VILLAGE)
            )
    return admin


# ------------------------------------------------------------------------------------------- parent


def _option(options: Any, name: str, default: Any = None) -> Any:
    if isinstance(options, dict):
        return options.get(name, default)
    return getattr(options, name, default)


def _households(options: Any) -> int:
    explicit = _option(options, "households") or _option(options, "import_households")
    if explicit:
        return int(explicit)
    scale = _option(options, "scale", "county")
    if isinstance(scale, int | float):
        return max(100, int(SCALES["county"] * scale))
    return SCALES.get(str(scale), SCALES["county"])


def _pg_admin(sql: str, server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def measure(households: int, pg: bool = False, pg_server: str = PG_SERVER) -> dict[str, Any]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    csv_path = BENCH_DIR / f"register-{households}.csv"
    residents = generate_register(csv_path, households)
    sqlite_path = BENCH_DIR / "bench_import.sqlite3"
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
            "SECRET_KEY": "bench-import-" + "k" * 60,
            "FIELD_ENCRYPTION_KEYS": "sJ4v8Qm0n3p9XyZ1bC2dE5fG7hJ8kL0mN2oP4qR6sT8=",
            "FIELD_HASH_KEY": "bench-import-hash-key",
            "GRASSROOTS_VAR_DIR": str(BENCH_DIR),
            "PYTHONPATH": str(ROOT),
        }
    )
    try:
        result = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(csv_path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=3600,
        )
        if result.returncode != 0:
            raise RuntimeError(f"import benchmark child failed:\n{result.stderr[-4000:]}")
        data = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        if pg:
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}", pg_server)
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
        csv_path.unlink(missing_ok=True)
    data["generated_residents"] = residents
    return data


def run(options: Any) -> list[dict[str, Any]]:
    households = _households(options)
    pg = bool(_option(options, "pg", False))
    data = measure(households, pg=pg, pg_server=_option(options, "pg_server", None) or PG_SERVER)
    engine = "PostgreSQL" if data["vendor"] == "postgresql" else "SQLite"
    raw_method = "COPY" if data["vendor"] == "postgresql" else "executemany"
    ratio = data["importer_seconds"] / data["raw_seconds"] if data["raw_seconds"] else None
    file_rows = data["file_rows"]
    notes = (
        f"{engine}; {data['households']} households, {data['residents']} residents "
        f"({data['table_rows']} table rows); reference: raw {raw_method} of the same stored rows; "
        f"importer includes parsing, validation, encryption and audit"
    )
    return [
        {
            "name": f"import.register_rows_per_s.{data['vendor']}",
            "value": round(file_rows / data["importer_seconds"], 1),
            "unit": "rows/s",
            "reference_value": round(file_rows / data["raw_seconds"], 1),
            "ratio": round(ratio, 2) if ratio else None,
            "notes": notes + "; rows = spreadsheet rows (residents)",
        },
        {
            "name": f"import.register_seconds.{data['vendor']}",
            "value": round(data["importer_seconds"], 3),
            "unit": "s",
            "reference_value": round(data["raw_seconds"], 3),
            "ratio": round(ratio, 2) if ratio else None,
            "notes": notes + f"; of which checking the file {data['validate_seconds']:.2f} s",
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pg", action="store_true", help=f"PostgreSQL ({PG_SERVER}/{PG_DB}) instead of SQLite"
    )
    parser.add_argument("--households", type=int, default=SCALES["county"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(Path(args.child))))
        return
    for result in run({"households": args.households, "pg": args.pg}):
        print(
            f"{result['name']}: {result['value']} {result['unit']} "
            f"(reference {result['reference_value']} {result['unit']}, ratio {result['ratio']}) — {result['notes']}"
        )


if __name__ == "__main__":
    main()
