"""Workforce API (read-only): units, posts, officers and assignments, scoped through the selectors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins

from grassroots.common.api.schema import DETAIL_ERRORS, READ_ERRORS, error_responses
from grassroots.common.api.views import ScopedViewSet

from .. import selectors
from ..models import Assignment, Officer, Post, Unit
from . import serializers as s

ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)


def _read_only_schema(noun: str, serializer: type, filters: type | None, detail: type | None = None):
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {noun}s",
            parameters=[filters] if filters else [],
            responses={200: serializer(many=True), **error_responses(400, *READ_ERRORS)},
        ),
        retrieve=extend_schema(
            summary=f"Get a {noun}",
            parameters=[ID_PARAMETER],
            responses={200: detail or serializer, **error_responses(*DETAIL_ERRORS)},
        ),
    )


class ReadOnlyScopedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    pass


@_read_only_schema("unit", s.UnitSerializer, s.UnitFilterSerializer)
class UnitViewSet(ReadOnlyScopedViewSet):
    """Units (部门/法庭): HR and administrators see all, officers and leaders their unit subtree."""

    queryset = Unit.objects.none()
    serializer_class = s.UnitSerializer
    filter_serializer_class = s.UnitFilterSerializer

    def select_list(self, kind: str | None = None) -> Any:
        return selectors.unit_list(actor=self.actor, kind=kind)

    def select_one(self, pk: Any) -> Unit:
        return selectors.unit_get(actor=self.actor, pk=pk)


@_read_only_schema("post", s.PostSerializer, s.PostFilterSerializer)
class PostViewSet(ReadOnlyScopedViewSet):
    """Posts (岗位), front-line (high contact) or not, with their difficulty weight and staffing range."""

    queryset = Post.objects.none()
    serializer_class = s.PostSerializer
    filter_serializer_class = s.PostFilterSerializer

    def select_list(self, unit: int | None = None, front_line: bool | None = None) -> Any:
        return selectors.post_list(actor=self.actor, unit_id=unit, front_line=front_line)

    def select_one(self, pk: Any) -> Post:
        return selectors.post_get(actor=self.actor, pk=pk)


@_read_only_schema("officer", s.OfficerSerializer, s.OfficerFilterSerializer, s.OfficerDetailSerializer)
class OfficerViewSet(ReadOnlyScopedViewSet):
    """Officers (干警) with the posts they hold today; the detail adds their assignment history."""

    queryset = Officer.objects.none()
    serializer_class = s.OfficerSerializer
    filter_serializer_class = s.OfficerFilterSerializer

    def get_serializer_class(self) -> type:
        return s.OfficerDetailSerializer if self.action == "retrieve" else s.OfficerSerializer

    def select_list(
        self,
        unit: int | None = None,
        recruits_only: bool = False,
        front_line: bool | None = None,
        search: str | None = None,
    ) -> Any:
        return selectors.officer_list(
            actor=self.actor, unit_id=unit, recruits_only=recruits_only, front_line=front_line, search=search
        )

    def select_one(self, pk: Any) -> Officer:
        return selectors.officer_get(actor=self.actor, pk=pk)


@_read_only_schema("assignment", s.AssignmentSerializer, s.AssignmentFilterSerializer)
class AssignmentViewSet(ReadOnlyScopedViewSet):
    """Assignments (任职记录): who held which post when."""

    queryset = Assignment.objects.none()
    serializer_class = s.AssignmentSerializer
    filter_serializer_class = s.AssignmentFilterSerializer

    def select_list(self, officer: int | None = None, kind: str | None = None) -> Any:
        return selectors.assignment_list(actor=self.actor, officer_id=officer, kind=kind)

    def select_one(self, pk: Any) -> Assignment:
        return selectors.assignment_get(actor=self.actor, pk=pk)
