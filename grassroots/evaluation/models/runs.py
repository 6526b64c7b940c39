"""Runs and results: one computation of a scheme version for a period, and its per-officer and per-unit
results. A published run is immutable (``services`` refuse to change it and ``save`` refuses too); its
stored inputs let it be recomputed exactly."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, as_actor, paths_q

from .schemes import Grade, SchemeVersion


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    COMPUTING = "computing", _("Computing")
    COMPUTED = "computed", _("Computed (draft)")
    FAILED = "failed", _("Failed")
    PUBLISHED = "published", _("Published")


class ImmutableWhenPublished(Exception):
    """A published run (or one of its results) was about to be changed."""


class RunQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> RunQuerySet:
        """HR and admins: every run (drafts too). Officers and leaders: published runs. Residents: none."""
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(status=RunStatus.PUBLISHED)
        return self.none()


class EvaluationRun(models.Model):
    scheme_version = models.ForeignKey(
        SchemeVersion, verbose_name=_("scheme version"), on_delete=models.PROTECT, related_name="runs"
    )
    unit = models.ForeignKey(
        "workforce.Unit",
        verbose_name=_("unit (and below)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: every officer."),
    )
    label = models.CharField(_("label"), max_length=80)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    as_of = models.DateTimeField(_("record as of"))
    status = models.CharField(_("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    phase = models.CharField(_("phase"), max_length=40, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True)
    inputs = models.BinaryField(_("inputs (gzip, canonical JSON)"), null=True, editable=False)
    inputs_sha256 = models.CharField(_("inputs SHA-256"), max_length=64, blank=True)
    results_sha256 = models.CharField(_("results SHA-256"), max_length=64, blank=True)
    method_version = models.CharField(_("method version"), max_length=20, blank=True)
    libraries = models.JSONField(_("library versions"), default=dict, blank=True)
    officer_count = models.PositiveIntegerField(_("officers"), default=0)
    fitted_models = models.JSONField(_("fitted models"), default=dict, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="run_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.scheme_version})"

    def save(self, *args, **kwargs):
        if self.pk:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == RunStatus.PUBLISHED:
                raise ImmutableWhenPublished(f"run {self.pk} is published")
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == RunStatus.PUBLISHED

    @property
    def is_running(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.COMPUTING)


class ResultQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> ResultQuerySet:
        """HR and admins: every result. Leaders: published results of officers whose unit lies in the subtree
        they lead, and their own. Officers: their own published results. Residents: none."""
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if not actor.is_staff_officer or actor.officer is None:
            return self.none()
        published = self.filter(run__status=RunStatus.PUBLISHED)
        own = Q(officer_id=actor.officer.id)
        if actor.role == "leader":
            return published.filter(own | paths_q("unit__path", actor.unit_paths))
        return published.filter(own)


class OfficerResult(models.Model):
    """One officer's result in one run: score with its interval, grade, ranks with their intervals, and the
    breakdown (every indicator's numerator, denominator, interval, adjustment, shrinkage and points)."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results")
    officer = models.ForeignKey(
        "workforce.Officer", verbose_name=_("officer"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "workforce.Unit", verbose_name=_("unit"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    post = models.ForeignKey(
        "workforce.Post", verbose_name=_("post"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    peer_group = models.CharField(_("peer group"), max_length=60)
    front_line_share = models.FloatField(_("front-line share"))
    front_line_credit = models.FloatField(_("front-line credit"), default=0)
    service_years = models.FloatField(_("years of service"), default=0)
    score = models.FloatField(_("score"))
    score_low = models.FloatField(_("score (low)"))
    score_high = models.FloatField(_("score (high)"))
    mass_work_score = models.FloatField(_("mass-work score"), null=True)
    # Not assessable: no weighted casework or visit-duty indicator applies (too little record to judge);
    # such an officer is shown with their figures but not graded or ranked.
    assessable = models.BooleanField(_("assessable"), default=True)
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    rank_best = models.PositiveIntegerField(null=True)
    rank_worst = models.PositiveIntegerField(null=True)
    size = models.PositiveIntegerField(_("officers ranked"), default=0)
    peer_rank = models.PositiveIntegerField(_("rank in peer group"), null=True)
    peer_rank_best = models.PositiveIntegerField(null=True)
    peer_rank_worst = models.PositiveIntegerField(null=True)
    peer_size = models.PositiveIntegerField(_("peer group size"), default=0)
    breakdown = models.JSONField(_("breakdown"))
    shortlisted = models.BooleanField(_("on the promotion shortlist"), default=False)
    shortlist_rank = models.PositiveIntegerField(null=True, blank=True)
    shortlist_reasons = models.JSONField(default=list, blank=True)

    objects = ResultQuerySet.as_manager()

    class Meta:
        ordering = ["run_id", models.F("rank").asc(nulls_last=True), "officer_id"]
        verbose_name = _("officer result")
        verbose_name_plural = _("officer results")
        constraints = [models.UniqueConstraint(fields=["run", "officer"], name="result_one_per_officer")]
        indexes = [
            models.Index(fields=["officer", "run"], name="result_officer_run"),
            models.Index(fields=["run", "unit"], name="result_run_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.officer_id} in run {self.run_id}: {self.score:.1f}"


class UnitResultQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> UnitResultQuerySet:
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.role == "leader":
            return self.filter(run__status=RunStatus.PUBLISHED).filter(
                paths_q("unit__path", actor.unit_paths)
            )
        return self.none()


class UnitResult(models.Model):
    """A unit's figures in a run: its officers' numerators and denominators summed, with intervals."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="unit_results")
    unit = models.ForeignKey("workforce.Unit", on_delete=models.PROTECT, related_name="+")
    officer_count = models.PositiveIntegerField(_("officers"))
    mean_score = models.FloatField(_("mean score"), null=True)
    grade_counts = models.JSONField(_("grades"), default=dict)
    breakdown = models.JSONField(_("breakdown"))

    objects = UnitResultQuerySet.as_manager()

    class Meta:
        ordering = ["run_id", "unit__path"]
        verbose_name = _("unit result")
        verbose_name_plural = _("unit results")
        constraints = [models.UniqueConstraint(fields=["run", "unit"], name="unit_result_one_per_unit")]

    def __str__(self) -> str:
        return f"unit {self.unit_id} in run {self.run_id}"
