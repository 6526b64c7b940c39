"""Outreach events (送法上门, 巡回审判, …) and photos: writes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from grassroots.casework.models import Request
from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, FieldError, Forbidden, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.models import Organization, Region, RegionLevel
from grassroots.territory.services import region_county
from grassroots.workforce.models import Officer, Unit

from .models import EventKind, EventStatus, OutreachEvent, Photo, Visit

# Magic numbers of the accepted image formats: the declared content type is not trusted.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
MAX_PHOTOS_PER_ITEM = 12


def _require_staff(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_staff_officer):
        raise Forbidden("Only officers, leaders and administrators manage outreach events")


@dataclass
class EventInput:
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    region: Region
    organization: Organization | None = None
    venue: str = ""
    unit: Unit | None = None
    officers: list[Officer] = field(default_factory=list)
    topics: str = ""
    notes: str = ""


def _validate_event(
    actor: Actor, data: EventInput, new_officers: list[Officer] | None = None
) -> list[FieldError]:
    """Problems with an event's schedule; ``new_officers`` (default: all) are checked against scope."""
    errors = []
    if data.kind not in EventKind.values:
        errors.append(FieldError("kind", f"must be one of {', '.join(EventKind.values)}"))
    if not data.title.strip():
        errors.append(FieldError("title", "is required", code="required"))
    if len(data.title) > 200:
        errors.append(FieldError("title", "is longer than 200 characters"))
    if len(data.venue) > 200:
        errors.append(FieldError("venue", "is longer than 200 characters"))
    if len(data.topics) > 300:
        errors.append(FieldError("topics", "is longer than 300 characters"))
    if data.ends_at < data.starts_at:
        errors.append(FieldError("ends_at", "is before the start"))
    if data.region.level < RegionLevel.COUNTY:
        errors.append(FieldError("region", "must be a county, township or village"))
    if not actor.is_admin and not any(data.region.path.startswith(p) for p in actor.county_paths):
        errors.append(FieldError("region", "is outside your county", code="scope"))
    if data.organization is not None and not data.organization.region.path.startswith(data.region.path):
        errors.append(FieldError("organization", "is not in this place"))
    if not data.officers:
        errors.append(FieldError("officers", "name at least one officer", code="required"))
    check = data.officers if new_officers is None else new_officers
    if not actor.is_admin and check:
        visible = set(
            Officer.objects.visible_to(actor)
            .filter(pk__in=[o.pk for o in check])
            .values_list("pk", flat=True)
        )
        for officer in check:
            if officer.pk not in visible:
                errors.append(FieldError("officers", f"{officer.name} is not in your units", code="scope"))
    return errors


def event_create(*, actor: Actor | Any, data: EventInput) -> OutreachEvent:
    actor = as_actor(actor)
    _require_staff(actor)
    errors = _validate_event(actor, data)
    if errors:
        raise ValidationFailed("Event not saved", errors)
    with transaction.atomic():
        event = OutreachEvent.objects.create(
            kind=data.kind,
            title=data.title.strip(),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            region=data.region,
            county=region_county(data.region),
            organization=data.organization,
            venue=data.venue.strip(),
            unit=data.unit,
            topics=data.topics.strip(),
            notes=data.notes.strip(),
            created_by=actor.user,
        )
        event.officers.set(data.officers)
        audit_record(
            actor=actor,
            action="outreach_event.create",
            obj=event,
            data={
                "kind": event.kind,
                "starts_at": event.starts_at.isoformat(),
                "officers": [o.staff_number for o in data.officers],
            },
        )
    return event


SCHEDULE_FIELDS = (
    "kind",
    "title",
    "starts_at",
    "ends_at",
    "region",
    "organization",
    "venue",
    "unit",
    "officers",
    "topics",
    "notes",
)
OUTCOME_FIELDS = ("status", "attendance", "requests")


def _require_event_right(actor: Actor, event: OutreachEvent) -> None:
    """Its officers, whoever created it, unit leaders and administrators change an event."""
    if actor.is_admin or actor.role == Role.LEADER:
        return
    if event.created_by_id is not None and event.created_by_id == actor.pk:
        return
    if actor.officer is not None and event.officers.filter(pk=actor.officer.pk).exists():
        return
    raise Forbidden("Only the event's officers or a unit leader change it")


def event_update(
    *, actor: Actor | Any, event: OutreachEvent, expected_version: int, changes: dict[str, Any]
) -> OutreachEvent:
    """Change an event: its schedule (kind, title, times, place, venue, unit, officers, topics, notes) and
    its outcome (status held or cancelled, attendance, the cases heard or mediated on the spot, linked to
    casework). Optimistic concurrency: a stale ``expected_version`` raises ``Conflict``."""
    actor = as_actor(actor)
    _require_staff(actor)
    unknown = set(changes) - set(SCHEDULE_FIELDS) - set(OUTCOME_FIELDS)
    if unknown:
        raise ValidationFailed(
            "Event not updated", [FieldError(f, "cannot be changed here") for f in sorted(unknown)]
        )
    _require_event_right(actor, event)
    current_officers = list(event.officers.all())
    data = EventInput(
        kind=changes.get("kind", event.kind),
        title=changes.get("title", event.title),
        starts_at=changes.get("starts_at", event.starts_at),
        ends_at=changes.get("ends_at", event.ends_at),
        region=changes.get("region", event.region),
        organization=changes.get("organization", event.organization),
        venue=changes.get("venue", event.venue),
        unit=changes.get("unit", event.unit),
        officers=list(changes.get("officers", current_officers)),
        topics=changes.get("topics", event.topics) or "",
        notes=changes.get("notes", event.notes) or "",
    )
    added = [o for o in data.officers if o.pk not in {c.pk for c in current_officers}]
    errors = _validate_event(actor, data, new_officers=added) if set(changes) & set(SCHEDULE_FIELDS) else []
    status = changes.get("status", event.status)
    requests = changes.get("requests")
    if status not in EventStatus.values:
        errors.append(FieldError("status", f"must be one of {', '.join(EventStatus.values)}"))
    if status == EventStatus.HELD and data.starts_at > timezone.now():
        errors.append(FieldError("status", "an event cannot be held before it starts"))
    attendance = changes.get("attendance", event.attendance)
    if attendance is not None and attendance < 0:
        errors.append(FieldError("attendance", "must not be negative"))
    if status == EventStatus.CANCELLED and (requests or (requests is None and event.requests.exists())):
        errors.append(FieldError("requests", "a cancelled event heard no cases"))
    if requests and not actor.is_admin:
        visible = set(
            Request.objects.visible_to(actor)
            .filter(pk__in=[r.pk for r in requests])
            .values_list("pk", flat=True)
        )
        errors += [
            FieldError("requests", f"{r.tracking_code} is not in your scope", code="scope")
            for r in requests
            if r.pk not in visible
        ]
    if errors:
        raise ValidationFailed("Event not updated", errors)
    with transaction.atomic():
        current = OutreachEvent.objects.select_for_update().get(pk=event.pk)
        if current.version != expected_version:
            raise Conflict()
        before = {
            "status": current.status,
            "attendance": current.attendance,
            "starts_at": current.starts_at.isoformat(),
        }
        current.kind, current.title = data.kind, data.title.strip()
        current.starts_at, current.ends_at = data.starts_at, data.ends_at
        current.region, current.county = data.region, region_county(data.region)
        current.organization, current.venue, current.unit = data.organization, data.venue.strip(), data.unit
        current.topics, current.notes = data.topics.strip()[:300], data.notes.strip()
        current.status, current.attendance = status, attendance
        current.version += 1
        current.save()
        if "officers" in changes:
            current.officers.set(data.officers)
        if requests is not None:
            current.requests.set(requests)
        audit_record(
            actor=actor,
            action="outreach_event.update",
            obj=current,
            data={
                "fields": sorted(changes),
                "before": before,
                "after": {
                    "status": status,
                    "attendance": attendance,
                    "starts_at": current.starts_at.isoformat(),
                },
                "requests": [r.tracking_code for r in requests or []],
            },
        )
    return current


def event_record_outcome(
    *,
    actor: Actor | Any,
    event: OutreachEvent,
    status: str,
    expected_version: int,
    attendance: int | None = None,
    topics: str | None = None,
    notes: str | None = None,
    requests: list[Request] | None = None,
) -> OutreachEvent:
    """Mark an event held (with attendance, topics and the cases heard or mediated on the spot) or cancelled."""
    changes: dict[str, Any] = {"status": status}
    for name, value in (
        ("attendance", attendance),
        ("topics", topics),
        ("notes", notes),
        ("requests", requests),
    ):
        if value is not None:
            changes[name] = value
    return event_update(actor=actor, event=event, expected_version=expected_version, changes=changes)


def photo_check(upload: UploadedFile) -> tuple[str, str]:
    """The content type and extension of an accepted photo (JPEG or PNG, at most OUTREACH_PHOTO_MAX_BYTES),
    from its first bytes; a clear error otherwise."""
    limit = getattr(settings, "OUTREACH_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
    if upload.size is None or upload.size == 0:
        raise ValidationFailed("Photo not accepted", [FieldError("photo", "the file is empty")])
    if upload.size > limit:
        raise ValidationFailed(
            "Photo not accepted",
            [FieldError("photo", f"is larger than {limit // (1024 * 1024)} MB", code="too_large")],
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type, extension in _SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    raise ValidationFailed(
        "Photo not accepted", [FieldError("photo", "must be a JPEG or PNG image", code="file_type")]
    )


def photo_attach(
    *,
    actor: Actor | Any,
    upload: UploadedFile,
    visit: Visit | None = None,
    event: OutreachEvent | None = None,
    caption: str = "",
) -> Photo:
    """Store a photo of a visit, of an event, or (neither) for the actor's notice board."""
    actor = as_actor(actor)
    _require_staff(actor)
    if visit is not None and event is not None:
        raise ValidationFailed(
            "Photo not accepted", [FieldError("photo", "belongs to a visit or an event, not both")]
        )
    owner = visit or event
    if owner is not None and owner.photos.count() >= MAX_PHOTOS_PER_ITEM:
        raise ValidationFailed(
            "Photo not accepted", [FieldError("photo", f"at most {MAX_PHOTOS_PER_ITEM} photos")]
        )
    if visit is not None and not actor.is_admin and visit.officer_id != getattr(actor.officer, "pk", None):
        raise Forbidden("Only the visiting officer adds photos to a visit")
    content_type, extension = photo_check(upload)
    with transaction.atomic():
        photo = Photo(
            visit=visit,
            event=event,
            token=secrets.token_hex(16),
            extension=extension,
            content_type=content_type,
            size=upload.size,
            caption=caption.strip()[:200],
            uploaded_by=actor.user,
            uploaded_at=timezone.now(),
        )
        photo.file.save("photo" + extension, upload, save=False)
        try:
            photo.save()
            audit_record(
                actor=actor,
                action="photo.attach",
                obj=photo,
                data={
                    "visit": getattr(visit, "pk", None),
                    "event": getattr(event, "pk", None),
                    "size": upload.size,
                },
            )
        except Exception:
            photo.file.delete(save=False)
            raise
    return photo
