"""OpenAPI pieces shared by every endpoint: the one error shape as a component, and error responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorFieldSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The input field (dotted for nested input) the problem is about.")
    message = serializers.CharField()
    code = serializers.CharField(help_text="Stable machine code, e.g. required, duplicate, does_not_exist.")
    row = serializers.IntegerField(required=False, help_text="Row number, for bulk input only.")


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="validation_failed, not_authenticated, forbidden, not_found, conflict, throttled, …"
    )
    message = serializers.CharField()
    fields = ErrorFieldSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the whole API."""

    error = ErrorDetailSerializer()


_DESCRIPTIONS = {
    400: "Invalid input; `error.fields` names each field and its problem.",
    401: "Not authenticated.",
    403: "Your role may not do this.",
    404: "Not found, or outside your scope (the two are indistinguishable).",
    409: "The object was changed since the `version` you read; reload and try again.",
    429: "Too many requests; retry later.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses in the common shape, for ``extend_schema(responses={..., **error_responses(...)})``."""
    return {
        status: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[status]) for status in statuses
    }


READ_ERRORS = (401, 403)
DETAIL_ERRORS = (401, 403, 404)


@dataclass(frozen=True)
class GeneratedSchema:
    text: str
    problems: list[str]


def openapi_yaml() -> GeneratedSchema:
    """The API's OpenAPI document as YAML, in English whatever the active language (so that a snapshot is
    stable), with the generator's warnings and errors (an endpoint whose schema had to be guessed)."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiYamlRenderer

    GENERATOR_STATS.reset()
    with translation.override("en"), GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
        text = OpenApiYamlRenderer().render(schema, renderer_context={}).decode()
    problems = sorted([*GENERATOR_STATS._error_cache, *GENERATOR_STATS._warn_cache])
    GENERATOR_STATS.reset()
    return GeneratedSchema(text=text, problems=problems)


def document_page_not_found(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular post-processing hook: a paginated list answers 404 (in the common error shape) for a
    page number past its last page, as DRF's page-number pagination does; say so on every such operation."""
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict):
                continue
            names = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
            responses = operation.get("responses", {})
            if "page" in names and "404" not in responses:
                responses["404"] = {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    "description": "The page number is past the last page.",
                }
    return result
