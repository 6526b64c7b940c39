"""POST requests: a real casework request on the clock; keys, errors, limits, idempotency, confidentiality."""

from __future__ import annotations

import pytest
from django.test import override_settings

from grassroots.casework.models import Channel, Request
from grassroots.casework.services import IntakeInput, request_intake
from grassroots.common.models import AuditEntry
from grassroots.open311.models import Submission
from grassroots.open311.services import api_key_issue, api_key_revoke

from .conftest import as_json, lamp_post
from .contract import items

pytestmark = pytest.mark.django_db


def test_post_becomes_a_casework_request_on_the_clock(client, api, o311, contract):
    response = client.post(
        "/open311/requests.json",
        lamp_post(
            o311,
            **{
                "attribute[COUNT]": "3",
                "attribute[WHEN][]": ["night", "day"],
                "attribute[SEEN]": "2024-05-01T20:00:00+08:00",
            },
        ),
    )
    assert response.status_code == 200, response.content
    body = as_json(response)
    contract.validate_swagger("/requests.{response_format}", "post", body)
    code = body[0]["service_request_id"]
    assert body[0]["service_notice"]  # computed from the clock
    request = Request.objects.get(tracking_code=code)
    assert request.channel == Channel.OPEN311
    assert request.category == o311.lights and request.kind == "help"
    assert request.status == "registered" and request.due_at is not None
    assert request.region == o311.world.village_a1  # the village named in address_string
    assert request.reporter_name == "三 张" and request.reporter_phone_masked.startswith("138")
    assert request.created_by == o311.world.leader_a.user
    submission = Submission.objects.get(request=request)
    assert submission.attributes == {
        "POLE": "LK-0042",
        "KIND": "dark",
        "COUNT": 3,
        "WHEN": ["night", "day"],
        "SEEN": "2024-05-01T20:00:00+08:00",
    }
    assert submission.email == "zhang@example.cn"
    assert AuditEntry.objects.filter(action="open311.request_create", object_id=str(request.pk)).exists()
    # the casework API shows it like any other request, with its deadline
    detail = api(o311.world.user_officer_a1).get(f"/api/requests/{request.pk}/")
    assert detail.status_code == 200
    assert detail.json()["channel"] == "open311" and detail.json()["due_at"]
    # and the officer's pages list it
    client.force_login(o311.world.user_officer_a1)
    page = client.get(f"/casework/{request.pk}/")
    assert page.status_code == 200 and request.tracking_code in page.content.decode()


def test_location_by_address_id_grid_or_region(client, o311):
    w = o311.world
    by_grid = as_json(
        client.post(
            "/open311/requests.json",
            lamp_post(o311, lat=None, long=None, address_string=None, address_id=w.grid_a2.code),
        )
    )
    request = Request.objects.get(tracking_code=by_grid[0]["service_request_id"])
    assert request.grid == w.grid_a2 and request.region == w.village_a2
    by_region = as_json(
        client.post(
            "/open311/requests.json",
            lamp_post(o311, lat=None, long=None, address_string=None, address_id=w.town_a2.code),
        )
    )
    assert Request.objects.get(tracking_code=by_region[0]["service_request_id"]).region == w.town_a2
    outside = client.post("/open311/requests.json", lamp_post(o311, address_id=w.village_b1.code))
    assert outside.status_code == 400
    assert "address_id" in as_json(outside)[0]["description"]
    by_coordinates = as_json(client.post("/open311/requests.json", lamp_post(o311, address_string=None)))
    assert Request.objects.get(tracking_code=by_coordinates[0]["service_request_id"]).region == w.county_a


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_several_errors_in_one_answer(client, o311, contract, fmt):
    response = client.post(
        f"/open311/requests.{fmt}",
        lamp_post(
            o311,
            lat="95",
            long=None,
            address_string=None,
            description="<b>坏了</b>",
            **{"attribute[POLE]": None, "attribute[KIND]": "broken", "attribute[COUNT]": "many"},
        ),
    )
    assert response.status_code == 400
    if fmt == "json":
        errors = as_json(response)
    else:
        errors = items(contract.parse_xml(response.content, "errors"), "errors", "error")
    text = " | ".join(e["description"] for e in errors)
    for expected in (
        "lat:",
        "description: may not contain HTML",
        "attribute[POLE]: is required",
        "attribute[KIND]:",
        "attribute[COUNT]: must be a number",
        "location:",
    ):
        assert expected in text
    assert all(int(e["code"]) == 400 for e in errors)
    assert Request.objects.count() == 0


def test_description_limit_and_media_url(client, o311):
    assert client.post("/open311/requests.json", lamp_post(o311, description="长" * 4000)).status_code == 200
    too_long = client.post("/open311/requests.json", lamp_post(o311, description="长" * 4001))
    assert too_long.status_code == 400 and "at most 4000" in as_json(too_long)[0]["description"]
    bad_url = client.post("/open311/requests.json", lamp_post(o311, media_url="javascript:alert(1)"))
    assert bad_url.status_code == 400 and "media_url" in as_json(bad_url)[0]["description"]


def test_unknown_service_is_404(client, o311):
    response = client.post("/open311/requests.json", lamp_post(o311, service_code="NOPE"))
    assert response.status_code == 404
    assert "NOPE" in as_json(response)[0]["description"]
    assert client.get("/open311/services/NOPE.xml").status_code == 404
    assert client.get("/open311/requests/NOPE.json").status_code == 404
    assert client.get("/open311/tokens/abc.json").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_api_key_missing_invalid_revoked_is_403(client, o311, contract, fmt):
    missing = client.post(f"/open311/requests.{fmt}", lamp_post(o311, api_key=None))
    assert missing.status_code == 403
    wrong = client.post(f"/open311/requests.{fmt}", lamp_post(o311, api_key=o311.plain[:-2] + "xx"))
    assert wrong.status_code == 403
    if fmt == "xml":
        error = items(contract.parse_xml(wrong.content, "errors"), "errors", "error")[0]
    else:
        error = as_json(wrong)[0]
    assert error["description"].startswith("Invalid api_key") and int(error["code"]) == 403
    assert client.post(f"/open311/requests.{fmt}", lamp_post(o311)).status_code == 200
    api_key_revoke(actor=o311.world.admin, key=o311.key)
    assert client.post(f"/open311/requests.{fmt}", lamp_post(o311)).status_code == 403
    assert AuditEntry.objects.filter(action="open311.key_revoke").count() == 1


def test_key_is_stored_hashed_and_last_use_recorded(client, o311):
    o311.key.refresh_from_db()
    assert o311.plain not in (o311.key.key_hash, o311.key.prefix) and o311.key.last_used_at is None
    assert o311.plain.split("_")[1] == o311.key.prefix
    client.post("/open311/requests.json", lamp_post(o311))
    o311.key.refresh_from_db()
    assert o311.key.last_used_at is not None


@override_settings(OPEN311_JURISDICTION_ID="lankao.gov.cn")
def test_jurisdiction_checked_when_configured(client, o311):
    assert client.get("/open311/services.json?jurisdiction_id=lankao.gov.cn").status_code == 200
    assert client.get("/open311/services.json").status_code == 200  # one jurisdiction: optional
    wrong = client.get("/open311/services.xml?jurisdiction_id=other.gov")
    assert wrong.status_code == 404 and b"jurisdiction_id" in wrong.content
    assert (
        client.post("/open311/requests.json", lamp_post(o311, jurisdiction_id="other.gov")).status_code == 404
    )
    with override_settings(OPEN311_REQUIRE_JURISDICTION=True):
        missing = client.get("/open311/requests.json")
        assert (
            missing.status_code == 400
            and "jurisdiction_id was not provided" in as_json(missing)[0]["description"]
        )


def test_idempotent_retry(client, o311):
    data = lamp_post(o311, client_request_id="fms-1001")
    first = as_json(client.post("/open311/requests.json", data))
    again = as_json(client.post("/open311/requests.json", data))
    header = as_json(client.post("/open311/requests.json", lamp_post(o311), HTTP_IDEMPOTENCY_KEY="fms-1001"))
    assert first == again == header
    assert Request.objects.count() == 1
    changed = client.post(
        "/open311/requests.json", lamp_post(o311, client_request_id="fms-1001", description="别的事")
    )
    assert changed.status_code == 400 and int(as_json(changed)[0]["code"]) == 409
    assert (
        as_json(client.post("/open311/requests.json", lamp_post(o311)))[0] != first[0]
    )  # no id: a new request
    assert Request.objects.count() == 2


@override_settings(OPEN311_POST_LIMIT=(3, 60))
def test_post_rate_limit(client, o311):
    for _ in range(3):
        assert client.post("/open311/requests.json", lamp_post(o311)).status_code == 200
    limited = client.post("/open311/requests.json", lamp_post(o311))
    # The spec's HTTP statuses are 404, 403 and 400 "for any other error"; the body code says 429.
    assert limited.status_code == 400
    error = as_json(limited)[0]
    assert error["code"] == 429 and "too many requests" in error["description"]
    assert 1 <= int(limited["Retry-After"]) <= 61
    assert Request.objects.count() == 3
    # another key from the same address has its own allowance
    _other, plain = api_key_issue(
        actor=o311.world.admin,
        name="第二个客户端",
        owner=o311.world.leader_a.user,
        region=o311.world.county_a,
    )
    assert client.post("/open311/requests.json", lamp_post(o311, api_key=plain)).status_code == 200
    assert client.get("/open311/requests.json").status_code == 200  # reads are not limited


def test_confidential_request_shows_only_the_redacted_summary(client, o311, contract):
    w = o311.world
    secret, _ = request_intake(
        actor=w.user_officer_a1,
        data=IntakeInput(
            channel=Channel.WINDOW,
            kind="help",
            title="邻里",
            description="张三家与李四家因路灯争执，电话13800138000",
            region=w.village_a1,
            address="东街12号",
            reporter_name="张三",
            category=o311.lights,
            is_confidential=True,
            latitude="34.8",
            longitude="114.8",
        ),
    )
    Request.objects.filter(pk=secret.pk).update(public_summary="一起路灯相关事项")
    for path in ("/open311/requests.json", f"/open311/requests/{secret.tracking_code}.json"):
        record = next(r for r in as_json(client.get(path)) if r["service_request_id"] == secret.tracking_code)
        contract.validate("request.json", record)
        assert record["description"] == "一起路灯相关事项"
        assert record["address"] is None and record["lat"] is None and record["long"] is None
    xml = client.get(f"/open311/requests/{secret.tracking_code}.xml").content.decode()
    for leak in ("张三", "李四", "13800138000", "东街12号", "34.8"):
        assert leak not in xml
    updates = client.get("/open311/servicerequestupdates.json").content.decode()
    assert "张三" not in updates and "13800138000" not in updates
