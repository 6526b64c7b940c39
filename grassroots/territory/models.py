"""Territory: the region tree, grids, households, residents and organisations.

Every large table carries ``county`` (the county-level ancestor) so that a province can be distributed by
county (Citus) without changing the schema.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grassroots.common.scoping import Actor, as_actor, paths_q


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    PREFECTURE = 2, _("Prefecture / city")
    COUNTY = 3, _("County / district")
    TOWNSHIP = 4, _("Township / street")
    VILLAGE = 5, _("Village / community")


class RegionQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> RegionQuerySet:
        """Staff see the regions of their county (or counties); HR and admins see all; residents none."""
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(county_scope_q(actor, "path"))
        return self.none()


def county_scope_q(actor: Actor, path_field: str) -> Q:
    """Rows within the counties the actor's regions belong to (non-personal reference data)."""
    return paths_q(path_field, actor.county_paths)


class Region(models.Model):
    """An administrative division (行政区划) with its official code; a tree via ``parent`` and ``path``."""

    code = models.CharField(_("official code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "code/code/…/code/": prefix match selects a subtree.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    is_urban = models.BooleanField(_("urban (street/community)"), default=False)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [models.Index(fields=["path"], name="region_path_like", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def ancestor_codes(self) -> list[str]:
        return [p for p in self.path.split("/") if p]


class GridQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> GridQuerySet:
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(county_scope_q(actor, "region__path") | Q(id__in=actor.grid_ids))
        return self.none()


class Grid(models.Model):
    """The smallest management cell (网格) inside a village or community, with its grid officer."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("village / community"), on_delete=models.PROTECT, related_name="grids"
    )
    county = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(
        "workforce.Officer",
        verbose_name=_("grid officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grids",
    )

    objects = GridQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")

    def __str__(self) -> str:
        return self.name


class CareTag(models.Model):
    """A care tag (关爱标签) such as 低保, 特困, 独居老人; configurable per deployment."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("care tag")
        verbose_name_plural = _("care tags")

    def __str__(self) -> str:
        return self.name


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> HouseholdQuerySet:
        """Officers: households in their units' regions or their grids. Leaders: their unit subtree's
        regions. HR: none (workforce only). Residents: their own household."""
        actor = as_actor(actor)
        if actor.is_admin:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(paths_q("region__path", actor.region_paths) | Q(grid_id__in=actor.grid_ids))
        if actor.household_id:
            return self.filter(id=actor.household_id)
        return self.none()


class Household(models.Model):
    """A household (户) with its place and care tags."""

    number = models.CharField(_("household number"), max_length=32, unique=True)
    region = models.ForeignKey(
        Region, verbose_name=_("village / community"), on_delete=models.PROTECT, related_name="households"
    )
    county = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )
    address = models.CharField(_("address"), max_length=255)
    care_tags = models.ManyToManyField(
        CareTag, verbose_name=_("care tags"), blank=True, related_name="households"
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Optimistic concurrency: every update must name the version it read.
    version = models.PositiveIntegerField(default=1)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [models.Index(fields=["county", "region"], name="household_county_region")]

    def __str__(self) -> str:
        return self.number


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other")


class ResidentQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> ResidentQuerySet:
        actor = as_actor(actor)
        if actor.is_admin:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(
                paths_q("household__region__path", actor.region_paths)
                | Q(household__grid_id__in=actor.grid_ids)
            )
        if actor.resident_id:
            return self.filter(household_id=actor.household_id)
        return self.none()


class Resident(models.Model):
    """A person served. ID and phone numbers are stored encrypted, with a keyed hash and a masked form."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="residents"
    )
    county = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    relationship = models.CharField(
        _("relationship to head"), max_length=16, choices=Relationship.choices, default=Relationship.OTHER
    )
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=24, blank=True, editable=False)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=24, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("public account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        ordering = ["household_id", "id"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"], condition=~Q(id_number_hash=""), name="resident_unique_id_number"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrganizationKind(models.TextChoices):
    AGENCY = "agency", _("Government agency")
    ENTERPRISE = "enterprise", _("Enterprise")
    SCHOOL = "school", _("School")
    VILLAGE_COMMITTEE = "village_committee", _("Village / community committee")
    SOCIAL_ORGANISATION = "social_org", _("Social organisation")


class OrganizationQuerySet(models.QuerySet):
    def visible_to(self, actor: Actor | object) -> OrganizationQuerySet:
        actor = as_actor(actor)
        if actor.is_admin or actor.is_hr:
            return self.all()
        if actor.is_staff_officer:
            return self.filter(county_scope_q(actor, "region__path"))
        return self.none()


class Organization(models.Model):
    """An organisation (单位) served: agency, enterprise, school, village committee, social organisation."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="organizations"
    )
    county = models.ForeignKey(Region, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("public phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Checking the file")
    VALIDATED = "validated", _("Checked: ready to import")
    REJECTED = "rejected", _("Rejected: the file has errors")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One upload of a register file through the pages: its dry-run report, then its import.

    The rows themselves are written by ``register_import`` in one transaction, so a job whose worker dies
    leaves the registers unchanged; ``heartbeat_at`` tells a live job from a dead one, which can be re-run.
    """

    RUNNING = (ImportJobStatus.QUEUED, ImportJobStatus.VALIDATING, ImportJobStatus.IMPORTING)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="register_import_jobs",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=255)
    stored_path = models.CharField(max_length=500, editable=False)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows (estimate)"), default=0)
    rows_processed = models.PositiveIntegerField(_("rows processed"), default=0)
    phase = models.CharField(_("phase"), max_length=16, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last report: counts, created numbers and errors (capped; ``error_count`` has the total).
    report = models.JSONField(default=dict, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"
