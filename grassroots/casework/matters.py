"""One matter, many channels (并单): likely duplicates while a request is entered, and linking."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from grassroots.common.audit import audit_record
from grassroots.common.errors import FieldError, ValidationFailed
from grassroots.common.protected import blind_index, normalise_phone
from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.models import Region

from .models import Category, Request, RequestEvent
from .services import InvalidTransition
from .workflow import TERMINAL

WINDOW_DAYS = 30
THRESHOLD = 0.45


def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in text.lower() if ch.isalnum())
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def text_similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams: robust for short Chinese text without segmentation."""
    left, right = _bigrams(a), _bigrams(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


@dataclass
class Candidate:
    request: Request
    score: float
    reasons: list[str] = field(default_factory=list)


def duplicate_candidates(
    *,
    actor: Actor | Any,
    text: str,
    region: Region,
    reporter_resident_id: int | None = None,
    reporter_phone: str = "",
    category: Category | None = None,
    exclude_id: int | None = None,
    window_days: int = WINDOW_DAYS,
    limit: int = 5,
) -> list[Candidate]:
    """Requests the actor can see that are probably the same matter: same people, same place, same
    category, similar text, within the window. Each candidate says why."""
    since = timezone.now() - timedelta(days=window_days)
    phone_hash = blind_index(normalise_phone(reporter_phone)) if reporter_phone else ""
    near = Q(region=region)
    if reporter_resident_id:
        near |= Q(reporter_resident_id=reporter_resident_id)
    if phone_hash:
        near |= Q(reporter_phone_hash=phone_hash)
    pool = (
        Request.objects.visible_to(actor)
        .filter(near, created_at__gte=since, county_id=_county_id(region))
        .exclude(status__in=TERMINAL)
        .only(
            "id",
            "tracking_code",
            "title",
            "description",
            "region_id",
            "grid_id",
            "category_id",
            "reporter_resident_id",
            "reporter_phone_hash",
            "matter_id",
            "status",
            "created_at",
        )
        .order_by("-created_at")[:500]
    )
    found = []
    for other in pool:
        if other.pk == exclude_id:
            continue
        score, reasons = 0.0, []
        if reporter_resident_id and other.reporter_resident_id == reporter_resident_id:
            score, reasons = score + 0.35, [*reasons, "same reporter"]
        elif phone_hash and other.reporter_phone_hash == phone_hash:
            score, reasons = score + 0.35, [*reasons, "same phone number"]
        if other.region_id == region.id:
            score, reasons = score + 0.15, [*reasons, "same place"]
        if category is not None and other.category_id == category.id:
            score, reasons = score + 0.15, [*reasons, "same category"]
        similarity = text_similarity(text, f"{other.title} {other.description}")
        if similarity >= 0.2:
            reasons.append(f"similar text ({similarity:.0%})")
        score += 0.5 * similarity
        if score >= THRESHOLD:
            found.append(Candidate(other, round(score, 3), reasons))
    found.sort(key=lambda c: -c.score)
    return found[:limit]


def _county_id(region: Region) -> int:
    from grassroots.territory.services import region_county

    return region_county(region).id


def request_link(*, actor: Actor | Any, request: Request, matter: Request, reason: str = "") -> Request:
    """Link ``request`` into ``matter`` (its root when ``matter`` is itself linked). Both must be visible
    to the actor as part of their area (not merely because they registered one), in one county and still
    open; the link is an event and an audit entry."""
    actor = as_actor(actor)
    visible = Request.objects.visible_to(actor, include_registered=False)
    if not actor.may_see_personal_data or not visible.filter(pk__in=[request.pk, matter.pk]).count() == 2:
        raise ValidationFailed("Not linked", [FieldError("matter", "no such request in your scope")])
    root = matter.matter or matter
    with transaction.atomic():
        locked = Request.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if root.pk == locked.pk:
            raise ValidationFailed(
                "Not linked", [FieldError("matter", "a request cannot be linked to itself")]
            )
        if locked.matter_id is not None:
            raise InvalidTransition(f"Already linked to matter {locked.matter_id}")
        if Request.objects.filter(matter=locked).exists():
            raise InvalidTransition(
                "Other requests are linked to this one: link them to the other matter first"
            )
        if locked.county_id != root.county_id:
            raise ValidationFailed("Not linked", [FieldError("matter", "is in another county")])
        if locked.status in TERMINAL or root.status in TERMINAL:
            raise InvalidTransition("Rejected or redirected requests are not linked")
        locked.matter = root
        locked.version += 1
        locked.save(update_fields=["matter", "version", "updated_at"])
        RequestEvent.objects.create(
            request=locked,
            action="link",
            from_status=locked.status,
            to_status=locked.status,
            actor=actor.user,
            at=timezone.now(),
            reason=reason,
            data={"matter": root.tracking_code},
        )
        audit_record(
            actor=actor, action="request.link", obj=locked, reason=reason, data={"matter": root.tracking_code}
        )
    return locked


def matter_count(queryset: Any) -> int:
    """Count matters, not requests: linked requests count once, with their matter."""
    return queryset.filter(matter__isnull=True).count()
