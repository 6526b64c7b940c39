"""Reads of territory, already scoped to the actor and joined for the page or endpoint that uses them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from grassroots.common.scoping import Actor, as_actor, get_visible_or_404, paths_q

from .models import CareTag, Grid, Household, Organization, Region, RegionLevel, Resident


def region_list(
    *, actor: Actor | Any, parent_code: str | None = None, level: int | None = None
) -> QuerySet[Region]:
    qs = Region.objects.visible_to(actor).select_related("parent")
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    if level:
        qs = qs.filter(level=level)
    return qs


def region_subtree_q(field: str, code: str) -> Q:
    """Rows whose region path (``field``) lies in the subtree of the region with this code.

    Paths are "code/code/…/", so the code must match a whole segment: a code that is only the tail of
    another code ("225" of "410225") matches nothing.
    """
    return Q(**{f"{field}__startswith": f"{code}/"}) | Q(**{f"{field}__contains": f"/{code}/"})


def region_get(*, actor: Actor | Any, pk: Any) -> Region:
    return get_visible_or_404(Region.objects.visible_to(actor).select_related("parent"), pk=pk)


def grid_list(*, actor: Actor | Any, region_code: str | None = None) -> QuerySet[Grid]:
    qs = Grid.objects.visible_to(actor).select_related("region", "officer")
    if region_code:
        qs = qs.filter(region_subtree_q("region__path", region_code))
    return qs


def grid_get(*, actor: Actor | Any, pk: Any) -> Grid:
    return get_visible_or_404(grid_list(actor=actor), pk=pk)


def care_tag_list() -> QuerySet[CareTag]:
    """Care tags are deployment-wide reference data, the same for everyone."""
    return CareTag.objects.order_by("sort_order", "code")


def household_list(
    *,
    actor: Actor | Any,
    region_code: str | None = None,
    grid_code: str | None = None,
    care_tag: str | None = None,
    search: str | None = None,
    active: bool | None = True,
) -> QuerySet[Household]:
    actor = as_actor(actor)
    qs = Household.objects.visible_to(actor)
    if region_code:
        region = Region.objects.filter(code=region_code).only("path").first()
        qs = qs.filter(region__path__startswith=region.path) if region else qs.none()
    if grid_code:
        qs = qs.filter(grid__code=grid_code)
    if care_tag:
        qs = qs.filter(care_tags__code=care_tag)
    if search:
        qs = qs.filter(Q(number__icontains=search) | Q(address__icontains=search))
    if active is not None:
        qs = qs.filter(is_active=active)
    return (
        qs.select_related("region", "grid", "county")
        .prefetch_related(Prefetch("care_tags", queryset=CareTag.objects.order_by("sort_order")))
        .annotate(member_count=Count("residents", filter=Q(residents__is_active=True)))
        .order_by("number")
    )


def household_get(*, actor: Actor | Any, pk: Any) -> Household:
    qs = (
        Household.objects.visible_to(actor)
        .select_related("region", "region__parent", "grid", "grid__officer", "county")
        .prefetch_related("care_tags", Prefetch("residents", queryset=Resident.objects.order_by("id")))
    )
    return get_visible_or_404(qs, pk=pk)


def resident_list(
    *,
    actor: Actor | Any,
    household_id: int | None = None,
    search: str | None = None,
    id_number_hash: str | None = None,
) -> QuerySet[Resident]:
    qs = Resident.objects.visible_to(actor).select_related("household", "household__region")
    if household_id:
        qs = qs.filter(household_id=household_id)
    if search:
        qs = qs.filter(name__icontains=search)
    if id_number_hash:
        qs = qs.filter(id_number_hash=id_number_hash)
    return qs.order_by("household_id", "id")


def resident_get(*, actor: Actor | Any, pk: Any) -> Resident:
    return get_visible_or_404(
        Resident.objects.visible_to(actor).select_related("household", "household__region"), pk=pk
    )


def organization_list(
    *, actor: Actor | Any, kind: str | None = None, region_code: str | None = None, search: str | None = None
) -> QuerySet[Organization]:
    qs = Organization.objects.visible_to(actor).select_related("region")
    if kind:
        qs = qs.filter(kind=kind)
    if region_code:
        qs = qs.filter(region_subtree_q("region__path", region_code))
    if search:
        qs = qs.filter(name__icontains=search)
    return qs


def organization_get(*, actor: Actor | Any, pk: Any) -> Organization:
    return get_visible_or_404(organization_list(actor=actor), pk=pk)


def territory_totals(*, actor: Actor | Any) -> dict[str, int]:
    """Counts of the active households and residents (and the reference data) the actor may see."""
    return {
        "households": Household.objects.visible_to(actor).filter(is_active=True).count(),
        "residents": Resident.objects.visible_to(actor).filter(is_active=True).count(),
        "grids": Grid.objects.visible_to(actor).count(),
        "regions": Region.objects.visible_to(actor).count(),
        "organizations": Organization.objects.visible_to(actor).filter(is_active=True).count(),
    }


def household_care_tag_counts(*, actor: Actor | Any) -> list[tuple[CareTag, int]]:
    """Every care tag with the number of active households in scope that carry it (zeros included)."""
    through = Household.care_tags.through
    counts = dict(
        through.objects.filter(household__in=Household.objects.visible_to(actor).filter(is_active=True))
        .values("caretag_id")
        .annotate(n=Count("id"))
        .values_list("caretag_id", "n")
    )
    return [(tag, counts.get(tag.id, 0)) for tag in CareTag.objects.order_by("sort_order", "code")]


@dataclass(frozen=True)
class TownshipCount:
    code: str
    name: str
    households: int


def household_counts_by_township(*, actor: Actor | Any) -> list[TownshipCount]:
    """Active households in scope grouped by the township (the parent of their village)."""
    rows = (
        Household.objects.visible_to(actor)
        .filter(is_active=True)
        .values("region__parent__code", "region__parent__name")
        .annotate(n=Count("id"))
        .order_by("region__parent__code")
    )
    return [
        TownshipCount(
            code=r["region__parent__code"] or "", name=r["region__parent__name"] or "", households=r["n"]
        )
        for r in rows
    ]


def household_region_choices(*, actor: Actor | Any, selected_code: str | None = None) -> list[Region]:
    """Regions to filter the household list by: the counties and townships of the actor's household scope,
    and the villages of the township that is selected (or that holds the selected village)."""
    actor = as_actor(actor)
    if not (actor.is_admin or actor.is_staff_officer):
        return []
    qs = Region.objects.visible_to(actor)
    if actor.is_staff_officer:
        grid_villages = Grid.objects.filter(id__in=actor.grid_ids).values("region_id")
        grid_townships = Region.objects.filter(id__in=grid_villages).values("parent_id")
        qs = qs.filter(
            paths_q("path", actor.region_paths) | Q(id__in=grid_villages) | Q(id__in=grid_townships)
        )
    township_code = None
    if selected_code:
        selected = Region.objects.filter(code=selected_code).select_related("parent").first()
        if selected is not None and selected.level == RegionLevel.TOWNSHIP:
            township_code = selected.code
        elif selected is not None and selected.level == RegionLevel.VILLAGE and selected.parent:
            township_code = selected.parent.code
    wanted = Q(level__in=(RegionLevel.COUNTY, RegionLevel.TOWNSHIP))
    if township_code:
        wanted |= Q(level=RegionLevel.VILLAGE, parent__code=township_code)
    return list(qs.filter(wanted).order_by("path"))


def grid_choices(
    *, actor: Actor | Any, region_code: str | None = None, selected_code: str | None = None
) -> list[Grid]:
    """Grids to filter the household list by: those of the selected region, else the actor's own grids
    (the selected grid is always included so that the form shows it)."""
    actor = as_actor(actor)
    qs = Grid.objects.visible_to(actor)
    wanted = Q(id__in=actor.grid_ids)
    if region_code:
        region = Region.objects.filter(code=region_code).only("path").first()
        if region is not None:
            wanted |= Q(region__path__startswith=region.path)
    if selected_code:
        wanted |= Q(code=selected_code)
    return list(qs.filter(wanted).order_by("code")[:500])


def region_ancestors(*, region: Region) -> list[Region]:
    """The region and its ancestors, root first (one query)."""
    by_code = {r.code: r for r in Region.objects.filter(code__in=region.ancestor_codes())}
    return [by_code[code] for code in region.ancestor_codes() if code in by_code]
