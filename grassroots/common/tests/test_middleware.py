"""Request guards: NUL characters refused before any view, a lost database answered with a clear 503."""

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from grassroots.common.api.testing import assert_error
from grassroots.common.middleware import DatabaseUnavailableMiddleware, server_error
from grassroots.territory.models import Household

pytestmark = pytest.mark.django_db


def test_nul_in_a_json_body_is_refused_naming_the_field(world, api):
    before = Household.objects.count()
    response = api(world.admin).post(
        "/api/households/",
        {"number": "4102250001", "region": world.village_a1.code, "care_tags": ["dibao", "a\x00b"]},
        format="json",
    )
    error = assert_error(response, 400, "validation_failed", field="care_tags[1]")
    assert error["fields"][0]["code"] == "null_characters"
    assert Household.objects.count() == before


def test_nul_in_the_query_string_or_path_is_refused(world, api):
    assert_error(api(world.admin).get("/api/households/?number=12%0034"), 400, field="number")
    assert_error(api(world.admin).get("/api/regions/41%0002/"), 400, field="path")


def test_nul_in_a_form_post_to_a_page_is_refused(world, client):
    client.force_login(world.admin)
    response = client.post(
        "/casework/new/", "title=%E8%B7%AF%00%E7%81%AF", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400 and "title" in response.content.decode()


def test_text_without_nul_passes(world, api):
    response = api(world.admin).get("/api/households/?number=1234")
    assert response.status_code == 200


def test_a_lost_database_answers_503_in_each_format():
    factory = RequestFactory()
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    lost = OperationalError("server closed the connection unexpectedly")
    api = middleware.process_exception(factory.post("/api/requests/"), lost)
    assert api.status_code == 503 and api["Retry-After"]
    assert json.loads(api.content)["error"]["code"] == "unavailable"
    xml = middleware.process_exception(factory.post("/open311/requests.xml"), lost)
    assert xml.status_code == 503 and b"<errors><error><code>503</code>" in xml.content
    page = middleware.process_exception(factory.get("/casework/"), lost)
    assert page.status_code == 503
    assert middleware.process_exception(factory.get("/casework/"), ValueError("other")) is None


def test_handler500_turns_a_database_error_outside_views_into_503():
    request = RequestFactory().get("/api/requests/")
    try:
        raise OperationalError("could not connect to server")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    try:
        raise ValueError("a real bug")
    except ValueError:
        assert server_error(request).status_code == 500


@pytest.mark.parametrize(
    "path,data,field",
    [
        (
            "/api/outreach/visit-rules/",
            {"name": "r", "applies_to": "household", "interval_days": "30", "county": "41\x0002"},
            "county",
        ),
        ("/api/outreach/liaisons/area/", {"officer": "x", "region": "\x00", "start": "2026-01-01"}, "region"),
    ],
)
def test_nul_in_a_multipart_form_is_refused_naming_the_field(world, api, path, data, field):
    response = api(world.admin).post(path, data, format="multipart")
    error = assert_error(response, 400, "validation_failed", field=field)
    assert error["fields"][0]["code"] == "null_characters"


def test_a_malformed_multipart_body_is_a_clear_400(world, api):
    response = api(world.admin).generic(
        "POST", "/api/outreach/visit-rules/", b"no boundary here", content_type="multipart/form-data"
    )
    error = assert_error(response, 400, "parse_error")
    assert "multipart" in error["message"]
