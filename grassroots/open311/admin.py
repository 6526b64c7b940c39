"""Back office for Open311: publish categories as services (with their attribute definitions), issue and
revoke API keys (the plain key is shown once), and read what clients sent."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from grassroots.common.admin import AuditedAdmin
from grassroots.common.errors import ValidationFailed
from grassroots.common.scoping import as_actor
from grassroots.territory.models import RegionLevel

from . import services
from .models import ApiKey, Attribute, PostedUpdate, Service, Submission


class AttributeInline(admin.TabularInline):
    model = Attribute
    extra = 0
    fields = (
        "order",
        "code",
        "datatype",
        "required",
        "variable",
        "description",
        "datatype_description",
        "values",
    )


@admin.register(Service)
class ServiceAdmin(AuditedAdmin):
    list_display = (
        "service_code",
        "display_name",
        "category",
        "group",
        "kind",
        "type",
        "metadata",
        "is_active",
        "order",
    )
    list_filter = ("is_active", "type", "kind", "group")
    search_fields = ("service_code", "name", "category__name", "keywords")
    raw_id_fields = ("category",)
    readonly_fields = ("metadata",)
    inlines = [AttributeInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        service = form.instance
        has = service.attributes.filter(variable=True).exists()
        if has != service.metadata:
            Service.objects.filter(pk=service.pk).update(metadata=has)


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "owner", "region"]

    def clean_region(self) -> Any:
        region = self.cleaned_data["region"]
        if region is not None and region.level < RegionLevel.COUNTY:
            raise forms.ValidationError(_("Choose a county, township or village."))
        return region

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or self.instance.pk:
            return data
        for problem in services.api_key_problems(
            name=data.get("name", ""), owner=data.get("owner"), region=data.get("region")
        ):
            if problem.field == "owner":
                self.add_error(
                    "owner", _("Choose an administrator, or an officer or leader serving in this area.")
                )
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ("name", "prefix", "owner", "region", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "owner__username")
    raw_id_fields = ("owner", "region")
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return ["name", "owner", "region"]
        return ["name", "owner", "region", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        return self.get_fields(request, obj) if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and as_actor(request.user).is_admin

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return
        try:
            key, plain = services.api_key_issue(
                actor=request.user, name=obj.name, owner=obj.owner, region=obj.region
            )
        except ValidationFailed as error:
            messages.error(request, str(error))
            raise
        obj.pk = key.pk
        obj.prefix, obj.key_hash, obj.created_at = key.prefix, key.key_hash, key.created_at
        messages.warning(
            request,
            _("The new key is %(key)s. Copy it now: it is not shown again and only its hash is kept.")
            % {"key": plain},
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset:
            services.api_key_revoke(actor=request.user, key=key)
        self.message_user(request, _("Keys revoked: %(n)d.") % {"n": queryset.count()}, messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("request", "service", "api_key", "created_at")
    list_select_related = ("request", "service", "api_key")


@admin.register(PostedUpdate)
class PostedUpdateAdmin(ReadOnlyAdmin):
    list_display = ("request", "status", "api_key", "client_update_id", "created_at")
    list_select_related = ("request", "api_key")
