"""GET endpoints in both formats, each JSON body checked against the published schemas and the Swagger
description, each XML body against the structure the spec documents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from grassroots.casework.models import Channel, Request
from grassroots.casework.services import IntakeInput, request_intake, request_transition

from .conftest import as_json, lamp_post
from .contract import items

pytestmark = pytest.mark.django_db


def _window_request(o311, **extra):
    w = o311.world
    request, _ = request_intake(
        actor=w.user_officer_a1,
        data=IntakeInput(
            channel=Channel.WINDOW,
            kind="help",
            title="路灯",
            description="村口路灯坏了",
            region=w.village_a1,
            address="东街村口",
            reporter_name="李四",
            category=o311.lights,
            **extra,
        ),
    )
    return request


def test_discovery_both_formats(client, o311, contract):
    body = as_json(client.get("/open311/discovery.json"))
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311")
    assert "text/xml" in endpoint["formats"]
    response = client.get("/open311/discovery.xml")
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    import xmltodict

    document = xmltodict.parse(response.content)
    assert document["discovery"]["endpoints"]["endpoint"]["formats"]["format"] == [
        "text/xml",
        "application/json",
    ]


def test_services_list(client, o311, contract):
    response = client.get("/open311/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = as_json(response)
    contract.validate("services.json", body)
    contract.validate_swagger("/services.{response_format}", "get", body)
    assert [s["service_code"] for s in body] == ["LAMP", "LITTER"]
    lamp = body[0]
    assert lamp == {
        "service_code": "LAMP",
        "service_name": "路灯损坏",
        "description": None,
        "metadata": True,
        "type": "realtime",
        "keywords": "路灯,照明",
        "group": "市容",
    }
    assert body[1]["type"] == "batch" and body[1]["metadata"] is False

    xml = contract.parse_xml(client.get("/open311/services.xml").content, "services")
    services = items(xml, "services", "service")
    assert [s["service_code"] for s in services] == ["LAMP", "LITTER"]
    assert services[0]["metadata"] == "true"


def test_inactive_service_is_not_listed(client, o311, contract):
    o311.batch.is_active = False
    o311.batch.save()
    assert [s["service_code"] for s in as_json(client.get("/open311/services.json"))] == ["LAMP"]
    assert client.get("/open311/services/LITTER.json").status_code == 404


def test_service_definition_every_datatype(client, o311, contract):
    body = as_json(client.get("/open311/services/LAMP.json"))
    contract.validate("service-definition.json", body)
    contract.validate_swagger("/services/{service_code}.{response_format}", "get", body)
    assert body["service_code"] == "LAMP"
    kinds = {a["code"]: a["datatype"] for a in body["attributes"]}
    assert set(kinds.values()) == {
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    }
    kind = next(a for a in body["attributes"] if a["code"] == "KIND")
    assert kind["required"] is True and kind["values"] == [
        {"key": "dark", "name": "不亮"},
        {"key": "flicker", "name": "闪烁"},
    ]
    assert [a["order"] for a in body["attributes"]] == [1, 2, 3, 4, 5, 6]

    xml = contract.parse_xml(client.get("/open311/services/LAMP.xml").content, "service_definition")
    attributes = xml["service_definition"]["attributes"]["attribute"]
    assert len(attributes) == 6
    assert attributes[4]["values"]["value"][1] == {"key": "flicker", "name": "闪烁"}


def test_requests_list_and_detail(client, o311, contract):
    posted = as_json(client.post("/open311/requests.json", lamp_post(o311)))[0]["service_request_id"]
    window = _window_request(o311)
    _window_request_other = request_intake(
        actor=o311.world.user_officer_a1,
        data=IntakeInput(
            channel=Channel.WINDOW,
            kind="help",
            title="不公开",
            description="未发布类别",
            region=o311.world.village_a1,
            reporter_name="王五",
            category=o311.other,
        ),
    )[0]
    body = as_json(client.get("/open311/requests.json"))
    contract.validate("requests.json", body)
    contract.validate_swagger("/requests.{response_format}", "get", body)
    codes = [r["service_request_id"] for r in body]
    assert codes == [window.tracking_code, posted]  # newest first; the unpublished category stays out
    assert _window_request_other.tracking_code not in codes
    record = body[1]
    assert record["status"] == "open"
    assert record["service_code"] == "LAMP" and record["service_name"] == "路灯损坏"
    assert record["description"] == "路灯不亮已经三天\n晚上很危险"
    assert record["lat"] == pytest.approx(34.822) and record["long"] == pytest.approx(114.821)
    assert record["media_url"] == "https://example.cn/photo/1.jpg"
    assert record["expected_datetime"] is not None
    assert body[0]["service_code"] == "LAMP"  # a window request in a published category maps to its service

    for path in (f"/open311/requests/{posted}.json", f"/open311/request/{posted}.json"):
        single = as_json(client.get(path))
        contract.validate("requests.json", single)
        contract.validate_swagger("/request/{service_request_id}.{response_format}", "get", single[0])
        assert single == [record]

    xml = contract.parse_xml(client.get("/open311/requests.xml").content, "requests")
    assert [r["service_request_id"] for r in items(xml, "service_requests", "request")] == codes
    one = contract.parse_xml(client.get(f"/open311/requests/{posted}.xml").content, "request")
    assert one["service_requests"]["request"]["description"] == "路灯不亮已经三天\n晚上很危险"


def test_requests_filters(client, o311, contract):
    first = as_json(client.post("/open311/requests.json", lamp_post(o311)))[0]["service_request_id"]
    token = as_json(
        client.post(
            "/open311/requests.json", lamp_post(o311, service_code="LITTER", **{"attribute[KIND]": None})
        )
    )[0]["token"]
    second = as_json(client.get(f"/open311/tokens/{token}.json"))[0]["service_request_id"]
    only_lamp = as_json(client.get("/open311/requests.json?service_code=LAMP"))
    assert [r["service_request_id"] for r in only_lamp] == [first]
    both = as_json(client.get("/open311/requests.json?service_code=LAMP,LITTER"))
    assert len(both) == 2
    assert as_json(client.get("/open311/requests.json?status=closed")) == []
    assert len(as_json(client.get("/open311/requests.json?status=open"))) == 2
    # service_request_id overrides every other filter
    by_id = as_json(client.get(f"/open311/requests.json?service_request_id={second},{first}&status=closed"))
    assert {r["service_request_id"] for r in by_id} == {first, second}
    # the default window is the last 90 days; an older window finds nothing
    old = as_json(
        client.get("/open311/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-03-01T00:00:00Z")
    )
    assert old == []
    paged = as_json(client.get("/open311/requests.json?page=2&page_size=1"))
    assert [r["service_request_id"] for r in paged] == [first]


def test_token_lookup_both_formats(client, o311, contract):
    response = client.post(
        "/open311/requests.xml", lamp_post(o311, service_code="LITTER", **{"attribute[KIND]": None})
    )
    post = contract.parse_xml(response.content, "post")
    token = post["service_requests"]["request"]["token"]
    assert "service_request_id" not in post["service_requests"]["request"]  # batch: a token instead
    body = as_json(client.get(f"/open311/tokens/{token}.json"))
    contract.validate_swagger("/tokens/{token_id}.{response_format}", "get", body[0])
    assert body[0]["token"] == token
    assert Request.objects.filter(tracking_code=body[0]["service_request_id"]).exists()
    xml = contract.parse_xml(client.get(f"/open311/tokens/{token}.xml").content, "token")
    assert xml["service_requests"]["request"]["service_request_id"] == body[0]["service_request_id"]


def test_request_outside_the_published_services_is_404_like_a_missing_one(client, o311):
    hidden, _ = request_intake(
        actor=o311.world.user_officer_a1,
        data=IntakeInput(
            channel=Channel.WINDOW,
            kind="help",
            title="不公开",
            description="未发布类别",
            region=o311.world.village_a1,
            reporter_name="王五",
            category=o311.other,
        ),
    )
    for path in (f"/open311/requests/{hidden.tracking_code}.json", "/open311/requests/ZZZZZZZZ.json"):
        response = client.get(path)
        assert response.status_code == 404
        assert as_json(response)[0]["description"].endswith("not found")
    assert as_json(client.get(f"/open311/requests.json?service_request_id={hidden.tracking_code}")) == []
    updates = as_json(
        client.get(f"/open311/servicerequestupdates.json?service_request_id={hidden.tracking_code}")
    )
    assert updates == []


def test_service_request_id_overrides_every_other_argument(client, o311):
    code = as_json(client.post("/open311/requests.json", lamp_post(o311)))[0]["service_request_id"]
    # every other argument is ignored, even one that would be an error on its own
    body = as_json(
        client.get(
            f"/open311/requests.json?service_request_id={code},NOSUCH&status=closed&service_code=LITTER"
            "&start_date=2020-01-01T00:00:00Z&end_date=bad&page=9"
        )
    )
    assert [r["service_request_id"] for r in body] == [code]


def test_default_window_is_the_last_90_days(client, o311):
    old = _window_request(o311)
    recent = _window_request(o311)
    Request.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    Request.objects.filter(pk=recent.pk).update(created_at=timezone.now() - timedelta(days=2))
    assert [r["service_request_id"] for r in as_json(client.get("/open311/requests.json"))] == [
        recent.tracking_code
    ]
    # start_date alone: 90 days from it (the old one is found, the recent one is outside that span)
    since = (timezone.now() - timedelta(days=95)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [
        r["service_request_id"] for r in as_json(client.get(f"/open311/requests.json?start_date={since}"))
    ] == [old.tracking_code]


def test_status_mapping_and_dates_of_a_closed_request(client, o311):
    w = o311.world
    request = _window_request(o311)
    request_transition(actor=w.user_leader_a, request=request, action="accept")
    request_transition(
        actor=w.user_leader_a, request=request, action="assign", data={"lead_unit": w.tribunal_a1}
    )
    record = as_json(client.get(f"/open311/requests/{request.tracking_code}.json"))[0]
    assert record["status"] == "open" and record["agency_responsible"] == "城关人民法庭"
    assert record["expected_datetime"] is not None
    assert record["service_notice"].startswith("We aim") or "前" in record["service_notice"]
    request_transition(actor=w.user_officer_a1, request=request, action="start")
    request = request_transition(
        actor=w.user_officer_a1,
        request=request,
        action="resolve",
        reason="已更换灯泡",
        data={"outcome": "fulfilled"},
    )
    Request.objects.filter(pk=request.pk).update(updated_at=timezone.now() + timedelta(hours=5))
    record = as_json(client.get(f"/open311/requests/{request.tracking_code}.json"))[0]
    assert record["status"] == "closed"
    assert record["status_notes"].endswith("已更换灯泡")
    resolved_at = request.events.get(action="resolve").at
    assert parse_datetime(record["updated_datetime"]) == resolved_at.replace(microsecond=0)
    assert record["service_notice"] is None  # no deadline notice once handled


def test_blackbox_service_answers_with_neither_id_nor_token(client, o311):
    o311.batch.type = "blackbox"
    o311.batch.save()
    response = client.post(
        "/open311/requests.xml", lamp_post(o311, service_code="LITTER", **{"attribute[KIND]": None})
    )
    assert response.status_code == 200
    body = as_json(
        client.post(
            "/open311/requests.json",
            lamp_post(o311, service_code="LITTER", account_id="fms-77", **{"attribute[KIND]": None}),
        )
    )
    assert set(body[0]) == {"service_notice", "account_id"} and body[0]["account_id"] == "fms-77"
    assert Request.objects.filter(open311__service=o311.batch).count() == 2


def test_list_endpoints_cost_a_fixed_number_of_queries(client, o311, django_assert_max_num_queries):
    w = o311.world

    def grow(n):
        for _ in range(n):
            client.post("/open311/requests.json", lamp_post(o311))
        for request in Request.objects.filter(status="registered"):
            request_transition(actor=w.user_leader_a, request=request, action="accept")

    def queries(path, expected_rows):
        reset_queries()  # the query log is cleared by each request: start every count from empty
        with CaptureQueriesContext(connection) as captured:
            assert len(as_json(client.get(path))) == expected_rows
        return len(captured)

    grow(3)
    few = {path: queries(path, 3 * per) for path, per in (("/open311/requests.json", 1), (UPDATES, 2))}
    grow(12)
    for path, per in (("/open311/requests.json", 1), (UPDATES, 2)):
        assert queries(path, 15 * per) == few[path]  # the same queries for 3 and for 15 rows
        reset_queries()
        with django_assert_max_num_queries(7):
            client.get(path)
    for path in ("/open311/services.json", "/open311/services/LAMP.xml"):
        reset_queries()
        with django_assert_max_num_queries(2):
            client.get(path)


UPDATES = "/open311/servicerequestupdates.json"


def test_at_most_1000_requests_per_answer_by_default(client, o311):
    first = _window_request(o311)
    copies = []
    for i in range(1000):
        copy = Request.objects.get(pk=first.pk)
        copy.pk = None
        copy.tracking_code = f"BULK{i:06d}"
        copy.client_token = None
        copies.append(copy)
    Request.objects.bulk_create(copies)
    body = as_json(client.get("/open311/requests.json"))
    assert len(body) == 1000
    rest = as_json(client.get("/open311/requests.json?page=2"))
    assert len(rest) == 1
    assert {r["service_request_id"] for r in body} | {rest[0]["service_request_id"]} == set(
        Request.objects.values_list("tracking_code", flat=True)
    )
