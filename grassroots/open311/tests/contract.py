"""Checks the project did not write: the JSON Schemas and the Swagger description published with the
GeoReport v2 spec, and the XML structure the spec documents in its response tables (parsed from the
spec's own text, so a renamed or invented element fails)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import xmltodict
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

# The mySociety extension is not part of the files shipped with the spec; its documented fields:
UPDATE_FIELDS = {
    "service_request_updates",
    "request_update",
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
    "external_status_code",
}
# The Service Discovery document (open311.org/Service_Discovery) is not in the files shipped either.
DISCOVERY_FIELDS = {
    "discovery",
    "changeset",
    "contact",
    "key_service",
    "endpoints",
    "endpoint",
    "specification",
    "url",
    "type",
    "formats",
    "format",
}
SECTIONS = {
    "services": "GET Service List",
    "service_definition": "GET Service Definition",
    "post": "POST Service Request",
    "token": "GET service_request_id from a token",
    "requests": "GET Service Requests",
    "request": "GET Service Request",
    "errors": "Errors",
}


class Contract:
    def __init__(self, folder: Path):
        self.folder = folder
        self.schemas = {
            p.name: json.loads(p.read_text()) for p in folder.glob("*.json") if p.name != "swagger.json"
        }
        resources = [
            (name, Resource.from_contents(body, default_specification=DRAFT7))
            for name, body in self.schemas.items()
        ]
        self.registry = Registry().with_resources(resources)
        self.swagger = json.loads((folder / "swagger.json").read_text())
        self.fields = self._documented_fields((folder / "spec" / "index.md").read_text())

    # -- JSON -------------------------------------------------------------------------------------------
    def validate(self, schema_name: str, instance: Any) -> None:
        """Against a published schema (services.json, service-definition.json, requests.json, …)."""
        validator = jsonschema.Draft7Validator(
            self.schemas[schema_name],
            registry=self.registry,
            format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
        )
        validator.validate(instance)

    def validate_swagger(self, path: str, method: str, instance: Any) -> None:
        """Against the 200 response schema of the Swagger description. Swagger 2.0 cannot say "null" (the
        spec's own examples use null for empty fields), so null members are left out before checking."""
        schema = copy.deepcopy(self.swagger["paths"][path][method]["responses"]["200"]["schema"])
        schema["definitions"] = self.swagger["definitions"]
        validator = jsonschema.Draft4Validator(
            schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
        )
        validator.validate(_drop_nulls(instance))

    # -- XML --------------------------------------------------------------------------------------------
    @staticmethod
    def _documented_fields(text: str) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for key, title in SECTIONS.items():
            match = re.search(r"^### " + re.escape(title) + r"\s*$(.*?)(?=^### |\Z)", text, re.M | re.S)
            assert match, f"section {title!r} not in the spec"
            body = match.group(1)
            response = body.split("#### Response", 1)[1] if "#### Response" in body else body
            response = re.split(r"^#### ", response, flags=re.M)[0]
            found[key] = re.findall(r"^\|\s*`([a-z_]+)`", response, re.M)
        return found

    def parse_xml(self, content: bytes, section: str) -> dict[str, Any]:
        """Parse, check the declaration, the root and that every element is one the spec documents for
        this response (no attributes, no namespaces); answers the xmltodict form of the document."""
        text = content.decode("utf-8")
        assert re.match(r'<\?xml version="1.0" encoding="UTF-8"\?>', text), (
            "XML declaration with UTF-8 expected"
        )
        if section == "updates":
            allowed, root = UPDATE_FIELDS, "service_request_updates"
        elif section == "discovery":
            allowed, root = DISCOVERY_FIELDS, "discovery"
        else:
            allowed, root = set(self.fields[section]), self.fields[section][0]
        document = xmltodict.parse(content)
        assert list(document) == [root], f"root {list(document)} is not {root!r}"
        for tag, value in _walk(document):
            assert tag in allowed, f"<{tag}> is not documented for {section}"
            assert not (isinstance(value, dict) and any(k.startswith(("@", "#")) for k in value)), (
                f"<{tag}> has attributes"
            )
        return document

    # -- any response -----------------------------------------------------------------------------------
    def check_response(self, method: str, path: str, status: int, content_type: str, content: bytes) -> None:
        """Check one answer of the endpoint against everything that describes it: the content type of its
        format; for an error, the status (404 / 403 / 400) and the spec's error list; otherwise the
        published JSON Schema, the Swagger description and the spec's XML structure of that resource."""
        match = _RESOURCE.match(path)
        if match is None:  # the base address, or an address that is no resource
            if status >= 400:
                self._check_error(status, content_type, content, path.lower().endswith(".json"))
            return
        resource, fmt = match.group("resource"), match.group("fmt").lower()
        if fmt not in ("xml", "json"):
            assert status == 400, f"{path}: an unknown format answered {status}"
            fmt = "xml"
        is_json = fmt == "json"
        if status >= 400:
            self._check_error(status, content_type, content, is_json)
            return
        assert status == 200, f"{method} {path} answered {status}"
        expected = "application/json; charset=utf-8" if is_json else "text/xml; charset=utf-8"
        assert content_type == expected, f"{path}: Content-Type {content_type!r}, expected {expected!r}"
        section = _section(method, resource)
        if not is_json:
            self.parse_xml(content, section)
            return
        body = json.loads(content.decode("utf-8"))
        if section == "services":
            self.validate("services.json", body)
            self.validate_swagger("/services.{response_format}", "get", body)
        elif section == "service_definition":
            self.validate("service-definition.json", body)
            self.validate_swagger("/services/{service_code}.{response_format}", "get", body)
        elif section == "requests":
            self.validate("requests.json", body)
            self.validate_swagger("/requests.{response_format}", "get", body)
        elif section == "request":
            # The spec answers one request as a list of one (as georeport reads it); the Swagger file
            # describes the element.
            self.validate("requests.json", body)
            assert len(body) == 1, f"{path}: {len(body)} requests in the answer"
            self.validate_swagger("/request/{service_request_id}.{response_format}", "get", body[0])
        elif section == "post":
            self.validate_swagger("/requests.{response_format}", "post", body)
            assert len(body) == 1
        elif section == "token":
            assert isinstance(body, list) and len(body) == 1, f"{path}: not a list of one"
            self.validate_swagger("/tokens/{token_id}.{response_format}", "get", body[0])
        elif section == "updates":
            _validator(UPDATES_SCHEMA).validate(body)
        elif section == "update_posted":
            _validator(UPDATE_POSTED_SCHEMA).validate(body)
        elif section == "discovery":
            _validator(DISCOVERY_SCHEMA).validate(body)

    def _check_error(self, status: int, content_type: str, content: bytes, is_json: bool) -> None:
        assert status in (400, 403, 404), f"HTTP {status}: the spec answers 404, 403 or 400"
        if is_json:
            assert content_type == "application/json; charset=utf-8", content_type
            body = json.loads(content.decode("utf-8"))
            _validator(ERRORS_SCHEMA).validate(body)
        else:
            assert content_type == "text/xml; charset=utf-8", content_type
            document = self.parse_xml(content, "errors")
            errors = items(document, "errors", "error")
            assert errors and all(set(e) == {"code", "description"} for e in errors), errors
            assert all(e["code"].isdigit() for e in errors), errors


_RESOURCE = re.compile(
    r"^/open311/(?P<resource>discovery|services|services/[^/]+|requests|requests/[^/]+|request/[^/]+|"
    r"tokens/[^/]+|servicerequestupdates)\.(?P<fmt>[^./]+)$"
)


def _section(method: str, resource: str) -> str:
    head = resource.split("/", 1)[0]
    if head == "services":
        return "services" if resource == "services" else "service_definition"
    if head == "requests" and resource == "requests":
        return "post" if method == "POST" else "requests"
    if head in ("requests", "request"):
        return "request"
    if head == "tokens":
        return "token"
    if head == "servicerequestupdates":
        return "update_posted" if method == "POST" else "updates"
    return "discovery"


def _validator(schema: dict) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


_TEXT_OR_NULL = {"type": ["string", "null"]}
# The spec's error table: a list of {code, description}; "multiple errors codes and descriptions can be
# returned in the body (the response is an array)".
ERRORS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "additionalProperties": False,
        "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
    },
}
# The mySociety extension's documented fields (GET and POST servicerequestupdates).
UPDATES_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["update_id", "service_request_id", "status", "updated_datetime", "description"],
        "additionalProperties": False,
        "properties": {
            "update_id": {"type": "string", "minLength": 1},
            "service_request_id": {"type": "string", "minLength": 1},
            "status": {"type": "string", "pattern": "^[A-Z_]+$"},
            "updated_datetime": {"type": "string", "format": "date-time"},
            "description": {"type": "string"},
            "media_url": {"anyOf": [{"type": "string", "format": "uri"}, {"type": "null"}]},
            "external_status_code": _TEXT_OR_NULL,
        },
    },
}
UPDATE_POSTED_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1,
    "items": {
        "type": "object",
        "required": ["update_id"],
        "additionalProperties": False,
        "properties": {"update_id": {"type": "string", "minLength": 1}},
    },
}
DISCOVERY_SCHEMA = {
    "type": "object",
    "required": ["changeset", "endpoints"],
    "additionalProperties": False,
    "properties": {
        "changeset": {"type": "string", "format": "date-time"},
        "contact": _TEXT_OR_NULL,
        "key_service": _TEXT_OR_NULL,
        "endpoints": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["specification", "url", "type", "formats"],
                "additionalProperties": False,
                "properties": {
                    "specification": {"type": "string"},
                    "url": {"type": "string", "format": "uri"},
                    "changeset": {"type": "string", "format": "date-time"},
                    "type": {"enum": ["production", "test"]},
                    "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}},
                },
            },
        },
    },
}


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _walk(node: Any):
    if isinstance(node, dict):
        for tag, value in node.items():
            items = value if isinstance(value, list) else [value]
            for item in items:
                yield tag, item
                yield from _walk(item)


def items(document: dict, root: str, item: str) -> list[dict]:
    """The repeated children of a list response as a list, however many there are."""
    body = document[root]
    if not body:
        return []
    found = body.get(item, [])
    return found if isinstance(found, list) else [found]
