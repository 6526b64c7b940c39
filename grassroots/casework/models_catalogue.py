"""Casework reference lists and historical imports: dispute types, import mapping presets, import jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, as_actor, paths_q
from grassroots.territory.models import ImportJobStatus


class DisputeType(models.Model):
    """A configurable dispute type (纠纷类型). ``Request.dispute_type`` holds its code; the names follow the
    labels the routing model suggests, so a suggestion maps onto a type by name."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("dispute type")
        verbose_name_plural = _("dispute types")

    def __str__(self) -> str:
        return self.name


class FollowUpRule(models.Model):
    """When the follow-up (回访) of a resolved request is due: within ``amount`` ``unit`` of its resolution.
    The most specific active rule applies (kind and channel, then kind, then channel, then the rule for
    everything); an empty field matches anything. Anonymous requests have nobody to call back."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    amount = models.PositiveIntegerField(_("follow up within"))
    unit = models.CharField(
        _("unit"),
        max_length=16,
        choices=[
            ("hours", _("hours")),
            ("working_days", _("working days")),
            ("calendar_days", _("calendar days")),
        ],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("follow-up rule")
        verbose_name_plural = _("follow-up rules")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="follow_up_rule_positive")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount} {self.unit}"


class ImportMappingPreset(models.Model):
    """A saved column and value mapping for request imports from one source system."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    mapping = models.JSONField(_("mapping"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("import mapping preset")
        verbose_name_plural = _("import mapping presets")

    def __str__(self) -> str:
        return self.name


class RequestImportJobQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> RequestImportJobQuerySet:
        """Admins: every job; officers and leaders: jobs for a county in their scope."""
        actor = as_actor(actor)
        if actor.is_admin:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(paths_q("county__path", actor.county_paths))
        return self.none()


class RequestImportJob(models.Model):
    """One upload of a request history file through the pages: its dry-run report, then its import."""

    RUNNING = (ImportJobStatus.QUEUED, ImportJobStatus.VALIDATING, ImportJobStatus.IMPORTING)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    county = models.ForeignKey(
        "territory.Region", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=255)
    stored_path = models.CharField(max_length=500, editable=False)
    sha256 = models.CharField(max_length=64, blank=True)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows (estimate)"), default=0)
    rows_processed = models.PositiveIntegerField(_("rows processed"), default=0)
    phase = models.CharField(_("phase"), max_length=16, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)

    objects = RequestImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("request import")
        verbose_name_plural = _("request imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"
