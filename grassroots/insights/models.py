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


class RollupDimension(models.TextChoices):
    CATEGORY = "category", _("Category")
    PLACE = "place", _("Village / community and grid")
    CHANNEL = "channel", _("Channel")
    UNIT = "unit", _("Lead unit")


class RollupGrain(models.TextChoices):
    DAY = "d", _("day")
    MONTH = "m", _("month")


class FigureRollup(models.Model):
    """The dashboard's counts of matter roots, summed by one dimension per day and per calendar month of
    registration: every measure but ``overdue``, the one that moves with the clock (read live). Kept exact by
    ``rollup_refresh`` from ``RolledRequest`` (what each request contributes); read together with the
    requests not rolled up yet (see ``insights.rollup``).
    ``key`` is the dimension's value as text, for uniqueness; the id columns hold the same value for reading."""

    dimension = models.CharField(max_length=8, choices=RollupDimension.choices)
    grain = models.CharField(max_length=1, choices=RollupGrain.choices)
    bucket = models.DateField()  # the day, or the first day of the month
    key = models.CharField(max_length=48)
    category_id = models.BigIntegerField(null=True, blank=True)
    region_id = models.BigIntegerField(null=True, blank=True)
    grid_id = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=16, blank=True)
    lead_unit_id = models.BigIntegerField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    eligible = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    clocked = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    followed = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("figure roll-up")
        verbose_name_plural = _("figure roll-ups")
        constraints = [
            models.UniqueConstraint(fields=["dimension", "grain", "bucket", "key"], name="figure_rollup_key")
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.grain} {self.bucket} {self.key}"


class RolledRequest(models.Model):
    """What one request contributes to ``FigureRollup`` now: its keys and a bit per measure (bit i = the i-th
    of ``insights.rollup.ROLLED_MEASURES``). No foreign key: the row outlives a deleted request until the next
    refresh takes its contribution back out."""

    request_id = models.BigIntegerField(primary_key=True)
    day = models.DateField()
    category_id = models.BigIntegerField(null=True, blank=True)
    region_id = models.BigIntegerField()
    grid_id = models.BigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=16)
    lead_unit_id = models.BigIntegerField(null=True, blank=True)
    flags = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("rolled-up request")
        verbose_name_plural = _("rolled-up requests")

    def __str__(self) -> str:
        return f"{self.request_id} {self.day}"


class ChangedRequest(models.Model):
    """A request inserted, changed or deleted since the roll-up last took it in: one row per change, written
    by database triggers on ``casework_request`` (so no write path can forget it) and removed by
    ``rollup_refresh`` once the request's contribution is current."""

    id = models.BigAutoField(primary_key=True)
    request_id = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = _("changed request")
        verbose_name_plural = _("changed requests")

    def __str__(self) -> str:
        return str(self.request_id)


class RollupState(models.Model):
    """One row: the time zone the roll-up's days were cut in (another one makes the next refresh rebuild it,
    and the dashboard read everything live until then) and when it was last refreshed. Its row lock keeps
    refreshes one at a time."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    time_zone = models.CharField(max_length=64)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("roll-up state")
        verbose_name_plural = _("roll-up states")

    def __str__(self) -> str:
        return f"{self.time_zone} {self.refreshed_at}"
