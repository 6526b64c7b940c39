from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from grassroots.common.admin import AuditedAdmin

from .models import CareTag, Grid, Household, Organization, Region, Resident
from .services import region_county, region_path


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The path of every descendant hangs on code and parent: they are fixed once created.
        return ("code", "parent", "path") if obj else ("path",)

    def save_model(self, request: HttpRequest, obj: Region, form: Any, change: bool) -> None:
        if not change:
            obj.path = region_path(obj.parent, obj.code)
        super().save_model(request, obj, form, change)


@admin.register(Grid)
class GridAdmin(AuditedAdmin):
    list_display = ("code", "name", "region", "officer")
    search_fields = ("code", "name")
    raw_id_fields = ("region", "officer")
    exclude = ("county",)

    def save_model(self, request: HttpRequest, obj: Grid, form: Any, change: bool) -> None:
        obj.county = region_county(obj.region)
        super().save_model(request, obj, form, change)


@admin.register(CareTag)
class CareTagAdmin(AuditedAdmin):
    list_display = ("code", "name", "name_en", "sort_order")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Personal data changes only through the services (pages, API, imports), which validate and audit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Household)
class HouseholdAdmin(ReadOnlyAdmin):
    list_display = ("number", "region", "grid", "address", "is_active")
    search_fields = ("number",)
    list_select_related = ("region", "grid")
    show_full_result_count = False


@admin.register(Resident)
class ResidentAdmin(ReadOnlyAdmin):
    list_display = ("name", "household", "relationship", "id_number_masked", "phone_masked")
    fields = (
        "name",
        "household",
        "relationship",
        "gender",
        "birth_date",
        "id_number_masked",
        "phone_masked",
        "is_active",
    )
    list_select_related = ("household",)
    show_full_result_count = False


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ("name", "kind", "region", "credit_code")
    list_filter = ("kind",)
    search_fields = ("name", "credit_code")
    raw_id_fields = ("region",)
    exclude = ("county",)

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        obj.county = region_county(obj.region)
        super().save_model(request, obj, form, change)
