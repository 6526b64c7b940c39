"""Outreach: lasting contact between officers and the people they serve.

Liaisons say who is in contact with whom (联系农户, 法制副职, 法官进网格), with history; visit rules say how
often; visits and outreach events record what was done. Coverage is computed from these by set-based queries
(``coverage.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from grassroots.common.scoping import Actor, as_actor, paths_q


class LiaisonKind(models.TextChoices):
    HOUSEHOLD = "household", _("Household contact (联系农户)")
    ORGANIZATION = "organization", _("Legal vice-head (法制副职)")
    GRID = "grid", _("Grid liaison (法官进网格)")


def liaison_scope(queryset: models.QuerySet, actor: Actor | object) -> models.QuerySet:
    """Rows placed by a village (``region``), a ``grid`` and an ``officer``: administrators see all;
    officers and leaders the rows in their regions or grids, and their own; HR and residents none (a
    household liaison names a household). Liaisons, their duties and their counts share it."""
    actor = as_actor(actor)
    if actor.is_admin:
        return queryset.all()
    if actor.is_staff_officer:
        own = Q(officer_id=actor.officer.id) if actor.officer else Q(pk__in=[])
        return queryset.filter(
            paths_q("region__path", actor.region_paths) | Q(grid_id__in=actor.grid_ids) | own
        )
    return queryset.none()


class LiaisonQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> LiaisonQuerySet:
        return liaison_scope(self, actor)

    def active_on(self, day) -> LiaisonQuerySet:
        return self.filter(start__lte=day).filter(Q(end__isnull=True) | Q(end__gte=day))


class Liaison(models.Model):
    """An officer's lasting contact with one household, organisation or grid, from ``start`` to ``end``.

    Ending a liaison keeps the row (history); ``region`` and ``grid`` are copied from the target when the
    liaison starts so that scope and coverage group by plain columns."""

    # Foreign keys led by a composite index below carry no index of their own.
    officer = models.ForeignKey(
        "workforce.Officer",
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        related_name="liaisons",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LiaisonKind.choices)
    household = models.ForeignKey(
        "territory.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaisons",
        db_index=False,
    )
    organization = models.ForeignKey(
        "territory.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaisons",
        db_index=False,
    )
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaisons",
    )
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    county = models.ForeignKey(
        "territory.Region",
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    duties = models.CharField(_("duties"), max_length=300, blank=True)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = LiaisonQuerySet.as_manager()

    class Meta:
        ordering = ["officer_id", "kind", "id"]
        verbose_name = _("liaison")
        verbose_name_plural = _("liaisons")
        indexes = [
            models.Index(fields=["officer", "end"], name="liaison_officer_end"),
            models.Index(fields=["household", "officer"], name="liaison_household_officer"),
            models.Index(fields=["organization", "officer"], name="liaison_org_officer"),
            models.Index(fields=["county", "region"], name="liaison_county_region"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="household", household__isnull=False, organization__isnull=True)
                    | Q(kind="organization", organization__isnull=False, household__isnull=True)
                    | Q(kind="grid", grid__isnull=False, household__isnull=True, organization__isnull=True)
                ),
                name="liaison_target_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="liaison_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.officer_id} {self.kind} {self.target_label}"

    @property
    def target(self):
        return self.household or self.organization or self.grid

    @property
    def target_label(self) -> str:
        target = self.target
        if self.household_id and target is not None:
            return f"{target.number} {target.address}"
        return str(target) if target is not None else ""


class RuleTarget(models.TextChoices):
    HOUSEHOLD = "household", pgettext_lazy("visit rule target", "Households")
    ORGANIZATION = "organization", pgettext_lazy("visit rule target", "Organisations")


class HouseholdArea(models.TextChoices):
    """The household type a rule may be limited to: where it lives (the village's ``is_urban``)."""

    ANY = "", _("Any household")
    URBAN = "urban", _("Urban (street / community)")
    RURAL = "rural", _("Rural (village)")


class VisitRule(models.Model):
    """How often a liaison must visit: for households with a care tag (or any household), for organisations
    of a kind (or any). Where several rules match, the shortest interval applies."""

    name = models.CharField(_("name"), max_length=120)
    applies_to = models.CharField(_("applies to"), max_length=16, choices=RuleTarget.choices)
    care_tag = models.ForeignKey(
        "territory.CareTag",
        verbose_name=_("care tag"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Households only; empty: every household."),
    )
    household_area = models.CharField(
        _("household type"),
        max_length=8,
        choices=HouseholdArea.choices,
        blank=True,
        default=HouseholdArea.ANY,
        help_text=_("Households only: urban or rural households; empty: both."),
    )
    organization_kind = models.CharField(
        _("organisation kind"),
        max_length=32,
        blank=True,
        help_text=_("Organisations only; empty: every organisation."),
    )
    county = models.ForeignKey(
        "territory.Region",
        verbose_name=_("county"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: everywhere."),
    )
    interval_days = models.PositiveSmallIntegerField(_("interval (days)"))
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["applies_to", "interval_days", "name"]
        verbose_name = _("visit rule")
        verbose_name_plural = _("visit rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_days__gte=1, interval_days__lte=366), name="visit_rule_interval_range"
            ),
            models.CheckConstraint(
                condition=Q(applies_to="household", organization_kind="")
                | Q(applies_to="organization", care_tag__isnull=True, household_area=""),
                name="visit_rule_fields_match_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.interval_days}d)"


class VisitMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")


class VisitQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> VisitQuerySet:
        """Officers and leaders: visits in their regions or grids, and their own. HR and residents: none."""
        actor = as_actor(actor)
        if actor.is_admin:
            return self.all()
        if actor.is_staff_officer:
            own = Q(officer_id=actor.officer.id) if actor.officer else Q(pk__in=[])
            return self.filter(
                paths_q("region__path", actor.region_paths) | Q(household__grid_id__in=actor.grid_ids) | own
            )
        return self.none()


class Visit(models.Model):
    """A visit (走访) by an officer to a household or an organisation: in person, by phone or by video."""

    # The largest table (≈10M rows a year for a city): the officer, household and organisation keys are
    # served by the (target, officer, day) and (officer, day) indexes, without indexes of their own.
    officer = models.ForeignKey(
        "workforce.Officer",
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    household = models.ForeignKey(
        "territory.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    organization = models.ForeignKey(
        "territory.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        db_index=False,
    )
    region = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("date"))
    visited_at = models.DateTimeField(_("when"))
    mode = models.CharField(_("mode"), max_length=16, choices=VisitMode.choices, default=VisitMode.IN_PERSON)
    met_resident = models.ForeignKey(
        "territory.Resident",
        verbose_name=_("resident met"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    met = models.CharField(_("who was met"), max_length=200, blank=True)
    summary = models.TextField(_("summary"))
    needs = models.TextField(_("needs found"), blank=True)
    requests = models.ManyToManyField(
        "casework.Request", verbose_name=_("requests raised"), blank=True, related_name="outreach_visits"
    )
    client_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["household", "officer", "visited_on"], name="visit_household_officer_day"),
            models.Index(fields=["organization", "officer", "visited_on"], name="visit_org_officer_day"),
            models.Index(fields=["officer", "visited_on"], name="visit_officer_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(household__isnull=False, organization__isnull=True)
                | Q(household__isnull=True, organization__isnull=False),
                name="visit_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.officer_id}"


class EventKind(models.TextChoices):
    LAW_TO_DOOR = "law_to_door", _("Law to the door (送法上门)")
    CIRCUIT_TRIAL = "circuit_trial", _("Circuit trial (巡回审判)")
    LEGAL_PUBLICITY = "legal_publicity", _("Legal publicity (法治宣传)")
    ONSITE_MEDIATION = "onsite_mediation", _("On-site mediation (现场调解)")
    RECEPTION_DAY = "reception_day", _("Reception day (接待日)")
    SERVICE_STATION = "service_station", _("Litigation service station day (诉讼服务站)")


class EventStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class EventQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> EventQuerySet:
        """Staff: events in their county or with them among the officers. HR: all (no residents' data).
        Residents: none."""
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.is_staff_officer:
            own = Q(officers=actor.officer) if actor.officer else Q(pk__in=[])
            return self.filter(
                Q(
                    id__in=self.model.objects.filter(
                        paths_q("region__path", actor.county_paths) | own
                    ).values("id")
                )
            )
        return self.none()


class OutreachEvent(models.Model):
    """An outreach day: 送法上门, 巡回审判, 法治宣传, 现场调解, 接待日, 诉讼服务站."""

    kind = models.CharField(_("kind"), max_length=24, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=EventStatus.choices, default=EventStatus.PLANNED
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    region = models.ForeignKey(
        "territory.Region", verbose_name=_("place"), on_delete=models.PROTECT, related_name="outreach_events"
    )
    county = models.ForeignKey("territory.Region", on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        "territory.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outreach_events",
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    unit = models.ForeignKey(
        "workforce.Unit",
        verbose_name=_("organising unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    officers = models.ManyToManyField(
        "workforce.Officer", verbose_name=_("officers"), related_name="outreach_events"
    )
    attendance = models.PositiveIntegerField(_("attendance"), null=True, blank=True)
    topics = models.CharField(_("topics"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    requests = models.ManyToManyField(
        "casework.Request",
        verbose_name=_("cases heard or mediated"),
        blank=True,
        related_name="outreach_events",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("outreach event")
        verbose_name_plural = _("outreach events")
        indexes = [models.Index(fields=["county", "starts_at"], name="event_county_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


def photo_path(instance: Photo, filename: str) -> str:
    return f"outreach/{instance.uploaded_at:%Y/%m}/{instance.token}{instance.extension}"


class Photo(models.Model):
    """A photo of a visit or an event, or an officer's notice-board portrait. Stored under MEDIA_ROOT and
    served only through a scoped view; a portrait is public only once its officer published the board."""

    visit = models.ForeignKey(Visit, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(
        OutreachEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField(upload_to=photo_path, max_length=200)
    token = models.CharField(max_length=32, unique=True, editable=False)
    extension = models.CharField(max_length=8, editable=False)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.token


class NoticeBoard(models.Model):
    """An officer's village notice board (公示牌): portrait, name, public phone and duties."""

    officer = models.OneToOneField(
        "workforce.Officer", verbose_name=_("officer"), on_delete=models.CASCADE, related_name="notice_board"
    )
    photo = models.ForeignKey(Photo, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    public_phone = models.CharField(_("public phone"), max_length=32, blank=True)
    duties = models.TextField(_("duties"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("notice board")
        verbose_name_plural = _("notice boards")

    def __str__(self) -> str:
        return str(self.officer)


from .models_duty import (  # noqa: E402,F401 - one import path
    CoverageCount,
    DutyGeneration,
    LiaisonImportJob,
    VisitDuty,
)
