"""The committed OpenAPI snapshot (docs/openapi.yaml) must match the code."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from grassroots.common.api.schema import openapi_yaml

SNAPSHOT = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


def test_committed_snapshot_matches_the_code():
    # Runs on every engine: a model integer field whose range differs by engine (SQLite and PostgreSQL
    # bound PositiveIntegerField differently) must get an explicit bound in its serializer.
    generated = openapi_yaml()
    assert generated.problems == [], generated.problems
    assert SNAPSHOT.exists(), "docs/openapi.yaml is missing: run `python manage.py openapi_snapshot`"
    assert SNAPSHOT.read_text(encoding="utf-8") == generated.text, (
        "docs/openapi.yaml is out of date with the API: run `python manage.py openapi_snapshot` and commit it"
    )


def test_snapshot_documents_every_endpoint_with_the_error_shape():
    schema = yaml.safe_load(openapi_yaml().text)
    paths = schema["paths"]
    expected = {
        "/api/auth/token/": {"post"},
        "/api/regions/": {"get"},
        "/api/regions/{id}/": {"get"},
        "/api/grids/": {"get"},
        "/api/grids/{id}/": {"get"},
        "/api/care-tags/": {"get"},
        "/api/households/": {"get", "post"},
        "/api/households/{id}/": {"get", "patch"},
        "/api/residents/": {"get", "post"},
        "/api/residents/{id}/": {"get", "patch"},
        "/api/residents/{id}/reveal/": {"post"},
        "/api/organizations/": {"get", "post"},
        "/api/organizations/{id}/": {"get"},
        "/api/units/": {"get"},
        "/api/units/{id}/": {"get"},
        "/api/posts/": {"get"},
        "/api/posts/{id}/": {"get"},
        "/api/officers/": {"get"},
        "/api/officers/{id}/": {"get"},
        "/api/assignments/": {"get"},
        "/api/assignments/{id}/": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) - {"parameters"} == methods, path
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in paths.items():
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code.startswith(("4", "5"))}
            assert errors, (method, path)
            for response in errors.values():
                assert response["content"]["application/json"]["schema"] == error_ref, (method, path)
    # Updates need the version read; the masked values are the only resident numbers documented.
    assert "version" in schema["components"]["schemas"]["HouseholdUpdateRequest"]["required"]
    assert "409" in paths["/api/residents/{id}/"]["patch"]["responses"]
    resident_fields = set(schema["components"]["schemas"]["Resident"]["properties"])
    assert not {f for f in resident_fields if "hash" in f or "encrypted" in f or "masked" in f}


def test_check_fails_with_a_clear_message_when_the_snapshot_drifts(tmp_path):
    stale = tmp_path / "openapi.yaml"
    stale.write_text("openapi: 3.0.3\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"out of date.*openapi_snapshot"):
        call_command("openapi_snapshot", "--check", "--path", str(stale))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("openapi_snapshot", "--check", "--path", str(tmp_path / "missing.yaml"))
    call_command("openapi_snapshot", "--path", str(stale))
    call_command("openapi_snapshot", "--check", "--path", str(stale))
    assert stale.read_text(encoding="utf-8") == openapi_yaml().text
