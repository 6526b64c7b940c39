"""Outreach writes: liaisons, visit rules, visits (single, bulk, and the request raised from one), notice
boards. Events and photos are in ``events.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from grassroots.casework.models import Channel, Kind, Request
from grassroots.casework.services import IntakeInput, request_intake
from grassroots.common.audit import AuditRecord, audit_append, audit_record
from grassroots.common.errors import Conflict, FieldError, Forbidden, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.models import (
    Grid,
    Household,
    Organization,
    OrganizationKind,
    Region,
    RegionLevel,
    Relationship,
    Resident,
)
from grassroots.workforce.models import Officer

from . import coverage
from .models import HouseholdArea, Liaison, LiaisonKind, NoticeBoard, RuleTarget, Visit, VisitMode, VisitRule

MAX_TEXT = 4000


def _require_leader(actor: Actor) -> None:
    if not (actor.is_admin or actor.role == Role.LEADER):
        raise Forbidden("Only a unit leader or an administrator may do this")


def _require_officer_in_scope(actor: Actor, officer: Officer) -> None:
    if actor.is_admin:
        return
    if not Officer.objects.visible_to(actor).filter(pk=officer.pk).exists():
        raise ValidationFailed(
            "Outside your scope", [FieldError("officer", "is not in your units", code="scope")]
        )


def _in_region_scope(actor: Actor, region: Region, grid_id: int | None = None) -> bool:
    if actor.is_admin:
        return True
    return any(region.path.startswith(p) for p in actor.region_paths) or (
        grid_id is not None and grid_id in actor.grid_ids
    )


# ------------------------------------------------------------------------------------------- liaisons


def liaison_create(
    *,
    actor: Actor | Any,
    officer: Officer,
    kind: str,
    household: Household | None = None,
    organization: Organization | None = None,
    grid: Grid | None = None,
    start: date,
    duties: str = "",
) -> Liaison:
    """Link an officer to a household, an organisation (as legal vice-head) or a grid from ``start``."""
    actor = as_actor(actor)
    _require_leader(actor)
    errors: list[FieldError] = []
    target = {
        LiaisonKind.HOUSEHOLD: household,
        LiaisonKind.ORGANIZATION: organization,
        LiaisonKind.GRID: grid,
    }
    if kind not in LiaisonKind.values:
        raise ValidationFailed(
            "Liaison not created", [FieldError("kind", f"must be one of {', '.join(LiaisonKind.values)}")]
        )
    if target[kind] is None:
        errors.append(FieldError(kind, "is required for this kind of liaison", code="required"))
    for other_kind, value in target.items():
        if (
            other_kind != kind
            and value is not None
            and not (kind == LiaisonKind.HOUSEHOLD and other_kind == LiaisonKind.GRID)
        ):
            errors.append(FieldError(other_kind, "must be empty for this kind of liaison"))
    if len(duties) > 300:
        errors.append(FieldError("duties", "is longer than 300 characters"))
    if errors:
        raise ValidationFailed("Liaison not created", errors)
    _require_officer_in_scope(actor, officer)
    if not officer.is_active:
        raise ValidationFailed("Liaison not created", [FieldError("officer", "is not active")])
    obj = target[kind]
    region = obj.region
    grid_value = household.grid if kind == LiaisonKind.HOUSEHOLD else grid
    if not _in_region_scope(actor, region, getattr(grid_value, "id", None)):
        raise ValidationFailed(
            "Outside your scope", [FieldError(kind, "is outside your jurisdiction", code="scope")]
        )
    duplicate = Liaison.objects.filter(officer=officer, kind=kind, **{kind: obj}).filter(
        Q(end__isnull=True) | Q(end__gte=start)
    )
    if duplicate.exists():
        raise ValidationFailed(
            "Liaison not created",
            [FieldError(kind, "already has a current liaison with this officer", code="duplicate")],
        )
    with transaction.atomic():
        liaison = Liaison.objects.create(
            officer=officer,
            kind=kind,
            household=household if kind == LiaisonKind.HOUSEHOLD else None,
            organization=organization if kind == LiaisonKind.ORGANIZATION else None,
            grid=grid_value,
            region=region,
            county_id=obj.county_id,
            duties=duties.strip(),
            start=start,
            created_by=actor.user,
        )
        coverage.duties_refresh(liaisons=Liaison.objects.filter(pk=liaison.pk))
        audit_record(
            actor=actor,
            action="liaison.create",
            obj=liaison,
            data={
                "officer": officer.staff_number,
                "kind": kind,
                "target": str(obj.pk),
                "start": start.isoformat(),
            },
        )
    return liaison


def liaison_assign_area(
    *,
    actor: Actor | Any,
    officer: Officer,
    start: date,
    region: Region | None = None,
    grid: Grid | None = None,
) -> int:
    """Make ``officer`` the liaison of every active household of a village/township (``region``) or a grid
    that they are not already linked to: one INSERT … SELECT-sized batch, one audit entry. Returns the count."""
    actor = as_actor(actor)
    _require_leader(actor)
    if (region is None) == (grid is None):
        raise ValidationFailed(
            "No area", [FieldError("region", "give either a region or a grid", code="required")]
        )
    _require_officer_in_scope(actor, officer)
    area_region = grid.region if grid is not None else region
    if area_region.level < RegionLevel.TOWNSHIP:
        raise ValidationFailed(
            "Area too large", [FieldError("region", "must be a township, a village or a grid")]
        )
    if not _in_region_scope(actor, area_region, getattr(grid, "id", None)):
        raise ValidationFailed(
            "Outside your scope", [FieldError("region", "is outside your jurisdiction", code="scope")]
        )
    households = Household.objects.filter(is_active=True)
    households = (
        households.filter(grid=grid)
        if grid is not None
        else households.filter(region__path__startswith=region.path)
    )
    linked = Liaison.objects.filter(officer=officer, kind=LiaisonKind.HOUSEHOLD).filter(
        Q(end__isnull=True) | Q(end__gte=start)
    )
    households = households.exclude(id__in=linked.values("household_id"))
    with transaction.atomic():
        rows = [
            Liaison(
                officer=officer,
                kind=LiaisonKind.HOUSEHOLD,
                household_id=h_id,
                grid_id=grid_id,
                region_id=region_id,
                county_id=county_id,
                start=start,
                created_by=actor.user,
            )
            for h_id, grid_id, region_id, county_id in households.values_list(
                "id", "grid_id", "region_id", "county_id"
            ).iterator()
        ]
        created = Liaison.objects.bulk_create(rows, batch_size=2000)
        if created and created[0].pk is not None:
            coverage.duties_refresh(liaisons=Liaison.objects.filter(pk__in=[r.pk for r in created]))
        else:  # backends without RETURNING on bulk insert
            coverage.duties_refresh(liaisons=linked.filter(start=start))
        audit_record(
            actor=actor,
            action="liaison.assign_area",
            obj=officer,
            data={
                "area": grid.code if grid is not None else region.code,
                "households": len(rows),
                "start": start.isoformat(),
            },
        )
    return len(rows)


def liaison_end(
    *, actor: Actor | Any, liaison: Liaison, end: date, reason: str, expected_version: int
) -> Liaison:
    """End a liaison (the row stays: history)."""
    actor = as_actor(actor)
    _require_leader(actor)
    errors = []
    if not reason.strip():
        errors.append(FieldError("reason", "is required", code="required"))
    if end < liaison.start:
        errors.append(FieldError("end", "is before the start"))
    if errors:
        raise ValidationFailed("Liaison not ended", errors)
    with transaction.atomic():
        current = Liaison.objects.select_for_update().get(pk=liaison.pk)
        if current.version != expected_version:
            raise Conflict()
        if current.end is not None:
            raise ValidationFailed(
                "Liaison not ended", [FieldError("end", "the liaison has already ended", code="ended")]
            )
        current.end, current.end_reason, current.version = end, reason.strip()[:200], current.version + 1
        current.save(update_fields=["end", "end_reason", "version"])
        coverage.duties_refresh(liaisons=Liaison.objects.filter(pk=current.pk))
        audit_record(
            actor=actor,
            action="liaison.end",
            obj=current,
            data={"end": end.isoformat()},
            reason=reason.strip(),
        )
    return current


def liaison_handover(
    *,
    actor: Actor | Any,
    from_officer: Officer,
    to_officer: Officer,
    on: date,
    reason: str,
    kinds: list[str] | None = None,
) -> int:
    """Hand every current liaison of ``from_officer`` (of ``kinds``, default all) over to ``to_officer``:
    the old liaisons end the day before ``on`` (history kept), the new ones start ``on``, with the same
    duties. Targets ``to_officer`` is already linked to are skipped. One transaction, one audit entry.
    Returns the number handed over."""
    actor = as_actor(actor)
    _require_leader(actor)
    errors = []
    if from_officer.pk == to_officer.pk:
        errors.append(FieldError("to_officer", "is the same officer", code="same"))
    if not reason.strip():
        errors.append(FieldError("reason", "is required", code="required"))
    if not to_officer.is_active:
        errors.append(FieldError("to_officer", "is not active"))
    kinds = list(kinds or LiaisonKind.values)
    unknown = [k for k in kinds if k not in LiaisonKind.values]
    if unknown:
        errors.append(FieldError("kinds", f"unknown: {', '.join(unknown)}"))
    if errors:
        raise ValidationFailed("Liaisons not handed over", errors)
    _require_officer_in_scope(actor, from_officer)
    _require_officer_in_scope(actor, to_officer)
    day_before = on - timedelta(days=1)
    with transaction.atomic():
        current = list(
            Liaison.objects.select_for_update()
            .filter(officer=from_officer, kind__in=kinds)
            .filter(Q(end__isnull=True) | Q(end__gte=on))
            .order_by("id")
        )
        if not actor.is_admin:
            outside = [lo for lo in current if not _in_region_scope(actor, lo.region, lo.grid_id)]
            if outside:
                raise ValidationFailed(
                    "Outside your scope",
                    [
                        FieldError(
                            "from_officer",
                            f"{len(outside)} liaisons are outside your jurisdiction",
                            code="scope",
                        )
                    ],
                )
        taken = set(
            Liaison.objects.filter(officer=to_officer)
            .filter(Q(end__isnull=True) | Q(end__gte=on))
            .values_list("kind", "household_id", "organization_id", "grid_id")
        )
        new, ended = [], []
        for old in current:
            old.end = max(old.start, day_before)
            old.end_reason = reason.strip()[:200]
            old.version += 1
            ended.append(old)
            key = (old.kind, old.household_id, old.organization_id, old.grid_id)
            if key in taken:
                continue
            taken.add(key)
            new.append(
                Liaison(
                    officer=to_officer,
                    kind=old.kind,
                    household_id=old.household_id,
                    organization_id=old.organization_id,
                    grid_id=old.grid_id,
                    region_id=old.region_id,
                    county_id=old.county_id,
                    duties=old.duties,
                    start=max(on, old.start),
                    created_by=actor.user,
                )
            )
        Liaison.objects.bulk_update(ended, ["end", "end_reason", "version"], batch_size=2000)
        Liaison.objects.bulk_create(new, batch_size=2000)
        touched = Liaison.objects.filter(
            Q(pk__in=[o.pk for o in ended]) | Q(officer=to_officer, start__gte=on, created_by=actor.user)
        )
        coverage.duties_refresh(liaisons=touched)
        audit_record(
            actor=actor,
            action="liaison.handover",
            obj=from_officer,
            data={
                "to": to_officer.staff_number,
                "on": on.isoformat(),
                "ended": len(ended),
                "created": len(new),
                "kinds": kinds,
            },
            reason=reason.strip(),
        )
    return len(new)


# ---------------------------------------------------------------------------------------- visit rules


def visit_rule_save(
    *,
    actor: Actor | Any,
    name: str,
    applies_to: str,
    interval_days: int,
    care_tag: Any = None,
    household_area: str = "",
    organization_kind: str = "",
    county: Region | None = None,
    is_active: bool = True,
    rule: VisitRule | None = None,
    expected_version: int | None = None,
) -> VisitRule:
    """Create or change a visit rule. Administrators: any rule; unit leaders: rules limited to a county
    in their scope. Changing a rule marks the generated due lists out of date until the next generation
    (coverage is computed from the visits meanwhile)."""
    actor = as_actor(actor)
    _require_leader(actor)
    errors = []
    if not name.strip():
        errors.append(FieldError("name", "is required", code="required"))
    elif len(name.strip()) > 120:
        errors.append(FieldError("name", "is longer than 120 characters"))
    if applies_to not in RuleTarget.values:
        errors.append(FieldError("applies_to", f"must be one of {', '.join(RuleTarget.values)}"))
    try:
        interval_days = int(interval_days)
    except (TypeError, ValueError):
        interval_days = 0
    if not (1 <= interval_days <= 366):
        errors.append(FieldError("interval_days", "must be between 1 and 366"))
    if applies_to == RuleTarget.HOUSEHOLD and organization_kind:
        errors.append(FieldError("organization_kind", "applies to organisation rules only"))
    if applies_to == RuleTarget.ORGANIZATION and care_tag is not None:
        errors.append(FieldError("care_tag", "applies to household rules only"))
    if applies_to == RuleTarget.ORGANIZATION and household_area:
        errors.append(FieldError("household_area", "applies to household rules only"))
    if household_area not in HouseholdArea.values:
        errors.append(FieldError("household_area", "must be urban, rural or empty"))
    if organization_kind and organization_kind not in OrganizationKind.values:
        errors.append(FieldError("organization_kind", f"must be one of {', '.join(OrganizationKind.values)}"))
    if county is not None and county.level != RegionLevel.COUNTY:
        errors.append(FieldError("county", "must be a county"))
    if not actor.is_admin and (
        county is None or not any(county.path.startswith(p) for p in actor.county_paths)
    ):
        errors.append(
            FieldError("county", "a leader's rule applies to a county in their scope", code="scope")
        )
    if errors:
        raise ValidationFailed("Rule not saved", errors)
    with transaction.atomic():
        before = None
        if rule is None:
            rule = VisitRule()
        else:
            rule = VisitRule.objects.select_for_update().get(pk=rule.pk)
            if expected_version is not None and rule.version != expected_version:
                raise Conflict()
            if not actor.is_admin and (
                rule.county is None or not any(rule.county.path.startswith(p) for p in actor.county_paths)
            ):
                raise Forbidden("Only an administrator changes a rule that applies everywhere")
            before = {"interval_days": rule.interval_days, "is_active": rule.is_active}
            rule.version += 1
        rule.name, rule.applies_to, rule.interval_days = name.strip(), applies_to, interval_days
        rule.care_tag, rule.household_area, rule.organization_kind = (
            care_tag,
            household_area,
            organization_kind,
        )
        rule.county, rule.is_active = county, is_active
        rule.save()
        coverage.duties_invalidate()
        audit_record(
            actor=actor,
            action="visit_rule.save",
            obj=rule,
            data={
                "before": before,
                "after": {"name": rule.name, "interval_days": rule.interval_days, "is_active": is_active},
            },
        )
    return rule


# --------------------------------------------------------------------------------------------- visits


@dataclass
class VisitInput:
    household: Household | None = None
    organization: Organization | None = None
    visited_at: datetime | None = None
    mode: str = VisitMode.IN_PERSON
    met_resident: Resident | None = None
    met: str = ""
    summary: str = ""
    needs: str = ""
    client_token: str | None = None


def visit_validate(actor: Actor, data: VisitInput, row: int | None = None) -> list[FieldError]:
    errors = []
    if (data.household is None) == (data.organization is None):
        errors.append(
            FieldError("household", "give either a household or an organisation", row=row, code="required")
        )
    if data.mode not in VisitMode.values:
        errors.append(FieldError("mode", f"must be one of {', '.join(VisitMode.values)}", row=row))
    if not data.summary.strip():
        errors.append(FieldError("summary", "is required", row=row, code="required"))
    if len(data.summary) > MAX_TEXT or len(data.needs) > MAX_TEXT:
        errors.append(FieldError("summary", f"is longer than {MAX_TEXT} characters", row=row))
    if len(data.met) > 200:
        errors.append(FieldError("met", "is longer than 200 characters", row=row))
    if data.visited_at is None:
        errors.append(FieldError("visited_at", "is required", row=row, code="required"))
    elif data.visited_at > timezone.now() + timezone.timedelta(minutes=5):
        errors.append(FieldError("visited_at", "is in the future", row=row))
    if data.met_resident is not None and data.met_resident.household_id != getattr(
        data.household, "id", None
    ):
        errors.append(FieldError("met_resident", "does not live in this household", row=row))
    target = data.household or data.organization
    if target is not None and not actor.is_admin:
        if data.household is not None and not _in_region_scope(actor, target.region, target.grid_id):
            errors.append(FieldError("household", "is outside your jurisdiction", row=row, code="scope"))
        if data.organization is not None and not any(
            target.region.path.startswith(p) for p in actor.county_paths
        ):
            errors.append(FieldError("organization", "is outside your county", row=row, code="scope"))
    return errors


def _visit_officer(actor: Actor, officer: Officer | None) -> Officer:
    if actor.is_admin and officer is not None:
        return officer
    if not actor.is_staff_officer and not actor.is_admin:
        raise Forbidden("Only officers record visits")
    if actor.officer is None:
        raise Forbidden("Your account is not linked to an officer")
    if officer is not None and officer.pk != actor.officer.pk:
        raise Forbidden("Officers record their own visits")
    return actor.officer


def _new_visit(actor: Actor, officer: Officer, data: VisitInput) -> Visit:
    target = data.household or data.organization
    local = timezone.localtime(data.visited_at) if timezone.is_aware(data.visited_at) else data.visited_at
    return Visit(
        officer=officer,
        household=data.household,
        organization=data.organization,
        region_id=target.region_id,
        county_id=target.county_id,
        visited_at=data.visited_at,
        visited_on=local.date(),
        mode=data.mode,
        met_resident=data.met_resident,
        met=data.met.strip(),
        summary=data.summary.strip(),
        needs=data.needs.strip(),
        client_token=data.client_token or None,
        created_by=actor.user,
    )


def visit_record(
    *,
    actor: Actor | Any,
    data: VisitInput,
    officer: Officer | None = None,
    raise_request: bool = False,
    request_kind: str = Kind.HELP,
) -> Visit:
    """Record a visit; with ``raise_request`` also register a request (of ``request_kind``) prefilled from
    it, in one transaction. A retry with the same ``client_token`` returns the first visit."""
    actor = as_actor(actor)
    officer = _visit_officer(actor, officer)
    if data.client_token:
        existing = Visit.objects.filter(client_token=data.client_token, officer=officer).first()
        if existing is not None:
            return existing
    errors = visit_validate(actor, data)
    if raise_request and not data.needs.strip():
        errors.append(FieldError("needs", "describe the need to raise a request from it", code="required"))
    if raise_request and data.household is None:
        errors.append(FieldError("household", "a request is raised for a household visit", code="required"))
    if errors:
        raise ValidationFailed("Visit not recorded", errors)
    try:
        with transaction.atomic():
            visit = _new_visit(actor, officer, data)
            visit.save()
            audit_record(
                actor=actor,
                action="visit.record",
                obj=visit,
                data={
                    "officer": officer.staff_number,
                    "mode": visit.mode,
                    "on": visit.visited_on.isoformat(),
                },
            )
            _refresh_after_visits([visit])
            if raise_request:
                visit_raise_request(actor=actor, visit=visit, kind=request_kind)
    except IntegrityError:
        existing = Visit.objects.filter(client_token=data.client_token).first() if data.client_token else None
        if existing is None:
            raise
        return existing
    return visit


def visit_raise_request(
    *, actor: Actor | Any, visit: Visit, title: str = "", kind: str = Kind.HELP, description: str = ""
) -> Request:
    """Register a request (channel: household visit) prefilled from a visit and link it to the visit."""
    actor = as_actor(actor)
    if visit.household_id is None:
        raise ValidationFailed(
            "No request raised", [FieldError("household", "a request is raised for a household visit")]
        )
    household = visit.household
    reporter = (
        visit.met_resident
        or household.residents.filter(relationship=Relationship.HEAD, is_active=True).first()
    )
    text = (description or visit.needs or visit.summary).strip()
    with transaction.atomic():
        request, _created = request_intake(
            actor=actor,
            data=IntakeInput(
                channel=Channel.VISIT,
                kind=kind,
                title=(title or (text.splitlines()[0] if text else ""))[:200],
                description=text,
                region=household.region,
                grid=household.grid
                if household.grid and household.grid.region_id == household.region_id
                else None,
                address=household.address,
                reporter_resident=reporter,
                reporter_name="" if reporter else (visit.met or household.number),
                latitude=household.latitude,
                longitude=household.longitude,
                client_token=f"visit-{visit.pk}-{kind}",
            ),
        )
        visit.requests.add(request)
        audit_record(
            actor=actor, action="visit.raise_request", obj=visit, data={"request": request.tracking_code}
        )
    return request


def visits_bulk_record(
    *, actor: Actor | Any, rows: list[VisitInput], officer: Officer | None = None
) -> list[Visit]:
    """A day's visits at once: all rows are checked first and every error names its row (1-based); nothing
    is written unless every row is valid. One audit entry per visit, one transaction."""
    actor = as_actor(actor)
    officer = _visit_officer(actor, officer)
    if not rows:
        raise ValidationFailed("No visits", [FieldError("rows", "add at least one visit", code="required")])
    if len(rows) > 200:
        raise ValidationFailed("Too many visits", [FieldError("rows", "at most 200 visits at once")])
    errors = [e for number, data in enumerate(rows, start=1) for e in visit_validate(actor, data, row=number)]
    if errors:
        raise ValidationFailed("Visits not recorded", errors)
    with transaction.atomic():
        visits = Visit.objects.bulk_create([_new_visit(actor, officer, data) for data in rows])
        if not visits or visits[0].pk is None:  # backends without RETURNING on bulk insert
            visits = list(Visit.objects.filter(officer=officer).order_by("-id")[: len(rows)])[::-1]
        _refresh_after_visits(visits)
        audit_append(
            actor=actor,
            records=[
                AuditRecord(
                    action="visit.record",
                    object_type="outreach.visit",
                    object_id=str(v.pk),
                    data={
                        "officer": officer.staff_number,
                        "mode": v.mode,
                        "on": v.visited_on.isoformat(),
                        "bulk": True,
                    },
                )
                for v in visits
            ],
        )
    return visits


def _refresh_after_visits(visits: list[Visit]) -> None:
    """A visit may cover its officer's liaison with the target, or be carried over to a later liaison."""
    coverage.duties_refresh_targets(
        households={v.household_id for v in visits if v.household_id},
        organizations={v.organization_id for v in visits if v.organization_id},
    )


def combine_day(day: date, at: time | None) -> datetime:
    return timezone.make_aware(datetime.combine(day, at or time(10, 0)))


# --------------------------------------------------------------------------------------- notice board


def notice_board_save(
    *,
    actor: Actor | Any,
    officer: Officer,
    public_phone: str,
    duties: str,
    is_published: bool,
    photo: Any = None,
    expected_version: int | None = None,
) -> NoticeBoard:
    """An officer edits their own board; a leader or an administrator any board in scope."""
    actor = as_actor(actor)
    own = actor.officer is not None and actor.officer.pk == officer.pk
    if not own:
        _require_leader(actor)
        _require_officer_in_scope(actor, officer)
    errors = []
    phone = public_phone.strip()
    if phone and not all(c.isdigit() or c in "-+ ()" for c in phone):
        errors.append(FieldError("public_phone", "is not a phone number"))
    if len(phone) > 32:
        errors.append(FieldError("public_phone", "is longer than 32 characters"))
    if len(duties) > MAX_TEXT:
        errors.append(FieldError("duties", f"is longer than {MAX_TEXT} characters"))
    if errors:
        raise ValidationFailed("Notice board not saved", errors)
    with transaction.atomic():
        board, _ = NoticeBoard.objects.select_for_update().get_or_create(officer=officer)
        if expected_version is not None and board.version != expected_version:
            raise Conflict()
        board.public_phone, board.duties, board.is_published = phone, duties.strip(), is_published
        if photo is not None:
            board.photo = photo
        board.version += 1
        board.save()
        audit_record(
            actor=actor,
            action="notice_board.save",
            obj=board,
            data={"officer": officer.staff_number, "published": is_published, "photo": bool(board.photo_id)},
        )
    return board
