"""One error shape for the whole API, the error handler itself, and the API documentation pages."""

import pytest
from django.core.cache import cache
from rest_framework.exceptions import NotFound as DRFNotFound
from rest_framework.exceptions import ValidationError

from grassroots.common.api.errors import exception_handler
from grassroots.common.api.testing import assert_error
from grassroots.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from grassroots.common.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (
            ValidationFailed("Rows rejected", [FieldError("id_number", "check digit is wrong", row=7)]),
            400,
            "validation_failed",
        ),
        (Forbidden(), 403, "forbidden"),
        (NotFound(), 404, "not_found"),
        (Conflict(), 409, "conflict"),
        (DRFNotFound(), 404, "not_found"),
    ],
)
def test_domain_and_framework_errors_map_to_the_one_shape(exc, status, code):
    response = exception_handler(exc, {})
    assert response.status_code == status
    assert list(response.data) == ["error"]
    assert response.data["error"]["code"] == code
    assert set(response.data["error"]) == {"code", "message", "fields"}


def test_field_errors_keep_field_row_and_code():
    exc = ValidationFailed(
        "Rows rejected", [FieldError("id_number", "check digit is wrong", row=7, code="x")]
    )
    fields = exception_handler(exc, {}).data["error"]["fields"]
    assert fields == [{"field": "id_number", "message": "check digit is wrong", "code": "x", "row": 7}]


def test_nested_serializer_errors_are_flattened_with_dotted_names():
    exc = ValidationError({"household": {"care_tags": ["unknown"]}, "name": ["required"]})
    fields = exception_handler(exc, {}).data["error"]["fields"]
    assert sorted(f["field"] for f in fields) == ["household.care_tags", "name"]


def test_unknown_api_path_answers_in_the_error_shape(api):
    assert_error(api().get("/api/no-such-thing/"), 404, "not_found")
    assert_error(api().post("/api/households/1/unknown/", {}, format="json"), 404, "not_found")
    error = assert_error(api().get("/api/households"), 404, "not_found")
    assert "/api/households/" in error["message"]
    # An encoded line break in the path still reaches the API's own 404, not the HTML page.
    assert_error(api().get("/api/no-such%0Athing/"), 404, "not_found")


def test_a_page_past_the_last_is_a_documented_404(world, api):
    assert_error(api(world.admin).get("/api/regions/?page=999"), 404, "not_found")
    import yaml

    from grassroots.common.api.schema import openapi_yaml

    schema = yaml.safe_load(openapi_yaml().text)
    listed = [
        (path, method)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if any(p.get("name") == "page" for p in operation.get("parameters", []))
    ]
    assert ("/api/regions/", "get") in listed
    undocumented = [
        (path, method) for path, method in listed if "404" not in schema["paths"][path][method]["responses"]
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    "resource",
    [
        "regions",
        "grids",
        "care-tags",
        "households",
        "residents",
        "organizations",
        "units",
        "posts",
        "officers",
        "assignments",
    ],
)
def test_every_list_needs_authentication(api, resource):
    assert_error(api().get(f"/api/{resource}/"), 401, "not_authenticated")
    assert_error(api().get(f"/api/{resource}/1/"), 401 if resource != "care-tags" else 404)


def test_anonymous_gets_401_with_a_token_challenge(api):
    response = api().get("/api/households/")
    assert_error(response, 401, "not_authenticated")
    assert response.headers["WWW-Authenticate"] == "Token"


def test_method_not_allowed_and_malformed_json(world, api):
    client = api(world.admin)
    assert_error(client.delete("/api/care-tags/"), 405, "method_not_allowed")
    response = client.generic("POST", "/api/households/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_throttled_answer_in_the_error_shape(world):
    from rest_framework.test import APIClient

    cache.clear()
    client = APIClient()
    statuses = [
        client.post("/api/auth/token/", {"username": "admin", "password": "x"}, format="json").status_code
        for _ in range(6)
    ]
    assert statuses == [400] * 5 + [429]  # the account's failures (LOGIN_FAILURE_LIMITS)
    response = client.post("/api/auth/token/", {"username": "admin", "password": PASSWORD}, format="json")
    assert_error(response, 429, "throttled")  # refused before the password is checked
    assert int(response.headers["Retry-After"]) > 0
    statuses = [client.post("/api/auth/token/", {}, format="json").status_code for _ in range(5)]
    assert statuses[-1] == 429  # the address's request rate (10 a minute)
    cache.clear()


def test_schema_and_swagger_ui_are_served_from_local_assets(api):
    schema = api().get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in (
        "/api/households/{id}/",
        "/api/residents/{id}/reveal/",
        "/api/officers/",
        "/api/auth/token/",
    ):
        assert path in text
    docs = api().get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    for cdn in ("cdn.jsdelivr", "unpkg.com", "cdnjs"):
        assert cdn not in html
