"""Reads of territory, already scoped to the actor and joined for the page or endpoint that uses them."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from grassroots.common.scoping import Actor, as_actor, get_visible_or_404

from .models import CareTag, Grid, Household, Organization, Region, Resident


def region_list(
    *, actor: Actor | Any, parent_code: str | None = None, level: int | None = None
) -> QuerySet[Region]:
    qs = Region.objects.visible_to(actor).select_related("parent")
    if parent_code:
        qs = qs.filter(parent__code=parent_code)
    if level:
        qs = qs.filter(level=level)
    return qs


def grid_list(*, actor: Actor | Any, region_code: str | None = None) -> QuerySet[Grid]:
    qs = Grid.objects.visible_to(actor).select_related("region", "officer")
    if region_code:
        qs = qs.filter(region__path__contains=f"{region_code}/")
    return qs


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
        qs = qs.filter(region__path__contains=f"{region_code}/")
    if search:
        qs = qs.filter(name__icontains=search)
    return qs
