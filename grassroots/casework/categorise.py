"""Recategorising a request: category, dispute type and, while nobody handles it yet, the lead unit.

``request_categorise`` is the one write for these fields after intake. Like a transition it locks the row,
checks the version the client read (409 when stale) and the actor's scope (404 when out of scope), writes a
``RequestEvent`` and an audit entry; and it records the routing decision (confirmed or overridden) against
the latest suggestion, so that retraining learns from the officer's choice.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from grassroots.common.audit import audit_record
from grassroots.common.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.scoping import ANONYMOUS, Actor, as_actor
from grassroots.workforce.models import Unit

from .models import Category, Request, RequestEvent, RequestUnit, UnitRole
from .workflow import Status

CATEGORISE_EVENT = "categorise"
# A lead unit is set by routing only before anyone has been assigned; afterwards it is 改派 (reassign).
ROUTABLE_STATUSES = frozenset({Status.REGISTERED, Status.ACCEPTED, Status.REOPENED})

# Who acts for route_pending: recorded as the system in the audit trail, with an administrator's reach.
SYSTEM = Actor(user=None, role=Role.ADMIN, extra={"system": True})


def _check_right(actor: Actor, request: Request) -> None:
    if actor is ANONYMOUS or actor.role == "anonymous":
        raise Forbidden("Sign in to categorise requests")
    if not Request.objects.visible_to(actor).filter(pk=request.pk).exists():
        raise NotFound()
    if not (actor.is_admin or actor.role in (Role.OFFICER, Role.LEADER)):
        raise Forbidden("Only officers and leaders categorise requests")


def _validate(category: Category | None, dispute_type: str | None) -> str | None:
    """Checks the input; returns the dispute type's code (a name, as routing suggests it, becomes its code)."""
    from .categories import dispute_type_resolve

    errors = []
    if category is not None and not category.is_active:
        errors.append(FieldError("category", "is no longer in use", code="inactive"))
    code = None
    if dispute_type is not None:
        code = dispute_type_resolve(dispute_type) if dispute_type.strip() else ""
        if code is None:
            errors.append(FieldError("dispute_type", "is not a configured dispute type", code="choice"))
    if errors:
        raise ValidationFailed("Not categorised", errors)
    return code


def request_categorise(
    *,
    actor: Actor | Any,
    request: Request,
    category: Category | None,
    dispute_type: str | None = None,
    version: int | None,
    lead_unit: Unit | None = None,
    screen: str = "detail",
    automatic: bool = False,
) -> Request:
    """Set the request's category (and dispute type, when given; ``None`` leaves it as it is).

    ``lead_unit`` (the category's responsible unit, for routing) is applied only while the request has no
    active lead unit and is not yet assigned. ``version`` is the version the client read: a stale one is a
    conflict. Records the routing decision against the latest suggestion of each task touched."""
    from grassroots.routing.models import RoutingDecision, Task
    from grassroots.routing.services import decision_record

    actor = as_actor(actor)
    dispute_type = _validate(category, dispute_type)
    with transaction.atomic():
        locked = Request.objects.select_for_update(of=("self",)).get(pk=request.pk)
        _check_right(actor, locked)
        if version is not None and locked.version != version:
            raise Conflict(
                f"Request {locked.tracking_code} was changed by someone else (now version "
                f"{locked.version}, you acted on version {version}); reload and try again"
            )
        now = timezone.now()
        before = {
            "category": locked.category.code if locked.category_id else None,
            "dispute_type": locked.dispute_type,
        }
        locked.category = category
        if dispute_type is not None:
            locked.dispute_type = dispute_type
        data: dict[str, Any] = {
            "category_before": before["category"],
            "category_after": category.code if category else None,
            "dispute_type_before": before["dispute_type"],
            "dispute_type_after": locked.dispute_type,
        }
        if lead_unit is not None and locked.status in ROUTABLE_STATUSES:
            has_lead = RequestUnit.objects.filter(request=locked, role=UnitRole.LEAD, is_active=True).exists()
            if not has_lead:
                RequestUnit.objects.create(
                    request=locked, unit=lead_unit, role=UnitRole.LEAD, assigned_at=now
                )
                data["lead_unit"] = lead_unit.code
        locked.version = F("version") + 1
        locked.save(update_fields=["category", "dispute_type", "version", "updated_at"])
        locked.refresh_from_db()
        RequestEvent.objects.create(
            request=locked,
            action=CATEGORISE_EVENT,
            from_status=locked.status,
            to_status=locked.status,
            actor=actor.user if getattr(actor.user, "is_authenticated", False) else None,
            at=now,
            data={**data, "automatic": automatic},
        )
        audit_record(actor=actor, action="request.categorise", obj=locked, data={**data, "screen": screen})
        decided = set(RoutingDecision.objects.filter(request=locked).values_list("task", flat=True))
        if category is not None and (
            data["category_before"] != category.code or Task.CATEGORY not in decided
        ):
            decision_record(
                actor=actor,
                request=locked,
                task=Task.CATEGORY,
                chosen_label=category.code,
                chosen_category=category,
                screen=screen,
                automatic=automatic,
            )
        changed_type = data["dispute_type_before"] != locked.dispute_type
        if (
            locked.dispute_type
            and dispute_type is not None
            and (changed_type or Task.DISPUTE_TYPE not in decided)
        ):
            decision_record(
                actor=actor,
                request=locked,
                task=Task.DISPUTE_TYPE,
                chosen_label=locked.dispute_type,
                screen=screen,
                automatic=automatic,
            )
    return locked
