"""Casework pages for officers and leaders: intake at the window, my requests, a request's page with its
actions, and the leader's queue. Reads go through the selectors, every change through the services; a
service's refusal is shown to the user as it is, and nothing here decides who may do what beyond which
pages a role uses at all (403) and which objects are in scope (404)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.common.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from grassroots.common.models import Role
from grassroots.common.protected import phone_problem
from grassroots.common.scoping import Actor, actor_for, get_visible_or_404
from grassroots.routing.intake import intake_choice, intake_record
from grassroots.territory.models import Grid, Region, RegionLevel, Resident
from grassroots.workforce.models import Officer, Unit, UnitKind

from . import escalation, follow_up, matters, mediation, selectors, services
from .forms import (
    DEADLINE_LABELS,
    OUTCOME_LABELS,
    ActionForm,
    AgreementForm,
    DivertForm,
    FollowUpForm,
    IntakeForm,
    MyRequestsFilterForm,
    PartyForm,
    SessionForm,
    new_client_token,
)
from .models import Agreement, ClockAlert, Kind, LitigationHandOff, Mediator, Request
from .public import public_feedback_list
from .workflow import Action, Right, Status, allowed_actions, transition_for

PAGE_SIZE = 50
RESIDENT_MATCHES = 8
# Done through their own forms (follow-up), not the generic action form.
_OWN_FORM_ACTIONS = frozenset({Action.SCHEDULE_FOLLOW_UP, Action.REOPEN_DISSATISFIED})


# Who uses these pages -----------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> Actor:
    """Officers, leaders and administrators; HR and residents never use the casework pages (403)."""
    actor = actor_for(request.user)
    if not (actor.is_admin or actor.is_staff_officer):
        raise PermissionDenied
    return actor


def _is_leader(actor: Actor) -> bool:
    return actor.is_admin or actor.role == Role.LEADER


def _leader(request: HttpRequest) -> Actor:
    actor = _staff(request)
    if not _is_leader(actor):
        raise PermissionDenied
    return actor


def _request_in_scope(actor: Actor, pk: Any) -> Request:
    return get_visible_or_404(Request.objects.visible_to(actor), pk=pk)


# How a service's refusal reads on the page ----------------------------------------------------------------


def _field_message(message: str) -> str:
    labels = {"is required": _("is required"), "is not a phone number": _("is not a phone number")}
    return labels.get(message, message)


def refusal_message(exc: DomainError) -> str:
    if isinstance(exc, Conflict):
        return _(
            "This request was changed by someone else after you opened it, so nothing was done. "
            "The page now shows its current state: check it and try again."
        )
    if isinstance(exc, Forbidden):
        return _("You may not do this: %(reason)s") % {"reason": exc.message}
    if isinstance(exc, ValidationFailed) and exc.errors:
        details = "; ".join(f"{e.field}: {_field_message(e.message)}" for e in exc.errors)
        return _("Not done: %(reason)s") % {"reason": details}
    return _("Not done: %(reason)s") % {"reason": exc.message}


def form_errors_from(form: Any, exc: ValidationFailed) -> None:
    for error in exc.errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, _field_message(error.message))
    if not exc.errors:
        form.add_error(None, exc.message)


# Intake ---------------------------------------------------------------------------------------------------


def _intake_regions(actor: Actor) -> QuerySet[Region]:
    return (
        Region.objects.visible_to(actor)
        .filter(level__gte=RegionLevel.COUNTY)
        .only("id", "name", "level", "path", "parent_id")
        .order_by("path")
    )


def _region_in_scope(actor: Actor, value: Any) -> Region | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return _intake_regions(actor).filter(pk=pk).first()


def _grids_for(actor: Actor, region: Region | None) -> QuerySet[Grid] | list[Grid]:
    if region is None:
        return []
    return Grid.objects.visible_to(actor).filter(region=region).order_by("code")


def _resident_in_scope(actor: Actor, value: Any) -> Resident | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return (
        Resident.objects.visible_to(actor)
        .select_related("household", "household__region")
        .filter(pk=pk)
        .first()
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    actor = _staff(request)
    regions = list(_intake_regions(actor))
    if request.method == "POST":
        region = _region_in_scope(actor, request.POST.get("region"))
        form = IntakeForm(request.POST, regions=regions, grids=_grids_for(actor, region))
        if form.is_valid():
            saved = _intake_save(request, actor, form)
            if saved is not None:
                return redirect("casework:receipt", pk=saved.pk)
        chosen = _resident_in_scope(actor, request.POST.get("reporter_resident"))
    else:
        form = IntakeForm(initial={"client_token": new_client_token()}, regions=regions, grids=[])
        chosen = None
    return render(request, "casework/intake.html", {"form": form, "chosen_resident": chosen})


def _intake_save(request: HttpRequest, actor: Actor, form: IntakeForm) -> Request | None:
    data = form.cleaned_data
    resident = None
    if data["reporter_resident"]:
        resident = _resident_in_scope(actor, data["reporter_resident"])
        if resident is None:
            form.add_error(None, _("The chosen resident is not in your scope."))
            return None
    routing = intake_choice(request.POST)
    intake_input = services.IntakeInput(
        channel=data["channel"],
        kind=data["kind"],
        title=data["title"],
        description=data["description"],
        region=data["region"],
        grid=form.grids.get(data["grid"]) if data["grid"] else None,
        address=data["address"],
        reporter_resident=resident,
        reporter_name=data["reporter_name"],
        reporter_phone=data["reporter_phone"].strip(),
        is_anonymous=data["is_anonymous"],
        category=routing.category,
        dispute_type=data["dispute_type"] or routing.dispute_type,
        urgency=data["urgency"],
        risk=data["risk"],
        is_confidential=data["is_confidential"],
        client_token=data["client_token"],
    )
    try:
        saved, created = services.request_intake(actor=actor, data=intake_input)
    except Conflict:
        # The token belongs to a request already registered with other content (the form was reused
        # after going back): give this form a fresh token so that saving again registers it.
        form.data = form.data.copy()
        form.data["client_token"] = new_client_token()
        form.add_error(
            None,
            _(
                "This form was already used to register another request. Check the details and save "
                "again to register this one as a new request."
            ),
        )
        return None
    except ValidationFailed as exc:
        form_errors_from(form, exc)
        return None
    except Forbidden as exc:
        form.add_error(None, refusal_message(exc))
        return None
    if created:
        intake_record(actor=actor, request=saved, choice=routing)
    if created and data["link_matter"]:
        _link_at_intake(request, actor, saved, data["link_matter"])
    elif created:
        messages.success(request, _("Registered as %(code)s.") % {"code": saved.tracking_code})
    return saved


def _link_at_intake(request: HttpRequest, actor: Actor, saved: Request, matter_pk: int) -> None:
    matter = Request.objects.visible_to(actor).filter(pk=matter_pk).first()
    if matter is None:
        messages.warning(request, _("Registered, but the matter to link to is not in your scope."))
        return
    try:
        matters.request_link(
            actor=actor, request=saved, matter=matter, reason=_("Linked at intake: the same matter")
        )
    except DomainError as exc:
        messages.warning(
            request, _("Registered, but not linked: %(reason)s") % {"reason": refusal_message(exc)}
        )
    else:
        messages.success(
            request,
            _("Registered as %(code)s and linked to matter %(matter)s.")
            % {"code": saved.tracking_code, "matter": (matter.matter or matter).tracking_code},
        )


_SIMILAR = re.compile(r"^similar text \((\d+)%\)$")


def reason_label(reason: str) -> str:
    """The duplicate finder's reasons, in the page language."""
    labels = {
        "same reporter": _("same reporter"),
        "same phone number": _("same phone number"),
        "same place": _("same place"),
        "same category": _("same category"),
    }
    if reason in labels:
        return labels[reason]
    match = _SIMILAR.match(reason)
    if match:
        return _("similar text (%(percent)s%%)") % {"percent": match.group(1)}
    return reason


@login_required
@require_POST
def intake_duplicates(request: HttpRequest) -> HttpResponse:
    """The fragment under the intake form: likely duplicates of what is being typed."""
    actor = _staff(request)
    region = _region_in_scope(actor, request.POST.get("region"))
    text = f"{request.POST.get('title', '')} {request.POST.get('description', '')}".strip()
    phone = request.POST.get("reporter_phone", "").strip()
    phone = phone if phone and not phone_problem(phone) else ""
    resident = _resident_in_scope(actor, request.POST.get("reporter_resident"))
    candidates = []
    if region is not None and (text or phone or resident):
        found = matters.duplicate_candidates(
            actor=actor,
            text=text,
            region=region,
            reporter_resident_id=resident.pk if resident else None,
            reporter_phone=phone,
        )
        candidates = [
            {"request": c.request, "score": c.score, "reasons": [reason_label(r) for r in c.reasons]}
            for c in found
        ]
    return render(
        request,
        "casework/_duplicates.html",
        {
            "candidates": candidates,
            "needs_place": region is None,
            "selected": request.POST.get("link_matter", ""),
        },
    )


@login_required
@require_GET
def intake_residents(request: HttpRequest) -> HttpResponse:
    """Type-ahead for the reporter: residents in the officer's scope whose name matches."""
    actor = _staff(request)
    query = request.GET.get("reporter_search", "").strip()
    residents = []
    if query:
        residents = list(
            Resident.objects.visible_to(actor)
            .filter(is_active=True, name__icontains=query)
            .select_related("household", "household__region")
            .order_by("name", "id")[:RESIDENT_MATCHES]
        )
    return render(request, "casework/_residents.html", {"residents": residents, "query": query})


@login_required
@require_GET
def intake_grids(request: HttpRequest) -> HttpResponse:
    """The grid options of the chosen place (the select reloads them when the place changes)."""
    actor = _staff(request)
    grids = _grids_for(actor, _region_in_scope(actor, request.GET.get("region")))
    return render(request, "casework/_grid_options.html", {"grids": grids})


@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable receipt (受理回执). Whoever registered the request may print it even when its place
    lies outside the part of the county they otherwise see."""
    actor = _staff(request)
    visible = Request.objects.visible_to(actor).values("pk")
    registered = get_visible_or_404(
        Request.objects.filter(Q(pk__in=visible) | Q(created_by=request.user)).select_related(
            "region", "county", "matter"
        ),
        pk=pk,
    )
    track_url = request.build_absolute_uri(reverse("public:track", args=[registered.tracking_code]))
    return render(request, "casework/receipt.html", {"item": registered, "track_url": track_url})


# My requests ----------------------------------------------------------------------------------------------


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    actor = _staff(request)
    form = MyRequestsFilterForm(request.GET)
    filters = form.filters()
    requests = selectors.my_requests(actor=actor, include_closed=bool(filters["status"]))
    if filters["status"]:
        requests = requests.filter(status=filters["status"])
    if filters["kind"]:
        requests = requests.filter(kind=filters["kind"])
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"item": item, "state": selectors.deadline_state(item, now)} for item in page]
    return render(
        request,
        "casework/my_requests.html",
        {"form": form, "page": page, "rows": rows, "deadline_labels": DEADLINE_LABELS},
    )


# A request's page -----------------------------------------------------------------------------------------


def _assignable(actor: Actor) -> tuple[QuerySet[Unit], QuerySet[Officer]]:
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
        if transition.right == Right.LEADER and not _is_leader(actor):
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
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
    }
    if any(a["code"] in (Action.ASSIGN, Action.REASSIGN) for a in actions):
        context["units"], context["officers"] = _assignable(actor)
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
    actor = _staff(request)
    return _render_detail(request, actor, pk)


def _safe_next(request: HttpRequest, value: str, fallback: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return fallback


def _stale(request: HttpRequest, item: Request) -> bool:
    """The page's version against the request's: a form posted from an outdated page does nothing."""
    try:
        shown = int(request.POST.get("version", ""))
    except ValueError:
        shown = None
    if shown != item.version:
        messages.error(request, refusal_message(Conflict()))
        return True
    return False


@login_required
@require_POST
def request_act(request: HttpRequest, pk: int) -> HttpResponse:
    """Every workflow action: one form, one service call, the service's answer shown as a message."""
    actor = _staff(request)
    item = _request_in_scope(actor, pk)
    units, officers = _assignable(actor)
    form = ActionForm(request.POST, units=units, officers=officers)
    target = _safe_next(request, request.POST.get("next", ""), reverse("casework:detail", args=[item.pk]))
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
    actor = _staff(request)
    item = _request_in_scope(actor, pk)
    if _stale(request, item):
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
    actor = _staff(request)
    item = _request_in_scope(actor, pk)
    if item.kind != Kind.DISPUTE:
        raise Http404
    return actor, item


def _run(
    request: HttpRequest, actor: Actor, item: Request, form: Any, form_key: str, call: Any, done: str
) -> HttpResponse:
    """Validate ``form``, call the service, and either go back to the page with ``done`` or show the page
    again with the form and the service's reasons."""
    if _stale(request, item):
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


@never_cache
@login_required
def agreement_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable agreement with the parties' full contacts; the service logs every rendering."""
    actor = _staff(request)
    item = _request_in_scope(actor, pk)
    agreement = Agreement.objects.filter(request=item).select_related("request").first()
    if agreement is None:
        raise Http404
    try:
        html = mediation.agreement_document(actor=actor, agreement=agreement)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc
    return HttpResponse(html)


# The leader's queue ---------------------------------------------------------------------------------------


@login_required
def leader_queue(request: HttpRequest) -> HttpResponse:
    actor = _leader(request)
    queue = selectors.leader_queue(actor=actor)
    awaiting = Paginator(queue["awaiting_assignment"], PAGE_SIZE).get_page(request.GET.get("page"))
    escalations = Paginator(queue["escalations"], PAGE_SIZE).get_page(request.GET.get("alerts"))
    units, officers = _assignable(actor)
    now = timezone.now()
    return render(
        request,
        "casework/queue.html",
        {
            "awaiting": awaiting,
            "awaiting_rows": [{"item": r, "state": selectors.deadline_state(r, now)} for r in awaiting],
            "escalations": escalations,
            "units": list(units),
            "officers": list(officers),
            "deadline_labels": DEADLINE_LABELS,
            "assign_action": {
                "code": str(Action.ASSIGN),
                "label": Action.ASSIGN.label,
                "needs_reason": False,
            },
        },
    )


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _staff(request)
    alert = get_visible_or_404(
        ClockAlert.objects.filter(request__in=Request.objects.visible_to(actor)).select_related("request"),
        pk=pk,
    )
    try:
        escalation.clock_alert_acknowledge(actor=actor, alert=alert, note=request.POST.get("note", "")[:500])
    except DomainError as exc:
        messages.error(request, refusal_message(exc))
    else:
        messages.success(
            request, _("Escalation of %(code)s acknowledged.") % {"code": alert.request.tracking_code}
        )
    fallback = (
        reverse("casework:queue")
        if _is_leader(actor)
        else reverse("casework:detail", args=[alert.request_id])
    )
    return redirect(_safe_next(request, request.POST.get("next", ""), fallback))
