"""One test per error case the spec names, in both formats: the HTTP status (404 for what does not exist,
403 for the api_key, 400 for anything else) and the error list in the requested format, several errors
in one answer where there are several. Nothing is written by a refused request."""

from __future__ import annotations

import pytest
from django.test import override_settings

from grassroots.casework.models import Request
from grassroots.open311.models import PostedUpdate, Submission

from .conftest import as_json, lamp_post
from .contract import items

pytestmark = pytest.mark.django_db
FORMATS = pytest.mark.parametrize("fmt", ["json", "xml"])


def errors_of(response, fmt, contract):
    """The (code, description) pairs of an error answer, checked to be the spec's list in ``fmt``."""
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return [(e["code"], e["description"]) for e in as_json(response)]
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    document = contract.parse_xml(response.content, "errors")
    return [(int(e["code"]), e["description"]) for e in items(document, "errors", "error")]


@FORMATS
def test_bad_api_key_is_403(client, o311, contract, fmt):
    for key in (None, "", "o311_nothere_secret", o311.plain[:-3] + "abc", "not-a-key"):
        response = client.post(f"/open311/requests.{fmt}", lamp_post(o311, api_key=key))
        assert response.status_code == 403, key
        [(code, description)] = errors_of(response, fmt, contract)
        assert code == 403 and "api_key" in description and "create_request" in description
    update = client.post(
        f"/open311/servicerequestupdates.{fmt}",
        {"api_key": "o311_nothere_secret", "service_request_id": "X", "status": "OPEN"},
    )
    assert update.status_code == 403
    assert Request.objects.count() == 0 and PostedUpdate.objects.count() == 0


@FORMATS
def test_unknown_service_is_404(client, o311, contract, fmt):
    response = client.post(f"/open311/requests.{fmt}", lamp_post(o311, service_code="NOPE"))
    assert response.status_code == 404
    [(code, description)] = errors_of(response, fmt, contract)
    assert code == 404 and "service_code 'NOPE' not found" in description
    definition = client.get(f"/open311/services/NOPE.{fmt}")
    assert definition.status_code == 404
    assert errors_of(definition, fmt, contract) == [(404, "service_code 'NOPE' not found")]
    assert Request.objects.count() == 0


@FORMATS
def test_unknown_service_reports_the_other_errors_too(client, o311, contract, fmt):
    response = client.post(
        f"/open311/requests.{fmt}",
        lamp_post(o311, service_code="NOPE", lat=None, long=None, address_string=None),
    )
    assert response.status_code == 404
    descriptions = [d for _code, d in errors_of(response, fmt, contract)]
    assert descriptions[0] == "service_code 'NOPE' not found"
    assert any(d.startswith("location:") for d in descriptions)


@FORMATS
def test_missing_location_is_400(client, o311, contract, fmt):
    response = client.post(
        f"/open311/requests.{fmt}", lamp_post(o311, lat=None, long=None, address_string=None)
    )
    assert response.status_code == 400
    assert errors_of(response, fmt, contract) == [
        (400, "location: send lat & long, address_string or address_id")
    ]
    half = client.post(f"/open311/requests.{fmt}", lamp_post(o311, long=None, address_string=None))
    assert half.status_code == 400
    assert [d for _c, d in errors_of(half, fmt, contract)] == ["lat/long: both lat and long are needed"]
    assert Request.objects.count() == 0 and Submission.objects.count() == 0


@FORMATS
def test_unknown_request_is_404(client, o311, contract, fmt):
    for path in (f"/open311/requests/NOSUCH1.{fmt}", f"/open311/request/NOSUCH1.{fmt}"):
        response = client.get(path)
        assert response.status_code == 404
        assert errors_of(response, fmt, contract) == [(404, "service_request_id 'NOSUCH1' not found")]
    token = client.get(f"/open311/tokens/abcdef012345.{fmt}")
    assert token.status_code == 404
    assert errors_of(token, fmt, contract) == [(404, "token 'abcdef012345' not found")]
    update = client.post(
        f"/open311/servicerequestupdates.{fmt}",
        {"api_key": o311.plain, "service_request_id": "NOSUCH1", "status": "OPEN"},
    )
    assert update.status_code == 404


@FORMATS
def test_malformed_dates_are_400(client, o311, contract, fmt):
    response = client.get(f"/open311/requests.{fmt}?start_date=yesterday&end_date=2024-13-45T00:00:00Z")
    assert response.status_code == 400
    descriptions = sorted(d for _c, d in errors_of(response, fmt, contract))
    assert descriptions == [
        "end_date: is not a W3C datetime such as 2024-05-01T00:00:00Z",
        "start_date: is not a W3C datetime such as 2024-05-01T00:00:00Z",
    ]
    for query, message in (
        ("start_date=2024-06-01T00:00:00Z&end_date=2024-05-01T00:00:00Z", "end_date: is before start_date"),
        (
            "start_date=2024-01-01T00:00:00Z&end_date=2024-06-01T00:00:00Z",
            "end_date: the range may not span more than 90 days",
        ),
        ("start_date=0001-01-01T00:00:00Z", "start_date: must be between the years 1900 and 2999"),
        ("end_date=9999-12-31T23:59:59Z", "end_date: must be between the years 1900 and 2999"),
    ):
        wrong = client.get(f"/open311/requests.{fmt}?{query}")
        assert wrong.status_code == 400, query
        assert [d for _c, d in errors_of(wrong, fmt, contract)] == [message]
    updates = client.get(f"/open311/servicerequestupdates.{fmt}?start_date=2024-05-01T25:00:00Z")
    assert updates.status_code == 400


@FORMATS
def test_several_errors_in_one_list(client, o311, contract, fmt):
    response = client.get(f"/open311/requests.{fmt}?status=pending&page=0&page_size=5000&start_date=x")
    assert response.status_code == 400
    fields = sorted(d.split(":")[0] for _c, d in errors_of(response, fmt, contract))
    assert fields == ["page", "page_size", "start_date", "status"]


@FORMATS
def test_wrong_method_format_and_address(client, o311, contract, fmt):
    wrong_method = client.post(f"/open311/services.{fmt}", {})
    assert wrong_method.status_code == 400 and wrong_method["Allow"] == "GET"
    assert errors_of(wrong_method, fmt, contract) == [(405, "POST is not allowed here: use GET")]
    assert client.delete(f"/open311/requests.{fmt}").status_code == 400
    nowhere = client.get(f"/open311/nothing/here.{fmt}")
    assert nowhere.status_code == 404
    assert errors_of(nowhere, fmt, contract)[0][0] == 404
    unknown_format = client.get("/open311/services.html")
    assert unknown_format.status_code == 400
    assert errors_of(unknown_format, "xml", contract) == [
        (400, "format 'html' is not served: use .xml or .json")
    ]


@FORMATS
def test_nul_and_oversized_bodies_are_400(client, o311, contract, fmt):
    nul = client.get(f"/open311/requests.{fmt}?service_request_id=AB%00CD")
    assert nul.status_code == 400
    assert errors_of(nul, fmt, contract) == [(400, "service_request_id: may not contain a NUL character")]
    posted = client.post(f"/open311/requests.{fmt}", lamp_post(o311, description="坏了\x00"))
    assert posted.status_code == 400
    with override_settings(OPEN311_MAX_POST_BYTES=2000):
        big = client.post(f"/open311/requests.{fmt}", lamp_post(o311, description="长" * 1000))
    assert big.status_code == 400
    assert errors_of(big, fmt, contract) == [(413, "the request body is larger than 2000 bytes")]
    assert Request.objects.count() == 0


@override_settings(OPEN311_JURISDICTION_ID="lankao.gov.cn", OPEN311_REQUIRE_JURISDICTION=True)
@FORMATS
def test_jurisdiction_errors(client, o311, contract, fmt):
    missing = client.get(f"/open311/services.{fmt}")
    assert missing.status_code == 400
    assert errors_of(missing, fmt, contract) == [(400, "jurisdiction_id was not provided")]
    wrong = client.get(f"/open311/requests.{fmt}?jurisdiction_id=other.gov")
    assert wrong.status_code == 404
    assert errors_of(wrong, fmt, contract) == [(404, "jurisdiction_id 'other.gov' not found")]
    right = client.post(f"/open311/requests.{fmt}", lamp_post(o311, jurisdiction_id="lankao.gov.cn"))
    assert right.status_code == 200


def test_the_contract_check_itself_fails_on_a_wrong_answer(contract):
    """The response check every test client runs is not vacuous: answers that break the contract fail."""
    good = b'[{"service_code": "A", "service_name": "x", "metadata": false, "type": "realtime"}]'
    contract.check_response("GET", "/open311/services.json", 200, "application/json; charset=utf-8", good)
    wrong_answers = [
        ("/open311/services.json", 200, b'[{"service_code": "A", "metadata": "no", "type": "realtime"}]'),
        ("/open311/requests.json", 200, b'[{"service_request_id": "1", "status": "pending"}]'),
        ("/open311/requests/1.json", 200, b'{"service_request_id": "1"}'),
        ("/open311/services.json", 403, b'{"error": "no"}'),
        ("/open311/services.json", 500, b'[{"code": 500, "description": "x"}]'),
        ("/open311/services.json", 401, b'[{"code": 401, "description": "x"}]'),
    ]
    for path, status, body in wrong_answers:
        with pytest.raises(Exception):  # noqa: B017 - jsonschema's or an assertion's error, either will do
            contract.check_response("GET", path, status, "application/json; charset=utf-8", body)
    xml = b'<?xml version="1.0" encoding="UTF-8"?>\n<services><service><code>A</code></service></services>'
    with pytest.raises(AssertionError):
        contract.check_response("GET", "/open311/services.xml", 200, "text/xml; charset=utf-8", xml)
    with pytest.raises(AssertionError):
        contract.check_response("GET", "/open311/services.xml", 200, "application/xml", xml)
