"""Export of the household/resident register as .xlsx, in the columns the importer reads.

ID and phone numbers are masked unless the caller asks for a full-detail export, which only roles that may
see personal data get and which is written to the audit log as a view of unmasked data before any row is
produced. Households are read in keyset-paginated chunks (three queries per chunk) and the workbook is
written in openpyxl's streaming mode, so a county-sized register does not sit in memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet
from openpyxl import Workbook

from grassroots.common.audit import audit_record
from grassroots.common.errors import Forbidden, NotFound
from grassroots.common.protected import decrypt
from grassroots.common.scoping import Actor, as_actor

from .importing import COLUMNS, RELATIONSHIP_LABELS_ZH
from .models import Household, Region, Resident

EXPORT_BATCH = 2000


@dataclass(frozen=True)
class ExportSummary:
    households: int
    residents: int
    unmasked: bool


def register_export_allowed(actor: Actor | Any) -> bool:
    """Staff who work with households (officers, leaders, admins) export; HR and residents never do."""
    actor = as_actor(actor)
    return actor.is_admin or actor.is_staff_officer


def register_export_queryset(
    *,
    actor: Actor | Any,
    households: QuerySet[Household] | None = None,
    region_code: str | None = None,
    grid_code: str | None = None,
    care_tag: str | None = None,
) -> QuerySet[Household]:
    """Active households the actor sees, narrowed by the given queryset and filters."""
    actor = as_actor(actor)
    qs = Household.objects.visible_to(actor).filter(is_active=True)
    if households is not None:
        qs = qs.filter(pk__in=households.values("pk"))
    if region_code:
        region = Region.objects.filter(code=region_code).only("path").first()
        if region is None:
            raise NotFound(f"No region {region_code}")
        qs = qs.filter(region__path__startswith=region.path)
    if grid_code:
        qs = qs.filter(grid__code=grid_code)
    if care_tag:
        qs = qs.filter(pk__in=Household.objects.filter(care_tags__code=care_tag).values("pk"))
    return qs


def register_export(
    *,
    actor: Actor | Any,
    out: str | os.PathLike[str] | IO[bytes],
    households: QuerySet[Household] | None = None,
    region_code: str | None = None,
    grid_code: str | None = None,
    care_tag: str | None = None,
    unmasked: bool = False,
    english_headers: bool = False,
) -> ExportSummary:
    """Write the register of the actor's (filtered) households to ``out`` as .xlsx."""
    actor = as_actor(actor)
    if not register_export_allowed(actor):
        raise Forbidden("Your role may not export registers")
    if unmasked and not actor.may_see_personal_data:
        raise Forbidden("Your role may not see residents' personal data")
    qs = register_export_queryset(
        actor=actor, households=households, region_code=region_code, grid_code=grid_code, care_tag=care_tag
    )
    household_count = qs.count()
    resident_count = Resident.objects.filter(household__in=qs, is_active=True).count()
    filters = {k: v for k, v in (("region", region_code), ("grid", grid_code), ("care_tag", care_tag)) if v}
    if households is not None:
        filters["selection"] = True
    # Logged before any row is produced: a view of unmasked data is recorded even if writing fails.
    audit_record(
        actor=actor,
        action="register.export_unmasked" if unmasked else "register.export",
        data={"filters": filters, "households": household_count, "residents": resident_count},
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("花名册" if not english_headers else "register")
    sheet.append([c.header_en if english_headers else c.header_zh for c in COLUMNS])
    written = 0
    for household, tags, members in _chunks(qs):
        place = [
            household.number,
            household.region.code,
            household.grid.code if household.grid_id else "",
            household.address,
            "、".join(tags),
        ]
        if not members:
            sheet.append(place + ["", "", "", ""])
            continue
        for member in members:
            if unmasked:
                id_number = decrypt(member["id_number_encrypted"])
                phone = decrypt(member["phone_encrypted"])
            else:
                id_number, phone = member["id_number_masked"], member["phone_masked"]
            relationship = (
                member["relationship"]
                if english_headers
                else RELATIONSHIP_LABELS_ZH.get(member["relationship"], member["relationship"])
            )
            sheet.append(place + [member["name"], relationship, id_number, phone])
            written += 1
    workbook.save(out)
    return ExportSummary(households=household_count, residents=written, unmasked=unmasked)


def _chunks(qs: QuerySet[Household]) -> Any:
    through = Household.care_tags.through
    fields = ["name", "relationship", "household_id"]
    fields += ["id_number_encrypted", "phone_encrypted", "id_number_masked", "phone_masked"]
    last = ""
    while True:
        chunk = list(
            qs.filter(number__gt=last)
            .select_related("region", "grid")
            .only("id", "number", "address", "region__code", "grid__code")
            .order_by("number")[:EXPORT_BATCH]
        )
        if not chunk:
            return
        ids = [h.id for h in chunk]
        tags: dict[int, list[str]] = {}
        for household_id, name in (
            through.objects.filter(household_id__in=ids)
            .order_by("caretag__sort_order", "caretag__code")
            .values_list("household_id", "caretag__name")
        ):
            tags.setdefault(household_id, []).append(name)
        members: dict[int, list[dict[str, Any]]] = {}
        for member in (
            Resident.objects.filter(household_id__in=ids, is_active=True)
            .order_by("household_id", "id")
            .values(*fields)
        ):
            members.setdefault(member["household_id"], []).append(member)
        for household in chunk:
            yield household, tags.get(household.id, []), members.get(household.id, [])
        last = chunk[-1].number
