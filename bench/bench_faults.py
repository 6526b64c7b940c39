"""Benchmark: faults. PostgreSQL stopped and started under load; an import's process killed mid-write.

Everything runs on a PostgreSQL 15 cluster of its own (``pg_createcluster 15 faults -p 5433``, trust
authentication on the loopback), created here and dropped at the end, so that stopping it touches nothing
else. The application is the production settings under waitress (8 threads) on 127.0.0.1 with kept
connections and their health checks (``CONN_MAX_AGE`` 600, ``CONN_HEALTH_CHECKS``).

1. **Database restarts under load.** Client threads register requests through ``POST /api/requests/``
   (officers' API tokens, an ``Idempotency-Key`` each) and read ``GET /api/requests/?mine=true``. Every
   failed answer is retried with the same key (after half a second) until it is accepted. Meanwhile the
   cluster is stopped (``pg_ctlcluster 15 faults stop -m fast``) for ``--down`` seconds and started again,
   ``--faults`` times. Asserted: while the database is down every answer is a 503 with ``Retry-After`` (no
   500, no connection error) and none takes longer than ``--bound`` seconds; after each start the service
   answers 2xx again by itself, without restarting waitress (same process); afterwards every key is exactly
   one request with one intake event and one intake audit entry, the new requests are exactly the keys sent,
   no event or audit entry lacks its request, and ``manage.py audit_verify`` passes.
2. **A killed import.** A register file (``--households``, default 30,000 households, about 88,000
   residents; bench_import's generator) is imported by ``manage.py import_register`` in a subprocess, which
   is killed with SIGKILL once it reports it is writing. Asserted: the households, residents, their care
   tags, the audit log and its head are as they were (row count and an MD5 of every row, before and after);
   the same import run again succeeds and stores every row; the audit chain verifies.

    python bench/bench_faults.py [--faults 2] [--down 10] [--threads 6] [--households 30000]

``run(options)`` is the entry point for ``bench/run.py --only faults``. Needs root (or the postgres user)
for ``pg_createcluster``/``pg_ctlcluster``; run it under ``flock /tmp/grassroots-heavy.lock``. Port
``BENCH_FAULTS_PORT`` (default 8109), cluster port ``BENCH_FAULTS_PG_PORT`` (default 5433).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PORT = int(os.environ.get("BENCH_FAULTS_PORT", "8109"))
PG_PORT = int(os.environ.get("BENCH_FAULTS_PG_PORT", "5433"))
PG_VERSION, CLUSTER = "15", "faults"
PG_DB = "grassroots_bench_faults"
HOST = "127.0.0.1"


def _module(name: str, file: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


intake = _module("bench_faults_intake", "bench_intake.py")
intake.PORT = PORT
load = _module("bench_faults_load", "bench_load.py")
load.PORT = PORT
importer = _module("bench_faults_import", "bench_import.py")


# -------------------------------------------------------------------------------------------- children


def _child_import_prepare() -> dict[str, Any]:
    """The townships, villages and grids the generated register names (those the test world lacks)."""
    import django

    django.setup()
    from grassroots.territory.models import Grid, Region, RegionLevel

    county = Region.objects.get(code=importer.COUNTY)
    for t in range(importer.TOWNSHIPS):
        code = f"{importer.COUNTY}{100 + t:03d}"
        township, _ = Region.objects.get_or_create(
            code=code,
            defaults={
                "name": f"第{t + 1}镇",
                "level": RegionLevel.TOWNSHIP,
                "parent": county,
                "path": f"{county.path}{code}/",
            },
        )
        for v in range(importer.VILLAGES_PER_TOWNSHIP):
            vcode = f"{code}{v + 1:03d}"
            village, _ = Region.objects.get_or_create(
                code=vcode,
                defaults={
                    "name": f"第{v + 1}村",
                    "level": RegionLevel.VILLAGE,
                    "parent": township,
                    "path": f"{township.path}{vcode}/",
                },
            )
            for g in range(importer.GRIDS_PER_VILLAGE):
                Grid.objects.get_or_create(
                    code=f"{vcode}-{g + 1:02d}",
                    defaults={"name": f"{g + 1}网格", "region": village, "county": county},
                )
    return {"ok": True}


def _child_fingerprint() -> dict[str, Any]:
    """Row count and MD5 of every row (in id order) of the tables an import writes, and the audit log."""
    import django

    django.setup()
    from django.db import connection

    from grassroots.common.models import AuditEntry, AuditHead
    from grassroots.planning.models import RosterAssignment
    from grassroots.territory.models import Household, ImportJob, Resident

    models = [
        Household,
        Household.care_tags.through,
        Resident,
        ImportJob,
        RosterAssignment,
        AuditEntry,
        AuditHead,
    ]
    found = {}
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t"
            )
            found[model._meta.db_table] = list(cursor.fetchone())
    return found


def _child_roster_prepare(members: str) -> dict[str, Any]:
    """A four-week duty roster of court A with ``members`` officers, three duties and requests, and a run of
    it queued for ``manage.py planning_worker`` (long enough to be killed while it solves)."""
    import django

    django.setup()
    from datetime import date, timedelta

    from django.conf import settings
    from django.contrib.auth import get_user_model

    from grassroots.planning.services import (
        DutyInput,
        MemberInput,
        cover_save,
        duty_type_save,
        member_save,
        request_save,
        roster_create,
        roster_run_create,
    )
    from grassroots.workforce.models import Officer, Unit
    from grassroots.workforce.services import officer_create

    settings.PLANNING_JOB_MODE = "worker"  # queued only: the worker process started by the benchmark runs it
    users = get_user_model().objects
    admin, leader = users.get(username="admin"), users.get(username="leader_a")
    rng = random.Random(5)
    for i in range(int(members)):
        officer_create(actor=admin, staff_number=f"R{i:03d}", name=f"值班干警{i}", hire_date=date(2015, 1, 1))
    start = date(2027, 1, 4)
    roster = roster_create(
        actor=leader, name="故障测试值班", unit=Unit.objects.get(code="CA"), start_date=start, days=28
    )
    window = duty_type_save(
        actor=leader, roster=roster, data=DutyInput("W", "立案窗口", 480, kind="filing_window")
    )
    reception = duty_type_save(
        actor=leader, roster=roster, data=DutyInput("R", "院长接待日", 240, kind="reception")
    )
    night = duty_type_save(
        actor=leader, roster=roster, data=DutyInput("N", "夜间值班", 600, forbidden_next=["W"])
    )
    saved = []
    for officer in Officer.objects.filter(staff_number__startswith="R").order_by("staff_number"):
        saved.append(
            member_save(
                actor=leader,
                roster=roster,
                officer=officer,
                data=MemberInput(
                    max_total_minutes=480 * 12, max_consecutive_shifts=4, max_weekends=2, max_shifts={"N": 4}
                ),
            )
        )
    cover_save(actor=leader, roster=roster, duty=window, days="working_days", minimum=3, preferred=5)
    cover_save(actor=leader, roster=roster, duty=night, days="every_day", minimum=1, preferred=2)
    cover_save(actor=leader, roster=roster, duty=reception, days="working_days", minimum=1, preferred=1)
    duties = [window, reception, night]
    for member in saved:
        for _ in range(4):
            day = start + timedelta(days=rng.randrange(28))
            try:
                request_save(
                    actor=leader,
                    member=member,
                    on_date=day,
                    duty=rng.choice(duties),
                    on=rng.random() < 0.5,
                    weight=rng.randint(1, 5),
                )
            except Exception:  # noqa: S112 - a second request for the same day and duty: skip it
                continue
    run = roster_run_create(actor=leader, roster=roster, time_limit=60)
    return {"run": run.pk}


def _child_roster_state(run_pk: str) -> dict[str, Any]:
    import django

    django.setup()
    from grassroots.common.models import AuditEntry
    from grassroots.planning.models import RosterAssignment, RosterRun

    run = RosterRun.objects.get(pk=int(run_pk))
    return {
        "status": run.status,
        "attempts": run.attempts,
        "heartbeat_at": run.heartbeat_at.timestamp() if run.heartbeat_at else None,
        "assignments": RosterAssignment.objects.filter(run=run).count(),
        "finish_audits": AuditEntry.objects.filter(
            action="planning.roster_run.finish", object_id=str(run.pk)
        ).count(),
    }


def _child_baseline() -> dict[str, Any]:
    return load._child_baseline()


def _child_verify(answers_path: str, baseline_json: str, sent: str) -> dict[str, Any]:
    import django

    django.setup()
    answers = json.loads(Path(answers_path).read_text())
    result = load.verify_accepted(answers, json.loads(baseline_json))
    if result["distinct_keys"] != int(sent):
        result["problems"].append(f"{int(sent)} keys sent, {result['distinct_keys']} accepted")
        result["problem_count"] += 1
    return result


# -------------------------------------------------------------------------------------------- the cluster


def _run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr[-2000:]}")
    return result


def cluster_create() -> None:
    if CLUSTER in _run("pg_lsclusters", "-h").stdout.split():
        _run("pg_dropcluster", "--stop", PG_VERSION, CLUSTER)
    _run("pg_createcluster", PG_VERSION, CLUSTER, "-p", str(PG_PORT), "--", "--auth=trust")
    _run("pg_ctlcluster", PG_VERSION, CLUSTER, "start")


def cluster_stop() -> None:
    _run("pg_ctlcluster", PG_VERSION, CLUSTER, "stop", "-m", "fast")


def cluster_start() -> None:
    _run("pg_ctlcluster", PG_VERSION, CLUSTER, "start")


def cluster_drop() -> None:
    _run("pg_dropcluster", "--stop", PG_VERSION, CLUSTER, check=False)


# -------------------------------------------------------------------------------------------- the load


class Driver:
    """Client threads: intakes (each retried with its key until accepted) and list reads."""

    def __init__(self, setup: dict[str, Any], threads: int, run_id: str):
        self.setup, self.threads, self.run_id = setup, threads, run_id
        self.names = sorted(setup["officers"])
        self.answers: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.stop_new = threading.Event()
        self.counter = 0
        self.sent_keys = 0

    def _next_key(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def _send(
        self, conn: http.client.HTTPConnection, method: str, path: str, headers: dict, body: bytes | None
    ) -> tuple:
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            status, retry_after = response.status, response.getheader("Retry-After")
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            status, content, retry_after = 0, str(exc).encode(), None
        return status, content, retry_after, time.perf_counter() - started

    def _record(self, **values: Any) -> None:
        values["t"] = time.time()
        with self.lock:
            self.answers.append(values)

    def worker(self, index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
        while not self.stop_new.is_set():
            officer = self.setup["officers"][self.names[rng.randrange(len(self.names))]]
            auth = {"Authorization": f"Token {officer['token']}", "Accept": "application/json"}
            if rng.random() < 0.25:
                status, _content, retry_after, seconds = self._send(
                    conn, "GET", "/api/requests/?mine=true", auth, None
                )
                self._record(op="api my requests", status=status, retry_after=retry_after, ms=seconds * 1000)
                time.sleep(0.05)
                continue
            n = self._next_key()
            key = f"{self.run_id}-{n}"
            payload = {
                "channel": ("window", "hotline", "visit", "petition")[n % 4],
                "kind": "dispute",
                "title": f"故障测试 {n}",
                "description": "邻里之间因排水沟发生争执，请求调解。",
                "region": rng.choice(officer["places"]),
                "reporter_name": "刘大爷",
                "reporter_phone": f"138{rng.randrange(10**8):08d}",
            }
            body = json.dumps(payload, ensure_ascii=False).encode()
            headers = {**auth, "Content-Type": "application/json", "Idempotency-Key": key}
            with self.lock:
                self.sent_keys += 1
            attempt = 0
            while True:
                attempt += 1
                status, content, retry_after, seconds = self._send(
                    conn, "POST", "/api/requests/", headers, body
                )
                code = None
                if status in (200, 201):
                    code = json.loads(content).get("tracking_code")
                self._record(
                    op="api intake",
                    key=key,
                    status=status,
                    code=code,
                    retry_after=retry_after,
                    ms=seconds * 1000,
                    attempt=attempt,
                    error=None if status in (200, 201) else content[:200].decode(errors="replace"),
                )
                if status in (200, 201):
                    break
                if status == 0:
                    conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
                time.sleep(0.5)  # shorter than Retry-After, so that recovery is seen to within half a second
            time.sleep(0.05)
        conn.close()

    def start(self) -> list[threading.Thread]:
        pool = [threading.Thread(target=self.worker, args=(i,), daemon=True) for i in range(self.threads)]
        for thread in pool:
            thread.start()
        return pool


def _outages(
    answers: list[dict[str, Any]], windows: list[tuple[float, float]], bound: float
) -> dict[str, Any]:
    """Answers while the database was down (between the stop command's return and the start command's
    start) and the recovery after each start: seconds from the start command's return to the first 2xx."""
    down = [
        a
        for a in answers
        if any(stop <= a["t"] - a["ms"] / 1000 and a["t"] <= start for stop, start in windows)
    ]
    recoveries = []
    for _stop, start in windows:
        ok_after = [a["t"] for a in answers if a["status"] in (200, 201) and a["t"] - a["ms"] / 1000 >= start]
        recoveries.append(min(ok_after) - start if ok_after else None)
    statuses: dict[str, int] = {}
    for a in answers:
        statuses[str(a["status"])] = statuses.get(str(a["status"]), 0) + 1
    return {
        "down_answers": len(down),
        "down_503_with_retry_after": sum(1 for a in down if a["status"] == 503 and a.get("retry_after")),
        "down_other": sorted(
            {f"{a['status']} {a.get('error') or ''}"[:120] for a in down if a["status"] != 503}
        ),
        "down_slowest_s": max((a["ms"] / 1000 for a in down), default=0.0),
        "over_bound": sum(1 for a in down if a["ms"] / 1000 > bound),
        "recoveries_s": recoveries,
        "server_errors": sum(
            1 for a in answers if a["status"] == 0 or (a["status"] >= 500 and a["status"] != 503)
        ),
        "all_503": sum(1 for a in answers if a["status"] == 503),
        "all_503_without_retry_after": sum(
            1 for a in answers if a["status"] == 503 and not a.get("retry_after")
        ),
        "statuses": statuses,
    }


def restarts_under_load(
    env: dict[str, str], setup: dict[str, Any], faults: int, down: float, threads: int, bound: float
) -> dict[str, Any]:
    baseline = _child(env, "baseline")
    log = BENCH_DIR / "faults_server.log"
    log.unlink(missing_ok=True)
    server = load.start_server(env, 8, log)
    pid = server.pid
    driver = Driver(setup, threads, f"f{int(time.time())}")
    windows: list[tuple[float, float]] = []
    try:
        pool = driver.start()
        time.sleep(8)
        for _ in range(faults):
            cluster_stop()
            stopped = time.time()
            time.sleep(down)
            began = time.time()
            cluster_start()
            windows.append((stopped, began))
            time.sleep(12)
        driver.stop_new.set()
        deadline = time.time() + 120
        for thread in pool:
            thread.join(timeout=max(1.0, deadline - time.time()))
        hung = sum(thread.is_alive() for thread in pool)
        same_server = server.poll() is None and server.pid == pid
    finally:
        server.terminate()
        server.wait(timeout=30)
    answers = driver.answers
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(answers, handle)
    try:
        verify = _child(env, "verify", handle.name, json.dumps(baseline), str(driver.sent_keys))
    finally:
        Path(handle.name).unlink(missing_ok=True)
    audit_ok, audit_text = load.audit_verify_command(env)
    return {
        "answers": len(answers),
        "sent_keys": driver.sent_keys,
        "retried_keys": len({a["key"] for a in answers if a["op"] == "api intake" and a["attempt"] > 1}),
        "hung_clients": hung,
        "same_server": same_server,
        "windows": [(round(b - a, 1)) for a, b in windows],
        "verify": verify,
        "audit_ok": audit_ok,
        "audit_text": audit_text,
        **_outages(answers, windows, bound),
    }


# -------------------------------------------------------------------------------------------- the import


def killed_import(env: dict[str, str], households: int) -> dict[str, Any]:
    _child(env, "import-prepare")
    csv_path = BENCH_DIR / f"faults_register_{households}.csv"
    residents = importer.generate_register(csv_path, households)
    before = _child(env, "fingerprint")
    command = [sys.executable, "manage.py", "import_register", str(csv_path), "--as", "admin"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = b""
    started = time.perf_counter()
    killed_at = None
    while process.poll() is None:
        chunk = os.read(process.stderr.fileno(), 4096)
        if not chunk:
            break
        seen = (seen + chunk)[-4000:]
        if b"writing" in seen and killed_at is None:
            time.sleep(0.3)  # inside the write: rows are being copied
            if process.poll() is None:
                process.kill()
                killed_at = time.perf_counter() - started
    process.wait()
    finished_first = killed_at is None
    last_progress = seen.decode(errors="replace").replace("\r", "\n").strip().splitlines()[-1:] or [""]
    _wait_backends_gone(env)
    after = _child(env, "fingerprint")
    unchanged = before == after
    started = time.perf_counter()
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    again_seconds = time.perf_counter() - started
    final = _child(env, "fingerprint")
    audit_ok, audit_text = load.audit_verify_command(env)
    from_table = {table: final[table][0] - before[table][0] for table in final}
    return {
        "households": households,
        "residents_in_file": residents,
        "killed_after_s": killed_at,
        "finished_before_kill": finished_first,
        "progress_at_kill": last_progress[0][-120:],
        "unchanged": unchanged,
        "rows_compared": sum(count for count, _md5 in before.values()),
        "changed_tables": [t for t in before if before[t] != after[t]],
        "rerun_ok": again.returncode == 0,
        "rerun_seconds": again_seconds,
        "rerun_output": (again.stdout + again.stderr).strip()[-400:],
        "rows_added": from_table,
        "audit_ok": audit_ok,
        "audit_text": audit_text,
    }


def _wait_backends_gone(env: dict[str, str]) -> None:
    """PostgreSQL ends a killed client's backend (and rolls its transaction back) when it notices the closed
    socket; wait until no other backend is connected to the database."""
    import psycopg

    for _ in range(300):
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            others = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()[0]
        if not others:
            return
        time.sleep(0.1)
    raise RuntimeError("the killed import's backend is still connected after 30 s")


# -------------------------------------------------------------------------------------------- the planning job


def killed_plan_start(env: dict[str, str], members: int) -> dict[str, Any]:
    """Queue a roster run, start ``planning_worker --once``, kill it (SIGKILL) while it solves, after its
    heartbeat has been written; returns what was seen (the job is taken up again by ``killed_plan_finish``
    once its heartbeat is stale)."""
    run = _child(env, "roster-prepare", str(members))["run"]
    before = _child(env, "fingerprint")
    command = [sys.executable, "manage.py", "planning_worker", "--once", "-v", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    started = time.perf_counter()
    seen, killed_at = b"", None
    while process.poll() is None:
        chunk = os.read(process.stdout.fileno(), 4096)
        if not chunk:
            break
        seen = (seen + chunk)[-4000:]
        if b"%" in seen and killed_at is None:
            time.sleep(3.0)  # solving: the heartbeat has been written at least once
            if process.poll() is None:
                process.kill()
                killed_at = time.perf_counter() - started
    process.wait()
    _wait_backends_gone(env)
    after = _child(env, "fingerprint")
    state = _child(env, "roster-state", str(run))
    return {
        "run": run,
        "killed_after_s": killed_at,
        "finished_before_kill": killed_at is None,
        "progress_at_kill": seen.decode(errors="replace").strip().splitlines()[-1:][0][-120:] if seen else "",
        "unchanged": before == after,
        "changed_tables": [t for t in before if before[t] != after[t]],
        "rows_compared": sum(count for count, _md5 in before.values()),
        "state_after_kill": state,
    }


def killed_plan_finish(env: dict[str, str], killed: dict[str, Any]) -> dict[str, Any]:
    """Wait until the killed job's heartbeat is stale (JOB_STALE_AFTER, 90 s), then run the worker again."""
    heartbeat = killed["state_after_kill"]["heartbeat_at"] or time.time()
    time.sleep(max(0.0, heartbeat + 91 - time.time()))
    command = [sys.executable, "manage.py", "planning_worker", "--once"]
    started = time.perf_counter()
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    state = _child(env, "roster-state", str(killed["run"]))
    return {
        **killed,
        "rerun_ok": again.returncode == 0
        and state["status"] == "done"
        and state["assignments"] > 0
        and state["finish_audits"] == 1,
        "rerun_seconds": time.perf_counter() - started,
        "rerun_output": (again.stdout + again.stderr).strip()[-300:],
        "state_after_rerun": state,
    }


# -------------------------------------------------------------------------------------------- parent


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"faults benchmark child {args} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def planning_worker_exists() -> bool:
    return (ROOT / "grassroots" / "planning" / "management" / "commands" / "planning_worker.py").exists()


def measure(
    faults: int = 2,
    down: float = 10.0,
    threads: int = 6,
    households: int = 30000,
    members: int = 24,
    bound: float = 5.0,
    parts: str = "restarts,import,plan",
) -> dict[str, Any]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    server_url = f"postgres://postgres@{HOST}:{PG_PORT}"
    database_url = f"{server_url}/{PG_DB}"
    env = intake._child_env(database_url, debug=False)
    env["DB_CONN_MAX_AGE"] = "600"
    chosen = set(parts.split(","))
    data: dict[str, Any] = {
        "threads": threads,
        "down": down,
        "members": members,
        "restarts": None,
        "import": None,
        "plan": None,
    }
    if "plan" in chosen and not planning_worker_exists():
        chosen.discard("plan")
        data["plan_note"] = "manage.py planning_worker does not exist: a killed plan is not covered"
    cluster_create()
    try:
        intake._pg_admin(f"CREATE DATABASE {PG_DB}", server_url)
        setup = _child(intake._child_env(database_url, debug=True), "setup")
        if "restarts" in chosen:
            data["restarts"] = restarts_under_load(env, setup, faults, down, threads, bound)
        plan = killed_plan_start(env, members) if "plan" in chosen else None
        if "import" in chosen:
            data["import"] = killed_import(env, households)  # meanwhile the killed plan's heartbeat ages
        if plan is not None:
            data["plan"] = killed_plan_finish(env, plan)
            data["plan"]["audit_ok"], data["plan"]["audit_text"] = load.audit_verify_command(env)
    finally:
        cluster_drop()
    return data


def _checks(data: dict[str, Any]) -> list[str]:
    failures = []
    r, k, p = data["restarts"], data["import"], data["plan"]
    if r is not None:
        if r["verify"]["problem_count"]:
            failures.append(f"lost or duplicated work: {r['verify']['problems']}")
        if r["down_answers"] == 0 or r["down_503_with_retry_after"] != r["down_answers"]:
            failures.append(
                f"while down: {r['down_answers']} answers, {r['down_503_with_retry_after']} 503 with "
                f"Retry-After, others {r['down_other']}"
            )
        if r["over_bound"] or r["server_errors"] or r["all_503_without_retry_after"]:
            failures.append(
                f"{r['over_bound']} answers slower than the bound, {r['server_errors']} server errors, "
                f"{r['all_503_without_retry_after']} 503 without Retry-After"
            )
        if None in r["recoveries_s"] or not r["same_server"] or r["hung_clients"]:
            failures.append(
                f"recovery {r['recoveries_s']}, same server {r['same_server']}, hung clients {r['hung_clients']}"
            )
        if not r["audit_ok"]:
            failures.append(f"audit_verify after the restarts: {r['audit_text']}")
    for name, part in (("import", k), ("plan", p)):
        if part is None:
            continue
        if (
            part["finished_before_kill"]
            or not part["unchanged"]
            or not part["rerun_ok"]
            or not part["audit_ok"]
        ):
            failures.append(
                f"{name}: finished before the kill {part['finished_before_kill']}, changed "
                f"{part['changed_tables']}, rerun {part['rerun_ok']} {part['rerun_output']}, audit "
                f"{part['audit_text']}"
            )
    return failures


def run(options: Any) -> list[dict[str, Any]]:
    option = intake._option
    data = measure(
        faults=int(option(options, "faults", 2)),
        down=float(option(options, "down", 10.0)),
        threads=int(option(options, "threads", 6)),
        households=int(option(options, "households", 0) or 30000),
        members=int(option(options, "members", 24)),
        bound=float(option(options, "bound", 5.0)),
        parts=option(options, "parts", "restarts,import,plan"),
    )
    (BENCH_DIR / "faults_stats.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    failures = _checks(data)
    if failures:
        raise RuntimeError("faults benchmark failed: " + "; ".join(failures))
    rows = []
    r, k, p = data["restarts"], data["import"], data["plan"]
    if r is not None:
        faults, verify = len(r["recoveries_s"]), r["verify"]
        rows += [
            {
                "name": "faults.db_restarts_survived.postgresql",
                "value": faults,
                "unit": "restarts",
                "notes": f"PostgreSQL stopped (-m fast) for {data['down']:.0f} s and started {faults} times under "
                f"load ({data['threads']} client threads, waitress 8 threads, not restarted); {r['answers']} "
                f"answers, {r['all_503']} 503s (all with Retry-After; {r['down_answers']} while down, slowest "
                f"{r['down_slowest_s']:.2f} s), 0 server errors, 0 hung clients; statuses {r['statuses']}",
            },
            {
                "name": "faults.recovery_seconds.postgresql",
                "value": round(max(r["recoveries_s"]), 2),
                "unit": "s",
                "notes": "the slowest restart, from pg_ctlcluster start returning to the first 2xx (clients retry "
                f"every 0.5 s); each restart: {', '.join(f'{s:.2f}' for s in r['recoveries_s'])} s",
            },
            {
                "name": "faults.requests_verified.postgresql",
                "value": verify["distinct_keys"],
                "unit": "requests",
                "notes": f"{r['sent_keys']} keys sent, {r['retried_keys']} retried after a failed answer with "
                f"the same key; {verify['distinct_keys']} keys = {verify['new_rows']} new requests, each exactly "
                f"once with one intake event and one audit entry; orphans {verify['orphans']}; {r['audit_text']}",
            },
        ]
    if k is not None:
        rows.append(
            {
                "name": "faults.import_killed_rows_unchanged.postgresql",
                "value": k["rows_compared"],
                "unit": "rows",
                "notes": f"import_register of {k['households']} households ({k['residents_in_file']} residents) "
                f"killed (SIGKILL) {k['killed_after_s']:.1f} s in, while writing ({k['progress_at_kill']}); "
                "households, residents, care tags, import jobs, roster assignments, audit entries and head "
                "identical before and after (count and MD5 of every row); the same import again: ok in "
                f"{k['rerun_seconds']:.1f} s, rows added {k['rows_added']}; {k['audit_text']}",
            }
        )
    if p is not None:
        state = p["state_after_rerun"]
        rows.append(
            {
                "name": "faults.plan_killed_rows_unchanged.postgresql",
                "value": p["rows_compared"],
                "unit": "rows",
                "notes": f"planning_worker solving a 28-day roster of {data.get('members', 24)} officers killed "
                f"(SIGKILL) {p['killed_after_s']:.1f} s in ({p['progress_at_kill']}); roster assignments, audit "
                f"entries and head identical before and after; the job, left running with its last heartbeat "
                f"(attempt {p['state_after_kill']['attempts']}), was taken up again by the next worker once stale "
                f"(90 s): {state['status']}, attempt {state['attempts']}, {state['assignments']} assignments, "
                f"{state['finish_audits']} finish audit entry, in {p['rerun_seconds']:.1f} s; {p['audit_text']}",
            }
        )
    elif "plan_note" in data:
        rows.append(
            {"name": "faults.plan_killed.skipped", "value": 0, "unit": "", "notes": data["plan_note"]}
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--faults", type=int, default=2, help="database restarts under load")
    parser.add_argument("--down", type=float, default=10.0, help="seconds the database stays down")
    parser.add_argument("--threads", type=int, default=6, help="client threads")
    parser.add_argument(
        "--households", type=int, default=30000, help="households in the killed import's file"
    )
    parser.add_argument("--members", type=int, default=24, help="officers on the killed plan's roster")
    parser.add_argument("--bound", type=float, default=5.0, help="longest answer allowed while down (s)")
    parser.add_argument("--parts", default="restarts,import,plan", help="which faults (comma-separated)")
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        what, *rest = args.child
        handlers = {
            "setup": lambda: intake._child_setup(),
            "baseline": _child_baseline,
            "import-prepare": _child_import_prepare,
            "fingerprint": _child_fingerprint,
            "verify": lambda: _child_verify(*rest),
            "roster-prepare": lambda: _child_roster_prepare(*rest),
            "roster-state": lambda: _child_roster_state(*rest),
        }
        print(json.dumps(handlers[what]()))
        return
    for row in run(args):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
