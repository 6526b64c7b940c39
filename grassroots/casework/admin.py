from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from grassroots.common.admin import AuditedAdmin

from .models import CalendarDay, Category, ClockAlert, DeadlinePolicy, FollowUpRule, Request, RequestEvent


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(AuditedAdmin):
    list_display = (
        "name",
        "urgency",
        "channel",
        "kind",
        "category",
        "amount",
        "unit",
        "max_extension_days",
        "is_active",
    )
    list_filter = ("unit", "is_active")
    raw_id_fields = ("category",)


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(AuditedAdmin):
    list_display = ("name", "kind", "channel", "amount", "unit", "is_active")
    list_filter = ("unit", "is_active")


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    list_display = ("day", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "day"


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("code", "name", "parent", "default_unit", "is_active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent", "default_unit")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code", "parent", "path") if obj else ("path",)

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        if not change:
            obj.path = f"{obj.parent.path if obj.parent else ''}{obj.code}/"
        super().save_model(request, obj, form, change)


class ReadOnlyMixin:
    """Requests move only through the transition service; the admin shows them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnly(ReadOnlyMixin, admin.ModelAdmin):
    pass


class RequestEventInline(ReadOnlyMixin, admin.TabularInline):
    model = RequestEvent
    extra = 0
    fields = ("at", "action", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields


@admin.register(Request)
class RequestAdmin(ReadOnly):
    list_display = ("tracking_code", "title", "kind", "channel", "status", "due_at", "created_at")
    list_filter = ("status", "kind", "channel", "risk")
    search_fields = ("tracking_code", "title")
    inlines = [RequestEventInline]
    exclude = ("reporter_phone_encrypted", "reporter_phone_hash", "intake_fingerprint")
    show_full_result_count = False


@admin.register(ClockAlert)
class ClockAlertAdmin(ReadOnly):
    list_display = ("request", "kind", "tier", "unit", "due_at", "created_at", "acknowledged_at")
    list_filter = ("kind", "tier")
