"""Routing records: trained model versions, the suggestions made for requests, and officers' decisions.

A suggestion is what the model (or, without a model, the keyword rules) proposed for one request: the top
three labels with their confidences and the category / unit each maps to. A decision says what happened to
it: confirmed (the top suggestion was chosen), overridden (another label was chosen), or applied
automatically by ``route_pending``. Retraining reads the final category of each request, so overrides win.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Task(models.TextChoices):
    CATEGORY = "category", _("Category and responsible unit")
    DISPUTE_TYPE = "dispute_type", _("Dispute type")


class Mode(models.TextChoices):
    MODEL = "model", _("Trained model with keyword rules")
    RULES = "rules", _("Keyword rules only (no trained model)")


class Outcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    OVERRIDDEN = "overridden", _("Overridden")
    AUTOMATIC = "automatic", _("Applied automatically")


class Screen(models.TextChoices):
    INTAKE = "intake", _("Intake form")
    DETAIL = "detail", _("Request page")
    API = "api", _("API")
    BATCH = "batch", _("Automatic routing")


class ModelVersion(models.Model):
    """One trained routing model: what it learnt from, how well it cross-validated, where its file is.

    At most one version per task is active; serving processes switch to the newest active version on
    their next check (``ROUTING_VERSION_CHECK_SECONDS``)."""

    task = models.CharField(_("task"), max_length=16, choices=Task.choices)
    trained_at = models.DateTimeField(_("trained at"), db_index=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=255)
    since = models.DateField(_("history since"), null=True, blank=True)
    example_count = models.PositiveIntegerField(_("examples"))
    labels = models.JSONField(_("labels"), default=list)
    embeddings = models.BooleanField(_("title embeddings"), default=True)
    cross_validation = models.JSONField(_("cross-validated figures"), default=dict, blank=True)
    file_path = models.CharField(_("model file"), max_length=500)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-trained_at", "-id"]
        verbose_name = _("routing model version")
        verbose_name_plural = _("routing model versions")
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(is_active=True), name="routing_one_active_version_per_task"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk} ({self.source}, {self.example_count})"


class RoutingSuggestion(models.Model):
    """The suggestion made for a request: up to three labels, most likely first.

    ``items`` holds ``{"label", "confidence", "rules", "category": id|None, "category_path", "unit": id|None}``
    for each label, as shown to the officer."""

    request = models.ForeignKey(
        "casework.Request", on_delete=models.CASCADE, related_name="routing_suggestions"
    )
    task = models.CharField(_("task"), max_length=16, choices=Task.choices)
    mode = models.CharField(_("made by"), max_length=8, choices=Mode.choices)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    items = models.JSONField(_("suggested labels"), default=list)
    top_confidence = models.FloatField(_("top confidence"), default=0.0)
    created_at = models.DateTimeField(_("suggested at"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("routing suggestion")
        verbose_name_plural = _("routing suggestions")
        indexes = [models.Index(fields=["request", "task", "created_at"], name="routing_suggestion_request")]

    def __str__(self) -> str:
        top = self.items[0]["label"] if self.items else "-"
        return f"{self.request_id} {self.task}: {top} {self.top_confidence:.2f}"

    @property
    def top_label(self) -> str:
        return self.items[0]["label"] if self.items else ""


class RoutingDecision(models.Model):
    """What was done with a suggestion: confirmed, overridden, or applied automatically; who, when, where."""

    request = models.ForeignKey(
        "casework.Request", on_delete=models.CASCADE, related_name="routing_decisions"
    )
    task = models.CharField(_("task"), max_length=16, choices=Task.choices)
    suggestion = models.ForeignKey(
        RoutingSuggestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    suggested_label = models.CharField(_("suggested"), max_length=120, blank=True)
    suggested_category = models.ForeignKey(
        "casework.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggested_confidence = models.FloatField(_("confidence of the suggestion"), null=True, blank=True)
    chosen_label = models.CharField(_("chosen"), max_length=120, blank=True)
    chosen_category = models.ForeignKey(
        "casework.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # 1–3 when the chosen label was among the suggestions, else null.
    chosen_rank = models.PositiveSmallIntegerField(_("rank of the chosen label"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    screen = models.CharField(_("screen"), max_length=8, choices=Screen.choices)
    at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("routing decision")
        verbose_name_plural = _("routing decisions")
        indexes = [models.Index(fields=["request", "task", "at"], name="routing_decision_request")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.task} {self.outcome}: {self.suggested_label} → {self.chosen_label}"
