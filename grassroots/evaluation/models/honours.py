"""Exemplars (先进典型): titles, data-backed nominations, committee decisions and the honours register."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, as_actor


class HonourKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    COLLECTIVE = "collective", _("Collective (unit)")


class HonourTitle(models.Model):
    """A title such as 十大调解能手 (top mediators) or 模范集体 (model collective), with the rule that nominates
    candidates from a run: an indicator, a minimum sample, a threshold on the lower end of its interval and
    how many to nominate."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=HonourKind.choices)
    indicator = models.CharField(_("indicator"), max_length=32)
    min_sample = models.PositiveIntegerField(_("minimum sample"), default=10)
    threshold = models.FloatField(_("threshold (lower interval bound)"), default=0.0)
    top_n = models.PositiveIntegerField(_("candidates nominated"), default=10)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("honour title")
        verbose_name_plural = _("honour titles")
        constraints = [
            models.CheckConstraint(condition=Q(top_n__gte=1), name="honour_title_top_n"),
            models.CheckConstraint(
                condition=Q(threshold__gte=0) & Q(threshold__lte=1), name="honour_title_threshold_rate"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class NominationStatus(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting the committee")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")


class NominationQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> NominationQuerySet:
        """Nominations are the committee's working papers: HR and admins only."""
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        return self.none()


class Nomination(models.Model):
    title = models.ForeignKey(HonourTitle, on_delete=models.PROTECT, related_name="nominations")
    run = models.ForeignKey("evaluation.EvaluationRun", on_delete=models.PROTECT, related_name="nominations")
    officer = models.ForeignKey(
        "workforce.Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "workforce.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rank = models.PositiveIntegerField(_("rank"))
    evidence = models.JSONField(_("evidence"))
    status = models.CharField(
        _("status"), max_length=16, choices=NominationStatus.choices, default=NominationStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = NominationQuerySet.as_manager()

    class Meta:
        ordering = ["title__code", "run_id", "rank"]
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        constraints = [
            models.CheckConstraint(
                condition=Q(officer__isnull=False, unit__isnull=True)
                | Q(officer__isnull=True, unit__isnull=False),
                name="nomination_one_nominee",
            ),
            models.UniqueConstraint(fields=["title", "run", "officer"], name="nomination_once_officer"),
            models.UniqueConstraint(fields=["title", "run", "unit"], name="nomination_once_unit"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("proposed_by")),
                name="nomination_decided_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} #{self.rank}"


class HonourQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> HonourQuerySet:
        """The honours register is public inside the organisation: every signed-in officer, leader, HR and
        admin sees it (it carries no residents' personal data). Residents: none."""
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr or actor.is_staff_officer:
            return self.all()
        return self.none()


class Honour(models.Model):
    """An entry of the honours register: the title, who earned it, for which period, and the records
    (requests and visits) that earned it, frozen when the committee approved it."""

    title = models.ForeignKey(HonourTitle, on_delete=models.PROTECT, related_name="honours")
    nomination = models.OneToOneField(Nomination, on_delete=models.PROTECT, related_name="honour")
    officer = models.ForeignKey(
        "workforce.Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "workforce.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    period_label = models.CharField(_("period"), max_length=80)
    awarded_on = models.DateField(_("awarded on"))
    citation = models.TextField(_("citation"))
    evidence = models.JSONField(_("figures"))
    request_ids = models.JSONField(_("requests that earned it"), default=list)
    visit_ids = models.JSONField(_("visits that earned it"), default=list)
    awarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = HonourQuerySet.as_manager()

    class Meta:
        ordering = ["-awarded_on", "title__code", "id"]
        verbose_name = _("honour")
        verbose_name_plural = _("honours")

    def __str__(self) -> str:
        return f"{self.title} · {self.period_label}"
