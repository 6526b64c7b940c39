"""Base class of the scoped API viewsets: reads through selectors, writes through services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import Resolver404, resolve
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from grassroots.common.scoping import Actor, actor_for


class ScopedViewSet(viewsets.GenericViewSet):
    """``list`` calls ``select_list(**filters)``, detail actions call ``select_one(pk)``: both are selectors,
    so what the caller may see is decided in one place and an object outside scope answers 404."""

    filter_serializer_class: type[serializers.Serializer] | None = None

    @property
    def actor(self) -> Actor:
        return actor_for(self.request.user)

    def query_filters(self) -> dict[str, Any]:
        """Validated query parameters, without the ones the client did not send."""
        if self.filter_serializer_class is None:
            return {}
        # A plain dict: with a QueryDict DRF would read an absent boolean as False instead of "not sent".
        serializer = self.filter_serializer_class(data=self.request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        return {key: value for key, value in serializer.validated_data.items() if value not in (None, "")}

    def select_list(self, **filters: Any) -> Any:
        raise ImproperlyConfigured(f"{type(self).__name__} must define select_list")

    def select_one(self, pk: Any) -> Any:
        raise ImproperlyConfigured(f"{type(self).__name__} must define select_one")

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.select_list(**self.query_filters())

    def get_object(self) -> Any:
        obj = self.select_one(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        self.check_object_permissions(self.request, obj)
        return obj


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer in the common error shape too (instead of the slash redirect, which
    would drop a POST body: say so when only the trailing slash is missing)."""
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            raise exceptions.NotFound(f"Not found; API paths end with a slash: {request.path}/")
    raise exceptions.NotFound()
