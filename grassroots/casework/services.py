"""Casework writes: idempotent intake and the one transition service."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils import timezone

from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.protected import phone_problem, protect_phone
from grassroots.common.scoping import Actor, as_actor
from grassroots.insights.hooks import after_intake
from grassroots.territory.models import Grid, Region, RegionLevel, Resident
from grassroots.territory.services import region_county
from grassroots.workforce.models import Officer, Unit

from . import clock
from .models import (
    CalendarDay,
    Category,
    Channel,
    DeadlinePolicy,
    FollowUpRule,
    Kind,
    Request,
    RequestEvent,
    RequestUnit,
    Risk,
    UnitRole,
    Urgency,
)
from .workflow import Action, Right, Status, transition_for

PUBLIC_CHANNELS = frozenset({Channel.WEB, Channel.MESSAGING, Channel.OPEN311, Channel.HOTLINE})
OUTCOMES = ("agreement", "explained", "litigation", "transferred", "unable", "fulfilled")
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class InvalidTransition(DomainError):
    def __init__(self, message: str):
        super().__init__(message=message, code="invalid_transition", http_status=409)


@dataclass
class IntakeInput:
    channel: str
    kind: str
    title: str
    description: str
    region: Region
    grid: Grid | None = None
    address: str = ""
    reporter_resident: Resident | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    is_anonymous: bool = False
    category: Category | None = None
    dispute_type: str = ""
    urgency: str = Urgency.NORMAL
    risk: str = Risk.BLUE
    is_confidential: bool = False
    latitude: Any = None
    longitude: Any = None
    client_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """What makes two submissions with one client token the same submission."""
        body = [
            self.channel,
            self.kind,
            self.title.strip(),
            self.description.strip(),
            self.region.code,
            self.reporter_phone,
            getattr(self.reporter_resident, "pk", None),
        ]
        return hashlib.sha256(json.dumps(body, ensure_ascii=False, default=str).encode()).hexdigest()


def _validate_intake(actor: Actor, data: IntakeInput) -> list[FieldError]:
    errors = []
    if data.channel not in Channel.values:
        errors.append(FieldError("channel", f"must be one of {', '.join(Channel.values)}"))
    if data.kind not in Kind.values:
        errors.append(FieldError("kind", f"must be one of {', '.join(Kind.values)}"))
    if not data.title.strip():
        errors.append(FieldError("title", "is required", code="required"))
    if not data.description.strip():
        errors.append(FieldError("description", "is required", code="required"))
    if data.region.level < RegionLevel.COUNTY:
        errors.append(FieldError("region", "must be a county, township or village"))
    if data.grid is not None and data.grid.region_id != data.region.id:
        errors.append(FieldError("grid", "does not belong to this place"))
    if data.urgency not in Urgency.values:
        errors.append(FieldError("urgency", f"must be one of {', '.join(Urgency.values)}"))
    if data.risk not in Risk.values:
        errors.append(FieldError("risk", f"must be one of {', '.join(Risk.values)}"))
    if data.reporter_phone and phone_problem(data.reporter_phone):
        errors.append(FieldError("reporter_phone", "is not a phone number"))
    if data.is_anonymous:
        if data.channel not in PUBLIC_CHANNELS:
            errors.append(FieldError("is_anonymous", "anonymous requests come only through public channels"))
        if data.kind == Kind.DISPUTE:
            errors.append(FieldError("is_anonymous", "a dispute needs identified parties"))
    elif not (data.reporter_resident or data.reporter_name.strip()):
        errors.append(
            FieldError("reporter_name", "is required unless the request is anonymous", code="required")
        )
    if data.dispute_type:
        from .categories import dispute_type_resolve

        dispute_code = dispute_type_resolve(data.dispute_type)
        if dispute_code is None:
            errors.append(FieldError("dispute_type", "is not a configured dispute type", code="choice"))
        else:
            data.dispute_type = dispute_code  # a name (as routing suggests it) is stored as its code
    if data.client_token is not None and not (1 <= len(data.client_token) <= 64):
        errors.append(FieldError("client_token", "must be 1 to 64 characters"))
    return errors


def _require_intake_right(actor: Actor, data: IntakeInput) -> None:
    if actor.is_admin:
        return
    if actor.is_staff_officer:
        if not any(data.region.path.startswith(p) for p in actor.county_paths):
            raise ValidationFailed(
                "Outside your scope", [FieldError("region", "is outside your county", code="scope")]
            )
        return
    if actor.role in ("anonymous", Role.RESIDENT) and data.channel in PUBLIC_CHANNELS:
        return
    raise Forbidden("Your role may not register requests on this channel")


POLICY_CACHE_SECONDS = 60
_policy_cache: dict[str, Any] = {"policies": None, "follow_up_rules": None, "loaded": 0.0}
_county_cache: dict[str, int] = {}


def forget_cached_policies(**_: Any) -> None:
    """Drop the cached policies now and again when the current transaction commits (edits made inside a
    transaction must not leave the state read before the commit in the cache)."""
    _policy_cache.update(policies=None, follow_up_rules=None)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _policy_cache.update(policies=None, follow_up_rules=None))


post_save.connect(forget_cached_policies, sender=DeadlinePolicy, dispatch_uid="casework_policy_saved")
post_delete.connect(forget_cached_policies, sender=DeadlinePolicy, dispatch_uid="casework_policy_deleted")
post_save.connect(forget_cached_policies, sender=Category, dispatch_uid="casework_policy_category_saved")
post_save.connect(clock.forget_calendar, sender=CalendarDay, dispatch_uid="casework_calendar_saved")
post_delete.connect(clock.forget_calendar, sender=CalendarDay, dispatch_uid="casework_calendar_deleted")
post_save.connect(forget_cached_policies, sender=FollowUpRule, dispatch_uid="casework_follow_up_rule_saved")
post_delete.connect(
    forget_cached_policies, sender=FollowUpRule, dispatch_uid="casework_follow_up_rule_deleted"
)


def _forget_all(**_: Any) -> None:
    """After a migration or a flush (which sends no delete signals) nothing cached may be trusted."""
    _policy_cache.update(policies=None, follow_up_rules=None)
    _county_cache.clear()
    clock.forget_calendar()


post_migrate.connect(_forget_all, dispatch_uid="casework_intake_caches")


def _active_policies() -> list[DeadlinePolicy]:
    """The active policies, kept per process for ``POLICY_CACHE_SECONDS``. Saving or deleting a policy or a
    category in this process forgets them at once; other processes reload within that time. Only what is
    read outside a transaction (committed, as intake reads it) is kept."""
    policies = _policy_cache["policies"]
    if policies is not None and time.monotonic() - _policy_cache["loaded"] < POLICY_CACHE_SECONDS:
        return policies
    policies = list(DeadlinePolicy.objects.filter(is_active=True).select_related("category"))
    if not transaction.get_connection().in_atomic_block:
        _policy_cache.update(policies=policies, loaded=time.monotonic())
    return policies


def policy_for(*, kind: str, urgency: str, channel: str, category: Category | None) -> DeadlinePolicy | None:
    """The most specific active policy: urgency, then channel, then deepest category, then kind."""
    best, best_score = None, -1
    for policy in _active_policies():
        if (policy.urgency and policy.urgency != urgency) or (policy.channel and policy.channel != channel):
            continue
        if policy.kind and policy.kind != kind:
            continue
        depth = 0
        if policy.category_id:
            if category is None or not category.path.startswith(policy.category.path):
                continue
            depth = policy.category.path.count("/")
        score = (
            (policy.urgency != "") * 10000 + (policy.channel != "") * 1000 + depth * 10 + (policy.kind != "")
        )
        if score > best_score:
            best, best_score = policy, score
    return best


def _active_follow_up_rules() -> list[FollowUpRule]:
    rules = _policy_cache["follow_up_rules"]
    if rules is not None and time.monotonic() - _policy_cache["loaded"] < POLICY_CACHE_SECONDS:
        return rules
    rules = list(FollowUpRule.objects.filter(is_active=True))
    if not transaction.get_connection().in_atomic_block:
        _policy_cache.update(follow_up_rules=rules, loaded=time.monotonic())
    return rules


def follow_up_rule_for(*, kind: str, channel: str) -> FollowUpRule | None:
    """The most specific active follow-up rule: kind and channel, then kind, then channel, then any."""
    best, best_score = None, -1
    for rule in _active_follow_up_rules():
        if (rule.kind and rule.kind != kind) or (rule.channel and rule.channel != channel):
            continue
        score = (rule.kind != "") * 2 + (rule.channel != "")
        if score > best_score:
            best, best_score = rule, score
    return best


def follow_up_due(request: Request, resolved_at: Any) -> Any:
    """When the follow-up of ``request`` resolved at ``resolved_at`` is due; None without a rule or when
    nobody can be called back (an anonymous reporter)."""
    if request.is_anonymous:
        return None
    rule = follow_up_rule_for(kind=request.kind, channel=request.channel)
    return clock.deadline_from(resolved_at, rule.amount, rule.unit) if rule else None


def _county_id(region: Region) -> int:
    """The id of the region's county; kept per process by path (a path names the whole ancestry, so a moved
    region has a new path), and only when read outside a transaction."""
    county_id = _county_cache.get(region.path)
    if county_id is None:
        county_id = region_county(region).pk
        if not transaction.get_connection().in_atomic_block and len(_county_cache) < 100_000:
            _county_cache[region.path] = county_id
    return county_id


def county_id_for(region: Region) -> int:
    """The id of the county a region lies in."""
    return _county_id(region)


def _new_tracking_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def request_intake(*, actor: Actor | Any, data: IntakeInput) -> tuple[Request, bool]:
    """Register a request. Returns ``(request, created)``; a retry with the same client token returns the
    first request (``created`` False), and a different submission under a used token is a conflict."""
    actor = as_actor(actor)
    _require_intake_right(actor, data)
    errors = _validate_intake(actor, data)
    if errors:
        raise ValidationFailed("Request not registered", errors)
    fingerprint = data.fingerprint()
    # The unique (channel, client token) constraint settles retries: the insert is tried first and a used
    # token answers with its request; a first submission costs no look-up.
    phone = protect_phone(data.reporter_phone)
    policy = policy_for(kind=data.kind, urgency=data.urgency, channel=data.channel, category=data.category)
    county_id = _county_id(data.region)
    # The clock starts at registration; computed before the transaction so the calendar read is committed
    # state (and may be kept per process).
    now = timezone.now()
    due_at = clock.deadline_from(now, policy.amount, policy.unit) if policy else None
    try:
        with transaction.atomic():
            request = Request.objects.create(
                tracking_code=_new_tracking_code(),
                kind=data.kind,
                channel=data.channel,
                client_token=data.client_token or None,
                intake_fingerprint=fingerprint,
                title=data.title.strip(),
                description=data.description.strip(),
                reporter_resident=data.reporter_resident,
                reporter_name=data.reporter_name.strip(),
                reporter_phone_encrypted=phone.encrypted,
                reporter_phone_hash=phone.hash,
                reporter_phone_masked=phone.masked,
                is_anonymous=data.is_anonymous,
                region=data.region,
                county_id=county_id,
                grid=data.grid,
                address=data.address,
                latitude=data.latitude,
                longitude=data.longitude,
                category=data.category,
                dispute_type=data.dispute_type,
                urgency=data.urgency,
                risk=data.risk,
                is_confidential=data.is_confidential,
                deadline_amount=policy.amount if policy else None,
                deadline_unit=policy.unit if policy else "",
                max_extension_days=policy.max_extension_days if policy else 0,
                due_at=due_at,
                created_by=actor.user if getattr(actor.user, "is_authenticated", False) else None,
                created_at=now,
            )
            request.intake_event = RequestEvent.objects.create(
                request=request,
                action="intake",
                from_status="",
                to_status=Status.REGISTERED,
                actor=request.created_by,
                at=now,
                data={"channel": data.channel},
            )
            audit_record(
                actor=actor,
                action="request.intake",
                obj=request,
                data={"tracking_code": request.tracking_code, "channel": data.channel, "kind": data.kind},
            )
            transaction.on_commit(lambda: after_intake(request.pk), robust=True)  # danger text → warning
    except IntegrityError:
        # A retry (or a concurrent one that won the race) with the same token: answer with its request.
        if data.client_token:
            existing = _existing_for_token(data.channel, data.client_token, fingerprint)
            if existing is not None:
                return existing, False
        raise
    return request, True


def _existing_for_token(channel: str, token: str, fingerprint: str) -> Request | None:
    existing = Request.objects.filter(channel=channel, client_token=token).first()
    if existing is not None and existing.intake_fingerprint != fingerprint:
        raise Conflict("This client token was already used for a different request")
    return existing


def _lead_unit(request: Request) -> Unit | None:
    link = RequestUnit.objects.filter(request=request, role=UnitRole.LEAD, is_active=True).select_related(
        "unit"
    )
    first = link.first()
    return first.unit if first else None


def _covers(actor: Actor, unit: Unit | None) -> bool:
    return unit is not None and any(unit.path.startswith(p) for p in actor.unit_paths)


def _check_right(actor: Actor, request: Request, right: str) -> None:
    if not Request.objects.visible_to(actor, include_registered=False).filter(pk=request.pk).exists():
        if not Request.objects.visible_to(actor).filter(pk=request.pk).exists():
            raise NotFound()
        # Seen because this officer registered it; acting on it belongs to the place's officers and units.
        raise Forbidden("This request is outside your area: only its place's officers and units act on it")
    if actor.is_admin:
        return
    if not actor.is_staff_officer:
        raise Forbidden("Your role may not act on requests")
    lead = _lead_unit(request)
    if right == Right.INTAKE:
        return
    if right == Right.LEADER:
        if actor.role == Role.LEADER and (lead is None or _covers(actor, lead)):
            return
        raise Forbidden("Only a leader of the lead unit may do this")
    if right == Right.HANDLER:
        if (actor.officer and request.assignee_id == actor.officer.id) or _covers(actor, lead):
            return
        raise Forbidden("Only the lead unit's officers may do this")
    if right == Right.FOLLOW_UP:
        if request.resolved_by_id is not None and request.resolved_by_id == actor.pk:
            raise Forbidden("Follow-up must be done by someone other than the resolver")
        return
    raise Forbidden("Unknown right")


def _apply_effects(
    actor: Actor, request: Request, action: str, data: dict[str, Any], now: Any
) -> dict[str, Any]:
    """Action-specific guards and field changes; returns what goes into the event's data."""
    if action in (Action.ASSIGN, Action.REASSIGN):
        lead = data.get("lead_unit")
        if not isinstance(lead, Unit):
            raise ValidationFailed("Not assigned", [FieldError("lead_unit", "is required", code="required")])
        assist = [u for u in data.get("assist_units", []) if u.pk != lead.pk]
        assignee = data.get("assignee")
        if assignee is not None and not isinstance(assignee, Officer):
            raise ValidationFailed("Not assigned", [FieldError("assignee", "must be an officer")])
        RequestUnit.objects.filter(request=request, is_active=True).update(is_active=False)
        RequestUnit.objects.bulk_create(
            [RequestUnit(request=request, unit=lead, role=UnitRole.LEAD, assigned_at=now)]
            + [RequestUnit(request=request, unit=u, role=UnitRole.ASSIST, assigned_at=now) for u in assist]
        )
        request.assignee = assignee
        return {
            "lead_unit": lead.code,
            "assist_units": [u.code for u in assist],
            "assignee": assignee.staff_number if assignee else None,
        }
    if action == Action.RETURN:
        RequestUnit.objects.filter(request=request, role=UnitRole.LEAD, is_active=True).update(
            is_active=False
        )
        request.assignee = None
        request.return_count = F("return_count") + 1
        return {}
    if action == Action.PAUSE:
        if request.is_paused:
            raise InvalidTransition("The clock is already paused")
        request.is_paused = True
        request.paused_at = now
        return {}
    if action == Action.RESUME:
        if not request.is_paused:
            raise InvalidTransition("The clock is not paused")
        request.is_paused = False
        moved = {}
        if request.due_at and request.paused_at:
            new_due = clock.shift_for_pause(request.due_at, request.paused_at, now, request.deadline_unit)
            moved = {"due_before": request.due_at.isoformat(), "due_after": new_due.isoformat()}
            request.due_at = new_due
        request.paused_at = None
        return moved
    if action == Action.REQUEST_EXTENSION:
        if request.extension_pending:
            raise InvalidTransition("An extension is already awaiting approval")
        days = data.get("days")
        room = request.max_extension_days - request.extension_days_used
        if not isinstance(days, int) or not 1 <= days <= max(room, 0):
            raise ValidationFailed(
                "No extension requested",
                [
                    FieldError(
                        "days",
                        f"must be 1 to {max(room, 0)} days (the rule allows {request.max_extension_days} "
                        f"in all, {request.extension_days_used} used)",
                    )
                ],
            )
        request.extension_pending = True
        return {"days": days}
    if action in (Action.APPROVE_EXTENSION, Action.DENY_EXTENSION):
        if not request.extension_pending:
            raise InvalidTransition("No extension is awaiting approval")
        asked = request.events.filter(action=Action.REQUEST_EXTENSION).order_by("-at", "-id").first()
        if asked is not None and asked.actor_id == actor.pk and not actor.is_admin:
            raise Forbidden("An extension is approved by someone other than who asked for it")
        request.extension_pending = False
        days = asked.data.get("days") if asked else None
        if action == Action.DENY_EXTENSION or not days:
            return {"days": days}
        moved = {"days": days}
        if request.due_at:
            new_due = clock.extend(request.due_at, days, request.deadline_unit)
            moved.update(due_before=request.due_at.isoformat(), due_after=new_due.isoformat())
            request.due_at = new_due
        request.extension_days_used = F("extension_days_used") + days
        return moved
    if action == Action.RESOLVE:
        if request.is_paused:
            raise InvalidTransition("Resume the clock before resolving")
        outcome = data.get("outcome")
        if outcome not in OUTCOMES:
            raise ValidationFailed(
                "Not resolved", [FieldError("outcome", f"must be one of {', '.join(OUTCOMES)}")]
            )
        request.outcome = outcome
        request.resolved_by = actor.user
        request.resolved_at = now
        request.extension_pending = False
        request.follow_up_due_at = follow_up_due(request, now)
        moved = {"outcome": outcome}
        if request.follow_up_due_at:
            moved["follow_up_due"] = request.follow_up_due_at.isoformat()
        return moved
    if action == Action.CLOSE:
        _require_closable(request)
        request.follow_up_due_at = None
        return {}
    if action in (Action.REOPEN, Action.REOPEN_DISSATISFIED):
        request.reopen_count = F("reopen_count") + 1
        request.outcome = ""
        request.resolved_by = None
        request.resolved_at = None
        request.follow_up_due_at = None
        request.is_paused = False
        request.paused_at = None
        request.escalation_tier = 0
        # A reopened matter gets a fresh clock of its original length.
        if request.deadline_amount:
            request.due_at = clock.deadline_from(now, request.deadline_amount, request.deadline_unit)
            return {"due_after": request.due_at.isoformat()}
        return {}
    return {}


MAX_UNREACHED_ATTEMPTS = 3


def _require_closable(request: Request) -> None:
    """A matter closes after a satisfied (or basically satisfied) follow-up, after repeated attempts that
    could not reach the reporter, or when nobody can be called back (anonymous)."""
    from .models import FollowUp, Satisfaction

    since = (
        request.events.filter(action=Action.RESOLVE)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )
    follow_ups = FollowUp.objects.filter(request=request, at__gte=since) if since else FollowUp.objects.none()
    if follow_ups.filter(
        reached=True, satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY]
    ).exists():
        return
    if follow_ups.filter(reached=False).count() >= MAX_UNREACHED_ATTEMPTS or request.is_anonymous:
        return
    raise InvalidTransition(
        "Record a follow-up first: a satisfied answer, or "
        f"{MAX_UNREACHED_ATTEMPTS} attempts that could not reach the reporter"
    )


def request_transition(
    *,
    actor: Actor | Any,
    request: Request,
    action: str,
    reason: str = "",
    expected_version: int | None = None,
    data: dict[str, Any] | None = None,
) -> Request:
    """The only way a request's status changes: lock, check version, guard and right, apply, write events."""
    actor = as_actor(actor)
    transition = transition_for(action)
    if transition is None:
        raise ValidationFailed("Unknown action", [FieldError("action", f"{action!r} is not an action")])
    data = data or {}
    with transaction.atomic():
        locked = Request.objects.select_for_update(of=("self",)).get(pk=request.pk)
        _check_right(actor, locked, transition.right)
        if locked.matter_id is not None:
            raise InvalidTransition(f"This request is handled as part of matter {locked.matter_id}")
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                f"Request {locked.tracking_code} was changed by someone else (now version "
                f"{locked.version}, you acted on version {expected_version}); reload and try again"
            )
        if locked.status not in transition.sources:
            raise InvalidTransition(f"Cannot {action} a request that is {locked.status}")
        if transition.needs_reason and not reason.strip():
            raise ValidationFailed(
                "A reason is required", [FieldError("reason", "is required", code="required")]
            )
        now = timezone.now()
        before = locked.status
        event_data = _apply_effects(actor, locked, action, data, now)
        locked.status = transition.target or before
        locked.version = F("version") + 1
        locked.save()
        locked.refresh_from_db()
        RequestEvent.objects.create(
            request=locked,
            action=action,
            from_status=before,
            to_status=locked.status,
            actor=actor.user,
            at=now,
            reason=reason.strip(),
            data=event_data,
        )
        audit_record(
            actor=actor,
            action=f"request.{action}",
            obj=locked,
            reason=reason.strip(),
            data={"from": before, "to": locked.status, **event_data},
        )
    return locked
