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
        allowed = UPDATE_FIELDS if section == "updates" else set(self.fields[section])
        root = "service_request_updates" if section == "updates" else self.fields[section][0]
        document = xmltodict.parse(content)
        assert list(document) == [root], f"root {list(document)} is not {root!r}"
        for tag, value in _walk(document):
            assert tag in allowed, f"<{tag}> is not documented for {section}"
            assert not (isinstance(value, dict) and any(k.startswith(("@", "#")) for k in value)), (
                f"<{tag}> has attributes"
            )
        return document


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
