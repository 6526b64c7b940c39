"""Insights: early warnings that a person acknowledges and closes (the figures themselves are computed)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, as_actor, paths_q


class WarningKind(models.TextChoices):
    RISE = "rise", _("Unusual rise of one category in one area")
    REPEAT_REPORTER = "repeat_reporter", _("Repeated requests from one household")
    REPEAT_PLACE = "repeat_place", _("Repeated requests about one place")
    GROUP = "group", _("Many parties on one matter")
    DEADLINE = "deadline", _("Red-risk matter near its deadline")
    DANGER = "danger", _("Text signalling danger")


class WarningStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


class Severity(models.TextChoices):
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class EarlyWarningQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> EarlyWarningQuerySet:
        """Officers and leaders: warnings about places in their jurisdiction or grids. HR and residents:
        none (warnings point at residents' requests)."""
        actor = as_actor(actor)
        if actor.is_admin:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(paths_q("region__path", actor.region_paths) | Q(grid_id__in=actor.grid_ids))
        return self.none()


class EarlyWarning(models.Model):
    """One warning: what was found, why (``facts``), the requests that show it, and who handled it."""

    kind = models.CharField(_("kind"), max_length=20, choices=WarningKind.choices)
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=16, choices=WarningStatus.choices, default=WarningStatus.OPEN, editable=False
    )
    # What the warning is about, so that a re-run of the detection does not raise it twice.
    key = models.CharField(max_length=200, unique=True, editable=False)
    county = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "territory.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        "casework.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    request = models.ForeignKey(
        "casework.Request",
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="early_warnings",
    )
    evidence = models.ManyToManyField("casework.Request", related_name="+", blank=True)
    # The figures behind the warning (observed, expected, p-value, the matched words, …).
    facts = models.JSONField(default=dict, blank=True)
    detected_at = models.DateTimeField(_("detected"), db_index=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = EarlyWarningQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        indexes = [models.Index(fields=["status", "detected_at"], name="warning_status_detected")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
