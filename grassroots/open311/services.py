"""Open311 writes: API keys, a POSTed service request (a casework intake), a POSTed update (casework
transitions). Each runs in one transaction and writes its audit entry there."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from grassroots.casework.models import Channel, Request
from grassroots.casework.services import IntakeInput, request_intake, request_transition
from grassroots.common.audit import audit_record
from grassroots.common.errors import FieldError, NotFound, ValidationFailed
from grassroots.common.scoping import Actor, actor_for, as_actor
from grassroots.territory.models import Grid, Region, RegionLevel
from grassroots.workforce.models import Officer, Unit

from . import statuses
from .models import ApiKey, PostedUpdate, Service, Submission

KEY_PREFIX = "o311"


def _hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def api_key_problems(*, name: str, owner: Any, region: Region | None) -> list[FieldError]:
    """What is wrong with a key to be issued (the admin form shows the same errors the service raises)."""
    errors = []
    if not (name or "").strip():
        errors.append(FieldError("name", "is required", code="required"))
    if region is None or region.level < RegionLevel.COUNTY:
        errors.append(FieldError("region", "must be a county, township or village"))
    if not getattr(owner, "is_active", False):
        errors.append(FieldError("owner", "must be an active user"))
    elif region is not None:
        acting = actor_for(owner)
        covers = acting.is_admin or (
            acting.is_staff_officer and any(region.path.startswith(p) for p in acting.county_paths)
        )
        if not covers:
            # The key acts as its owner: requests it posts in the area must be ones the owner may register.
            errors.append(
                FieldError(
                    "owner", f"must be an administrator or an officer or leader serving in {region.name}"
                )
            )
    return errors


def api_key_issue(*, actor: Actor | Any, name: str, owner: Any, region: Region) -> tuple[ApiKey, str]:
    """Issue a key; the plain key is returned once and only its hash is kept."""
    actor = as_actor(actor)
    errors = []
    if not actor.is_admin:
        errors.append(FieldError("actor", "only an administrator issues Open311 keys", code="forbidden"))
    errors += api_key_problems(name=name, owner=owner, region=region)
    if errors:
        raise ValidationFailed("Key not issued", errors)
    prefix = secrets.token_hex(4)
    plain = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name.strip(),
            owner=owner,
            region=region,
            prefix=prefix,
            key_hash=_hash(plain),
            created_at=timezone.now(),
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="open311.key_issue",
            obj=key,
            data={"name": key.name, "prefix": prefix, "owner": owner.pk, "region": region.code},
        )
    return key, plain


def api_key_revoke(*, actor: Actor | Any, key: ApiKey) -> ApiKey:
    actor = as_actor(actor)
    if not actor.is_admin:
        raise ValidationFailed("Key not revoked", [FieldError("actor", "only an administrator revokes keys")])
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit_record(actor=actor, action="open311.key_revoke", obj=locked, data={"prefix": locked.prefix})
    return locked


def api_key_authenticate(plain: str) -> ApiKey | None:
    """The active key ``plain`` stands for, or None; the key's last use is recorded."""
    parts = (plain or "").strip().split("_")
    if len(parts) < 3 or parts[0] != KEY_PREFIX:
        return None
    key = ApiKey.objects.active().select_related("owner", "region").filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(plain.strip())):
        return None
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now
    return key


def resolve_place(key: ApiKey, address_id: str, address: str) -> tuple[Region, Grid | None, list[FieldError]]:
    """Where a request lands: the grid or place named by ``address_id`` (a grid code or an official region
    code inside the key's area), else the deepest place of that area named in the address, else the area."""
    area = key.region
    if address_id:
        grid = Grid.objects.select_related("region").filter(code=address_id).first()
        if grid is not None and grid.region.path.startswith(area.path):
            return grid.region, grid, []
        region = Region.objects.filter(code=address_id, level__gte=RegionLevel.COUNTY).first()
        if region is not None and region.path.startswith(area.path):
            return region, None, []
        return area, None, [FieldError("address_id", f"{address_id!r} is no grid or place in {area.name}")]
    if address:
        named = [
            r
            for r in Region.objects.filter(path__startswith=area.path, level__gt=area.level).only(
                "id", "name", "path", "level", "code"
            )
            if len(r.name) >= 2 and r.name in address
        ]
        if named:
            return max(named, key=lambda r: (r.level, len(r.name))), None, []
    return area, None, []


@dataclass
class SubmissionInput:
    service: Service
    description: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    address: str = ""
    address_id: str = ""
    zipcode: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    device_id: str = ""
    account_id: str = ""
    media_url: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    client_id: str = ""


def client_token(key: ApiKey, client_id: str) -> str | None:
    """The casework idempotency token of a client's own request id: one per key and id."""
    if not client_id:
        return None
    return "o311-" + hashlib.sha256(f"{key.pk}:{client_id}".encode()).hexdigest()[:48]


def open311_request_create(*, key: ApiKey, data: SubmissionInput) -> tuple[Submission, bool]:
    """Register a POSTed service request as a casework request (channel Open311, the service's category
    and kind, on the clock from intake) acting as the key's owner. A retry carrying the same client id
    returns the first submission (``created`` False)."""
    region, grid, errors = resolve_place(key, data.address_id, data.address)
    if errors:
        raise ValidationFailed("Request not registered", errors)
    service = data.service
    name = " ".join(p for p in (data.first_name.strip(), data.last_name.strip()) if p)
    first_line = data.description.split("\n", 1)[0].strip()
    title = f"{service.display_name}: {first_line}" if first_line else service.display_name
    intake = IntakeInput(
        channel=Channel.OPEN311,
        kind=service.kind,
        title=title[:200],
        description=data.description or service.display_name,
        region=region,
        grid=grid,
        address=data.address[:255],
        reporter_name=name[:100],
        reporter_phone=data.phone.strip(),
        is_anonymous=not name,
        category=service.category,
        latitude=data.latitude,
        longitude=data.longitude,
        client_token=client_token(key, data.client_id),
    )
    owner = actor_for(key.owner)
    with transaction.atomic():
        request, created = request_intake(actor=owner, data=intake)
        if not created:
            existing = Submission.objects.filter(request=request).first()
            if existing is not None:
                return existing, False
        submission = Submission.objects.create(
            request=request,
            service=service,
            api_key=key,
            token=secrets.token_hex(8),
            attributes=data.attributes,
            email=data.email[:254],
            media_url=data.media_url,
            address_id=data.address_id[:64],
            zipcode=data.zipcode[:16],
            device_id=data.device_id[:100],
            account_id=data.account_id[:100],
            created_at=request.created_at,
        )
        audit_record(
            actor=owner,
            action="open311.request_create",
            obj=request,
            data={"service_code": service.service_code, "key": key.prefix, "attributes": data.attributes},
        )
    return submission, True


def _lead_unit_for(actor: Actor, request: Request) -> Unit | None:
    if request.category_id and request.category.default_unit_id:
        return request.category.default_unit
    officer: Officer | None = actor.officer
    if officer is not None:
        return Unit.objects.filter(pk__in=officer.current_unit_ids()).order_by("path").first()
    return None


def _step_data(actor: Actor, request: Request, step: statuses.Step) -> dict[str, Any]:
    if step.action == statuses.Action.ASSIGN:
        lead = _lead_unit_for(actor, request)
        if lead is None:
            raise ValidationFailed(
                "Not assigned",
                [FieldError("status", "no lead unit: set the category's default responsible unit")],
            )
        return {"lead_unit": lead}
    if step.action == statuses.Action.RESOLVE:
        return {"outcome": step.outcome}
    return {}


def open311_update_post(
    *,
    key: ApiKey,
    request: Request,
    status: str,
    description: str = "",
    media_url: str = "",
    client_update_id: str = "",
) -> tuple[PostedUpdate, bool]:
    """Apply a POSTed extended status as the casework action(s) it stands for, all or nothing; a status
    the request already shows is recorded as a comment. A retried client update_id returns the first."""
    if status not in statuses.EXTENDED:
        raise ValidationFailed(
            "Update refused", [FieldError("status", f"must be one of {', '.join(statuses.EXTENDED)}")]
        )
    if client_update_id:
        existing = PostedUpdate.objects.filter(api_key=key, client_update_id=client_update_id).first()
        if existing is not None:
            return existing, False
    actor = actor_for(key.owner)
    reason = (description or str(statuses.STATUS_LABELS[status]))[:1000]
    try:
        with transaction.atomic():
            current = (
                Request.objects.visible_to(actor)
                .select_related("category__default_unit")
                .filter(pk=request.pk)
                .first()
            )
            if current is None:  # outside the key owner's scope: answered exactly like a missing request
                raise NotFound(f"service_request_id {request.tracking_code!r} not found")
            event = None
            if not statuses.is_comment(status, current.status, current.outcome):
                steps = statuses.plan(status, current.status)
                if steps is None:
                    raise ValidationFailed(
                        "Update refused",
                        [
                            FieldError(
                                "status",
                                f"a request that is {current.status} cannot move to {status}",
                                code="invalid_transition",
                            )
                        ],
                    )
                for step in steps:
                    current = request_transition(
                        actor=actor,
                        request=current,
                        action=step.action,
                        reason=reason,
                        data=_step_data(actor, current, step),
                    )
                event = current.events.order_by("-at", "-id").first()
            update = PostedUpdate.objects.create(
                api_key=key,
                client_update_id=client_update_id,
                request=current,
                status=status,
                description=description,
                media_url=media_url,
                event=event,
                created_at=timezone.now(),
            )
            audit_record(
                actor=actor,
                action="open311.update_post",
                obj=current,
                data={"status": status, "key": key.prefix, "client_update_id": client_update_id},
            )
    except IntegrityError:
        existing = PostedUpdate.objects.filter(api_key=key, client_update_id=client_update_id).first()
        if client_update_id and existing is not None:
            return existing, False
        raise
    return update, True
