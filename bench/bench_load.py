"""Benchmark: a bounded load test with a realistic mix, on PostgreSQL under waitress, driven by locust.

A throw-away PostgreSQL database is created (and dropped afterwards), migrated and given the tiny demo
county (``manage.py demo --scale tiny``: real divisions, households, officers with assignments, requests,
outreach duties, insights), a few more officer accounts, API tokens and signed-in sessions, an Open311
service with an API key. waitress (8 threads) serves the production settings (``bench/load_settings.py``)
on 127.0.0.1. locust (``bench/locust_load.py``) then runs a fixed number of users for a fixed time: officers
registering requests through the REST API with idempotency keys (some retried), reading their list (page
and API), request details, accepting new requests (a transition), opening the outreach day; a leader on the
insights dashboard and the queue; an Open311 client posting service requests; residents on the public
submit page.

Afterwards a child process proves that every accepted request exists exactly once (one row per idempotency
key or form token, with one intake event and one intake audit entry; all answers for one key name the same
request; the new rows are exactly the distinct accepted keys), that every accepted transition has its event
and audit entry, and ``manage.py audit_verify`` passes.

    python bench/bench_load.py [--users 24] [--seconds 90] [--server-threads 8] [--households N]

``run(options)`` is the entry point for ``bench/run.py --only load`` (always PostgreSQL; run it under
``flock /tmp/grassroots-heavy.lock`` on a shared machine). Port ``BENCH_LOAD_PORT`` (default 8109).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PORT = int(os.environ.get("BENCH_LOAD_PORT", "8109"))
PG_DB = "grassroots_bench_load"
SERVICE_CODE = "LOAD-LAMP"
EXTRA_OFFICERS = 6
INTAKE_OPS = ("api intake", "open311 post", "page public submit")


def _load_intake() -> Any:
    """bench_intake as a module of its own (its port set to this benchmark's)."""
    spec = importlib.util.spec_from_file_location(
        "bench_load_intake", Path(__file__).with_name("bench_intake.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.PORT = PORT
    return module


intake = _load_intake()


def _option(options: Any, name: str, default: Any = None) -> Any:
    return intake._option(options, name, default)


# -------------------------------------------------------------------------------------------- children


def _session_for(user: Any) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def _child_setup(households: str) -> dict[str, Any]:
    """Migrate, the tiny demo county, accounts with tokens and sessions, an Open311 service and key."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from grassroots.casework.models import Category, Request
    from grassroots.open311.models import Attribute, Service
    from grassroots.open311.services import api_key_issue
    from grassroots.territory.models import Region, RegionLevel
    from grassroots.workforce.models import Officer

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the production settings' manifest
    migrated = time.perf_counter()
    demo = {"scale": "tiny", "seed": 1, "no_progress": True, "stdout": open(os.devnull, "w")}  # noqa: SIM115
    if int(households):
        demo["households"] = int(households)
    call_command("demo", **demo)
    users = get_user_model().objects
    county = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    places = list(
        Region.objects.filter(path__startswith=county.path, level__gt=RegionLevel.COUNTY).values_list(
            "code", "name"
        )
    )
    # More officers with accounts: the demo links one per role; the busiest unlinked officers get one each.
    for n, officer in enumerate(Officer.objects.filter(user__isnull=True).order_by("pk")[:EXTRA_OFFICERS]):
        user = users.create_user(f"load-officer-{n + 1}", password=None, role="officer")
        Officer.objects.filter(pk=officer.pk).update(user=user)
    accounts = ["demo-officer", "demo-grid", *(f"load-officer-{n + 1}" for n in range(EXTRA_OFFICERS))]
    officers = []
    for username in accounts:
        user = users.get(username=username)
        from grassroots.common.scoping import actor_for

        visible = Request.objects.visible_to(actor_for(user))
        officers.append(
            {
                "username": username,
                "token": Token.objects.get_or_create(user=user)[0].key,
                "session": _session_for(user),
                "places": [code for code, _name in places],
                "requests": list(visible.order_by("-pk").values_list("pk", flat=True)[:50]),
            }
        )
    leader = users.get(username="demo-leader")
    admin = users.get(username="demo-admin")
    unit = (
        Category.objects.filter(default_unit__isnull=False)
        .order_by("code")
        .values_list("default_unit", flat=True)
    ).first()
    lights = Category.objects.create(code="LOAD-L", name="路灯损坏", path="LOAD-L/", default_unit_id=unit)
    service = Service.objects.create(category=lights, service_code=SERVICE_CODE, kind="help", metadata=True)
    Attribute.objects.create(service=service, code="POLE", datatype="string", required=True, order=1)
    _key, plain = api_key_issue(actor=admin, name="负载测试客户端", owner=leader, region=county)
    return {
        "officers": officers,
        "leader": {
            "token": Token.objects.get_or_create(user=leader)[0].key,
            "session": _session_for(leader),
        },
        "open311": {"api_key": plain, "service_code": SERVICE_CODE, "places": places},
        "county": county.code,
        "migrate_seconds": round(migrated - started, 1),
        "demo_seconds": round(time.perf_counter() - migrated, 1),
    }


def _child_baseline() -> dict[str, Any]:
    import django

    django.setup()
    from grassroots.casework.models import Request, RequestEvent
    from grassroots.common.models import AuditEntry

    return {
        "requests": Request.objects.count(),
        "max_request": Request.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "max_event": RequestEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "max_audit": AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }


def verify_accepted(answers: list[dict[str, Any]], baseline: dict[str, Any]) -> dict[str, Any]:
    """Every accepted intake (REST 200/201 by key, Open311 200 by key, public form 302 by form token) is one
    request with one intake event and one intake audit entry; one answer per key names one request; the
    requests created since the baseline are exactly the distinct accepted keys; every accepted transition has
    its event and audit entry; no request event or audit entry points at a request that does not exist."""
    from django.db.models import Count

    from grassroots.casework.models import Request, RequestEvent
    from grassroots.common.models import AuditEntry

    problems: list[str] = []
    codes_by_key: dict[str, set[str]] = {}
    for a in answers:
        if a["op"] in INTAKE_OPS and a["status"] in (200, 201, 302) and a.get("code"):
            codes_by_key.setdefault(a["key"], set()).add(a["code"])
    for key, codes in codes_by_key.items():
        if len(codes) != 1:
            problems.append(f"key {key} answered with {len(codes)} tracking codes")
    codes = sorted({c for cs in codes_by_key.values() for c in cs})
    rows = {r.tracking_code: r for r in Request.objects.filter(tracking_code__in=codes)}
    missing = [c for c in codes if c not in rows]
    if missing:
        problems.append(f"{len(missing)} accepted tracking codes are missing, e.g. {missing[:3]}")
    per_tracking = dict(
        Request.objects.filter(tracking_code__in=codes).values_list("tracking_code").annotate(n=Count("id"))
    )
    ids = [r.pk for r in rows.values()]
    events = dict(
        RequestEvent.objects.filter(request_id__in=ids, action="intake")
        .values_list("request_id")
        .annotate(n=Count("id"))
    )
    audits = {
        int(k): n
        for k, n in AuditEntry.objects.filter(
            action="request.intake", object_type="casework.request", object_id__in=[str(i) for i in ids]
        )
        .values_list("object_id")
        .annotate(n=Count("id"))
    }
    for code, request in rows.items():
        if per_tracking.get(code) != 1:
            problems.append(f"{code}: {per_tracking.get(code)} rows")
        if events.get(request.pk) != 1:
            problems.append(f"{code}: {events.get(request.pk, 0)} intake events")
        if audits.get(request.pk) != 1:
            problems.append(f"{code}: {audits.get(request.pk, 0)} intake audit entries")
    tokens = set(codes_by_key)
    stored_tokens = dict(
        Request.objects.filter(pk__gt=baseline["max_request"], client_token__in=tokens)
        .values_list("client_token")
        .annotate(n=Count("id"))
    )
    duplicated = [t for t, n in stored_tokens.items() if n != 1]
    if duplicated:
        problems.append(f"{len(duplicated)} client tokens stored more than once, e.g. {duplicated[:3]}")
    new_rows = Request.objects.filter(pk__gt=baseline["max_request"]).count()
    if new_rows != len(codes_by_key):
        problems.append(f"{new_rows} new requests for {len(codes_by_key)} distinct accepted keys")
    accepted = [a["id"] for a in answers if a["op"] == "api transition accept" and a["status"] == 200]
    accept_events = dict(
        RequestEvent.objects.filter(request_id__in=accepted, action="accept")
        .values_list("request_id")
        .annotate(n=Count("id"))
    )
    accept_audits = {
        int(k): n
        for k, n in AuditEntry.objects.filter(
            action="request.accept", object_type="casework.request", object_id__in=[str(i) for i in accepted]
        )
        .values_list("object_id")
        .annotate(n=Count("id"))
    }
    for pk in accepted:
        if accept_events.get(pk) != 1 or accept_audits.get(pk) != 1:
            problems.append(
                f"request {pk}: {accept_events.get(pk, 0)} accept events, {accept_audits.get(pk, 0)} audits"
            )
    orphans = orphan_rows(baseline)
    problems += [f"{n} {what}" for what, n in orphans.items() if n]
    return {
        "problems": problems[:20],
        "problem_count": len(problems),
        "distinct_keys": len(codes_by_key),
        "new_rows": new_rows,
        "transitions": len(accepted),
        "orphans": orphans,
    }


def orphan_rows(baseline: dict[str, Any]) -> dict[str, int]:
    """Request events and request audit entries written since the baseline whose request does not exist."""
    from grassroots.casework.models import Request, RequestEvent
    from grassroots.common.models import AuditEntry

    live = Request.objects.filter(pk__gt=baseline["max_request"]).values_list("pk", flat=True)
    new_events = RequestEvent.objects.filter(pk__gt=baseline["max_event"])
    request_audits = AuditEntry.objects.filter(pk__gt=baseline["max_audit"], object_type="casework.request")
    return {
        "events without their request": new_events.exclude(
            request_id__in=Request.objects.values("pk")
        ).count(),
        "intake audit entries without their request": request_audits.filter(action="request.intake")
        .exclude(object_id__in=[str(pk) for pk in live])
        .count(),
        "new requests without an intake event": Request.objects.filter(pk__gt=baseline["max_request"])
        .exclude(pk__in=RequestEvent.objects.filter(action="intake").values("request_id"))
        .count(),
    }


def _child_verify(answers_path: str, baseline_json: str) -> dict[str, Any]:
    import django

    django.setup()
    answers = json.loads(Path(answers_path).read_text())
    return verify_accepted(answers, json.loads(baseline_json))


# -------------------------------------------------------------------------------------------- parent


def server_env(database_url: str) -> dict[str, str]:
    env = intake._child_env(database_url, debug=False)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.load_settings",
        OPEN311_POST_LIMIT="1000000",  # one Open311 client and key for all the load here
        OPEN311_POST_WINDOW="60",
    )
    return env


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"load benchmark child {args} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def start_server(env: dict[str, str], threads: int, log: Path) -> subprocess.Popen:
    """waitress-serve on 127.0.0.1:PORT, its log in ``log``; returns once it answers."""
    waitress = str(Path(sys.executable).parent / "waitress-serve")
    command = [waitress, f"--listen={intake.HOST}:{PORT}", f"--threads={threads}", "config.wsgi:application"]
    with log.open("ab") as handle:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    for _ in range(300):
        time.sleep(0.1)
        if server.poll() is not None:
            raise RuntimeError(f"waitress exited: {log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection(intake.HOST, PORT, timeout=2)
            conn.request("GET", "/api/")
            conn.getresponse().read()
            conn.close()
            return server
        except OSError:
            continue
    server.terminate()
    raise RuntimeError("waitress did not start listening")


def audit_verify_command(env: dict[str, str]) -> tuple[bool, str]:
    command = [sys.executable, "manage.py", "audit_verify"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return result.returncode == 0, (result.stdout + result.stderr).strip()[-300:]


def percentiles(latencies: list[float]) -> dict[str, float]:
    p = intake._percentile
    return {"p50": p(latencies, 0.50), "p95": p(latencies, 0.95), "p99": p(latencies, 0.99)}


def per_operation(answers: list[dict[str, Any]], wall: float) -> dict[str, dict[str, Any]]:
    ops: dict[str, dict[str, Any]] = {}
    for a in answers:
        op = ops.setdefault(a["op"], {"count": 0, "latencies": [], "statuses": {}})
        op["count"] += 1
        op["latencies"].append(a["ms"])
        op["statuses"][str(a["status"])] = op["statuses"].get(str(a["status"]), 0) + 1
    for op in ops.values():
        op.update(percentiles(op.pop("latencies")))
        op["per_s"] = op["count"] / wall if wall else 0.0
    return dict(sorted(ops.items()))


def _locust(setup_path: str, answers_path: str, users: int, seconds: int) -> tuple[float, str]:
    locust = str(Path(sys.executable).parent / "locust")
    csv_prefix = BENCH_DIR / "load_locust"
    command = [
        locust,
        "-f",
        str(Path(__file__).with_name("locust_load.py")),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "10",
        "--host",
        f"http://{intake.HOST}:{PORT}",
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {**os.environ, "LOAD_SETUP": setup_path, "LOAD_ANSWERS": answers_path}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if not Path(answers_path).exists() or Path(answers_path).stat().st_size == 0:
        raise RuntimeError(f"locust wrote no answers (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return wall, f"{csv_prefix}_stats.csv"


def measure(
    users: int = 24,
    seconds: int = 90,
    server_threads: int = 8,
    households: int = 0,
    pg_server: str = intake.PG_SERVER,
    pg_db: str = PG_DB,
) -> dict[str, Any]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    intake._pg_admin(f"DROP DATABASE IF EXISTS {pg_db}", pg_server)
    intake._pg_admin(f"CREATE DATABASE {pg_db}", pg_server)
    database_url = f"{pg_server}/{pg_db}"
    env = server_env(database_url)
    server = None
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    setup_path, answers_path = str(work / "setup.json"), str(work / "answers.json")
    try:
        setup = _child(env, "setup", str(households))
        Path(setup_path).write_text(json.dumps(setup))
        baseline = _child(env, "baseline")
        log = BENCH_DIR / "load_server.log"
        log.unlink(missing_ok=True)
        server = start_server(env, server_threads, log)
        busy0, total0 = intake._machine_busy()
        server_cpu0 = intake._cpu_seconds(server.pid)
        wall, locust_csv = _locust(setup_path, answers_path, users, seconds)
        server_cpu = intake._cpu_seconds(server.pid) - server_cpu0
        busy1, total1 = intake._machine_busy()
        answers = json.loads(Path(answers_path).read_text())
        server.terminate()
        server.wait(timeout=30)
        server = None
        verify = _child(env, "verify", answers_path, json.dumps(baseline))
        audit_ok, audit_text = audit_verify_command(env)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        for path in (setup_path, answers_path):
            Path(path).unlink(missing_ok=True)
        work.rmdir()
        intake._pg_admin(f"DROP DATABASE IF EXISTS {pg_db}", pg_server)
    span = (max(a["t"] for a in answers) - min(a["t"] - a["ms"] / 1000 for a in answers)) if answers else wall
    return {
        "answers": len(answers),
        "span": span,
        "ops": per_operation(answers, span),
        "all": percentiles([a["ms"] for a in answers]),
        "server_errors": sum(1 for a in answers if a["status"] == 0 or a["status"] >= 500),
        "verify": verify,
        "audit_ok": audit_ok,
        "audit_text": audit_text,
        "users": users,
        "seconds": seconds,
        "server_threads": server_threads,
        "server_cpu": server_cpu,
        "machine_cpu": (busy1 - busy0) / (total1 - total0) * (os.cpu_count() or 1) * wall,
        "cores": os.cpu_count(),
        "setup": {k: setup[k] for k in ("migrate_seconds", "demo_seconds", "county")},
        "locust_csv": locust_csv,
        "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def _slug(op: str) -> str:
    return op.replace(" ", "_")


def run(options: Any) -> list[dict[str, Any]]:
    data = measure(
        users=int(_option(options, "users", 24)),
        seconds=int(_option(options, "seconds", 90)),
        server_threads=int(_option(options, "server_threads", 8)),
        households=int(_option(options, "households", 0) or 0),
        pg_server=_option(options, "pg_server", intake.PG_SERVER),
        pg_db=_option(options, "pg_db", PG_DB),
    )
    (BENCH_DIR / "load_stats.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    verify = data["verify"]
    if verify["problem_count"] or data["server_errors"] or not data["audit_ok"]:
        raise RuntimeError(
            f"load test failed: {data['server_errors']} server errors; {verify['problem_count']} problems "
            f"{verify['problems']}; audit_verify {'ok' if data['audit_ok'] else 'FAILED'}: {data['audit_text']}"
        )
    ops = data["ops"]
    accepted = sum(
        n
        for op in INTAKE_OPS
        if op in ops
        for status, n in ops[op]["statuses"].items()
        if status in ("200", "201", "302")
    )
    setting = (
        f"{data['users']} locust users for {data['seconds']} s on {data['cores']} cores shared by waitress "
        f"({data['server_threads']} threads, {data['server_cpu']:.0f} CPU-s), PostgreSQL and locust (machine "
        f"{data['machine_cpu']:.0f} CPU-s of {data['span']:.0f} s wall; load average after {data['load']}); "
        f"tiny demo county {data['setup']['county']}"
    )
    checks = (
        f"{accepted} accepted intake answers = {verify['distinct_keys']} distinct keys = {verify['new_rows']} new "
        f"requests, each exactly once with one intake event and one audit entry; {verify['transitions']} accepted "
        f"transitions each with its event and audit entry; no orphan events or audit entries; "
        f"audit_verify: {data['audit_text'].splitlines()[-1] if data['audit_text'] else 'ok'}; 0 server errors"
    )
    rows = [
        {
            "name": "load.requests_per_s.postgresql",
            "value": round(data["answers"] / data["span"], 1),
            "unit": "req/s",
            "notes": f"all answers of the mix per second, sustained; p50 {data['all']['p50']:.0f} ms, p95 "
            f"{data['all']['p95']:.0f} ms, p99 {data['all']['p99']:.0f} ms over {data['answers']} requests. "
            f"{checks}. {setting}",
        },
        {
            "name": "load.intake_accepted_per_s.postgresql",
            "value": round(accepted / data["span"], 1),
            "unit": "req/s",
            "notes": "REST intake (201/200), Open311 POST (200) and public form (302) answers per second",
        },
    ]
    for op, figures in ops.items():
        statuses = ", ".join(f"{s}×{n}" for s, n in sorted(figures["statuses"].items()))
        rows.append(
            {
                "name": f"load.{_slug(op)}.p95_ms.postgresql",
                "value": round(figures["p95"], 1),
                "unit": "ms",
                "notes": f"p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms, p99 {figures['p99']:.1f} ms; "
                f"{figures['count']} requests, {figures['per_s']:.1f}/s; answers {statuses}",
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--users", type=int, default=24, help="locust users (fixed, all started at once)")
    parser.add_argument("--seconds", type=int, default=90, help="length of the run")
    parser.add_argument("--server-threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--households", type=int, default=0, help="households of the demo county (0: tiny)")
    parser.add_argument("--pg-server", default=os.environ.get("BENCH_PG_SERVER", intake.PG_SERVER))
    parser.add_argument("--pg-db", default=PG_DB, help="throw-away database (dropped and created)")
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        what, *rest = args.child
        if what == "setup":
            print(json.dumps(_child_setup(rest[0])))
        elif what == "baseline":
            print(json.dumps(_child_baseline()))
        else:
            print(json.dumps(_child_verify(rest[0], rest[1])))
        return
    for row in run(args):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
