"""The materialised due list (``VisitDuty``), the log of its generations, and liaison-roster import jobs.

``VisitDuty`` holds, for every liaison with a visit duty, the dates from which its state on any later day
follows by comparison alone (``coverage.py`` explains the definition): the coverage dashboard and the due
lists of a whole county or city read it instead of recomputing every liaison's last visit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.models import ImportJobStatus


class VisitDutyQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> VisitDutyQuerySet:
        """As liaisons: officers and leaders see the duties in their regions or grids, and their own."""
        from .models import liaison_scope

        return liaison_scope(self, actor)

    def active_on(self, day) -> VisitDutyQuerySet:
        return self.filter(start__lte=day).filter(Q(end__isnull=True) | Q(end__gte=day))


class VisitDuty(models.Model):
    """One liaison's visit duty as of ``generated_on``.

    On a day D on or after ``generated_on`` the duty is *covered* when ``covered_until >= D``, *overdue*
    when it is not covered and ``grace_until < D``, and *pending* otherwise; ``due_on`` is the day by which
    the next visit is due. Places are the target's at generation time (a household that moved is counted
    where it lives now)."""

    # A derived table: rows go with their liaison (CASCADE); the other keys are copies that need neither
    # constraints nor deletion look-ups (a household, organisation, grid, place or officer with a liaison
    # cannot be deleted), and only the columns that scope and group are indexed.
    liaison = models.OneToOneField(
        "outreach.Liaison", primary_key=True, on_delete=models.CASCADE, related_name="duty"
    )
    officer = models.ForeignKey(
        "workforce.Officer",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    kind = models.CharField(max_length=16)
    household = models.ForeignKey(
        "territory.Household",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    organization = models.ForeignKey(
        "territory.Organization",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    grid = models.ForeignKey(
        "territory.Grid",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    region = models.ForeignKey(
        "territory.Region", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    township = models.ForeignKey(
        "territory.Region",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    county = models.ForeignKey(
        "territory.Region", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    interval_days = models.PositiveSmallIntegerField()
    last_visit = models.DateField(null=True, blank=True)
    covered_until = models.DateField(null=True, blank=True)
    grace_until = models.DateField()
    due_on = models.DateField()
    generated_on = models.DateField()

    objects = VisitDutyQuerySet.as_manager()

    class Meta:
        verbose_name = _("visit duty")
        verbose_name_plural = _("visit duties")
        indexes = [
            models.Index(fields=["officer", "due_on"], name="duty_officer_due"),
            models.Index(fields=["county", "region"], name="duty_county_region"),
            models.Index(fields=["due_on"], name="duty_due"),
        ]

    def __str__(self) -> str:
        return f"{self.liaison_id} due {self.due_on}"


class CoverageCountQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> CoverageCountQuerySet:
        """The same predicate as ``VisitDuty.visible_to``: every duty of a row shares its officer, grid and
        village, so a row is visible exactly when its duties are."""
        from .models import liaison_scope

        return liaison_scope(self, actor)


class CoverageCount(models.Model):
    """Duties active on ``as_of`` counted per officer, grid and village (with the village's township and
    county): the coverage dashboard of a whole city sums a few thousand of these rows. Written by the
    generation for its day and kept up to date by the services that refresh duties."""

    as_of = models.DateField()
    officer = models.ForeignKey(
        "workforce.Officer", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    grid = models.ForeignKey(
        "territory.Grid", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    region = models.ForeignKey(
        "territory.Region", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    township = models.ForeignKey(
        "territory.Region",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    county = models.ForeignKey(
        "territory.Region", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    assigned = models.PositiveIntegerField()
    covered = models.PositiveIntegerField()
    overdue = models.PositiveIntegerField()

    objects = CoverageCountQuerySet.as_manager()

    class Meta:
        verbose_name = _("coverage count")
        verbose_name_plural = _("coverage counts")
        indexes = [models.Index(fields=["as_of", "county"], name="coverage_count_day_county")]

    def __str__(self) -> str:
        return f"{self.as_of} {self.officer_id} {self.region_id}"


class DutyGeneration(models.Model):
    """One run of the due-list generation: for which day, how many duties, how long it took.

    The coverage dashboard reads ``VisitDuty`` for a day on or after the last complete run that nothing
    has invalidated since (a change of the visit rules does); before that it computes from the visits."""

    as_of = models.DateField(_("as of"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duties = models.PositiveIntegerField(_("duties"), default=0)
    moved = models.PositiveIntegerField(_("liaisons whose place changed"), default=0)
    seconds = models.FloatField(default=0)
    is_valid = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("due-list generation")
        verbose_name_plural = _("due-list generations")

    def __str__(self) -> str:
        return f"{self.as_of} ({self.duties})"


class LiaisonImportJobQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> LiaisonImportJobQuerySet:
        """A job is seen by the person who uploaded it (and administrators)."""
        actor = as_actor(actor)
        if actor.is_admin:
            return self.all()
        if actor.pk is None:
            return self.none()
        return self.filter(created_by_id=actor.pk)


class LiaisonImportJob(models.Model):
    """One upload of a liaison roster through the pages: its dry-run report, then its import."""

    RUNNING = (ImportJobStatus.QUEUED, ImportJobStatus.VALIDATING, ImportJobStatus.IMPORTING)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=255)
    stored_path = models.CharField(max_length=500, editable=False)
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

    objects = LiaisonImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("liaison roster import")
        verbose_name_plural = _("liaison roster imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"
