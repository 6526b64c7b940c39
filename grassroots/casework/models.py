"""Casework: requests and disputes raised by residents, their handling units and their timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, as_actor, paths_q

from .workflow import OPEN as OPEN_STATUSES
from .workflow import Action, Status


class Kind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    HELP = "help", _("Request for help")
    COMPLAINT = "complaint", _("Complaint / report")
    SUGGESTION = "suggestion", _("Suggestion")
    DEMAND = "demand", _("Demand")
    DISPUTE = "dispute", _("Dispute")


class Channel(models.TextChoices):
    WINDOW = "window", _("Walk-in window")
    PETITION = "petition", _("Petition reception")
    HOTLINE = "hotline", _("Hotline")
    WEB = "web", _("Web")
    MESSAGING = "messaging", _("Messaging")
    GRID_REPORT = "grid_report", _("Grid officer's report")
    VISIT = "visit", _("Household visit")
    COURT_REFERRAL = "court_referral", _("Court referral")
    OPEN311 = "open311", _("Open311 client")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    EMERGENCY = "emergency", _("Emergency")


class Risk(models.TextChoices):
    BLUE = "blue", _("Blue")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Category(models.Model):
    """A node of the configurable category tree (e.g. the three-level 12345 catalogue)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    default_unit = models.ForeignKey(
        "workforce.Unit",
        verbose_name=_("default responsible unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


def request_scope_q(actor: Actor | object, *, prefix: str = "", include_registered: bool = True) -> Q:
    """``visible_to`` as a condition on a related request (``prefix="request__"``): a list of alerts filters
    its requests through the join instead of computing every visible request first."""
    actor = as_actor(actor)
    if actor.is_admin:
        return Q()
    if actor.is_staff_officer:
        handled = RequestUnit.objects.filter(paths_q("unit__path", actor.unit_paths)).values("request_id")
        area = (
            paths_q(f"{prefix}region__path", actor.region_paths)
            | Q(**{f"{prefix}grid_id__in": actor.grid_ids})
            | Q(**{f"{prefix}id__in": handled})
        )
        if include_registered and actor.pk is not None:
            area |= Q(**{f"{prefix}created_by_id": actor.pk})
        return area
    if actor.resident_id:
        return Q(**{f"{prefix}reporter_resident_id": actor.resident_id})
    return Q(pk__in=[])


class RequestQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object, *, include_registered: bool = True) -> RequestQuerySet:
        """Officers and leaders: requests in their regions or grids, or handled by their unit subtree, and
        the requests they registered themselves (an officer may register anywhere in their county, e.g. at
        a window). ``include_registered=False`` gives the area alone: acting on a request needs it.
        Residents: the requests they reported. HR: none (requests carry personal data)."""
        actor = as_actor(actor)
        if actor.is_admin:
            return self.all()
        if actor.is_staff_officer or actor.resident_id:
            return self.filter(request_scope_q(actor, include_registered=include_registered))
        return self.none()


class Request(models.Model):
    """A request or dispute (诉求/矛盾纠纷). ``status`` changes only through ``request_transition``."""

    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # Idempotent intake: a retry carrying the same token returns the first request.
    client_token = models.CharField(_("client token"), max_length=64, null=True, blank=True, editable=False)
    intake_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    public_summary = models.CharField(_("public summary"), max_length=300, blank=True)
    reporter_resident = models.ForeignKey(
        "territory.Resident",
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    reporter_name = models.CharField(_("reporter name"), max_length=100, blank=True)
    reporter_phone_encrypted = models.TextField(blank=True, editable=False)
    reporter_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reporter_phone_masked = models.CharField(_("reporter phone"), max_length=24, blank=True, editable=False)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("place"), on_delete=models.PROTECT, related_name="requests"
    )
    county = models.ForeignKey(
        "territory.Region", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    dispute_type = models.CharField(_("dispute type"), max_length=40, blank=True)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    risk = models.CharField(_("risk level"), max_length=8, choices=Risk.choices, default=Risk.BLUE)
    is_confidential = models.BooleanField(_("confidential"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REGISTERED, editable=False
    )
    assignee = models.ForeignKey(
        "workforce.Officer",
        verbose_name=_("handling officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    is_paused = models.BooleanField(_("clock paused"), default=False, editable=False)
    # The clock: policy snapshot taken at intake, so a later policy change does not move running deadlines.
    deadline_amount = models.PositiveIntegerField(_("deadline"), null=True, blank=True, editable=False)
    deadline_unit = models.CharField(_("deadline unit"), max_length=16, blank=True, editable=False)
    max_extension_days = models.PositiveIntegerField(default=0, editable=False)
    extension_days_used = models.PositiveIntegerField(default=0, editable=False)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True, editable=False)
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalation_tier = models.PositiveSmallIntegerField(_("escalation tier"), default=0, editable=False)
    # 并单: requests about one matter point at its first request; handled and counted as one.
    matter = models.ForeignKey(
        "self",
        verbose_name=_("linked to matter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="linked_requests",
        editable=False,
    )
    extension_pending = models.BooleanField(_("extension awaiting approval"), default=False, editable=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    outcome = models.CharField(_("outcome"), max_length=24, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    # Set by the follow-up rule when the request is resolved; cleared when it is closed or reopened.
    follow_up_due_at = models.DateTimeField(_("follow-up due"), null=True, blank=True, editable=False)
    return_count = models.PositiveSmallIntegerField(_("returns"), default=0, editable=False)
    reopen_count = models.PositiveSmallIntegerField(_("reopens"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("registered at"), db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "client_token"],
                condition=Q(client_token__isnull=False),
                name="request_unique_client_token",
            ),
        ]
        indexes = [
            models.Index(fields=["county", "status", "created_at"], name="request_county_status"),
            models.Index(fields=["assignee", "status"], name="request_assignee_status"),
            models.Index(
                fields=["follow_up_due_at"],
                condition=Q(follow_up_due_at__isnull=False),
                name="request_follow_up_due",
            ),
            models.Index(fields=["kind", "resolved_at"], name="request_kind_resolved"),
            # The open matters: what every officer's list ("my requests") reads. It holds what the list's
            # count, order and deadline filters need (deadline, pause, place for the scope, registrar,
            # assignee), so the count and a page's keys are answered from the index alone.
            models.Index(
                fields=["id", "due_at", "region", "created_by", "assignee", "is_paused"],
                condition=Q(matter__isnull=True, status__in=sorted(OPEN_STATUSES)),
                name="request_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"


class UnitRole(models.TextChoices):
    LEAD = "lead", _("Lead unit")
    ASSIST = "assist", _("Assisting unit")


class RequestUnit(models.Model):
    """A unit handling a request: one lead (主办) and any number of assisting units (协办)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey("workforce.Unit", on_delete=models.PROTECT, related_name="request_links")
    role = models.CharField(max_length=8, choices=UnitRole.choices)
    is_active = models.BooleanField(default=True)
    assigned_at = models.DateTimeField()

    class Meta:
        verbose_name = _("handling unit")
        verbose_name_plural = _("handling units")
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=Q(role="lead", is_active=True), name="request_one_active_lead"
            ),
        ]
        indexes = [
            # The requests a unit subtree leads (an officer's list, a leader's scope): read from the index alone.
            models.Index(
                fields=["unit", "request"],
                condition=Q(role="lead", is_active=True),
                name="requestunit_lead_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.role} {self.unit_id}"


class RequestEvent(models.Model):
    """One step of a request's timeline, written by the transition service (and intake)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(
        max_length=24, choices=[("intake", _("Intake")), ("link", _("Linked to a matter")), *Action.choices]
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    reason = models.CharField(max_length=1000, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["request_id", "at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.from_status}→{self.to_status}"


class DeadlinePolicy(models.Model):
    """How long a kind of request may take. The most specific matching policy applies: urgency first,
    then channel, then the deepest matching category, then kind; an empty field matches anything."""

    name = models.CharField(_("name"), max_length=120)
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category (and below)"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deadline_policies",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, blank=True)
    amount = models.PositiveIntegerField(_("deadline"))
    unit = models.CharField(
        _("unit"),
        max_length=16,
        choices=[
            ("hours", _("hours")),
            ("working_days", _("working days")),
            ("calendar_days", _("calendar days")),
        ],
    )
    max_extension_days = models.PositiveIntegerField(_("maximum extension (days)"), default=0)
    remind_before_hours = models.PositiveIntegerField(_("remind this many hours before"), default=24)
    escalate_every_hours = models.PositiveIntegerField(
        _("escalate one tier up every (hours overdue)"), default=24
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="deadline_policy_positive")]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount} {self.unit}"


class CalendarDay(models.Model):
    """An exception to the working-day rule: a public holiday, or an adjusted working day (调休)."""

    day = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.day} {'work' if self.is_workday else 'holiday'}"


class AlertKind(models.TextChoices):
    REMINDER = "reminder", _("Deadline approaching")
    ESCALATION = "escalation", _("Overdue: escalated")
    FOLLOW_UP = "follow_up", _("Follow-up overdue")


class ClockAlert(models.Model):
    """A reminder before the deadline or an escalation after it, addressed to a unit; written once."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="clock_alerts")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    tier = models.PositiveSmallIntegerField(default=0)
    unit = models.ForeignKey(
        "workforce.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("clock alert")
        verbose_name_plural = _("clock alerts")
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "tier", "due_at"], name="clock_alert_once")
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind} tier {self.tier}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class FollowUp(models.Model):
    """An independent return call or visit (回访) after resolution, by someone other than the resolver."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="follow_ups")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    mode = models.CharField(
        max_length=16,
        choices=[("phone", _("Phone")), ("visit", _("Visit")), ("message", _("Message"))],
        default="phone",
    )
    reached = models.BooleanField(_("reached"))
    satisfaction = models.CharField(
        _("satisfaction"), max_length=16, choices=Satisfaction.choices, blank=True
    )
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["request_id", "at"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(
                condition=Q(reached=False, satisfaction="") | Q(reached=True) & ~Q(satisfaction=""),
                name="follow_up_satisfaction_iff_reached",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.satisfaction or 'not reached'}"


from .models_catalogue import (  # noqa: E402,F401
    DisputeType,
    FollowUpRule,
    ImportMappingPreset,
    RequestImportJob,
)
from .models_mediation import (  # noqa: E402,F401 - one import path for every casework model
    Agreement,
    Confirmation,
    LitigationHandOff,
    MediationSession,
    Mediator,
    MediatorKind,
    Party,
    PartyRole,
    SessionOutcome,
)
from .models_throttle import ThrottleCounter  # noqa: E402,F401
