"""A city's client, speaking plain form-encoded HTTP (the standard library, nothing of this project),
follows one report through the casework workflow on a live server: registration, assignment, work,
resolution, a dissatisfied follow-up that reopens it, the client's own status updates, a second resolution
and a satisfied follow-up that closes it. After each step it reads the status back through GET requests
(both formats) and servicerequestupdates, and every answer is checked against the contract."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
import xmltodict
from django.conf import settings
from django.utils import translation

from grassroots.casework.follow_up import follow_up_record
from grassroots.casework.models import Request
from grassroots.casework.services import request_transition
from grassroots.open311.statuses import STATUS_LABELS

from .conftest import lamp_post


def label(status: str, reason: str = "") -> str:
    """status_notes as the server writes them, in the deployment's language."""
    with translation.override(settings.LANGUAGE_CODE):
        text = str(STATUS_LABELS[status])
        return (
            translation.gettext("%(status)s: %(reason)s") % {"status": text, "reason": reason}
            if reason
            else text
        )


class FormClient:
    """GET with a query string, POST ``application/x-www-form-urlencoded; charset=utf-8``, as the spec
    describes; each answer goes through the contract check when the shared data is there."""

    def __init__(self, root: str, contract):
        self.root, self.contract = root, contract

    def call(self, method: str, path: str, data: dict | None = None) -> tuple[int, bytes]:
        url = f"{self.root}{path}"
        body = None
        headers = {}
        if method == "GET" and data:
            url += "?" + urllib.parse.urlencode(data, doseq=True)
        elif method == "POST":
            body = urllib.parse.urlencode(data or {}, doseq=True).encode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        request = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the live test server
                status, content_type, content = answer.status, answer.headers["Content-Type"], answer.read()
        except urllib.error.HTTPError as error:
            status, content_type, content = error.code, error.headers["Content-Type"], error.read()
        if self.contract is not None:
            self.contract.check_response(method, "/open311" + path, status, content_type, content)
        return status, content

    def json(self, method: str, path: str, data: dict | None = None):
        status, content = self.call(method, path, data)
        assert status == 200, content.decode()
        return json.loads(content)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_report_followed_from_intake_to_close(live_server, o311, contract):
    w = o311.world
    http = FormClient(f"{live_server.url}/open311", contract)

    def public(code: str) -> tuple[str, str, str | None]:
        record = http.json("GET", "/requests.json", {"service_request_id": code})[0]
        status, content = http.call("GET", f"/requests/{code}.xml")
        as_xml = xmltodict.parse(content)["service_requests"]["request"]
        assert (as_xml["status"], as_xml["status_notes"]) == (record["status"], record["status_notes"])
        return record["status"], record["status_notes"], record["agency_responsible"]

    def updates(code: str) -> list[str]:
        return [
            u["status"] for u in http.json("GET", "/servicerequestupdates.json", {"service_request_id": code})
        ]

    created = http.json("POST", "/requests.json", lamp_post(o311, **{"attribute[WHEN][]": ["night", "day"]}))[
        0
    ]
    code = created["service_request_id"]
    request = Request.objects.get(tracking_code=code)
    assert created["service_notice"] and request.due_at is not None  # on the clock from intake
    assert public(code) == ("open", label("OPEN"), None)
    assert updates(code) == ["OPEN"]

    # the office accepts it and assigns it to the tribunal of the place, with an officer
    request_transition(actor=w.user_leader_a, request=request, action="accept")
    request_transition(
        actor=w.user_leader_a,
        request=request,
        action="assign",
        data={"lead_unit": w.tribunal_a1, "assignee": w.officer_a1},
    )
    assert public(code) == ("open", label("ACTION_SCHEDULED"), "城关人民法庭")
    assert updates(code) == ["OPEN", "INVESTIGATING", "ACTION_SCHEDULED"]

    # the client adds what the resident told it: a comment, no change of status
    posted = http.json(
        "POST",
        "/servicerequestupdates.json",
        {
            "api_key": o311.plain,
            "service_request_id": code,
            "status": "OPEN",
            "description": "居民补充：灯杆底部有裂缝",
            "update_id": "city-1",
        },
    )
    assert posted[0]["update_id"].startswith("c")
    assert updates(code) == ["OPEN", "INVESTIGATING", "ACTION_SCHEDULED", "OPEN"]

    # the officer works on it and resolves it
    request_transition(actor=w.user_officer_a1, request=request, action="start")
    request_transition(
        actor=w.user_officer_a1,
        request=request,
        action="resolve",
        reason="已更换灯泡",
        data={"outcome": "fulfilled"},
    )
    assert public(code) == ("closed", label("FIXED", "已更换灯泡"), "城关人民法庭")
    assert updates(code)[-2:] == ["IN_PROGRESS", "FIXED"]

    # the follow-up, by someone other than the resolver, finds the reporter dissatisfied: reopened
    follow_up_record(
        actor=w.user_leader_a,
        request=Request.objects.get(pk=request.pk),
        reached=True,
        satisfaction="dissatisfied",
        comment="晚上还是不亮",
    )
    assert public(code)[:2] == ("open", label("REOPEN", "晚上还是不亮"))
    assert updates(code)[-1] == "REOPEN"

    # the city's own system moves it on through Open311: scheduled work, then fixed
    for status, expected in (("IN_PROGRESS", "in_progress"), ("FIXED", "resolved")):
        http.json(
            "POST",
            "/servicerequestupdates.json",
            {
                "api_key": o311.plain,
                "service_request_id": code,
                "status": status,
                "description": f"维修班组：{status}",
            },
        )
        assert Request.objects.get(pk=request.pk).status == expected
    assert public(code)[:2] == ("closed", label("FIXED", "维修班组：FIXED"))
    assert updates(code)[-3:] == ["ACTION_SCHEDULED", "IN_PROGRESS", "FIXED"]

    # the key's owner resolved it, so it may not also do the follow-up that closing needs: refused
    # (a 400 whose body code is 403: the key itself is fine), with nothing changed
    status, content = http.call(
        "POST",
        "/servicerequestupdates.xml",
        {"api_key": o311.plain, "service_request_id": code, "status": "CLOSED"},
    )
    error = xmltodict.parse(content)["errors"]["error"]
    assert status == 400 and error["code"] == "403" and "resolver" in error["description"]
    assert Request.objects.get(pk=request.pk).status == "resolved"
    follow_up_record(
        actor=w.user_officer_a1,
        request=Request.objects.get(pk=request.pk),
        reached=True,
        satisfaction="satisfied",
    )
    assert public(code)[:2] == ("closed", label("CLOSED"))
    history = updates(code)
    assert history[-1] == "CLOSED"
    assert history == [
        "OPEN",
        "INVESTIGATING",
        "ACTION_SCHEDULED",
        "OPEN",
        "IN_PROGRESS",
        "FIXED",
        "REOPEN",
        "ACTION_SCHEDULED",
        "IN_PROGRESS",
        "FIXED",
        "CLOSED",
    ]
    # GET requests lists it among the closed ones of its service, and no longer among the open ones
    closed = http.json("GET", "/requests.json", {"status": "closed", "service_code": "LAMP"})
    assert [r["service_request_id"] for r in closed] == [code]
    assert http.json("GET", "/requests.json", {"status": "open"}) == []
