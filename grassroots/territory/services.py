"""Writes to territory: every change goes through here, in one transaction, with an audit entry."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, FieldError, Forbidden, ValidationFailed
from grassroots.common.protected import (
    decrypt,
    id_number_birth_date,
    id_number_gender,
    id_number_problem,
    normalise_id_number,
    normalise_phone,
    phone_problem,
    protect_id_number,
    protect_phone,
)
from grassroots.common.scoping import Actor, as_actor

from .models import (
    CareTag,
    Grid,
    Household,
    Organization,
    OrganizationKind,
    Region,
    RegionLevel,
    Relationship,
    Resident,
)


def region_path(parent: Region | None, code: str) -> str:
    return f"{parent.path if parent else ''}{code}/"


def region_county(region: Region) -> Region:
    """The county-level ancestor (or the region itself when it is at or above county level)."""
    if region.level <= RegionLevel.COUNTY:
        return region
    codes = region.ancestor_codes()
    county = Region.objects.filter(code__in=codes, level=RegionLevel.COUNTY).first()
    return county or Region.objects.get(code=codes[0])


def region_create(
    *,
    actor: Actor | Any,
    code: str,
    name: str,
    level: int,
    parent: Region | None = None,
    is_urban: bool = False,
) -> Region:
    actor = as_actor(actor)
    if not actor.is_admin:
        raise Forbidden("Only administrators change the region tree")
    errors = []
    if Region.objects.filter(code=code).exists():
        errors.append(FieldError("code", f"region code {code} already exists", code="duplicate"))
    if parent is not None and level <= parent.level:
        errors.append(FieldError("level", "must be below the parent's level"))
    if errors:
        raise ValidationFailed("Region not created", errors)
    with transaction.atomic():
        region = Region.objects.create(
            code=code,
            name=name,
            level=level,
            parent=parent,
            is_urban=is_urban,
            path=region_path(parent, code),
        )
        audit_record(actor=actor, action="region.create", obj=region, data={"code": code, "name": name})
    return region


def _require_region_write(actor: Actor, region: Region, field: str = "region") -> None:
    if actor.is_admin:
        return
    if actor.is_staff_officer and any(region.path.startswith(p) for p in actor.region_paths):
        return
    if actor.is_staff_officer:
        raise ValidationFailed(
            "Outside your scope", [FieldError(field, "is outside your area", code="scope")]
        )
    raise Forbidden("Your role may not change households or residents")


def require_household_write(actor: Actor, household: Household) -> None:
    if actor.is_staff_officer and household.grid_id in actor.grid_ids:
        return
    _require_region_write(actor, household.region, "household")


@dataclass
class HouseholdInput:
    number: str
    region: Region
    address: str
    grid: Grid | None = None
    care_tags: tuple[CareTag, ...] = ()
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    notes: str = ""


def household_validate(data: HouseholdInput, *, existing: Household | None = None) -> list[FieldError]:
    errors = []
    if not data.number or not data.number.strip():
        errors.append(FieldError("number", "is required", code="required"))
    elif Household.objects.filter(number=data.number).exclude(pk=getattr(existing, "pk", None)).exists():
        errors.append(FieldError("number", f"household {data.number} already exists", code="duplicate"))
    if data.region.level != RegionLevel.VILLAGE:
        errors.append(FieldError("region", "must be a village or community"))
    if data.grid is not None and data.grid.region_id != data.region.id:
        errors.append(FieldError("grid", "does not belong to this village or community"))
    if not data.address or not data.address.strip():
        errors.append(FieldError("address", "is required", code="required"))
    return errors


def household_create(*, actor: Actor | Any, data: HouseholdInput) -> Household:
    actor = as_actor(actor)
    _require_region_write(actor, data.region)
    errors = household_validate(data)
    if errors:
        raise ValidationFailed("Household not created", errors)
    with transaction.atomic():
        household = Household.objects.create(
            number=data.number.strip(),
            region=data.region,
            county=region_county(data.region),
            grid=data.grid,
            address=data.address.strip(),
            latitude=data.latitude,
            longitude=data.longitude,
            notes=data.notes,
        )
        household.care_tags.set(data.care_tags)
        audit_record(
            actor=actor, action="household.create", obj=household, data=_household_snapshot(household)
        )
    return household


def _household_snapshot(household: Household) -> dict[str, Any]:
    return {
        "number": household.number,
        "region": household.region.code,
        "grid": household.grid.code if household.grid_id else None,
        "address": household.address,
        "care_tags": sorted(t.code for t in household.care_tags.all()),
        "is_active": household.is_active,
    }


def household_update(
    *, actor: Actor | Any, household: Household, version: int, changes: dict[str, Any]
) -> Household:
    """Apply ``changes`` if nobody changed the household since ``version`` was read (else Conflict)."""
    actor = as_actor(actor)
    require_household_write(actor, household)
    allowed = {"region", "grid", "address", "care_tags", "latitude", "longitude", "notes", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            "Unknown fields", [FieldError(f, "cannot be changed here") for f in sorted(unknown)]
        )
    with transaction.atomic():
        locked = (
            Household.objects.select_for_update(of=("self",))
            .select_related("region", "grid")
            .get(pk=household.pk)
        )
        if locked.version != version:
            raise Conflict(
                f"Household {locked.number} was changed by someone else (version {locked.version}, "
                f"you edited version {version}); reload and try again"
            )
        before = _household_snapshot(locked)
        if "region" in changes:
            _require_region_write(actor, changes["region"])
        merged = HouseholdInput(
            number=locked.number,
            region=changes.get("region", locked.region),
            address=changes.get("address", locked.address),
            grid=changes.get("grid", locked.grid),
            care_tags=tuple(changes.get("care_tags", locked.care_tags.all())),
        )
        errors = household_validate(merged, existing=locked)
        if errors:
            raise ValidationFailed("Household not changed", errors)
        for name, value in changes.items():
            if name == "care_tags":
                continue
            setattr(locked, name, value)
        locked.county = region_county(locked.region)
        locked.version = F("version") + 1
        locked.save()
        if "care_tags" in changes:
            locked.care_tags.set(changes["care_tags"])
        locked.refresh_from_db()
        after = _household_snapshot(locked)
        audit_record(
            actor=actor,
            action="household.update",
            obj=locked,
            data={
                "before": {k: v for k, v in before.items() if after[k] != v},
                "after": {k: v for k, v in after.items() if before[k] != v},
            },
        )
    return locked


@dataclass
class ResidentInput:
    name: str
    id_number: str = ""
    phone: str = ""
    relationship: str = Relationship.OTHER
    gender: str = ""
    birth_date: date | None = None


def resident_validate(data: ResidentInput, *, existing: Resident | None = None) -> list[FieldError]:
    """Field problems of one resident; shared by the API, the pages and the importer."""
    errors = []
    if not data.name or not data.name.strip():
        errors.append(FieldError("name", "is required", code="required"))
    elif len(data.name) > 100:
        errors.append(FieldError("name", "is longer than 100 characters"))
    if data.id_number:
        problem = id_number_problem(data.id_number)
        if problem:
            errors.append(FieldError("id_number", problem, code="invalid_id_number"))
        else:
            protected = protect_id_number(data.id_number)
            clash = Resident.objects.filter(id_number_hash=protected.hash)
            if existing is not None:
                clash = clash.exclude(pk=existing.pk)
            if clash.exists():
                errors.append(
                    FieldError(
                        "id_number", "a resident with this ID number is already registered", code="duplicate"
                    )
                )
    if data.phone and phone_problem(normalise_phone(data.phone)):
        errors.append(FieldError("phone", "is not a phone number"))
    if data.relationship not in Relationship.values:
        errors.append(FieldError("relationship", f"must be one of {', '.join(Relationship.values)}"))
    return errors


def resident_fields(data: ResidentInput) -> dict[str, Any]:
    """Model fields for a validated input: protected columns, and gender/birth date derived from the ID."""
    id_value = protect_id_number(data.id_number)
    phone_value = protect_phone(data.phone)
    fields: dict[str, Any] = {
        "name": data.name.strip(),
        "relationship": data.relationship,
        "gender": data.gender,
        "birth_date": data.birth_date,
        "id_number_encrypted": id_value.encrypted,
        "id_number_hash": id_value.hash,
        "id_number_masked": id_value.masked,
        "phone_encrypted": phone_value.encrypted,
        "phone_hash": phone_value.hash,
        "phone_masked": phone_value.masked,
    }
    if data.id_number:
        fields["gender"] = id_number_gender(data.id_number)
        fields["birth_date"] = id_number_birth_date(data.id_number)
    return fields


def resident_create(*, actor: Actor | Any, household: Household, data: ResidentInput) -> Resident:
    actor = as_actor(actor)
    require_household_write(actor, household)
    errors = resident_validate(data)
    if errors:
        raise ValidationFailed("Resident not created", errors)
    with transaction.atomic():
        resident = Resident.objects.create(
            household=household, county_id=household.county_id, **resident_fields(data)
        )
        audit_record(actor=actor, action="resident.create", obj=resident, data=_resident_snapshot(resident))
    return resident


def _resident_snapshot(resident: Resident) -> dict[str, Any]:
    # Masked values only: the audit log must not become a copy of personal data.
    return {
        "household": resident.household_id,
        "name": resident.name,
        "relationship": resident.relationship,
        "id_number": resident.id_number_masked,
        "phone": resident.phone_masked,
        "is_active": resident.is_active,
    }


def resident_update(
    *, actor: Actor | Any, resident: Resident, version: int, changes: dict[str, Any]
) -> Resident:
    actor = as_actor(actor)
    require_household_write(actor, resident.household)
    allowed = {"name", "id_number", "phone", "relationship", "gender", "birth_date", "is_active", "household"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(
            "Unknown fields", [FieldError(f, "cannot be changed here") for f in sorted(unknown)]
        )
    with transaction.atomic():
        locked = Resident.objects.select_for_update().get(pk=resident.pk)
        if locked.version != version:
            raise Conflict(
                f"Resident {locked.pk} was changed by someone else (version {locked.version}, "
                f"you edited version {version}); reload and try again"
            )
        if "household" in changes:
            require_household_write(actor, changes["household"])
        current_id = decrypt(locked.id_number_encrypted)
        current_phone = decrypt(locked.phone_encrypted)
        data = ResidentInput(
            name=changes.get("name", locked.name),
            id_number=normalise_id_number(changes.get("id_number", current_id)),
            phone=normalise_phone(changes.get("phone", current_phone)),
            relationship=changes.get("relationship", locked.relationship),
            gender=changes.get("gender", locked.gender),
            birth_date=changes.get("birth_date", locked.birth_date),
        )
        errors = resident_validate(data, existing=locked)
        if errors:
            raise ValidationFailed("Resident not changed", errors)
        before = _resident_snapshot(locked)
        for name, value in resident_fields(data).items():
            setattr(locked, name, value)
        if "household" in changes:
            locked.household = changes["household"]
            locked.county_id = changes["household"].county_id
        if "is_active" in changes:
            locked.is_active = bool(changes["is_active"])
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        after = _resident_snapshot(locked)
        audit_record(
            actor=actor,
            action="resident.update",
            obj=locked,
            data={
                "before": {k: v for k, v in before.items() if after[k] != v},
                "after": {k: v for k, v in after.items() if before[k] != v},
            },
        )
    return locked


def resident_reveal(*, actor: Actor | Any, resident: Resident, reason: str = "") -> dict[str, str]:
    """The unmasked ID and phone numbers; every call is written to the audit log first."""
    actor = as_actor(actor)
    if not actor.may_see_personal_data:
        raise Forbidden("Your role may not see residents' personal data")
    audit_record(
        actor=actor,
        action="resident.reveal",
        obj=resident,
        reason=reason,
        data={"fields": ["id_number", "phone"]},
    )
    return {"id_number": decrypt(resident.id_number_encrypted), "phone": decrypt(resident.phone_encrypted)}


def organization_create(
    *,
    actor: Actor | Any,
    name: str,
    kind: str,
    region: Region,
    credit_code: str = "",
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
) -> Organization:
    actor = as_actor(actor)
    _require_region_write(actor, region)
    errors = []
    if not name.strip():
        errors.append(FieldError("name", "is required", code="required"))
    if kind not in OrganizationKind.values:
        errors.append(FieldError("kind", f"must be one of {', '.join(OrganizationKind.values)}"))
    if credit_code and not credit_code_valid(credit_code):
        errors.append(FieldError("credit_code", "is not a valid unified social credit code"))
    if errors:
        raise ValidationFailed("Organisation not created", errors)
    with transaction.atomic():
        org = Organization.objects.create(
            name=name.strip(),
            kind=kind,
            region=region,
            county=region_county(region),
            credit_code=credit_code,
            address=address,
            contact_name=contact_name,
            contact_phone=contact_phone,
        )
        audit_record(
            actor=actor, action="organization.create", obj=org, data={"name": org.name, "kind": kind}
        )
    return org


_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check(first17: str) -> str:
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def credit_code_valid(code: str) -> bool:
    """GB 32100-2015 unified social credit code with its check character."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in _CREDIT_CHARS for c in code):
        return False
    return credit_code_check(code[:17]) == code[17]


def care_tags_by_code(codes: Iterable[str]) -> dict[str, CareTag]:
    return {t.code: t for t in CareTag.objects.filter(code__in=list(codes))}
