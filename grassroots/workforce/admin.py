from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from grassroots.common.admin import AuditedAdmin

from .models import Assignment, Officer, Post, Unit


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind", "parent", "region")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent", "region")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code", "parent", "path") if obj else ("path",)

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        if not change:
            obj.path = f"{obj.parent.path if obj.parent else ''}{obj.code}/"
        super().save_model(request, obj, form, change)


@admin.register(Post)
class PostAdmin(AuditedAdmin):
    list_display = ("code", "name", "unit", "is_front_line", "difficulty_weight", "min_staff", "max_staff")
    list_filter = ("is_front_line", "is_leadership")
    search_fields = ("code", "name")
    list_select_related = ("unit",)


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    raw_id_fields = ("post",)

    # History changes go through assignment_create / assignment_end, which refuse overlaps.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Officer)
class OfficerAdmin(AuditedAdmin):
    list_display = ("staff_number", "name", "title", "hire_date", "is_active")
    search_fields = ("staff_number", "name")
    raw_id_fields = ("user",)
    inlines = [AssignmentInline]
    exclude = ("version",)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("officer", "post", "start", "end", "kind")
    list_filter = ("kind",)
    list_select_related = ("officer", "post", "post__unit")
    raw_id_fields = ("officer", "post")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
