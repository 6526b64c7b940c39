"""Assertions shared by the API tests."""

from __future__ import annotations

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
