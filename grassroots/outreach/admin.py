from __future__ import annotations

from django.contrib import admin

from grassroots.common.admin import AuditedAdmin

from .coverage import duties_invalidate
from .models import DutyGeneration, Liaison, LiaisonImportJob, OutreachEvent, Visit, VisitRule


@admin.register(VisitRule)
class VisitRuleAdmin(AuditedAdmin):
    """Visit rules are reference data: edited here or on the rules page, every change audited."""

    list_display = (
        "name",
        "applies_to",
        "care_tag",
        "organization_kind",
        "county",
        "interval_days",
        "is_active",
    )
    list_filter = ("applies_to", "is_active")
    raw_id_fields = ("county",)
    exclude = ("version",)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)
        duties_invalidate()  # the generated due lists no longer follow the rules

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        duties_invalidate()


@admin.register(Liaison)
class LiaisonAdmin(admin.ModelAdmin):
    """Read-only: liaisons change through the services (history, scope, audit)."""

    list_display = ("officer", "kind", "region", "start", "end")
    list_filter = ("kind",)
    list_select_related = ("officer", "region")
    raw_id_fields = ("officer", "household", "organization", "grid", "region", "county", "created_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(LiaisonAdmin):
    list_display = ("visited_on", "officer", "mode", "region")
    list_filter = ("mode",)
    raw_id_fields = ("officer", "household", "organization", "region", "county", "met_resident", "created_by")


@admin.register(OutreachEvent)
class OutreachEventAdmin(LiaisonAdmin):
    list_display = ("starts_at", "kind", "title", "status", "region")
    list_filter = ("kind", "status")
    list_select_related = ("region",)
    raw_id_fields = ("region", "county", "organization", "unit", "created_by")


@admin.register(DutyGeneration)
class DutyGenerationAdmin(LiaisonAdmin):
    list_display = ("as_of", "started_at", "finished_at", "duties", "moved", "seconds", "is_valid")
    list_filter = ("is_valid",)
    list_select_related = ("created_by",)
    raw_id_fields = ("created_by",)


@admin.register(LiaisonImportJob)
class LiaisonImportJobAdmin(LiaisonAdmin):
    list_display = ("created_at", "file_name", "status", "created_by")
    list_filter = ("status",)
    list_select_related = ("created_by",)
    raw_id_fields = ("created_by",)
