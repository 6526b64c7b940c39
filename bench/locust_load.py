"""The locust users of bench_load.py (run by it as ``locust -f bench/locust_load.py --headless …``).

``LOAD_SETUP`` names the JSON written by bench_load's setup child (API tokens and session cookies of the demo
officers and leader, the Open311 API key, the places); every answer is recorded (operation, status, latency,
idempotency key, tracking code, request id) and written to ``LOAD_ANSWERS`` when the run stops, for the
check afterwards and for the percentiles.

The mix, by user class (weights are the share of simulated users):

* ``Officer`` (10): registers requests through the REST API on the counter channels with an
  ``Idempotency-Key`` (one in ten sent again at once, as a client does after a lost answer), opens their
  list (page and API), a request's page and API detail, accepts newly registered requests (a transition
  with the version read), and opens the day's outreach page.
* ``Leader`` (2): the insights dashboard, the leader's queue, the API list of the county.
* ``Open311Client`` (2): form-encoded ``POST /open311/requests.json`` with the API key and an
  ``Idempotency-Key`` (one in ten sent twice).
* ``Resident`` (4): the public submit page: loads the form, takes a few seconds to fill it in, posts it
  (CSRF token, the form's own client token); each simulated resident has an address of its own
  (``X-Real-IP``, trusted by the benchmark's settings) so the per-address limit applies as it would.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

SETUP = json.loads(Path(os.environ["LOAD_SETUP"]).read_text()) if os.environ.get("LOAD_SETUP") else {}
ANSWERS: list[dict[str, Any]] = []
_LOCK = threading.Lock()
CHANNELS = ("window", "hotline", "visit", "grid_report", "petition", "court_referral")
KINDS = ("consultation", "help", "complaint", "suggestion", "demand", "dispute")
SERVER_ERROR_FLOOR = 500


@events.quitting.add_listener
def _write_answers(environment: Any, **_: Any) -> None:
    path = os.environ.get("LOAD_ANSWERS")
    if path:
        with _LOCK:
            Path(path).write_text(json.dumps(ANSWERS))


class Recording(HttpUser):
    abstract = True

    def call(self, op: str, method: str, path: str, **kwargs: Any) -> tuple[int, Any, dict[str, Any]]:
        """One request, timed and recorded; 5xx and transport errors are locust failures."""
        record: dict[str, Any] = {"op": op, "key": kwargs.pop("record_key", "")}
        session = getattr(self, "session_cookie", None)
        if session:
            # Pages: the signed-in session. API calls: the token alone (a session would bring CSRF checks).
            self.client.cookies.clear()
            if not path.startswith("/api/"):
                kwargs["headers"] = {**kwargs.get("headers", {}), "Cookie": f"sessionid={session}"}
        started = time.perf_counter()
        with self.client.request(method, path, name=op, catch_response=True, **kwargs) as response:
            record["ms"] = (time.perf_counter() - started) * 1000
            record["status"] = status = response.status_code or 0
            if status == 0 or status >= SERVER_ERROR_FLOOR:
                response.failure(f"{status}")
            else:
                response.success()
            record["t"] = time.time()
        with _LOCK:
            ANSWERS.append(record)
        return status, response, record


class Officer(Recording):
    weight = 10
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.me = SETUP["officers"][random.randrange(len(SETUP["officers"]))]
        self.api = {"Authorization": f"Token {self.me['token']}", "Accept": "application/json"}
        self.session_cookie = self.me["session"]
        self.known: list[int] = list(self.me["requests"])
        self.fresh: list[tuple[int, int]] = []  # (id, version) of requests this user registered

    def _intake_body(self, channel: str) -> bytes:
        payload = {
            "channel": channel,
            "kind": random.choice(KINDS),
            "title": "邻里排水沟纠纷",
            "description": "两户之间因排水沟堵塞发生争执，请求调解。",
            "region": random.choice(self.me["places"]),
            "reporter_name": "刘大爷",
            "reporter_phone": f"138{random.randrange(10**8):08d}",
            "urgency": "urgent" if random.random() < 0.1 else "normal",
        }
        return json.dumps(payload, ensure_ascii=False).encode()

    @task(4)
    def intake(self) -> None:
        channel = random.choice(CHANNELS)
        key = f"L-{uuid.uuid4().hex}"
        body = self._intake_body(channel)
        headers = {**self.api, "Content-Type": "application/json", "Idempotency-Key": key}
        for _attempt in range(2 if random.random() < 0.1 else 1):
            status, response, record = self.call(
                "api intake", "POST", "/api/requests/", data=body, headers=headers, record_key=key
            )
            record["channel"] = channel
            if status in (200, 201):
                data = response.json()
                record["code"], record["id"] = data["tracking_code"], data["id"]
                if status == 201:
                    self.known.append(data["id"])
                    self.fresh.append((data["id"], data["version"]))

    @task(3)
    def my_requests_page(self) -> None:
        self.call("page my requests", "GET", "/casework/")

    @task(2)
    def my_requests_api(self) -> None:
        status, response, _record = self.call(
            "api my requests", "GET", "/api/requests/?mine=true", headers=self.api
        )
        if status == 200:
            self.known.extend(r["id"] for r in response.json().get("results", [])[:5])
            del self.known[:-200]

    @task(2)
    def detail_page(self) -> None:
        if self.known:
            self.call("page request detail", "GET", f"/casework/{random.choice(self.known)}/")

    @task(1)
    def detail_api(self) -> None:
        if self.known:
            self.call(
                "api request detail", "GET", f"/api/requests/{random.choice(self.known)}/", headers=self.api
            )

    @task(2)
    def accept(self) -> None:
        if not self.fresh:
            return
        pk, version = self.fresh.pop(0)
        body = json.dumps({"action": "accept", "version": version, "reason": ""}).encode()
        headers = {**self.api, "Content-Type": "application/json"}
        _status, _response, record = self.call(
            "api transition accept", "POST", f"/api/requests/{pk}/transitions/", data=body, headers=headers
        )
        record["id"] = pk

    @task(1)
    def outreach_day(self) -> None:
        self.call("page outreach day", "GET", "/outreach/")


class Leader(Recording):
    weight = 2
    wait_time = between(1.0, 3.0)

    def on_start(self) -> None:
        self.me = SETUP["leader"]
        self.api = {"Authorization": f"Token {self.me['token']}", "Accept": "application/json"}
        self.session_cookie = self.me["session"]

    @task(3)
    def dashboard(self) -> None:
        self.call("page insights dashboard", "GET", "/insights/")

    @task(2)
    def queue(self) -> None:
        self.call("page leader queue", "GET", "/casework/queue/")

    @task(1)
    def county_list(self) -> None:
        self.call("api request list", "GET", "/api/requests/", headers=self.api)


class Open311Client(Recording):
    weight = 2
    wait_time = between(0.5, 1.5)

    @task
    def post(self) -> None:
        conf = SETUP["open311"]
        code, name = random.choice(conf["places"])
        fields: dict[str, Any] = {
            "api_key": conf["api_key"],
            "service_code": conf["service_code"],
            "description": "路灯不亮已经三天，晚上很危险。",
            "first_name": "三",
            "last_name": "张",
            "phone": f"139{random.randrange(10**8):08d}",
            "attribute[POLE]": f"LK-{random.randrange(10**5):05d}",
        }
        if random.random() < 0.5:
            fields["address_id"] = code
        else:
            fields["address_string"] = f"{name}东街{random.randint(1, 99)}号"
        key = f"O-{uuid.uuid4().hex}"
        headers = {"Idempotency-Key": key}
        for _attempt in range(2 if random.random() < 0.1 else 1):
            status, response, record = self.call(
                "open311 post", "POST", "/open311/requests.json", data=fields, headers=headers, record_key=key
            )
            if status == 200:
                record["code"] = response.json()[0]["service_request_id"]


TOKEN = re.compile(r'name="(csrfmiddlewaretoken|started|client_token)" value="([^"]+)"')
REGION = re.compile(r'<option value="([^"]+)"')


class Resident(Recording):
    weight = 4
    wait_time = between(2.0, 6.0)

    def on_start(self) -> None:
        self.address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    @task
    def submit(self) -> None:
        headers = {"X-Real-IP": self.address}
        status, response, _record = self.call(
            "page public form", "GET", "/public/requests/new/", headers=headers
        )
        if status != 200:
            return
        hidden = dict(TOKEN.findall(response.text))
        regions = [r for r in REGION.findall(response.text) if r]
        if len(hidden) < 3 or not regions:
            return
        time.sleep(random.uniform(3.2, 5.0))  # filling the form in; faster than 3 s is refused as a bot
        form = {
            **hidden,
            "kind": "help",
            "title": "小区门口路面塌陷",
            "description": "小区门口的路面塌陷了一个坑，晚上容易摔倒，希望尽快修复。",
            "region": random.choice(regions),
            "address": "东街12号",
            "reporter_name": "王女士",
            "reporter_phone": f"137{random.randrange(10**8):08d}",
            "website": "",
        }
        status, response, record = self.call(
            "page public submit",
            "POST",
            "/public/requests/new/",
            data=form,
            headers={**headers, "Referer": f"{self.host}/public/requests/new/"},
            allow_redirects=False,
            record_key=hidden["client_token"],
        )
        if status == 302:
            match = re.search(r"/public/track/([^/]+)/", response.headers.get("Location", ""))
            record["code"] = match.group(1) if match else None
