"""Benchmark: Open311 ``POST /open311/requests.json`` on PostgreSQL under waitress, next to the plain REST
intake ``POST /api/requests/`` measured in the same run on the same server.

The machinery is bench_intake's (throw-away database, the test world, waitress on 127.0.0.1 with the
production settings, keep-alive load generator, answer summaries); this module adds an Open311 service and
API key, a form-encoded client, and the check afterwards.

* Open311: form-encoded service requests (``api_key``, ``service_code``, attributes, a location by lat/long,
  ``address_id`` or ``address_string``, reporter fields), each with an ``Idempotency-Key``; about 10% of
  them are sent again (some at once from another connection, some later).
* REST intake: bench_intake's own job mix (token-authenticated officers, several channels, retries).

The two run in alternating rounds (Open311, REST, Open311, REST) so that a change in the machine's load
falls on both. Afterwards a child process checks that nothing was lost or duplicated: every accepted
Open311 answer's service_request_id exists exactly once, with one submission, one intake event and one
audit entry of each kind; all answers for one key name the same request; the Open311 requests in the
database are exactly the distinct accepted keys; and bench_intake's own check of the REST answers.

    python bench/bench_open311.py [--count 1600] [--seconds 40] [--threads 8] [--server-threads 6]

``run(options)`` is the entry point for ``bench/run.py`` (always PostgreSQL; run it under
``flock /tmp/grassroots-heavy.lock`` on a shared machine).
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
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_OPEN311_PORT", "8102"))
PG_DB = "grassroots_bench_open311"
SERVICE_CODE = "BENCH-LAMP"


def _load_intake() -> Any:
    """bench_intake as a module of its own (its port set to this benchmark's)."""
    spec = importlib.util.spec_from_file_location(
        "bench_open311_intake", Path(__file__).with_name("bench_intake.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.PORT = PORT
    return module


intake = _load_intake()


class FormClient(intake.Client):
    """bench_intake's keep-alive client; Open311 jobs go form-encoded, and their answer (a list with the
    service_request_id) is handed to the load generator as ``{"tracking_code": …}``."""

    def send(self, method: str, path: str, token: str, body: bytes | None = None, key: str = "") -> tuple:
        if not path.startswith("/open311/"):
            return super().send(method, path, token, body, key)
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        if key:
            headers["Idempotency-Key"] = key
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                status, content = response.status, response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection(intake.HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        if status == 200:
            answer = json.loads(content)[0]
            content = json.dumps({"tracking_code": answer.get("service_request_id")}).encode()
        return status, content


intake.Client = FormClient  # the load generator of this module's bench_intake builds these


# -------------------------------------------------------------------------------------------- children


def _child_setup() -> dict[str, Any]:
    setup = intake._child_setup()  # migrate, the test world, officers with tokens
    from django.contrib.auth import get_user_model

    from grassroots.casework.models import Category
    from grassroots.open311.models import Attribute, Service
    from grassroots.open311.services import api_key_issue
    from grassroots.territory.models import Region
    from grassroots.workforce.models import Unit

    users = get_user_model().objects
    admin, leader = users.get(username="admin"), users.get(username="leader_a")
    county = Region.objects.get(code="410225")
    lights = Category.objects.create(
        code="BENCH-L", name="路灯损坏", path="BENCH-L/", default_unit=Unit.objects.get(code="CA")
    )
    service = Service.objects.create(category=lights, service_code=SERVICE_CODE, kind="help", metadata=True)
    Attribute.objects.create(service=service, code="POLE", datatype="string", required=True, order=1)
    Attribute.objects.create(
        service=service,
        code="KIND",
        datatype="singlevaluelist",
        required=True,
        order=2,
        values=[{"key": "dark", "name": "不亮"}, {"key": "flicker", "name": "闪烁"}],
    )
    Attribute.objects.create(
        service=service,
        code="WHEN",
        datatype="multivaluelist",
        order=3,
        values=[{"key": "night", "name": "夜间"}, {"key": "day", "name": "白天"}],
    )
    _key, plain = api_key_issue(actor=admin, name="基准客户端", owner=leader, region=county)
    places = list(Region.objects.filter(path__startswith=county.path).values_list("code", "name"))
    setup["open311"] = {"api_key": plain, "places": places}
    return setup


def _child_verify(open311_path: str, rest_path: str, baseline: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db.models import Count

    from grassroots.casework.models import Channel, Request, RequestEvent
    from grassroots.common.models import AuditEntry
    from grassroots.open311.models import Submission

    answers = json.loads(Path(open311_path).read_text())
    problems: list[str] = []
    codes_by_key: dict[str, set[str]] = {}
    for a in answers:
        if a["status"] == 200:
            codes_by_key.setdefault(a["key"], set()).add(a["code"])
    for key, codes in codes_by_key.items():
        if len(codes) != 1:
            problems.append(f"key {key} answered with {len(codes)} service_request_ids")
    codes = sorted({c for cs in codes_by_key.values() for c in cs})
    rows = {r.tracking_code: r for r in Request.objects.filter(tracking_code__in=codes)}
    missing = [c for c in codes if c not in rows]
    if missing:
        problems.append(f"{len(missing)} accepted service_request_ids are missing, e.g. {missing[:3]}")
    ids = [r.pk for r in rows.values()]
    per_request = {
        "submission": dict(
            Submission.objects.filter(request_id__in=ids).values_list("request_id").annotate(n=Count("id"))
        ),
        "intake event": dict(
            RequestEvent.objects.filter(request_id__in=ids, action="intake")
            .values_list("request_id")
            .annotate(n=Count("id"))
        ),
    }
    for action in ("request.intake", "open311.request_create"):
        per_request[action] = {
            int(k): n
            for k, n in AuditEntry.objects.filter(
                action=action, object_type="casework.request", object_id__in=[str(i) for i in ids]
            )
            .values_list("object_id")
            .annotate(n=Count("id"))
        }
    for code, request in rows.items():
        if request.channel != Channel.OPEN311:
            problems.append(f"{code} is on channel {request.channel}")
        for what, counts in per_request.items():
            if counts.get(request.pk) != 1:
                problems.append(f"{code}: {counts.get(request.pk, 0)} × {what}")
    open311_rows = Request.objects.filter(channel=Channel.OPEN311).count()
    if open311_rows != len(codes_by_key):
        problems.append(f"{open311_rows} Open311 requests for {len(codes_by_key)} distinct accepted keys")
    # bench_intake's own check of the REST answers; the Open311 rows are part of its baseline.
    rest = intake._child_verify(rest_path, baseline + open311_rows)
    return {
        "problems": problems[:20],
        "problem_count": len(problems),
        "distinct_keys": len(codes_by_key),
        "open311_rows": open311_rows,
        "rest": rest,
    }


# -------------------------------------------------------------------------------------------- the load


def _open311_jobs(setup: dict[str, Any], count: int, run_id: str, seed: int = 11) -> list[dict[str, Any]]:
    """``count`` form-encoded service requests; a third located by lat/long, a third by address_id, a third
    by address_string; about 6% sent again at once and 4% again later, identical."""
    rng = random.Random(seed)
    places = setup["open311"]["places"]
    jobs: list[dict[str, Any]] = []
    later: list[tuple[int, dict[str, Any]]] = []
    for i in range(count):
        code, name = rng.choice(places)
        fields = {
            "api_key": setup["open311"]["api_key"],
            "service_code": SERVICE_CODE,
            "description": f"第 {i} 件：路灯不亮已经三天，晚上很危险。",
            "first_name": "三",
            "last_name": "张",
            "phone": f"139{rng.randrange(10**8):08d}",
            "email": f"r{i}@example.cn",
            "media_url": f"https://example.cn/photo/{i}.jpg",
            "attribute[POLE]": f"LK-{i:05d}",
            "attribute[KIND]": rng.choice(["dark", "flicker"]),
            "attribute[WHEN][]": rng.sample(["night", "day"], rng.randint(1, 2)),
        }
        where = i % 3
        if where == 0:
            fields.update(lat=f"{34.8 + rng.random() / 10:.6f}", long=f"{114.8 + rng.random() / 10:.6f}")
        elif where == 1:
            fields["address_id"] = code
        else:
            fields["address_string"] = f"兰考县{name}东街{rng.randint(1, 99)}号"
        job = {
            "method": "POST",
            "path": "/open311/requests.json",
            "token": "",
            "body": urllib.parse.urlencode(fields, doseq=True).encode(),
            "key": f"{run_id}-o{i}",
            "channel": "open311",
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


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"open311 benchmark child {args} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure(
    count: int = 1600,
    seconds: float = 40.0,
    threads: int = 8,
    server_threads: int = 6,
    pg_server: str = intake.PG_SERVER,
    pg_db: str = PG_DB,
) -> dict[str, Any]:
    intake._pg_admin(f"DROP DATABASE IF EXISTS {pg_db}", pg_server)
    intake._pg_admin(f"CREATE DATABASE {pg_db}", pg_server)
    database_url = f"{pg_server}/{pg_db}"
    server = None
    load_before = _load()
    try:
        setup = _child(intake._child_env(database_url, debug=True), "setup")
        env = intake._child_env(database_url, debug=False)
        env.update(OPEN311_POST_LIMIT="1000000", OPEN311_POST_WINDOW="60")  # one client address here
        server = intake._start_server(env, server_threads, None)
        officer = setup["officers"]["officer_a1"]
        warm = [{"method": "GET", "path": officer["reference_path"], "token": officer["token"]}] * (
            threads * 20
        )
        intake._drive(warm, threads, seconds)
        baseline = _child(env, "count")["count"]
        # first Open311 requests (imports, caches): not measured, but checked with the others
        warm_answers, _wall = intake._drive(
            _open311_jobs(setup, threads * 5, "warm", seed=99), threads, seconds
        )
        run_id = f"o{int(time.time())}"
        open311_jobs = _open311_jobs(setup, count, run_id)
        rest_jobs = intake._intake_jobs(setup, count, run_id)
        halves = {"open311": _halves(open311_jobs), "rest": _halves(rest_jobs)}
        answers: dict[str, list[dict[str, Any]]] = {"open311": [], "rest": []}
        walls = {"open311": 0.0, "rest": 0.0}
        rounds = []
        for round_ in (0, 1):
            for kind in ("open311", "rest"):
                with intake._Watch(pg_server, pg_db) as watch:
                    got, wall = intake._drive(halves[kind][round_], threads, seconds / 2)
                answers[kind] += got
                walls[kind] += wall
                slowest = max((a["seconds"] for a in got), default=0.0)
                rounds.append(
                    f"{kind} {len(got)} in {wall:.1f}s (slowest {slowest:.1f}s, load {_load()}; {watch.summary()})"
                )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    load_after = _load()
    paths = []
    for kind, checked in (("open311", warm_answers + answers["open311"]), ("rest", answers["rest"])):
        with tempfile.NamedTemporaryFile("w", suffix=f"-{kind}.json", delete=False) as handle:
            json.dump(checked, handle)
            paths.append(handle.name)
    try:
        verify = _child(env, "verify", paths[0], paths[1], str(baseline))
    finally:
        for path in paths:
            Path(path).unlink(missing_ok=True)
        intake._pg_admin(f"DROP DATABASE IF EXISTS {pg_db}", pg_server)
    return {
        "open311": intake._summary(answers["open311"], walls["open311"]),
        "rest": intake._summary(answers["rest"], walls["rest"]),
        "verify": verify,
        "jobs": {"open311": len(open311_jobs), "rest": len(rest_jobs)},
        "threads": threads,
        "server_threads": server_threads,
        "load": (load_before, load_after),
        "rounds": rounds,
        "cores": os.cpu_count(),
    }


def _brief(summary: dict[str, Any]) -> str:
    keys = ("answers", "ok", "failed", "wall", "rate", "p50_ms", "p99_ms")
    return ", ".join(
        f"{k} {summary[k]:.1f}" if isinstance(summary[k], float) else f"{k} {summary[k]}" for k in keys
    )


def _halves(jobs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    middle = len(jobs) // 2
    return jobs[:middle], jobs[middle:]


def run(options: Any) -> list[dict[str, Any]]:
    option = intake._option
    data = measure(
        count=int(option(options, "count", 1600)),
        seconds=float(option(options, "seconds", 40.0)),
        threads=int(option(options, "threads", 8)),
        server_threads=int(option(options, "server_threads", 6)),
        pg_server=option(options, "pg_server", intake.PG_SERVER),
        pg_db=option(options, "pg_db", PG_DB),
    )
    o311, rest, verify = data["open311"], data["rest"], data["verify"]
    problems = verify["problem_count"] + verify["rest"]["problem_count"]
    if problems or o311["failed"] or rest["failed"]:
        raise RuntimeError(
            f"lost or duplicated work: {verify['problems']} {verify['rest']['problems']}; failed answers: "
            f"Open311 {o311['failed']} {o311['errors']}, REST {rest['failed']} {rest['errors']}; "
            f"Open311 {_brief(o311)}; REST {_brief(rest)}; rounds {data['rounds']}; load {data['load']}"
        )
    setting = (
        f"{data['cores']} cores shared by waitress ({data['server_threads']} threads), PostgreSQL and the load "
        f"generator ({data['threads']} keep-alive connections); load average {data['load'][0]} before, "
        f"{data['load'][1]} after; alternating rounds Open311, REST, Open311, REST"
    )
    checks = (
        f"Open311: {o311['ok']} measured answers; with the warm-up's, {verify['distinct_keys']} distinct keys = "
        f"{verify['open311_rows']} requests, each with one submission, intake event and audit entries; REST: "
        f"{verify['rest']['distinct_keys']} keys = {verify['rest']['new_rows']} new rows; audit chain ok "
        f"over {verify['rest']['audit_checked']} entries"
    )
    ratio = lambda a, b: round(a / b, 3) if b else None  # noqa: E731
    return [
        {
            "name": "open311.post_per_s.postgresql",
            "value": round(o311["rate"], 1),
            "unit": "req/s",
            "reference_value": round(rest["rate"], 1),
            "ratio": ratio(o311["rate"], rest["rate"]),
            "notes": "POST /open311/requests.json (form-encoded, API key, attributes, location, retries) "
            "answered 200 per second; reference: POST /api/requests/ (JSON, token) on the same server in the "
            f"same run; ratio = Open311 / REST (higher is better). {checks}. {setting}",
        },
        {
            "name": "open311.post_p50_ms.postgresql",
            "value": round(o311["p50_ms"], 2),
            "unit": "ms",
            "reference_value": round(rest["p50_ms"], 2),
            "ratio": ratio(o311["p50_ms"], rest["p50_ms"]),
            "median": round(o311["p50_ms"], 2),
            "notes": f"latency under load, {data['threads']} concurrent connections; ratio = Open311 / REST",
        },
        {
            "name": "open311.post_p99_ms.postgresql",
            "value": round(o311["p99_ms"], 2),
            "unit": "ms",
            "reference_value": round(rest["p99_ms"], 2),
            "ratio": ratio(o311["p99_ms"], rest["p99_ms"]),
            "notes": "ratio = Open311 / REST (lower is better)",
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=1600, help="requests of each kind (before retries)")
    parser.add_argument("--seconds", type=float, default=40.0, help="time limit of each kind (all rounds)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent client connections")
    parser.add_argument("--server-threads", type=int, default=6, help="waitress worker threads")
    parser.add_argument("--pg-server", default=os.environ.get("BENCH_PG_SERVER", intake.PG_SERVER))
    parser.add_argument("--pg-db", default=PG_DB, help="throw-away database (dropped and created)")
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        what, *rest = args.child
        if what == "setup":
            print(json.dumps(_child_setup()))
        elif what == "verify":
            print(json.dumps(_child_verify(rest[0], rest[1], int(rest[2]))))
        else:
            print(json.dumps(intake._child_count()))
        return
    for row in run(args):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
