"""Assertions shared by the API tests."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any


def assert_error(response: Any, status: int, code: str | None = None, field: str | None = None) -> dict:
    """The response is an error in the API's one shape, with this status (and code, and a problem with
    ``field`` when given); returns the ``error`` object."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["message"], str) and error["message"]
    for item in error["fields"]:
        assert {"field", "message", "code"} <= set(item), item
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in [item["field"] for item in error["fields"]], error
    return error


def page_items(response: Any, key: str = "id") -> list:
    """``key`` of every result of a paginated list response (asserting 200 and the page shape)."""
    assert response.status_code == 200, (response.status_code, response.content[:500])
    body = response.json()
    assert {"count", "next", "previous", "results"} <= set(body), body
    return [item[key] for item in body["results"]]


@lru_cache(maxsize=1)
def _documented_schema() -> Any:
    """The committed OpenAPI snapshot, loaded once, as schemathesis reads it."""
    import schemathesis
    import yaml
    from django.conf import settings

    raw = yaml.safe_load((Path(settings.BASE_DIR) / "docs" / "openapi.yaml").read_text(encoding="utf-8"))
    return schemathesis.openapi.from_dict(raw)


def assert_documented(response: Any, path: str, method: str = "GET") -> None:
    """The test client's ``response`` is what docs/openapi.yaml documents for ``method path`` (the path as
    documented, e.g. ``/api/warnings/{id}/``): a listed status and a body matching its schema."""
    import requests
    from schemathesis.core.transport import Response

    url = "http://localhost" + response.wsgi_request.get_full_path()
    answer = Response(
        response.status_code,
        {key.lower(): [value] for key, value in response.headers.items()},
        response.content,
        requests.Request(method, url).prepare(),
        0.0,
        True,
    )
    _documented_schema()[path][method].validate_response(answer)
