"""Workforce: units (a court and its tribunals, or a city office and its departments), posts, officers
and the assignment history that says who held which post when."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, as_actor, paths_q


class UnitKind(models.TextChoices):
    COURT = "court", _("Court")
    TRIBUNAL = "tribunal", _("People's tribunal")
    FILING_CENTRE = "filing_centre", _("Case-filing centre")
    PETITION_RECEPTION = "petition_reception", _("Petition reception")
    DEPARTMENT = "department", _("Department")
    POLITICAL_DEPARTMENT = "political_department", _("Political / HR department")
    GOVERNMENT_OFFICE = "government_office", _("Government office")
    STREET_OFFICE = "street_office", _("Township / street office")
    SERVICE_CENTRE = "service_centre", _("Service centre")
    OTHER = "other", _("Other")


class UnitQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> UnitQuerySet:
        """HR and admins see every unit; officers and leaders their unit subtree; residents none."""
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(paths_q("path", actor.unit_paths))
        return self.none()


class Unit(models.Model):
    """A unit (部门/法庭): a tree via ``parent``; ``region`` is its jurisdiction."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    region = models.ForeignKey(
        "territory.Region",
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [models.Index(fields=["path"], name="unit_path_like", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


class PostQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> PostQuerySet:
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(paths_q("unit__path", actor.unit_paths))
        return self.none()


class Post(models.Model):
    """A post (岗位) in a unit: front-line (high contact) or not, with a difficulty weight and staffing."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="posts")
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    is_front_line = models.BooleanField(_("front-line (high contact)"), default=False)
    is_leadership = models.BooleanField(_("leadership post"), default=False)
    difficulty_weight = models.DecimalField(_("difficulty weight"), max_digits=4, decimal_places=2, default=1)
    min_staff = models.PositiveSmallIntegerField(_("minimum staff"), default=0)
    max_staff = models.PositiveSmallIntegerField(_("maximum staff"), default=1)
    is_active = models.BooleanField(_("active"), default=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["unit__path", "code"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_staff__gte=models.F("min_staff")), name="post_staff_range"
            ),
            models.CheckConstraint(condition=Q(difficulty_weight__gt=0), name="post_difficulty_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} · {self.name}"


class OfficerQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> OfficerQuerySet:
        """HR and admins: all. Officers and leaders: officers currently serving in their unit subtree,
        and themselves. Residents: none."""
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.is_staff_officer:
            today = timezone.localdate()
            serving = Assignment.objects.current(today).filter(paths_q("post__unit__path", actor.unit_paths))
            own = Q(id=actor.officer.id) if actor.officer else Q(pk__in=[])
            return self.filter(Q(id__in=serving.values("officer_id")) | own)
        return self.none()


class Officer(models.Model):
    """An officer (干警 / 网格员 / mediator) with a linked user account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="officer",
    )
    staff_number = models.CharField(_("staff number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    gender = models.CharField(
        _("gender"), max_length=8, choices=[("male", _("Male")), ("female", _("Female"))], blank=True
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    hire_date = models.DateField(_("hire date"))
    title = models.CharField(_("title / rank"), max_length=60, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    work_phone = models.CharField(_("work phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    objects = OfficerQuerySet.as_manager()

    class Meta:
        ordering = ["staff_number"]
        verbose_name = _("officer")
        verbose_name_plural = _("officers")

    def __str__(self) -> str:
        return self.name

    def is_recruit_on(self, day: date) -> bool:
        """New recruit (新招录人员): hired within RECRUIT_PERIOD_MONTHS before ``day``."""
        return self.hire_date > day - relativedelta(months=settings.RECRUIT_PERIOD_MONTHS)

    @property
    def is_recruit(self) -> bool:
        return self.is_recruit_on(timezone.localdate())

    def current_unit_ids(self, day: date | None = None) -> list[int]:
        day = day or timezone.localdate()
        return list(
            Assignment.objects.current(day).filter(officer=self).values_list("post__unit_id", flat=True)
        )


class AssignmentKind(models.TextChoices):
    ACTUAL = "actual", _("Served")
    PLANNED = "planned", _("Planned")


class AssignmentQuerySet(models.QuerySet):
    def current(self, day: date | None = None) -> AssignmentQuerySet:
        day = day or timezone.localdate()
        return self.filter(kind=AssignmentKind.ACTUAL, start__lte=day).filter(
            Q(end__isnull=True) | Q(end__gte=day)
        )

    def visible_to(self, actor: Actor | object) -> AssignmentQuerySet:
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(officer__in=Officer.objects.visible_to(actor))
        return self.none()


class Assignment(models.Model):
    """An officer holding a post from ``start`` to ``end`` (inclusive; open-ended while current)."""

    officer = models.ForeignKey(
        Officer, verbose_name=_("officer"), on_delete=models.PROTECT, related_name="assignments"
    )
    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.PROTECT, related_name="assignments"
    )
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=AssignmentKind.choices, default=AssignmentKind.ACTUAL
    )
    note = models.CharField(_("note"), max_length=255, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["officer_id", "start"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="assignment_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["officer", "start"], name="assignment_officer_start"),
            models.Index(fields=["post", "start"], name="assignment_post_start"),
        ]

    def __str__(self) -> str:
        return f"{self.officer} @ {self.post} ({self.start}–{self.end or ''})"
