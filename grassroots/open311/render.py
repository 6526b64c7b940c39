"""Open311 responses in XML (the required format) and JSON (its Spark-convention mapping).

XML: UTF-8 with the declaration, no namespace, a null written as an empty element. JSON: the root
element dropped, its repeated children an array; a single object (a service definition) stays an object.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# Characters XML 1.0 cannot carry at all (control characters other than tab and line breaks).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def w3(value: datetime | None) -> str | None:
    """A W3C datetime with the offset, to the second (e.g. 2024-05-01T09:30:00+08:00)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(microsecond=0).isoformat()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal):
        return format(value, "f") if isinstance(value, Decimal) else repr(value)
    return _NOT_XML.sub("", str(value))


def _element(tag: str, value: Any, item_tags: dict[str, str]) -> str:
    if isinstance(value, dict):
        inner = "".join(_element(k, v, item_tags) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, list):
        child = item_tags.get(tag, "item")
        inner = "".join(_element(child, v, item_tags) for v in value)
        return f"<{tag}>{inner}</{tag}>"
    text = _text(value)
    return f"<{tag}>{escape(text)}</{tag}>" if text else f"<{tag}/>"


def to_xml(root: str, body: Any, item_tags: dict[str, str]) -> bytes:
    """``body`` is a list (children of ``root`` named by ``item_tags[root]``) or a dict (``root``'s
    fields); nested lists are wrapped the same way (``attributes`` → ``attribute``, ``values`` → ``value``)."""
    xml = _element(root, body, item_tags)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml + "\n").encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return w3(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def respond(fmt: str, root: str, body: Any, item_tags: dict[str, str], status: int = 200) -> HttpResponse:
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False, default=_json_default).encode("utf-8")
    else:
        content = to_xml(root, body, item_tags)
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["xml"]))


def errors_response(fmt: str, status: int, errors: list[tuple[int, str]]) -> HttpResponse:
    """The spec's error list: one ``error`` (code, description) per problem, several allowed."""
    body = [{"code": code, "description": description} for code, description in errors]
    return respond(fmt, "errors", body, {"errors": "error"}, status=status)


ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "service_request_updates": "request_update",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
