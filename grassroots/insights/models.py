"""Insights: early warnings that a person acknowledges and closes (the figures themselves are computed)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grassroots.common.scoping import Actor, as_actor, paths_q


class WarningKind(models.TextChoices):
    RISE = "rise", _("Unusual rise of one category in one area")
    REPEAT_REPORTER = "repeat_reporter", _("Repeated requests from one household")
    REPEAT_PLACE = "repeat_place", _("Repeated requests about one place")
    GROUP = "group", _("Many parties on one matter")
    DEADLINE = "deadline", _("Red-risk matter near its deadline")
    DANGER = "danger", _("Text signalling danger")


class WarningStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("warning status", "Open")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("warning status", "Acknowledged")
    CLOSED = "closed", pgettext_lazy("warning status", "Closed")


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
    # What the warning is about (one household, one category in one township …): while a warning about a
    # subject is not closed, a re-run of the detection adds evidence to it instead of raising it again.
    subject = models.CharField(max_length=160, db_index=True, editable=False, default="")
    key = models.CharField(max_length=200, unique=True, editable=False)  # subject#episode
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
    # Immediate escalation (danger text, group risk): the leaders told at once, and when.
    escalated_to = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = EarlyWarningQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        indexes = [models.Index(fields=["status", "detected_at"], name="warning_status_detected")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class PlacePoint(models.Model):
    """Where a village / community lies: the mean coordinates of its registered households (the map of the
    dashboard draws these points; no map tiles). Refreshed by ``place_points_refresh``."""

    region = models.OneToOneField(
        "territory.Region",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("place"),
        primary_key=True,
    )
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    households = models.PositiveIntegerField(_("households"), default=0)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("place point")
        verbose_name_plural = _("place points")

    def __str__(self) -> str:
        return f"{self.region_id} {self.latitude:.4f},{self.longitude:.4f}"


class DigestPeriod(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class Digest(models.Model):
    """One leader's digest for one period, written once (a re-run of the scheduled command finds it) and
    e-mailed at most once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=8, choices=DigestPeriod.choices)
    period_end = models.DateField(_("up to"))
    language = models.CharField(max_length=16)
    html = models.TextField()
    created_at = models.DateTimeField(_("written"))
    mailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "period", "user_id"]
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [
            models.UniqueConstraint(fields=["user", "period", "period_end"], name="digest_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.period} {self.period_end}"


class RequestOutcome(models.Model):
    """What the dashboard reads of a request's history, kept beside it so that the figures need no
    per-request look-up into the events, follow-ups and handling units: the first resolution, the latest
    reached follow-up's answer and the current lead unit, as of the request's ``version``.

    A row is used only while its ``version`` equals the request's (every transition, link and follow-up
    moves the request's version); any other request is read from its history as it is now, so the figures
    are exact whenever the rows were refreshed (``outcomes_refresh``, incremental: it rewrites only the
    requests whose version moved)."""

    request = models.OneToOneField(
        "casework.Request", on_delete=models.CASCADE, primary_key=True, related_name="insights_outcome"
    )
    version = models.PositiveIntegerField()
    first_resolved_at = models.DateTimeField(null=True, blank=True)
    satisfaction = models.CharField(max_length=16, null=True, blank=True)
    lead_unit_id = models.BigIntegerField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("request outcome")
        verbose_name_plural = _("request outcomes")

    def __str__(self) -> str:
        return f"{self.request_id} v{self.version}"
