"""Request-level guards shared by every page and endpoint.

``InputGuardMiddleware`` refuses NUL characters in the path, the query string and form (url-encoded or multipart) or JSON bodies
before any view runs: PostgreSQL text cannot hold them, and a look-up with one would otherwise fail deep in
the database driver with a server error. The answer names the field.

``DatabaseUnavailableMiddleware`` turns a lost database connection (the server restarting, a failover) into
a clear 503 with ``Retry-After`` instead of a server error page; Django's connection health checks
(``CONN_HEALTH_CHECKS``) reconnect on the next request, so the service recovers by itself.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults

from grassroots.common.api.errors import error_body

logger = logging.getLogger(__name__)
NUL = "\x00"
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
# The Open311 endpoints answer their own errors in the specification's format.
OWN_ERROR_FORMAT = ("/open311/",)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _nul_fields(value: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(value, str):
        if NUL in value:
            yield prefix or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if NUL in str(key):
                yield name
            else:
                yield from _nul_fields(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_fields(item, f"{prefix}[{index}]" if prefix else str(index))


def _nul_keys(
    pairs: Iterable[tuple[str, list[Any]]], unnamed: str, text: Callable[[Any], str] = str
) -> list[str]:
    """The keys of a query string, form or file list (``(key, values)`` pairs) whose key or one of whose
    values (as ``text`` gives it) holds a NUL; a key that is nothing but NULs is named ``unnamed``."""
    return [
        key.replace(NUL, "") or unnamed
        for key, values in pairs
        if NUL in key or any(NUL in text(v) for v in values)
    ]


def _offending_fields(request: HttpRequest) -> list[str]:
    fields: list[str] = []
    if NUL in request.path:
        fields.append("path")
    fields += _nul_keys(request.GET.lists(), "query")
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH") and content_type in (
        "application/json",
        "application/x-www-form-urlencoded",
    ):
        body = request.body
        if content_type == "application/json":
            if b"\\u0000" in body.lower() or b"\x00" in body:
                try:
                    fields += list(_nul_fields(json.loads(body)))
                except ValueError:
                    fields.append("body")
        elif b"%00" in body or b"\x00" in body:
            text = body.decode("utf-8", errors="replace")
            fields += [
                k.replace(NUL, "") or "body"
                for k, v in parse_qsl(text, keep_blank_values=True)
                if NUL in k + v
            ]
    elif request.method in ("POST", "PUT", "PATCH") and content_type == "multipart/form-data":
        # Parsing the form here is what CSRF checking does anyway; DRF then reads the parsed form and files.
        # A NUL in an uploaded file's name is refused too; the file's content is the importer's to judge.
        fields += _nul_keys(request.POST.lists(), "body")
        fields += _nul_keys(request.FILES.lists(), "file", text=lambda upload: upload.name or "")
    return list(dict.fromkeys(fields))


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(OWN_ERROR_FORMAT):
            try:
                fields = _offending_fields(request)
            except MultiPartParserError as exc:
                message = _("The multipart form could not be read: %(reason)s") % {"reason": exc}
                if _is_api(request):
                    return JsonResponse(error_body("parse_error", message), status=400)
                return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
            if fields:
                message = _("must not contain NUL characters")
                if _is_api(request):
                    body = error_body(
                        "validation_failed",
                        _("Invalid input"),
                        [{"field": f, "message": message, "code": "null_characters"} for f in fields],
                    )
                    return JsonResponse(body, status=400)
                return HttpResponse(
                    f"{', '.join(fields)}: {message}", status=400, content_type="text/plain; charset=utf-8"
                )
        return self.get_response(request)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 in the format the caller expects: the API's error shape, an Open311 error list, or a short page."""
    message = _("The database is unavailable for a moment; nothing was saved. Please try again shortly.")
    if _is_api(request):
        response: HttpResponse = JsonResponse(error_body("unavailable", message), status=503)
    elif request.path.startswith("/open311/"):
        if request.path.endswith(".json"):
            response = JsonResponse([{"code": 503, "description": message}], safe=False, status=503)
        else:
            xml = (
                '<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>503</code>'
                f"<description>{escape(message)}</description></error></errors>"
            )
            response = HttpResponse(xml, status=503, content_type="text/xml; charset=utf-8")
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_DOWN):
            return None
        logger.error("database unavailable for %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a lost database outside any view (a session saved on the way out, say) is still a 503."""
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return database_unavailable_response(request)
    return defaults.server_error(request)
