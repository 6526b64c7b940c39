"""Schemathesis against two descriptions the Open311 code did not write for itself.

1. ``../shared/data/open311/swagger.json`` (open311/schema-validation), adjusted only where the data README
   says it is wrong: ``jurisdiction_id`` is not required, and the single request is also served at the
   spec's ``/requests/{id}`` (the file's ``/request/{id}`` stays: the server answers both). Checks: no
   server error; a status the Swagger file lists for the operation or one of the spec's error statuses
   (404 what does not exist, 403 the api_key, 400 anything else, as its Errors section says every method
   may answer); the Content-Type of the format; and each answer against the contract (the published JSON
   Schemas, the Swagger response schema, the spec's XML structure and error list).
2. The project's own OpenAPI (``/api/schema/``, the whole REST API of every app, as the administrator): no
   server error, only documented statuses, documented content types, bodies matching the documented
   schemas. Runs in CI (``CI=true``) and with ``GRASSROOTS_FUZZ_API=1``.

Cases per operation are bounded and derandomized. Each run writes its counts (operations, cases,
failures, statuses per operation) to ``var/test/schemathesis-<name>.json``; a failure lists them all.
"""

from __future__ import annotations

import copy
import json
import os
from urllib.parse import urlsplit

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import lamp_post, shared_open311_dir
from .fuzz import connection_kept, fuzz

SPEC_ERROR_STATUSES = {400, 403, 404}
SWAGGER_EXAMPLES = 25  # per operation and generation mode
PROJECT_EXAMPLES = 5
SINGULAR = "/request/{service_request_id}.{response_format}"
PLURAL = "/requests/{service_request_id}.{response_format}"


def adjusted_swagger() -> dict:
    path = shared_open311_dir() / "swagger.json"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared/data is absent)")
    raw = json.loads(path.read_text())
    raw["parameters"]["jurisdiction_id"]["required"] = False  # one jurisdiction: optional (spec)
    raw["paths"][PLURAL] = copy.deepcopy(raw["paths"][SINGULAR])  # the spec's path for one request
    return raw


def _report_folder():
    return settings.VAR_DIR.resolve()


@pytest.fixture
def wsgi_app():
    return WSGIHandler()


@pytest.mark.django_db
@override_settings(OPEN311_POST_LIMIT=(100000, 60))
def test_schemathesis_against_the_open311_swagger_description(o311, contract, wsgi_app):
    posted = [
        _post(wsgi_app, o311, service_code=code, **{"attribute[KIND]": kind})
        for code, kind in (("LAMP", "dark"), ("LITTER", None))
    ]
    codes = [p["service_request_id"] for p in posted if "service_request_id" in p]
    tokens = [p["token"] for p in posted if "token" in p]
    schema = schemathesis.openapi.from_dict(adjusted_swagger())
    schema.app = wsgi_app

    def prepare(case, data):
        """Most cases name a served format, a published service or an existing request, with the valid
        key half the time: otherwise nearly every generated case would stop at the first 404."""
        path = case.path_parameters if isinstance(case.path_parameters, dict) else None
        if path is not None:
            if "response_format" in path:
                path["response_format"] = data.draw(
                    st.sampled_from(["json", "xml", "json", "xml", path["response_format"]])
                )
            if "service_code" in path:
                path["service_code"] = data.draw(st.sampled_from(["LAMP", "LITTER", path["service_code"]]))
            if "service_request_id" in path:
                path["service_request_id"] = data.draw(st.sampled_from([*codes, path["service_request_id"]]))
            if "token_id" in path:
                path["token_id"] = data.draw(st.sampled_from([*tokens, path["token_id"]]))
        if case.method == "POST" and isinstance(case.query, dict):
            query = case.query
            query["api_key"] = data.draw(st.sampled_from([o311.plain, query.get("api_key", "")]))
            query["service_code"] = data.draw(
                st.sampled_from(["LAMP", "LITTER", query.get("service_code", "")])
            )
            if data.draw(st.booleans()):
                query.update({"attribute[KIND]": "dark", "attribute[POLE]": "LK-1"})
            if data.draw(st.booleans()):  # a location that is valid, instead of the generated one
                for name in ("lat", "long", "address_id"):
                    query.pop(name, None)
                query["address_string"] = "兰考县城关镇东街村"

    def documented_status(ctx, response, case):
        listed = {int(code) for code in case.operation.definition.raw["responses"] if code.isdigit()}
        assert response.status_code in listed | SPEC_ERROR_STATUSES, (
            f"HTTP {response.status_code} is neither in the Swagger file for this operation "
            f"({sorted(listed)}) nor one of the spec's error statuses (400, 403, 404)"
        )

    def matches_contract(ctx, response, case):
        content_type = (response.headers.get("content-type") or [""])[0]
        contract.check_response(
            case.method,
            urlsplit(response.request.url).path,
            response.status_code,
            content_type,
            response.content,
        )

    run = fuzz(
        schema,
        name="open311-swagger",
        base_url="http://localhost/open311",
        checks=[not_a_server_error, documented_status, content_type_conformance, matches_contract],
        max_examples=SWAGGER_EXAMPLES,
        prepare=prepare,
    )
    report = run.write(_report_folder())
    summary = run.summary()
    print(
        f"\nschemathesis {summary['schema']}: {summary['operations']} operations, {summary['cases']} cases, "
        f"{summary['failures']} failures ({report})"
    )
    assert run.operations == 7 and not run.skipped  # the file's six and the spec's /requests/{id}
    assert run.cases >= run.operations * 2 * (SWAGGER_EXAMPLES // 2)
    ok = sum(c["200"] for c in summary["statuses"].values() if "200" in c)
    assert ok >= run.operations * 3, summary["statuses"]  # the generated cases reached real answers too
    assert summary["statuses"]["POST /requests.{response_format}"].get("200"), summary["statuses"]
    assert not run.failures, json.dumps(summary, ensure_ascii=False, indent=1)


@pytest.mark.skipif(
    not (os.environ.get("GRASSROOTS_FUZZ_API") or os.environ.get("CI", "").lower() == "true"),
    reason="the whole REST API of every app: runs in CI (SQLite and PostgreSQL), or set GRASSROOTS_FUZZ_API=1",
)
@pytest.mark.django_db
def test_schemathesis_against_the_projects_own_openapi(world, wsgi_app):
    """Opt-in: it covers every app's endpoints, and what it finds there belongs to those apps (the last run's
    findings are listed in docs/open311.md). The counts and every failure are in the report file."""
    token = Token.objects.create(user=world.admin).key
    headers = {"Authorization": f"Token {token}"}
    with connection_kept():
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=headers)
    run = fuzz(
        schema,
        name="project-openapi",
        base_url="http://localhost",
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
        max_examples=PROJECT_EXAMPLES,
        headers=headers,
    )
    report = run.write(_report_folder())
    summary = run.summary()
    print(
        f"\nschemathesis {summary['schema']}: {summary['operations']} operations, {summary['cases']} cases, "
        f"{summary['failures']} failing cases ({report})"
    )
    assert run.operations >= 40 and run.cases >= run.operations * PROJECT_EXAMPLES
    assert not run.failures, json.dumps(summary["failures_by_operation"], ensure_ascii=False, indent=1)


def _post(app, o311, **extra):
    from django.test import Client

    response = Client().post("/open311/requests.json", lamp_post(o311, **extra))
    assert response.status_code == 200, response.content
    return response.json()[0]
