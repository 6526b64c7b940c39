"""Benchmark: request intake through the HTTP API on PostgreSQL, served by waitress.

A throw-away PostgreSQL database is created (and dropped afterwards), migrated and given the test world
(two counties, officers with API tokens). waitress serves the production settings (DEBUG off, throw-away
secrets given through the environment) on 127.0.0.1. A load generator in this process (keep-alive
``http.client`` connections, one per thread) then drives:

* the reference: a trivial authenticated GET (``/api/regions/<county>/``: token authentication, the
  caller's scope, one row) by the same officers, a fixed count within a time limit;
* the intake: ``POST /api/requests/`` by several token-authenticated officers on several channels, each with
  an ``Idempotency-Key``; a share of the keys is sent twice, part of them at the same moment from two
  connections (concurrent retries) and part of them later (plain retries).

Afterwards a child process checks that nothing was lost or duplicated: every 201/200 answer's tracking code
exists exactly once, with its intake event and its audit entry, all answers for one key carry the same
tracking code, exactly one answer per key was a 201, the number of new requests equals the number of
distinct accepted keys, and the audit chain verifies.

    python bench/bench_intake.py [--count 3000] [--seconds 30] [--threads 8] [--server-threads 6] [--processes 1]
                                 [--pg-db grassroots_bench_casework_intake] [--profile PATH]

``run(options)`` is the entry point for ``bench/run.py`` (always PostgreSQL).
"""

from __future__ import annotations

import argparse
import http.client
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
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = "grassroots_bench_casework_intake"
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_INTAKE_PORT", "8101"))
SECRET_ENV = {
    "SECRET_KEY": "bench-intake-" + "k" * 60,
    "FIELD_ENCRYPTION_KEYS": "sJ4v8Qm0n3p9XyZ1bC2dE5fG7hJ8kL0mN2oP4qR6sT8=",
    "FIELD_HASH_KEY": "bench-intake-hash-key",
}
CHANNELS = ("window", "petition", "hotline", "grid_report", "visit", "court_referral", "web", "messaging")
KINDS = ("consultation", "help", "complaint", "suggestion", "demand", "dispute")
OFFICERS = ("officer_a1", "officer_a2", "leader_a", "recruit_a1", "officer_b")


def _option(options: Any, name: str, default: Any = None) -> Any:
    value = options.get(name) if isinstance(options, dict) else getattr(options, name, None)
    return default if value is None else value


# -------------------------------------------------------------------------------------------- children


def _child_setup() -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from grassroots.common.testing import build_world
    from grassroots.territory.models import Region, RegionLevel

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    world = build_world()
    officers = {}
    for name in OFFICERS:
        user = getattr(world, f"user_{name}")
        county = world.county_b if name == "officer_b" else world.county_a
        places = list(
            Region.objects.filter(path__startswith=county.path, level__gte=RegionLevel.COUNTY).values_list(
                "code", flat=True
            )
        )
        officers[name] = {
            "token": Token.objects.create(user=user).key,
            "places": places,
            "reference_path": f"/api/regions/{county.pk}/",  # the officer's own county
        }
    return {"officers": officers}


def _child_verify(answers_path: str, baseline: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db.models import Count

    from grassroots.casework.models import Request, RequestEvent
    from grassroots.common.audit import audit_verify
    from grassroots.common.models import AuditEntry

    answers = json.loads(Path(answers_path).read_text())
    problems: list[str] = []
    codes_by_key: dict[tuple[str, str], set[str]] = {}
    created_by_key: dict[tuple[str, str], int] = {}
    for a in answers:
        if a["status"] in (200, 201):
            key = (a["channel"], a["key"])
            codes_by_key.setdefault(key, set()).add(a["code"])
            created_by_key[key] = created_by_key.get(key, 0) + (a["status"] == 201)
    for key, codes in codes_by_key.items():
        if len(codes) != 1:
            problems.append(f"key {key} answered with {len(codes)} tracking codes")
        if created_by_key[key] != 1:
            problems.append(f"key {key} was created {created_by_key[key]} times")
    codes = sorted({c for cs in codes_by_key.values() for c in cs})
    rows = {r.tracking_code: r for r in Request.objects.filter(tracking_code__in=codes)}
    missing = [c for c in codes if c not in rows]
    if missing:
        problems.append(f"{len(missing)} accepted tracking codes are missing, e.g. {missing[:3]}")
    ids = [str(r.pk) for r in rows.values()]
    events = dict(
        RequestEvent.objects.filter(request_id__in=[r.pk for r in rows.values()], action="intake")
        .values_list("request_id")
        .annotate(n=Count("id"))
    )
    audits = dict(
        AuditEntry.objects.filter(action="request.intake", object_type="casework.request", object_id__in=ids)
        .values_list("object_id")
        .annotate(n=Count("id"))
    )
    for code, request in rows.items():
        if events.get(request.pk) != 1:
            problems.append(f"{code}: {events.get(request.pk, 0)} intake events")
        if audits.get(str(request.pk)) != 1:
            problems.append(f"{code}: {audits.get(str(request.pk), 0)} audit entries")
    for (channel, key), cs in codes_by_key.items():
        row = rows.get(next(iter(cs)))
        if row is not None and (row.channel, row.client_token) != (channel, key):
            problems.append(f"{row.tracking_code} stored under ({row.channel}, {row.client_token})")
    new_rows = Request.objects.count() - baseline
    if new_rows != len(codes_by_key):
        problems.append(f"{new_rows} new requests for {len(codes_by_key)} distinct accepted keys")
    verified = audit_verify()
    if not verified.ok:
        problems.append(f"audit_verify: entry {verified.first_bad_id}: {verified.problem}")
    return {
        "problems": problems[:20],
        "problem_count": len(problems),
        "distinct_keys": len(codes_by_key),
        "new_rows": new_rows,
        "audit_checked": verified.checked,
        "audit_ok": verified.ok,
    }


def _child_count() -> dict[str, Any]:
    import django

    django.setup()
    from grassroots.casework.models import Request

    return {"count": Request.objects.count()}


# -------------------------------------------------------------------------------------------- the load


class Client:
    """One keep-alive connection; reconnects once if the server closed it."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or PORT
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)

    def send(self, method: str, path: str, token: str, body: bytes | None = None, key: str = "") -> tuple:
        headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _drive(
    jobs: list[dict[str, Any]], threads: int, seconds: float, ports: list[int] | None = None
) -> tuple[list[dict], float]:
    """Run the jobs in order from ``threads`` connections (spread over the servers on ``ports``, default
    ``PORT``); stop taking new jobs after ``seconds``."""
    lock = threading.Lock()
    position = [0]
    answers: list[dict[str, Any]] = []
    started = time.perf_counter()
    deadline = started + seconds

    def worker(port: int) -> None:
        client = Client(port)
        mine = []
        while True:
            with lock:
                index = position[0]
                position[0] += 1
            if index >= len(jobs) or time.perf_counter() > deadline:
                break
            job = jobs[index]
            t0 = time.perf_counter()
            try:
                status, body = client.send(
                    job["method"], job["path"], job["token"], job.get("body"), job.get("key", "")
                )
            except OSError as exc:  # a timeout or a refused connection is a failed answer, not a crash
                status, body = 0, str(exc).encode()
                client = Client(port)
            elapsed = time.perf_counter() - t0
            answer = {
                "status": status,
                "seconds": elapsed,
                "key": job.get("key", ""),
                "channel": job.get("channel"),
            }
            if job["method"] == "POST":
                try:
                    data = json.loads(body) if body else {}
                except ValueError:
                    data = {}
                answer["code"] = data.get("tracking_code")
                if status not in (200, 201):
                    answer["error"] = body[:300].decode(errors="replace")
            mine.append(answer)
        client.conn.close()
        with lock:
            answers.extend(mine)

    ports = ports or [PORT]
    pool = [threading.Thread(target=worker, args=(ports[i % len(ports)],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return answers, time.perf_counter() - started


def _intake_jobs(setup: dict[str, Any], count: int, run_id: str, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` intakes; about 6% of the keys are sent again right away (a concurrent retry from another
    connection) and 4% again later (a plain retry), with the identical submission."""
    rng = random.Random(seed)
    names = sorted(setup["officers"])
    jobs: list[dict[str, Any]] = []
    later: list[tuple[int, dict[str, Any]]] = []
    for i in range(count):
        officer = setup["officers"][names[i % len(names)]]
        channel = CHANNELS[i % len(CHANNELS)]
        payload = {
            "channel": channel,
            "kind": rng.choice(KINDS),
            "title": f"基准诉求 {i}",
            "description": f"第 {i} 件：邻里之间因排水沟发生争执，请求调解。",
            "region": rng.choice(officer["places"]),
            "reporter_name": "刘大爷",
            "reporter_phone": f"138{rng.randrange(10**8):08d}",
            "urgency": "urgent" if i % 10 == 0 else "normal",
        }
        job = {
            "method": "POST",
            "path": "/api/requests/",
            "token": officer["token"],
            "body": json.dumps(payload, ensure_ascii=False).encode(),
            "key": f"{run_id}-{i}",
            "channel": channel,
        }
        jobs.append(job)
        roll = rng.random()
        if roll < 0.06:
            jobs.append(dict(job))
        elif roll < 0.10:
            later.append((len(jobs) + rng.randrange(20, 200), dict(job)))
    for position, job in sorted(later, key=lambda p: p[0], reverse=True):
        jobs.insert(min(position, len(jobs)), job)
    return jobs


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else 0.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Watch:
    """Samples ``pg_stat_activity`` of the benchmark's database every ``interval`` seconds while the load
    runs: what the server's connections wait on (lock, I/O, client), and the oldest open transaction with
    its last statement. A stall shows as long transactions and the wait event they sit in."""

    def __init__(self, server: str, database: str, interval: float = 0.5) -> None:
        self.server, self.database, self.interval = server, database, interval
        self.waits: dict[str, int] = {}
        self.samples = 0
        self.oldest: tuple[float, str, str] = (0.0, "", "")
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Watch:
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        import psycopg

        sql = (
            "SELECT state, coalesce(wait_event_type, ''), coalesce(wait_event, ''), "
            "extract(epoch FROM now() - xact_start), left(regexp_replace(query, '\\s+', ' ', 'g'), 160) "
            "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() AND state <> 'idle'"
        )
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
            while not self.stop.wait(self.interval):
                self.samples += 1
                for state, kind, event, age, query in conn.execute(sql, [self.database]).fetchall():
                    name = f"{kind}:{event}" if kind else state
                    self.waits[name] = self.waits.get(name, 0) + 1
                    if age is not None and float(age) > self.oldest[0]:
                        self.oldest = (float(age), name, query)

    def summary(self) -> str:
        top = sorted(self.waits.items(), key=lambda item: -item[1])[:5]
        waits = ", ".join(f"{name} {count}" for name, count in top) or "none"
        age, name, query = self.oldest
        return (
            f"database connections seen busy in {self.samples} samples: {waits}; oldest open transaction "
            f"{age:.2f} s ({name}: {query[:100]})"
        )


def _machine_busy() -> tuple[float, float]:
    parts = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


# -------------------------------------------------------------------------------------------- parent


def _pg_admin(sql: str, server: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _child_env(database_url: str, debug: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(SECRET_ENV)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "true" if debug else "false",
            "DATABASE_URL": database_url,
            "DB_CONN_MAX_AGE": "600",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
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
        raise RuntimeError(f"intake benchmark child {args} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _start_server(
    env: dict[str, str], threads: int, profile: str | None, port: int | None = None
) -> subprocess.Popen:
    port = port or PORT
    if profile:
        command = [sys.executable, str(Path(__file__).resolve()), "--serve"]
        env = {
            **env,
            "BENCH_SERVER_THREADS": str(threads),
            "BENCH_PROFILE": profile,
            "BENCH_SERVE_PORT": str(port),
        }
    else:
        waitress = str(Path(sys.executable).parent / "waitress-serve")
        command = [waitress, f"--listen={HOST}:{port}", f"--threads={threads}", "config.wsgi:application"]
    # The server's log goes to a file, never to a pipe: nobody reads a pipe during the run, and once its
    # buffer (64 KB) is full every thread that logs (waitress's "Task queue depth" warnings, Django's 4xx
    # lines) blocks on the write while holding the logging lock, so the whole server stalls.
    server_log = ROOT / "var" / "bench" / f"waitress-{port}.log"
    server_log.parent.mkdir(parents=True, exist_ok=True)
    with server_log.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(300):
        time.sleep(0.1)
        if server.poll() is not None:
            tail = server_log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"waitress exited: {tail}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/api/")
            conn.getresponse().read()
            conn.close()
            return server
        except OSError:
            continue
    server.terminate()
    raise RuntimeError("waitress did not start listening")


def _serve() -> None:
    """Profiling entry: waitress in this process, every request profiled (cProfile per worker thread,
    merged), the statistics written on SIGTERM."""
    import cProfile
    import pstats
    import signal

    from waitress import serve

    sys.path.insert(0, str(ROOT))
    from config.wsgi import application

    lock = threading.Lock()
    merged: list[pstats.Stats] = []

    def profiled(environ: dict, start_response: Any) -> list[bytes]:
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        try:
            return list(application(environ, start_response))
        finally:
            profiler.disable()
            with lock:
                if merged:
                    merged[0].add(profiler)
                else:
                    merged.append(pstats.Stats(profiler))

    def stop(*_: Any) -> None:
        with lock:
            if merged:
                merged[0].dump_stats(os.environ["BENCH_PROFILE"])
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    port = int(os.environ.get("BENCH_SERVE_PORT", PORT))
    serve(profiled, host=HOST, port=port, threads=int(os.environ["BENCH_SERVER_THREADS"]), _quiet=True)


def _summary(answers: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    ok = [a for a in answers if a["status"] in (200, 201)]
    latencies = [a["seconds"] for a in ok]
    return {
        "answers": len(answers),
        "ok": len(ok),
        "created": sum(a["status"] == 201 for a in answers),
        "replayed": sum(a["status"] == 200 for a in answers),
        "failed": len(answers) - len(ok),
        "errors": [a.get("error", a["status"]) for a in answers if a["status"] not in (200, 201)][:5],
        "wall": wall,
        "rate": len(ok) / wall if wall else 0.0,
        "p50_ms": _percentile(latencies, 0.5) * 1000,
        "p99_ms": _percentile(latencies, 0.99) * 1000,
    }


def measure(
    count: int = 3000,
    seconds: float = 30.0,
    threads: int = 8,
    server_threads: int = 6,
    pg_server: str = PG_SERVER,
    pg_db: str = PG_DB,
    profile: str | None = None,
    processes: int = 1,
) -> dict[str, Any]:
    _pg_admin(f"DROP DATABASE IF EXISTS {pg_db}", pg_server)
    _pg_admin(f"CREATE DATABASE {pg_db}", pg_server)
    database_url = f"{pg_server}/{pg_db}"
    servers: list[subprocess.Popen] = []
    # One waitress process runs Python on one core at a time; a deployment on more cores runs one per core
    # behind nginx, which ``processes`` imitates (the connections are spread over the ports).
    ports = [PORT + i for i in range(processes)]
    try:
        setup = _child(_child_env(database_url, debug=True), "setup")
        env = _child_env(database_url, debug=False)
        for port in ports:
            servers.append(_start_server(env, server_threads, profile, port))
        # Spread over the same officers as the intake: one caller alone would meet the API's per-user rate
        # limit (2,000 a minute) and the reference would count 429s instead of answers.
        callers = [setup["officers"][name] for name in sorted(setup["officers"])]
        reference_jobs = [
            {"method": "GET", "path": c["reference_path"], "token": c["token"]}
            for c in (callers[i % len(callers)] for i in range(count))
        ]
        # Warm-up: connections, imports, caches.
        _drive(reference_jobs[: threads * 20], threads, seconds, ports)
        baseline = _child(env, "count")["count"]
        run_id = f"b{int(time.time())}"
        jobs = _intake_jobs(setup, count, run_id)
        busy0, total0 = _machine_busy()
        server_cpu0 = sum(_cpu_seconds(server.pid) for server in servers)
        client_cpu0 = time.process_time()
        with _Watch(pg_server, pg_db) as watch:
            intake_answers, intake_wall = _drive(jobs, threads, seconds, ports)
        server_cpu = sum(_cpu_seconds(server.pid) for server in servers) - server_cpu0
        client_cpu = time.process_time() - client_cpu0
        busy1, total1 = _machine_busy()
        reference_answers, reference_wall = _drive(reference_jobs, threads, seconds, ports)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(intake_answers, handle)
    try:
        verify = _child(env, "verify", handle.name, str(baseline))
    finally:
        Path(handle.name).unlink(missing_ok=True)
        _pg_admin(f"DROP DATABASE IF EXISTS {pg_db}", pg_server)
    return {
        "intake": _summary(intake_answers, intake_wall),
        "reference": _summary(reference_answers, reference_wall),
        "verify": verify,
        "watch": watch.summary(),
        "jobs": len(jobs),
        "threads": threads,
        "server_threads": server_threads,
        "processes": processes,
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
        "machine_cpu": (busy1 - busy0) / (total1 - total0) * (os.cpu_count() or 1) * intake_wall,
        "cores": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
    }


def run(options: Any) -> list[dict[str, Any]]:
    data = measure(
        count=int(_option(options, "count", 3000)),
        seconds=float(_option(options, "seconds", 30.0)),
        threads=int(_option(options, "threads", 8)),
        server_threads=int(_option(options, "server_threads", 6)),
        pg_server=_option(options, "pg_server", PG_SERVER),
        pg_db=_option(options, "pg_db", PG_DB),
        profile=_option(options, "profile", None),
        processes=int(_option(options, "processes", 1)),
    )
    intake, reference, verify = data["intake"], data["reference"], data["verify"]
    if verify["problem_count"] or intake["failed"]:
        raise RuntimeError(
            f"intake lost or duplicated work: {verify['problem_count']} problems {verify['problems']}; "
            f"{intake['failed']} failed answers {intake['errors']}"
        )
    cores = (
        f"{data['cores']} cores shared by waitress ({data['processes']} process(es) of {data['server_threads']} "
        f"threads), PostgreSQL and the load "
        f"generator ({data['threads']} keep-alive connections, threads in one process); during the intake "
        f"phase waitress used {data['server_cpu']:.1f} CPU-s, the generator {data['client_cpu']:.1f} CPU-s, the "
        f"whole machine {data['machine_cpu']:.1f} CPU-s of {intake['wall']:.1f} s wall; {data['watch']}"
    )
    checks = (
        f"{intake['created']} created + {intake['replayed']} retries answered with the first request; "
        f"{verify['distinct_keys']} distinct keys = {verify['new_rows']} new rows, each with one intake event "
        f"and one audit entry; audit_verify ok over {verify['audit_checked']} entries"
    )
    return [
        {
            "name": "intake.api_per_s.postgresql",
            "value": round(intake["rate"], 1),
            "unit": "req/s",
            "reference_value": round(reference["rate"], 1),
            "ratio": round(intake["rate"] / reference["rate"], 3) if reference["rate"] else None,
            "notes": f"POST /api/requests/ answered 201/200 per second; reference: authenticated GET "
            f"/api/regions/<id>/ on the same server; ratio = intake / reference (higher is better). {checks}. "
            + cores,
        },
        {
            "name": "intake.api_p50_ms.postgresql",
            "value": round(intake["p50_ms"], 2),
            "unit": "ms",
            "reference_value": round(reference["p50_ms"], 2),
            "ratio": round(intake["p50_ms"] / reference["p50_ms"], 2) if reference["p50_ms"] else None,
            "median": round(intake["p50_ms"], 2),
            "notes": f"latency under load, {data['threads']} concurrent connections; ratio = intake / reference",
        },
        {
            "name": "intake.api_p99_ms.postgresql",
            "value": round(intake["p99_ms"], 2),
            "unit": "ms",
            "reference_value": round(reference["p99_ms"], 2),
            "ratio": round(intake["p99_ms"] / reference["p99_ms"], 2) if reference["p99_ms"] else None,
            "notes": "ratio = intake / reference",
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=3000, help="intakes to send (before retries)")
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit of each phase")
    parser.add_argument("--threads", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--server-threads", type=int, default=6, help="waitress worker threads")
    parser.add_argument(
        "--processes", type=int, default=1, help="waitress processes (ports from the base port up)"
    )
    parser.add_argument("--pg-server", default=os.environ.get("BENCH_PG_SERVER", PG_SERVER))
    parser.add_argument("--pg-db", default=PG_DB, help="throw-away database (dropped and created)")
    parser.add_argument("--profile", default=None, help="write a cProfile of the server to this path")
    args = parser.parse_args()
    if args.serve:
        _serve()
        return
    if args.child:
        sys.path.insert(0, str(ROOT))
        what, *rest = args.child
        if what == "setup":
            print(json.dumps(_child_setup()))
        elif what == "verify":
            print(json.dumps(_child_verify(rest[0], int(rest[1]))))
        else:
            print(json.dumps(_child_count()))
        return
    for row in run(args):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
