"""Routing API: ``POST /api/routing/suggest/`` and ``POST /api/requests/{id}/categorise/``.

Both are registered in the casework router (``grassroots/casework/api/urls.py``). Suggestions are for
officers, leaders and administrators: residents and HR are refused (403), anonymous callers get 401, and a
request outside the caller's scope answers 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from grassroots.casework.api.serializers import RequestDetailSerializer
from grassroots.casework.categorise import request_categorise
from grassroots.casework.models import Category, Kind, Request
from grassroots.casework.selectors import request_get
from grassroots.common.api.schema import DETAIL_ERRORS, error_responses
from grassroots.common.api.views import ScopedViewSet
from grassroots.common.errors import Forbidden
from grassroots.common.scoping import Actor

from .models import Screen, Task
from .serving import RoutingResult, suggest


class SuggestInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, allow_blank=True, default="")
    request = serializers.IntegerField(
        required=False, help_text="An existing request in your scope: its text when none is given."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("request") and not (attrs["title"].strip() or attrs["description"].strip()):
            raise serializers.ValidationError({"title": "give a title or a description (or a request)"})
        return attrs


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    path = serializers.CharField(help_text="Names from the first level down, joined by ' / '.")


class SuggestedUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class SuggestedLabelSerializer(serializers.Serializer):
    label = serializers.CharField()
    confidence = serializers.FloatField(help_text="In [0, 1]; after keyword rules when rules fired.")
    rules = serializers.ListField(child=serializers.CharField(), help_text="Keyword rules that fired.")
    category = CategoryRefSerializer(allow_null=True, required=False)
    unit = SuggestedUnitSerializer(
        allow_null=True, required=False, help_text="The category's responsible unit."
    )
    dispute_type = serializers.CharField(required=False, help_text="Dispute-type code (dispute types only).")


class SuggestionSetSerializer(serializers.Serializer):
    task = serializers.CharField()
    mode = serializers.CharField(help_text="model, or rules when no trained model is available")
    model_version = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(help_text="Why only the keyword rules answered, when they did.")
    suggestions = SuggestedLabelSerializer(many=True)


class SuggestOutputSerializer(serializers.Serializer):
    category = SuggestionSetSerializer()
    dispute_type = SuggestionSetSerializer(allow_null=True)


class CategoriseInputSerializer(serializers.Serializer):
    category = serializers.CharField(
        max_length=40, allow_blank=True, help_text="Category code; blank clears."
    )
    dispute_type = serializers.CharField(
        max_length=60, required=False, allow_null=True, default=None, help_text="Code or name; omit to keep."
    )
    version = serializers.IntegerField(help_text="The request version you read.")

    def validate_category(self, value: str) -> Category | None:
        if not value:
            return None
        found = Category.objects.filter(code=value).first()
        if found is None:
            raise serializers.ValidationError("no such category")
        return found


def result_data(result: RoutingResult) -> dict[str, Any]:
    items = []
    for label in result.labels:
        item: dict[str, Any] = {
            "label": label.label,
            "confidence": round(label.confidence, 4),
            "rules": list(label.rules),
        }
        if result.task == Task.CATEGORY:
            category, unit = label.category, label.unit
            item["category"] = (
                {"id": category.pk, "code": category.code, "name": category.name, "path": label.category_path}
                if category
                else None
            )
            item["unit"] = {"id": unit.pk, "code": unit.code, "name": unit.name} if unit else None
        else:
            item["dispute_type"] = label.dispute_type
        items.append(item)
    return {
        "task": result.task,
        "mode": result.mode,
        "model_version": result.version.pk if result.version else None,
        "note": result.note,
        "suggestions": items,
    }


def require_staff(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_staff_officer):
        raise Forbidden("Only officers, leaders and administrators route requests")


class RoutingViewSet(ScopedViewSet):
    """Suggestions of category, responsible unit and dispute type for a text."""

    queryset = Request.objects.none()

    @extend_schema(
        summary="Suggest category, responsible unit (and dispute type) for a text",
        request=SuggestInputSerializer,
        responses={200: SuggestOutputSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=False, methods=["post"])
    def suggest(self, request, *args, **kwargs) -> Response:
        actor = self.actor
        require_staff(actor)
        serializer = SuggestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        title, body, kind = values["title"], values["description"], values["kind"]
        if values.get("request"):
            item = request_get(actor=actor, pk=values["request"])
            if not (title.strip() or body.strip()):
                title, body = item.title, item.description
            kind = kind or item.kind
        data = {"category": result_data(suggest(Task.CATEGORY, title=title, body=body)), "dispute_type": None}
        if kind == Kind.DISPUTE:
            data["dispute_type"] = result_data(suggest(Task.DISPUTE_TYPE, title=title, body=body))
        return Response(data)


class RequestCategoriseViewSet(ScopedViewSet):
    """Recategorise a request (category, dispute type); records the officer's routing decision."""

    queryset = Request.objects.none()

    def select_one(self, pk: Any) -> Request:
        return request_get(actor=self.actor, pk=pk)

    @extend_schema(
        summary="Recategorise a request (confirm or override the routing suggestion)",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        request=CategoriseInputSerializer,
        responses={200: RequestDetailSerializer, **error_responses(400, *DETAIL_ERRORS, 409)},
    )
    @action(detail=True, methods=["post"])
    def categorise(self, request, *args, **kwargs) -> Response:
        current = self.get_object()
        serializer = CategoriseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        request_categorise(
            actor=self.actor,
            request=current,
            category=values["category"],
            dispute_type=values["dispute_type"],
            version=values["version"],
            screen=Screen.API,
        )
        return Response(RequestDetailSerializer(self.select_one(current.pk)).data)
