"""The one scoping primitive.

``Actor`` is what the platform knows about who is asking: role, officer record, and the unit and region
subtrees their scope comes from. Each scoped model's queryset has ``visible_to(actor)``, built from these
facts; ``get_visible_or_404`` answers 404 for an object outside scope exactly as for a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.http import Http404

from .models import Role

if TYPE_CHECKING:
    from grassroots.workforce.models import Officer


@dataclass
class Actor:
    user: Any
    role: str
    officer: Officer | None = None
    # Materialised paths: an object is in scope when its path starts with one of these.
    unit_paths: tuple[str, ...] = ()
    region_paths: tuple[str, ...] = ()
    grid_ids: tuple[int, ...] = ()
    # The counties (or tree roots, where a deployment has no county level) of region_paths.
    county_paths: tuple[str, ...] = ()
    resident_id: int | None = None
    household_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_hr(self) -> bool:
        return self.role == Role.HR

    @property
    def is_staff_officer(self) -> bool:
        """Officer or unit leader: scoped by unit and region."""
        return self.role in (Role.OFFICER, Role.LEADER)

    @property
    def may_see_personal_data(self) -> bool:
        return self.role in (Role.ADMIN, Role.OFFICER, Role.LEADER)

    @property
    def pk(self) -> Any:
        return getattr(self.user, "pk", None)


ANONYMOUS = Actor(user=None, role="anonymous")


def paths_q(field_name: str, paths: tuple[str, ...]) -> Q:
    """Q matching rows whose materialised path lies under any of ``paths`` (nothing when empty)."""
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(**{f"{field_name}__startswith": path})
    return query


def actor_for(user: Any) -> Actor:
    """Build (and cache on the user object) the Actor for a user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_grassroots_actor", None)
    if cached is not None:
        return cached
    actor = _build_actor(user)
    user._grassroots_actor = actor
    return actor


def _build_actor(user: Any) -> Actor:
    from grassroots.territory.models import Grid, Resident
    from grassroots.workforce.models import Officer, Unit

    role = Role.ADMIN if user.is_superuser else user.role
    if role == Role.ADMIN:
        return Actor(user=user, role=Role.ADMIN)
    if role == Role.HR:
        return Actor(user=user, role=Role.HR)
    if role == Role.RESIDENT:
        resident = Resident.objects.filter(user=user).only("id", "household_id").first()
        return Actor(
            user=user,
            role=Role.RESIDENT,
            resident_id=resident.id if resident else None,
            household_id=resident.household_id if resident else None,
        )
    officer = Officer.objects.filter(user=user).first()
    if officer is None:
        return Actor(user=user, role=role)
    units = list(Unit.objects.filter(pk__in=officer.current_unit_ids()).select_related("region"))
    unit_paths = tuple(sorted({u.path for u in units}))
    # A leader's region scope is the jurisdiction of every unit in the subtree they lead.
    scope_units = (
        Unit.objects.filter(paths_q("path", unit_paths)).select_related("region") if unit_paths else []
    )
    region_paths = tuple(sorted({u.region.path for u in scope_units if u.region_id}))
    grid_ids = tuple(Grid.objects.filter(officer=officer).values_list("id", flat=True))
    region_paths = _collapse(region_paths)
    return Actor(
        user=user,
        role=role,
        officer=officer,
        unit_paths=unit_paths,
        region_paths=region_paths,
        grid_ids=grid_ids,
        county_paths=_county_paths(region_paths),
    )


def _county_paths(region_paths: tuple[str, ...]) -> tuple[str, ...]:
    from grassroots.territory.models import Region, RegionLevel

    codes = {code for path in region_paths for code in path.split("/") if code}
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes).only("code", "level", "path")}
    counties = set()
    for path in region_paths:
        chain = [by_code[c] for c in path.split("/") if c in by_code]
        county = next((r for r in chain if r.level == RegionLevel.COUNTY), None)
        counties.add((county or chain[0]).path if chain else path)
    return _collapse(tuple(counties))


def _collapse(paths: tuple[str, ...]) -> tuple[str, ...]:
    """Drop paths already covered by an ancestor path (fewer OR branches in every query)."""
    kept: list[str] = []
    for path in sorted(paths):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(kept)


def as_actor(actor_or_user: Actor | Any) -> Actor:
    return actor_or_user if isinstance(actor_or_user, Actor) else actor_for(actor_or_user)


def get_visible_or_404(queryset: models.QuerySet, **lookup: Any) -> Any:
    """Fetch from an already-scoped queryset; out of scope is indistinguishable from missing."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
