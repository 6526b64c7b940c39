"""Adjustments and appeals: a published result never changes; what changes it is recorded beside it, with
the reason, who asked and who approved (never the same person)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, as_actor

from .runs import OfficerResult
from .schemes import Grade


class DecisionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Turned down")


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class ReviewQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> ReviewQuerySet:
        """Whoever may see the result may see what was asked about it."""
        return self.filter(result__in=OfficerResult.objects.visible_to(as_actor(actor)))


class Appeal(models.Model):
    """An officer's appeal against their own published result, decided by someone else."""

    result = models.ForeignKey(OfficerResult, on_delete=models.PROTECT, related_name="appeals")
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.OPEN
    )
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.UniqueConstraint(fields=["result"], condition=Q(status="open"), name="appeal_one_open"),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("filed_by")),
                name="appeal_decided_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} on result {self.result_id}"


class AdjustmentKind(models.TextChoices):
    SCORE = "score", _("Score correction")
    GRADE = "grade", _("Grade change")


class Adjustment(models.Model):
    """A requested change to a published result (a score correction or a grade change), approved or
    rejected by someone other than the requester. Only approved adjustments change the effective result."""

    result = models.ForeignKey(OfficerResult, on_delete=models.PROTECT, related_name="adjustments")
    kind = models.CharField(_("kind"), max_length=8, choices=AdjustmentKind.choices)
    score_delta = models.FloatField(_("score change"), null=True, blank=True)
    grade = models.CharField(_("new grade"), max_length=16, choices=Grade.choices, blank=True)
    reason = models.TextField(_("reason"))
    appeal = models.ForeignKey(
        Appeal, null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DecisionStatus.choices, default=DecisionStatus.PENDING
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="score", score_delta__isnull=False, grade="")
                | Q(kind="grade", score_delta__isnull=True) & ~Q(grade=""),
                name="adjustment_fields_match_kind",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="adjustment_approved_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"adjustment {self.pk} on result {self.result_id}"
