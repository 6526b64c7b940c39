"""Mentoring (传帮带): proposed and active mentor–mentee pairs, their goals and their sessions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, as_actor


class MentorshipStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    DECLINED = "declined", _("Declined")


class MentorshipQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> MentorshipQuerySet:
        """HR and admins: all. Officers and leaders: pairs they are part of, and (leaders) pairs whose mentor
        or mentee serves in their unit subtree. Residents: none."""
        from grassroots.workforce.models import Officer

        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if not actor.is_staff_officer or actor.officer is None:
            return self.none()
        own = Q(mentor_id=actor.officer.id) | Q(mentee_id=actor.officer.id)
        if actor.role == "leader":
            officers = Officer.objects.visible_to(actor).values("id")
            return self.filter(own | Q(mentee_id__in=officers) | Q(mentor_id__in=officers))
        return self.filter(own)

    def current(self) -> MentorshipQuerySet:
        return self.filter(status__in=[MentorshipStatus.PROPOSED, MentorshipStatus.ACTIVE])


class Mentorship(models.Model):
    mentor = models.ForeignKey(
        "workforce.Officer",
        verbose_name=_("mentor"),
        on_delete=models.PROTECT,
        related_name="mentees_as_mentor",
    )
    mentee = models.ForeignKey(
        "workforce.Officer",
        verbose_name=_("mentee"),
        on_delete=models.PROTECT,
        related_name="mentors_as_mentee",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=MentorshipStatus.choices, default=MentorshipStatus.PROPOSED
    )
    match_score = models.FloatField(_("match score"), null=True, blank=True)
    reasons = models.JSONField(_("why this pair"), default=list, blank=True)
    based_on_run = models.ForeignKey(
        "evaluation.EvaluationRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("end"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=300, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = MentorshipQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("mentorship")
        verbose_name_plural = _("mentorships")
        constraints = [
            models.CheckConstraint(condition=~Q(mentor=models.F("mentee")), name="mentorship_not_self"),
            models.UniqueConstraint(
                fields=["mentee"],
                condition=Q(status__in=["proposed", "active"]),
                name="mentorship_one_current_per_mentee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor_id} → {self.mentee_id} ({self.status})"


class MentoringGoal(models.Model):
    """A goal of a mentorship, optionally tied to an indicator (e.g. satisfaction ≥ 90 % by a date)."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("goal"), max_length=200)
    indicator = models.CharField(_("indicator"), max_length=32, blank=True)
    target_value = models.FloatField(_("target value"), null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    achieved_on = models.DateField(_("achieved on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mentorship_id", "due_on", "id"]
        verbose_name = _("mentoring goal")
        verbose_name_plural = _("mentoring goals")

    def __str__(self) -> str:
        return self.title


class MentoringSession(models.Model):
    """One mentoring session (a case reviewed together, a visit made together, a talk)."""

    mentorship = models.ForeignKey(Mentorship, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(_("minutes"))
    topic = models.CharField(_("topic"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mentorship_id", "held_on", "id"]
        verbose_name = _("mentoring session")
        verbose_name_plural = _("mentoring sessions")
        indexes = [models.Index(fields=["held_on"], name="mentoring_session_day")]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=1, minutes__lte=1440), name="session_minutes")
        ]

    def __str__(self) -> str:
        return f"{self.mentorship_id} {self.held_on}"
