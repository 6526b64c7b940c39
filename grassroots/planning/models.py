"""Planning records: rotation rule sets and their plan runs, duty-roster definitions and their runs.

A run is a job row (``SolverJob``): queued by a service, claimed by one worker (``manage.py planning_worker``
or a thread of the web process), its progress and heartbeat written while it solves, its result written in
one transaction at the end. A worker killed half-way leaves the run ``running`` with a stale heartbeat and
nothing else written; the next worker takes it up again.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.common.models import Role
from grassroots.common.scoping import Actor, as_actor, paths_q

from .rotation import model as rotation

# A running job whose heartbeat is older than this is taken to be dead (its worker was killed).
JOB_STALE_AFTER = timedelta(seconds=90)


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Solving")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class SolverJob(models.Model):
    ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)

    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.FloatField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    time_limit = models.PositiveIntegerField(
        _("time limit (seconds)"), default=60, validators=[MinValueValidator(1), MaxValueValidator(3600)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=120, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_stale(self) -> bool:
        beat = self.heartbeat_at or self.started_at or self.created_at
        return self.status == JobStatus.RUNNING and timezone.now() - beat > JOB_STALE_AFTER

    @property
    def percent(self) -> int:
        return round(100 * max(0.0, min(1.0, self.progress)))


# -- rotation -----------------------------------------------------------------------------------------------


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    HALF_YEAR = "half_year", _("Half year")
    YEAR = "year", _("Year")


PERIOD_MONTHS = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.HALF_YEAR: 6, PeriodKind.YEAR: 12}


def _unit_scope(actor: Actor, field: str) -> Q | None:
    """HR and admins: everything (None); leaders: their unit subtree; anyone else: nothing."""
    if actor.is_admin or actor.is_hr:
        return None
    if actor.role == Role.LEADER:
        return paths_q(field, actor.unit_paths)
    return Q(pk__in=[])


class RotationRuleSetQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> RotationRuleSetQuerySet:
        scope = _unit_scope(as_actor(actor), "unit__path")
        return self.all() if scope is None else self.filter(scope)


class RotationRuleSet(models.Model):
    """The rules of a rotation (定期交流) for one unit and its subtree: which rules hold, hard or soft."""

    name = models.CharField(_("name"), max_length=120)
    unit = models.ForeignKey(
        "workforce.Unit", verbose_name=_("unit planned"), on_delete=models.PROTECT, related_name="+"
    )
    period_kind = models.CharField(
        _("period"), max_length=16, choices=PeriodKind.choices, default=PeriodKind.QUARTER
    )
    pool_depth = models.PositiveSmallIntegerField(
        _("rotate within units at depth"),
        null=True,
        blank=True,
        help_text=_(
            "Empty: officers may move anywhere in the unit planned. A depth (0 = the top courts): officers "
            "rotate only within their unit at that depth, and each such unit is planned on its own."
        ),
    )
    history_periods = models.PositiveSmallIntegerField(
        _("periods of history used"), default=12, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = RotationRuleSetQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("rotation rule set")
        verbose_name_plural = _("rotation rule sets")

    def __str__(self) -> str:
        return self.name


class RotationRule(models.Model):
    FAMILY_CHOICES = [
        (rotation.RECRUIT, _("Recruits start at grassroots posts")),
        (rotation.FRONT_LINE, _("Front-line service in every window")),
        (rotation.MIN_STAY, _("Minimum stay in a post")),
        (rotation.MAX_TENURE, _("Maximum tenure in a post")),
        (rotation.STAFFING, _("Staffing of every post")),
        (rotation.MOVE_CAP, _("Moves per period")),
        (rotation.ELIGIBILITY, _("Skills and titles a post requires")),
        (rotation.NO_RETURN, _("No return to a post left recently")),
        (rotation.PREFERENCES, _("Officers' wishes")),
        (rotation.FAIRNESS, _("Fair share of front-line service")),
        (rotation.MOVE_COST, _("Every move has a cost")),
    ]

    rule_set = models.ForeignKey(RotationRuleSet, on_delete=models.CASCADE, related_name="rules")
    family = models.CharField(_("rule"), max_length=32, choices=FAMILY_CHOICES)
    enabled = models.BooleanField(_("on"), default=True)
    hard = models.BooleanField(_("hard"), default=True)
    weight = models.PositiveIntegerField(_("weight"), default=10)
    params = models.JSONField(_("parameters"), default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "family"], name="rotation_rule_once")]

    def __str__(self) -> str:
        return f"{self.rule_set_id}:{self.family}"


class PostProfile(models.Model):
    """What rotation needs to know about a post beyond the workforce record: its type (the look-ahead plans
    by type), whether recruits may serve there, the skills and titles it requires."""

    post = models.OneToOneField("workforce.Post", on_delete=models.CASCADE, related_name="rotation_profile")
    post_type = models.CharField(_("post type"), max_length=40, blank=True)
    grassroots = models.BooleanField(_("grassroots post (recruits may serve)"), default=False)
    required_skills = models.JSONField(_("required skills"), default=list, blank=True)
    allowed_titles = models.JSONField(_("allowed titles (empty: any)"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("post rotation profile")
        verbose_name_plural = _("post rotation profiles")

    def __str__(self) -> str:
        return f"{self.post_id}:{self.post_type}"


class RotationPreference(models.Model):
    """An officer's wish to serve at a post (higher score: wanted more)."""

    officer = models.ForeignKey("workforce.Officer", on_delete=models.CASCADE, related_name="rotation_wishes")
    post = models.ForeignKey("workforce.Post", on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("score"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["officer_id", "-score"]
        constraints = [models.UniqueConstraint(fields=["officer", "post"], name="rotation_wish_once")]

    def __str__(self) -> str:
        return f"{self.officer_id}→{self.post_id}"


class PlanRunQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> PlanRunQuerySet:
        scope = _unit_scope(as_actor(actor), "rule_set__unit__path")
        return self.all() if scope is None else self.filter(scope)


class PlanResult(models.TextChoices):
    OPTIMAL = "OPTIMAL", _("Optimal")
    FEASIBLE = "FEASIBLE", _("Every hard rule holds")
    INFEASIBLE = "INFEASIBLE", _("The rules cannot all hold")
    UNKNOWN = "UNKNOWN", _("No plan within the time limit")


class PlanRun(SolverJob):
    """One run of the rotation planner over ``periods`` periods from ``start``, with its result."""

    rule_set = models.ForeignKey(RotationRuleSet, on_delete=models.PROTECT, related_name="runs")
    start = models.DateField(_("first period starts"))
    periods = models.PositiveSmallIntegerField(
        _("periods"), default=8, validators=[MinValueValidator(1), MaxValueValidator(36)]
    )
    period_kind = models.CharField(_("period"), max_length=16, choices=PeriodKind.choices)
    # The input as solved (officers, posts, history, rules): the result can always be re-checked.
    problem = models.JSONField(default=dict, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=PlanResult.choices, blank=True)
    objective = models.BigIntegerField(_("penalty"), null=True, blank=True)
    plan = models.JSONField(default=dict, blank=True)  # staff number → post code per period
    report = models.JSONField(default=dict, blank=True)  # the checker's report
    explanation = models.JSONField(default=dict, blank=True)
    stats = models.JSONField(default=dict, blank=True)  # rounds, components, times
    moves_count = models.PositiveIntegerField(_("moves"), default=0)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = PlanRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rotation plan run")
        verbose_name_plural = _("rotation plan runs")
        indexes = [models.Index(fields=["status", "created_at"], name="planrun_status_created")]

    def __str__(self) -> str:
        return f"{self.rule_set} #{self.pk}"

    @property
    def checker_ok(self) -> bool:
        return bool(self.report) and bool(self.report.get("ok"))


class PlannedMove(models.Model):
    """An officer moving to another post at the start of a planned period, with the rules that call for it."""

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="moves")
    officer = models.ForeignKey("workforce.Officer", on_delete=models.PROTECT, related_name="+")
    period = models.PositiveSmallIntegerField(_("period"))
    starts = models.DateField(_("from"))
    ends = models.DateField(_("to"))
    from_post = models.ForeignKey(
        "workforce.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_post = models.ForeignKey("workforce.Post", on_delete=models.PROTECT, related_name="+")
    reasons = models.JSONField(default=list, blank=True)  # [{"code": …, "params": {…}}]

    class Meta:
        ordering = ["run_id", "period", "officer_id"]
        indexes = [models.Index(fields=["run", "period"], name="plannedmove_run_period")]

    def __str__(self) -> str:
        return f"{self.officer_id}: {self.from_post_id}→{self.to_post_id} ({self.starts})"


# -- duty roster --------------------------------------------------------------------------------------------


class RosterQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> RosterQuerySet:
        """HR and admins: all; leaders and officers: rosters of units in their unit subtree."""
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(paths_q("unit__path", actor.unit_paths))
        return self.none()


class RosterDefinition(models.Model):
    """A duty roster (值班表) to plan: its days, duties, members and rules."""

    name = models.CharField(_("name"), max_length=120)
    unit = models.ForeignKey(
        "workforce.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    start_date = models.DateField(_("first day"))
    days = models.PositiveSmallIntegerField(
        _("days"), default=28, validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = RosterQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("duty roster")
        verbose_name_plural = _("duty rosters")

    def __str__(self) -> str:
        return self.name

    @property
    def end_date(self):
        return self.start_date + timedelta(days=self.days - 1)


class DutyKind(models.TextChoices):
    RECEPTION = "reception", _("Leader reception day (接待日)")
    FILING_WINDOW = "filing_window", _("Case-filing window (立案窗口)")
    SERVICE_STATION = "service_station", _("Litigation service station (诉讼服务站)")
    LIAISON_POINT = "liaison_point", _("Judge liaison point (法官联络点)")
    ON_CALL = "on_call", _("On call")
    OTHER = "other", _("Other")


class DutyType(models.Model):
    definition = models.ForeignKey(RosterDefinition, on_delete=models.CASCADE, related_name="duty_types")
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=24, choices=DutyKind.choices, default=DutyKind.OTHER)
    minutes = models.PositiveIntegerField(_("length (minutes)"), validators=[MinValueValidator(1)])
    starts_at = models.TimeField(_("starts at"), null=True, blank=True)
    forbidden_next = models.JSONField(_("may not be followed next day by"), default=list, blank=True)

    class Meta:
        ordering = ["definition_id", "id"]
        constraints = [models.UniqueConstraint(fields=["definition", "code"], name="duty_code_once")]

    def __str__(self) -> str:
        return self.name


class RosterMember(models.Model):
    """A member of the roster with the limits that hold for them."""

    definition = models.ForeignKey(RosterDefinition, on_delete=models.CASCADE, related_name="members")
    officer = models.ForeignKey("workforce.Officer", on_delete=models.PROTECT, related_name="+")
    max_total_minutes = models.PositiveIntegerField(_("most minutes in total"))
    min_total_minutes = models.PositiveIntegerField(_("least minutes in total"), default=0)
    max_consecutive_shifts = models.PositiveSmallIntegerField(_("most duties in a row"), default=5)
    min_consecutive_shifts = models.PositiveSmallIntegerField(_("least duties in a row"), default=1)
    min_consecutive_days_off = models.PositiveSmallIntegerField(_("least days off in a row"), default=1)
    max_weekends = models.PositiveSmallIntegerField(_("most weekends worked"), default=4)
    max_shifts = models.JSONField(_("most duties of each type"), default=dict, blank=True)

    class Meta:
        ordering = ["definition_id", "officer__staff_number"]
        constraints = [models.UniqueConstraint(fields=["definition", "officer"], name="roster_member_once")]

    def __str__(self) -> str:
        return f"{self.definition_id}:{self.officer_id}"


class CoverDays(models.TextChoices):
    EVERY_DAY = "every_day", _("Every day")
    WORKING_DAYS = "working_days", _("Working days")
    REST_DAYS = "rest_days", _("Weekends and public holidays")
    DATE = "date", _("One date")


class RosterCover(models.Model):
    """How many members a duty needs on the days chosen: a minimum that must hold and a preferred number."""

    definition = models.ForeignKey(RosterDefinition, on_delete=models.CASCADE, related_name="covers")
    duty = models.ForeignKey(DutyType, on_delete=models.CASCADE, related_name="covers")
    days = models.CharField(
        _("days"), max_length=16, choices=CoverDays.choices, default=CoverDays.WORKING_DAYS
    )
    date = models.DateField(_("date"), null=True, blank=True)
    minimum = models.PositiveSmallIntegerField(_("minimum"), default=0)
    preferred = models.PositiveSmallIntegerField(_("preferred"), default=1)
    under_weight = models.PositiveIntegerField(_("weight per person missing"), default=100)
    over_weight = models.PositiveIntegerField(_("weight per person too many"), default=1)

    class Meta:
        ordering = ["definition_id", "duty_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(preferred__gte=models.F("minimum")), name="cover_min_le_preferred"
            )
        ]

    def __str__(self) -> str:
        return f"{self.duty_id}:{self.days}"


class RosterRequest(models.Model):
    """A member's wish: to have (``on``) or not to have a duty on a day, with its weight."""

    member = models.ForeignKey(RosterMember, on_delete=models.CASCADE, related_name="requests")
    date = models.DateField(_("date"))
    duty = models.ForeignKey(DutyType, on_delete=models.CASCADE, related_name="+")
    on = models.BooleanField(_("wants it"), default=False)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["member_id", "date"]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.date}:{'+' if self.on else '-'}{self.duty_id}"


class RosterDayOff(models.Model):
    member = models.ForeignKey(RosterMember, on_delete=models.CASCADE, related_name="days_off")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        ordering = ["member_id", "date"]
        constraints = [models.UniqueConstraint(fields=["member", "date"], name="roster_day_off_once")]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.date}"


class RosterRunQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> RosterRunQuerySet:
        return self.filter(definition__in=RosterDefinition.objects.visible_to(actor))


class RosterRun(SolverJob):
    definition = models.ForeignKey(RosterDefinition, on_delete=models.PROTECT, related_name="runs")
    # The problem as solved, in the benchmark text format (plus the minimums of cover), for re-checking.
    problem_text = models.TextField(blank=True)
    minimums = models.JSONField(default=dict, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=PlanResult.choices, blank=True)
    objective = models.BigIntegerField(_("penalty"), null=True, blank=True)
    bound = models.FloatField(_("lower bound"), null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    trace = models.JSONField(default=list, blank=True)

    objects = RosterRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("duty roster run")
        verbose_name_plural = _("duty roster runs")
        indexes = [models.Index(fields=["status", "created_at"], name="rosterrun_status_created")]

    def __str__(self) -> str:
        return f"{self.definition} #{self.pk}"


class RosterAssignment(models.Model):
    """One duty of one member on one day, in a stored roster."""

    run = models.ForeignKey(RosterRun, on_delete=models.CASCADE, related_name="assignments")
    officer = models.ForeignKey("workforce.Officer", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    duty = models.ForeignKey(DutyType, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["run_id", "date", "duty_id", "officer_id"]
        indexes = [models.Index(fields=["run", "date"], name="rosterassignment_run_date")]
        constraints = [models.UniqueConstraint(fields=["run", "officer", "date"], name="one_duty_a_day")]

    def __str__(self) -> str:
        return f"{self.officer_id}:{self.date}:{self.duty_id}"
