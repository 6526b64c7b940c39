"""Back office for evaluation. Honour titles are reference data (edited here, audited); everything else is
read-only here, because it changes only through the services (versions, publication, decisions by someone
other than the requester)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from grassroots.common.admin import AuditedAdmin

from .models import (
    Adjustment,
    Appeal,
    EvaluationRun,
    Honour,
    HonourTitle,
    Mentorship,
    Nomination,
    OfficerResult,
    SchemeVersion,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HonourTitle)
class HonourTitleAdmin(AuditedAdmin):
    list_display = ("code", "name", "kind", "indicator", "min_sample", "threshold", "top_n", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(SchemeVersion)
class SchemeVersionAdmin(ReadOnlyAdmin):
    list_display = ("scheme", "number", "status", "definition_sha256", "activated_at")
    list_filter = ("status",)


@admin.register(EvaluationRun)
class EvaluationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "label",
        "scheme_version",
        "period_start",
        "period_end",
        "status",
        "officer_count",
        "published_at",
    )
    list_filter = ("status",)
    exclude = ("inputs",)


@admin.register(OfficerResult)
class OfficerResultAdmin(ReadOnlyAdmin):
    list_display = ("run", "officer", "score", "grade", "rank", "shortlisted")
    list_filter = ("grade", "shortlisted")
    raw_id_fields = ("run", "officer", "unit", "post")
    list_select_related = ("run", "officer")


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ("result", "kind", "score_delta", "grade", "status", "requested_by", "decided_by")
    list_filter = ("status", "kind")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("result", "status", "filed_by", "decided_by", "filed_at")
    list_filter = ("status",)


@admin.register(Mentorship)
class MentorshipAdmin(ReadOnlyAdmin):
    list_display = ("mentee", "mentor", "status", "start", "end")
    list_filter = ("status",)
    list_select_related = ("mentee", "mentor")


@admin.register(Nomination)
class NominationAdmin(ReadOnlyAdmin):
    list_display = ("title", "run", "officer", "unit", "rank", "status")
    list_filter = ("status", "title")


@admin.register(Honour)
class HonourAdmin(ReadOnlyAdmin):
    list_display = ("title", "officer", "unit", "period_label", "awarded_on")
