from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.forms.models import model_to_dict
from django.http import HttpRequest

from .audit import audit_record
from .models import AuditEntry, User


def _snapshot(obj: Any) -> dict[str, Any]:
    return {
        k: v for k, v in model_to_dict(obj).items() if not k.endswith(("_encrypted", "_hash", "password"))
    }


class AuditedAdmin(admin.ModelAdmin):
    """Back-office edits leave the same hash-chained trail as edits through the services."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = _snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        super().save_model(request, obj, form, change)
        after = _snapshot(obj)
        changed = {k: after[k] for k in after if before.get(k) != after[k]}
        label = obj._meta.model_name
        audit_record(
            actor=request.user,
            action=f"admin.{label}.{'change' if change else 'add'}",
            obj=obj,
            data={"before": {k: before.get(k) for k in changed}, "after": changed},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(
            actor=request.user,
            action=f"admin.{obj._meta.model_name}.delete",
            obj=obj,
            data={"before": _snapshot(obj)},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(User)
class UserAdmin(BaseUserAdmin, AuditedAdmin):
    list_display = ("username", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_superuser")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Grassroots", {"fields": ("role",)}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("Grassroots", {"fields": ("role",)}))


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "actor_label", "action", "object_type", "object_id")
    list_filter = ("action",)
    search_fields = ("actor_label", "object_id", "action")
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
