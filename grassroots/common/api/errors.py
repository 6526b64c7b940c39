"""One error shape for the whole API:

{"error": {"code": "...", "message": "...", "fields": [{"field": ..., "message": ..., "row": ...}]}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from grassroots.common.errors import DomainError


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        out: list[dict[str, str]] = []
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.extend(_flatten(value, name))
        return out
    if isinstance(detail, list):
        out = []
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                out.extend(_flatten(item, f"{prefix}[{index}]" if prefix else str(index)))
            else:
                out.extend(_flatten(item, prefix))
        return out
    code = getattr(detail, "code", "invalid")
    return [{"field": prefix or "non_field_errors", "message": str(detail), "code": str(code)}]


def error_body(code: str, message: str, fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or []}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, str(exc.message), [e.as_dict() for e in exc.errors]), status=exc.http_status
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("validation_failed", "Invalid input", _flatten(exc.detail))
    else:
        detail = getattr(exc, "detail", str(exc))
        code = getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.Throttled):
            code = "throttled"
        response.data = error_body(str(code), str(detail))
    if response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        response.data["error"]["code"] = "method_not_allowed"
    return response
