"""Mediation services: parties, sessions, the agreement and its document, confirmation, diversion."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from grassroots.common.audit import audit_record
from grassroots.common.errors import FieldError, ValidationFailed
from grassroots.common.protected import decrypt, phone_problem, protect_phone
from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.models import Organization, Resident
from grassroots.workforce.models import Unit, UnitKind

from .models import (
    Agreement,
    Confirmation,
    Kind,
    LitigationHandOff,
    MediationSession,
    Mediator,
    Party,
    PartyRole,
    Request,
    SessionOutcome,
)
from .services import InvalidTransition, _check_right, request_transition
from .workflow import Action, Right, Status


def _require_dispute(actor: Actor, request: Request, *, statuses: tuple[str, ...] | None = None) -> None:
    _check_right(actor, request, Right.HANDLER)
    if request.kind != Kind.DISPUTE:
        raise InvalidTransition("Only disputes are mediated")
    if statuses and request.status not in statuses:
        raise InvalidTransition(f"Not possible while the dispute is {request.status}")


def party_add(
    *,
    actor: Actor | Any,
    request: Request,
    role: str,
    name: str = "",
    phone: str = "",
    address: str = "",
    resident: Resident | None = None,
    organization: Organization | None = None,
) -> Party:
    actor = as_actor(actor)
    _require_dispute(actor, request)
    errors = []
    if role not in PartyRole.values:
        errors.append(FieldError("role", f"must be one of {', '.join(PartyRole.values)}"))
    display = (
        name.strip() or (resident.name if resident else "") or (organization.name if organization else "")
    )
    if not display:
        errors.append(
            FieldError("name", "is required unless a resident or organisation is chosen", code="required")
        )
    if phone and phone_problem(phone):
        errors.append(FieldError("phone", "is not a phone number"))
    if errors:
        raise ValidationFailed("Party not added", errors)
    protected = protect_phone(phone)
    with transaction.atomic():
        party = Party.objects.create(
            request=request,
            role=role,
            name=display,
            resident=resident,
            organization=organization,
            address=address,
            phone_encrypted=protected.encrypted,
            phone_hash=protected.hash,
            phone_masked=protected.masked,
        )
        audit_record(
            actor=actor,
            action="dispute.party_add",
            obj=request,
            data={"party": party.pk, "role": role, "name": display},
        )
    return party


def mediation_session_record(
    *,
    actor: Actor | Any,
    request: Request,
    at: datetime,
    place: str,
    mediators: list[Mediator],
    parties_present: list[Party],
    outcome: str,
    notes: str = "",
) -> MediationSession:
    actor = as_actor(actor)
    _require_dispute(actor, request, statuses=(Status.IN_PROGRESS,))
    errors = []
    if not mediators:
        errors.append(FieldError("mediators", "at least one mediator", code="required"))
    if any(not m.is_active for m in mediators):
        errors.append(FieldError("mediators", "includes an inactive mediator"))
    if any(p.request_id != request.pk for p in parties_present):
        errors.append(FieldError("parties_present", "includes a party of another dispute"))
    if outcome not in SessionOutcome.values:
        errors.append(FieldError("outcome", f"must be one of {', '.join(SessionOutcome.values)}"))
    if not place.strip():
        errors.append(FieldError("place", "is required", code="required"))
    if errors:
        raise ValidationFailed("Session not recorded", errors)
    with transaction.atomic():
        session = MediationSession.objects.create(
            request=request, at=at, place=place.strip(), outcome=outcome, notes=notes, recorded_by=actor.user
        )
        session.mediators.set(mediators)
        session.parties_present.set(parties_present)
        audit_record(
            actor=actor,
            action="dispute.session",
            obj=request,
            data={"session": session.pk, "outcome": outcome, "mediators": [m.pk for m in mediators]},
        )
    return session


def agreement_sign(
    *,
    actor: Actor | Any,
    request: Request,
    facts: str,
    terms: str,
    signed_on: date,
    performance: str = "",
) -> Agreement:
    """Record the signed agreement and resolve the dispute with the outcome "agreement"."""
    actor = as_actor(actor)
    _require_dispute(actor, request, statuses=(Status.IN_PROGRESS,))
    errors = []
    roles = set(request.parties.values_list("role", flat=True))
    if not {PartyRole.APPLICANT, PartyRole.RESPONDENT} <= roles:
        errors.append(FieldError("parties", "an agreement needs an applicant and a respondent"))
    if not request.mediation_sessions.exists():
        errors.append(FieldError("sessions", "record the mediation session first"))
    if not facts.strip():
        errors.append(FieldError("facts", "is required", code="required"))
    if not terms.strip():
        errors.append(FieldError("terms", "is required", code="required"))
    if signed_on > timezone.localdate():
        errors.append(FieldError("signed_on", "cannot be in the future"))
    if errors:
        raise ValidationFailed("Agreement not recorded", errors)
    with transaction.atomic():
        agreement = Agreement.objects.create(
            request=request,
            number=f"调协-{signed_on:%Y}-{request.tracking_code}",
            facts=facts.strip(),
            terms=terms.strip(),
            performance=performance.strip(),
            signed_on=signed_on,
        )
        request_transition(actor=actor, request=request, action=Action.RESOLVE, data={"outcome": "agreement"})
    return agreement


def agreement_confirmation_update(
    *,
    actor: Actor | Any,
    agreement: Agreement,
    confirmation: str,
    case_number: str = "",
) -> Agreement:
    """Judicial confirmation (司法确认): applied → confirmed or refused, with the court's case number."""
    actor = as_actor(actor)
    _check_right(actor, agreement.request, Right.HANDLER)
    allowed = {
        Confirmation.NONE: {Confirmation.APPLIED},
        Confirmation.APPLIED: {Confirmation.CONFIRMED, Confirmation.REFUSED},
    }
    if confirmation not in allowed.get(agreement.confirmation, set()):
        raise InvalidTransition(
            f"Judicial confirmation cannot go from {agreement.confirmation} to {confirmation}"
        )
    if confirmation in (Confirmation.CONFIRMED, Confirmation.REFUSED) and not case_number.strip():
        raise ValidationFailed(
            "Not updated", [FieldError("case_number", "the court's case number is required")]
        )
    with transaction.atomic():
        before = agreement.confirmation
        agreement.confirmation = confirmation
        agreement.confirmation_case_number = case_number.strip() or agreement.confirmation_case_number
        agreement.confirmation_updated_at = timezone.now()
        agreement.save()
        audit_record(
            actor=actor,
            action="dispute.confirmation",
            obj=agreement.request,
            data={"from": before, "to": confirmation, "case_number": agreement.confirmation_case_number},
        )
    return agreement


def litigation_divert(
    *,
    actor: Actor | Any,
    request: Request,
    court: Unit,
    case_number: str = "",
    materials: str = "",
    reason: str = "",
) -> LitigationHandOff:
    """Mediation did not settle it: hand the dispute to a court and resolve it as "litigation"."""
    actor = as_actor(actor)
    _require_dispute(actor, request, statuses=(Status.IN_PROGRESS,))
    if court.kind not in (UnitKind.COURT, UnitKind.TRIBUNAL, UnitKind.FILING_CENTRE):
        raise ValidationFailed(
            "Not diverted", [FieldError("court", "must be a court, tribunal or filing centre")]
        )
    with transaction.atomic():
        handoff = LitigationHandOff.objects.create(
            request=request,
            court=court,
            handed_at=timezone.now(),
            case_number=case_number.strip(),
            materials=materials,
            by=actor.user,
        )
        request_transition(
            actor=actor, request=request, action=Action.RESOLVE, reason=reason, data={"outcome": "litigation"}
        )
    return handoff


def agreement_document(*, actor: Actor | Any, agreement: Agreement) -> str:
    """The printable agreement (HTML). It carries the parties' full contacts, so rendering it is logged
    as a view of personal data."""
    actor = as_actor(actor)
    _check_right(actor, agreement.request, Right.INTAKE)
    request = agreement.request
    parties = [
        {
            "role": p.get_role_display(),
            "name": p.name,
            "address": p.address,
            "phone": decrypt(p.phone_encrypted),
        }
        for p in request.parties.all()
    ]
    sessions = request.mediation_sessions.prefetch_related("mediators")
    mediators = sorted({m.name for s in sessions for m in s.mediators.all()})
    audit_record(
        actor=actor, action="dispute.agreement_document", obj=request, data={"agreement": agreement.number}
    )
    return render_to_string(
        "casework/agreement.html",
        {"agreement": agreement, "request": request, "parties": parties, "mediators": mediators},
    )
