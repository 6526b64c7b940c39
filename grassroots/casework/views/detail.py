"""A request's page: its facts, timeline, clock and handling, the workflow actions, the follow-up call and,
for a dispute, the mediation forms (parties, sessions, agreement, judicial confirmation, diversion)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from grassroots.common.errors import DomainError, Forbidden, NotFound, ValidationFailed
from grassroots.common.scoping import Actor
from grassroots.workforce.models import Officer, Unit, UnitKind

from .. import follow_up, mediation, selectors, services
from ..forms import (
    DEADLINE_LABELS,
    OUTCOME_LABELS,
    ActionForm,
    AgreementForm,
    ConfirmationForm,
    DivertForm,
    FollowUpForm,
    PartyForm,
    SessionForm,
)
from ..models import Agreement, Kind, LitigationHandOff, Mediator, Request
from ..public import public_feedback_list
from ..workflow import Action, Right, Status, allowed_actions, transition_for
from .common import form_errors_from, is_leader, refusal_message, request_in_scope, safe_next, staff, stale

# Done through their own forms (follow-up), not the generic action form.
_OWN_FORM_ACTIONS = frozenset({Action.SCHEDULE_FOLLOW_UP, Action.REOPEN_DISSATISFIED})


def assignable(actor: Actor) -> tuple[QuerySet[Unit], QuerySet[Officer]]:
    units = Unit.objects.visible_to(actor).filter(is_active=True).order_by("path")
    officers = Officer.objects.visible_to(actor).filter(is_active=True).order_by("staff_number")
    return units, officers


def _action_choices(actor: Actor, item: Request) -> list[dict[str, Any]]:
    """The actions the request's status allows, less those plainly not this user's (a leader's action for
    an officer, pause while paused); the service still has the last word on the rest."""
    if item.matter_id is not None:
        return []
    choices = []
    for code in allowed_actions(item.status):
        transition = transition_for(code)
        if code in _OWN_FORM_ACTIONS or transition is None:
            continue
        if transition.right == Right.LEADER and not is_leader(actor):
            continue
        if code == Action.PAUSE and item.is_paused or code == Action.RESUME and not item.is_paused:
            continue
        if code == Action.REQUEST_EXTENSION and (
            item.extension_pending or item.extension_days_used >= item.max_extension_days
        ):
            continue
        if code in (Action.APPROVE_EXTENSION, Action.DENY_EXTENSION) and not item.extension_pending:
            continue
        choices.append({"code": code, "label": Action(code).label, "needs_reason": transition.needs_reason})
    return choices


def _detail_context(actor: Actor, item: Request, **forms: Any) -> dict[str, Any]:
    actions = _action_choices(actor, item)
    context: dict[str, Any] = {
        "item": item,
        "state": selectors.deadline_state(item),
        "deadline_labels": DEADLINE_LABELS,
        "outcome_label": OUTCOME_LABELS.get(item.outcome, item.outcome),
        "outcomes": list(OUTCOME_LABELS.items()),
        "actions": actions,
        "follow_ups": list(item.follow_ups.select_related("by")),
        "public_feedback": list(public_feedback_list(request=item)[:20]),
        "alerts": list(item.clock_alerts.select_related("unit").order_by("-created_at")[:20]),
        "linked": list(item.linked_requests.only("id", "tracking_code", "title", "channel", "created_at")),
        "extension_room": max(item.max_extension_days - item.extension_days_used, 0),
        "may_follow_up": item.matter_id is None and item.status in (Status.RESOLVED, Status.FOLLOW_UP),
        "follow_up_state": selectors.follow_up_state(item),
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
    }
    if any(a["code"] in (Action.ASSIGN, Action.REASSIGN) for a in actions):
        context["units"], context["officers"] = assignable(actor)
    if item.kind == Kind.DISPUTE:
        context.update(_dispute_context(item, **forms))
    return context


def _dispute_context(item: Request, **forms: Any) -> dict[str, Any]:
    parties = list(item.parties.all())
    county_path = item.county.path
    mediators = Mediator.objects.filter(is_active=True).filter(
        Q(region__isnull=True) | Q(region__path__startswith=county_path)
    )
    courts = Unit.objects.filter(
        is_active=True,
        kind__in=[UnitKind.COURT, UnitKind.TRIBUNAL, UnitKind.FILING_CENTRE],
        region__path__startswith=county_path,
    ).order_by("path")
    mediating = item.status == Status.IN_PROGRESS and item.matter_id is None
    agreement = Agreement.objects.filter(request=item).first()
    return {
        "dispute": True,
        "mediating": mediating,
        "parties": parties,
        "sessions": list(item.mediation_sessions.prefetch_related("mediators", "parties_present")),
        "agreement": agreement,
        "litigation": LitigationHandOff.objects.filter(request=item).select_related("court").first(),
        "party_form": forms.get("party_form") or PartyForm(),
        "session_form": forms.get("session_form")
        or SessionForm(mediators=mediators, parties=item.parties.all()),
        "agreement_form": forms.get("agreement_form") or AgreementForm(),
        "divert_form": forms.get("divert_form") or DivertForm(courts=courts),
        "confirmation_form": forms.get("confirmation_form")
        or (ConfirmationForm(agreement=agreement) if agreement is not None else None),
    }


def _name_event_actors(item: Request) -> None:
    """Officers appear by name in the timeline: one query for all of them."""
    events = list(item.events.all())
    names = dict(
        Officer.objects.filter(user_id__in={e.actor_id for e in events if e.actor_id}).values_list(
            "user_id", "name"
        )
    )
    for event in events:
        event.actor_name = names.get(event.actor_id, "")


def _render_detail(
    request: HttpRequest, actor: Actor, pk: Any, status: int = 200, **forms: Any
) -> HttpResponse:
    item = selectors.request_get(actor=actor, pk=pk)
    _name_event_actors(item)
    return render(request, "casework/detail.html", _detail_context(actor, item, **forms), status=status)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff(request)
    return _render_detail(request, actor, pk)


@login_required
@require_POST
def request_act(request: HttpRequest, pk: int) -> HttpResponse:
    """Every workflow action: one form, one service call, the service's answer shown as a message."""
    actor = staff(request)
    item = request_in_scope(actor, pk)
    units, officers = assignable(actor)
    form = ActionForm(request.POST, units=units, officers=officers)
    target = safe_next(request, request.POST.get("next", ""), reverse("casework:detail", args=[item.pk]))
    if not form.is_valid():
        problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
        messages.error(request, _("Not done: %(reason)s") % {"reason": problems})
        return redirect(target)
    data = form.cleaned_data
    action = data["action"]
    extra: dict[str, Any] = {}
    if action in (Action.ASSIGN, Action.REASSIGN):
        extra = {
            "lead_unit": data["lead_unit"],
            "assist_units": list(data["assist_units"]),
            "assignee": data["assignee"],
        }
    elif action == Action.RESOLVE:
        extra = {"outcome": data["outcome"]}
    elif action == Action.REQUEST_EXTENSION:
        extra = {"days": data["days"]}
    try:
        services.request_transition(
            actor=actor,
            request=item,
            action=action,
            reason=data["reason"],
            expected_version=data["version"],
            data=extra,
        )
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, refusal_message(exc))
    else:
        label = Action(action).label if action in Action.values else action
        messages.success(request, _("Done: %(action)s.") % {"action": label})
    return redirect(target)


@login_required
@require_POST
def request_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff(request)
    item = request_in_scope(actor, pk)
    if stale(request, item):
        return redirect("casework:detail", pk=item.pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            follow_up.follow_up_record(
                actor=actor,
                request=item,
                reached=data["reached"],
                satisfaction=data["satisfaction"] if data["reached"] else "",
                comment=data["comment"],
                mode=data["mode"],
            )
        except ValidationFailed as exc:
            form_errors_from(form, exc)
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            messages.error(request, refusal_message(exc))
            return redirect("casework:detail", pk=item.pk)
        else:
            messages.success(request, _("Follow-up recorded."))
            return redirect("casework:detail", pk=item.pk)
    return _render_detail(request, actor, item.pk, status=400, follow_up_form=form)


# Disputes -------------------------------------------------------------------------------------------------


def _dispute_post(request: HttpRequest, pk: int) -> tuple[Actor, Request]:
    actor = staff(request)
    item = request_in_scope(actor, pk)
    if item.kind != Kind.DISPUTE:
        raise Http404
    return actor, item


def _run(
    request: HttpRequest, actor: Actor, item: Request, form: Any, form_key: str, call: Any, done: str
) -> HttpResponse:
    """Validate ``form``, call the service, and either go back to the page with ``done`` or show the page
    again with the form and the service's reasons."""
    if stale(request, item):
        return redirect("casework:detail", pk=item.pk)
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationFailed as exc:
            form_errors_from(form, exc)
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as exc:
            messages.error(request, refusal_message(exc))
            return redirect("casework:detail", pk=item.pk)
        else:
            messages.success(request, done)
            return redirect("casework:detail", pk=item.pk)
    return _render_detail(request, actor, item.pk, status=400, **{form_key: form})


@login_required
@require_POST
def party_add(request: HttpRequest, pk: int) -> HttpResponse:
    actor, item = _dispute_post(request, pk)
    return _run(
        request,
        actor,
        item,
        PartyForm(request.POST),
        "party_form",
        lambda d: mediation.party_add(
            actor=actor, request=item, role=d["role"], name=d["name"], phone=d["phone"], address=d["address"]
        ),
        _("Party added."),
    )


@login_required
@require_POST
def session_record(request: HttpRequest, pk: int) -> HttpResponse:
    actor, item = _dispute_post(request, pk)
    mediators = Mediator.objects.filter(is_active=True).filter(
        Q(region__isnull=True) | Q(region__path__startswith=item.county.path)
    )
    form = SessionForm(request.POST, mediators=mediators, parties=item.parties.all())
    return _run(
        request,
        actor,
        item,
        form,
        "session_form",
        lambda d: mediation.mediation_session_record(
            actor=actor,
            request=item,
            at=d["at"],
            place=d["place"],
            mediators=list(d["mediators"]),
            parties_present=list(d["parties_present"]),
            outcome=d["outcome"],
            notes=d["notes"],
        ),
        _("Mediation session recorded."),
    )


@login_required
@require_POST
def agreement_sign(request: HttpRequest, pk: int) -> HttpResponse:
    actor, item = _dispute_post(request, pk)
    return _run(
        request,
        actor,
        item,
        AgreementForm(request.POST),
        "agreement_form",
        lambda d: mediation.agreement_sign(
            actor=actor,
            request=item,
            facts=d["facts"],
            terms=d["terms"],
            signed_on=d["signed_on"],
            performance=d["performance"],
        ),
        _("Agreement recorded; the dispute is resolved."),
    )


@login_required
@require_POST
def litigation_divert(request: HttpRequest, pk: int) -> HttpResponse:
    actor, item = _dispute_post(request, pk)
    courts = Unit.objects.filter(
        is_active=True,
        kind__in=[UnitKind.COURT, UnitKind.TRIBUNAL, UnitKind.FILING_CENTRE],
        region__path__startswith=item.county.path,
    )
    return _run(
        request,
        actor,
        item,
        DivertForm(request.POST, courts=courts),
        "divert_form",
        lambda d: mediation.litigation_divert(
            actor=actor,
            request=item,
            court=d["court"],
            case_number=d["case_number"],
            materials=d["materials"],
            reason=d["reason"],
        ),
        _("Handed over to the court; the dispute is resolved."),
    )


@login_required
@require_POST
def agreement_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Judicial confirmation (司法确认) of the agreement: applied for, then confirmed or refused."""
    actor, item = _dispute_post(request, pk)
    agreement = Agreement.objects.filter(request=item).select_related("request").first()
    if agreement is None:
        raise Http404
    return _run(
        request,
        actor,
        item,
        ConfirmationForm(request.POST, agreement=agreement),
        "confirmation_form",
        lambda d: mediation.agreement_confirmation_update(
            actor=actor, agreement=agreement, confirmation=d["confirmation"], case_number=d["case_number"]
        ),
        _("Judicial confirmation updated."),
    )


@never_cache
@login_required
def agreement_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable agreement with the parties' full contacts; the service logs every rendering."""
    actor = staff(request)
    item = request_in_scope(actor, pk)
    agreement = Agreement.objects.filter(request=item).select_related("request").first()
    if agreement is None:
        raise Http404
    try:
        html = mediation.agreement_document(actor=actor, agreement=agreement)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc
    return HttpResponse(html)
