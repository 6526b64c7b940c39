from __future__ import annotations

from django.contrib import admin

from grassroots.common.admin import AuditedAdmin

from .models import Liaison, OutreachEvent, Visit, VisitRule


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
    raw_id_fields = ("region", "county", "organization", "unit", "created_by")
