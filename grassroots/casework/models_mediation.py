"""Dispute mediation: parties, mediators, sessions, the agreement and what follows it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Request


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")
    THIRD_PARTY = "third_party", _("Third party")


class Party(models.Model):
    """A party to a dispute: a registered resident, an organisation, or a person named at intake."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=16, choices=PartyRole.choices)
    resident = models.ForeignKey(
        "territory.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="dispute_parties"
    )
    organization = models.ForeignKey(
        "territory.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispute_parties",
    )
    name = models.CharField(_("name"), max_length=200)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=24, blank=True, editable=False)
    address = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        ordering = ["request_id", "role", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"


class MediatorKind(models.TextChoices):
    OFFICER = "officer", _("Officer")
    PEOPLES_MEDIATOR = "peoples_mediator", _("People's mediator")
    VOLUNTEER = "volunteer", _("Volunteer mediator")
    SOCIAL_COURT = "social_court", _("Social court")


class Mediator(models.Model):
    """Someone who mediates: an officer, or a registered volunteer, people's mediator or social court."""

    kind = models.CharField(_("kind"), max_length=20, choices=MediatorKind.choices)
    name = models.CharField(_("name"), max_length=120)
    officer = models.OneToOneField(
        "workforce.Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="mediator"
    )
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediators",
    )
    specialties = models.JSONField(_("specialties"), default=list, blank=True)
    public_phone = models.CharField(_("public phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="officer") | Q(officer__isnull=False), name="mediator_officer_linked"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SessionOutcome(models.TextChoices):
    CONTINUED = "continued", _("To be continued")
    AGREEMENT = "agreement", _("Agreement reached")
    FAILED = "failed", _("No agreement")


class MediationSession(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="mediation_sessions")
    at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=200)
    mediators = models.ManyToManyField(Mediator, verbose_name=_("mediators"), related_name="sessions")
    parties_present = models.ManyToManyField(
        Party, verbose_name=_("parties present"), blank=True, related_name="sessions"
    )
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=SessionOutcome.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["request_id", "at"]
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")

    def __str__(self) -> str:
        return f"{self.request_id} {self.at:%Y-%m-%d} {self.outcome}"


class Confirmation(models.TextChoices):
    NONE = "none", _("Not applied for")
    APPLIED = "applied", _("Applied for judicial confirmation")
    CONFIRMED = "confirmed", _("Judicially confirmed")
    REFUSED = "refused", _("Confirmation refused")


class Agreement(models.Model):
    """The mediation agreement (调解协议) and its judicial confirmation (司法确认)."""

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="agreement")
    number = models.CharField(_("agreement number"), max_length=40, unique=True)
    facts = models.TextField(_("facts and dispute"))
    terms = models.TextField(_("terms agreed"))
    performance = models.CharField(_("how and when it is performed"), max_length=500, blank=True)
    signed_on = models.DateField(_("signed on"))
    confirmation = models.CharField(
        _("judicial confirmation"), max_length=16, choices=Confirmation.choices, default=Confirmation.NONE
    )
    confirmation_case_number = models.CharField(_("confirmation case number"), max_length=60, blank=True)
    confirmation_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")

    def __str__(self) -> str:
        return self.number


class LitigationHandOff(models.Model):
    """A dispute diverted to litigation (诉调对接): where it went and what was handed over."""

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="litigation")
    court = models.ForeignKey(
        "workforce.Unit", verbose_name=_("court"), on_delete=models.PROTECT, related_name="+"
    )
    handed_at = models.DateTimeField(_("handed over at"))
    case_number = models.CharField(_("case number"), max_length=60, blank=True)
    materials = models.TextField(_("materials handed over"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("litigation hand-off")
        verbose_name_plural = _("litigation hand-offs")

    def __str__(self) -> str:
        return f"{self.request_id} → {self.court_id}"
