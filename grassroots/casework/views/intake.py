"""The window's intake: the form built for speed, its live panels (duplicates, residents, grids, the
expected deadline) and the printable receipt (受理回执)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.common.errors import Conflict, DomainError, Forbidden, ValidationFailed
from grassroots.common.protected import phone_problem
from grassroots.common.scoping import Actor, get_visible_or_404
from grassroots.routing.intake import intake_choice, intake_record
from grassroots.territory.models import Grid, Region, RegionLevel, Resident

from .. import matters, selectors, services
from ..forms import IntakeForm, new_client_token
from ..models import Channel, Kind, Request, Urgency
from .common import form_errors_from, refusal_message, staff

RESIDENT_MATCHES = 8


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
    actor = staff(request)
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
    actor = staff(request)
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
    actor = staff(request)
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
    actor = staff(request)
    grids = _grids_for(actor, _region_in_scope(actor, request.GET.get("region")))
    return render(request, "casework/_grid_options.html", {"grids": grids})


@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable receipt (受理回执). Whoever registered the request may print it even when its place
    lies outside the part of the county they otherwise see."""
    actor = staff(request)
    visible = Request.objects.visible_to(actor).values("pk")
    registered = get_visible_or_404(
        Request.objects.filter(Q(pk__in=visible) | Q(created_by=request.user)).select_related(
            "region", "county", "matter", "category"
        ),
        pk=pk,
    )
    track_url = request.build_absolute_uri(reverse("public:track", args=[registered.tracking_code]))
    typical = selectors.typical_resolution(
        kind=registered.kind, category=registered.category, county_id=registered.county_id
    )
    return render(
        request, "casework/receipt.html", {"item": registered, "track_url": track_url, "typical": typical}
    )


@login_required
@require_GET
def intake_expected(request: HttpRequest) -> HttpResponse:
    """The panel beside the form: the deadline the request would get if it were saved now (the policy that
    intake applies), and how long similar requests took in this county over the last year."""
    actor = staff(request)
    kind = request.GET.get("kind", "")
    urgency = request.GET.get("urgency", "")
    channel = request.GET.get("channel", "")
    urgency = urgency if urgency in Urgency.values else Urgency.NORMAL
    channel = channel if channel in Channel.values else Channel.WINDOW
    category = intake_choice(request.GET).category
    expected = typical = None
    if kind in Kind.values:
        expected = selectors.expected_deadline(kind=kind, urgency=urgency, channel=channel, category=category)
        region = _region_in_scope(actor, request.GET.get("region"))
        county_id = services.county_id_for(region) if region is not None else None
        typical = selectors.typical_resolution(kind=kind, category=category, county_id=county_id)
    return render(
        request,
        "casework/_expected.html",
        {"expected": expected, "typical": typical, "needs_kind": kind not in Kind.values},
    )
