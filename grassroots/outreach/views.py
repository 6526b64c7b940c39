"""Outreach pages: the officer's day, the quick visit form, bulk entry, a visit, coverage, "before they ask",
photos. Reads through the selectors, writes through the services; a service's refusal is shown as it is."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from grassroots.common.errors import DomainError, ValidationFailed
from grassroots.common.scoping import Actor, actor_for
from grassroots.territory.models import Household, Organization
from grassroots.workforce.models import Officer

from . import selectors
from .coverage import GROUPS, coverage_total
from .events import photo_attach
from .forms import GROUP_CHOICES, BulkVisitForm, PhotoForm, VisitForm
from .routing import route_length_km
from .services import VisitInput, combine_day, visit_raise_request, visit_record, visits_bulk_record

PAGE_SIZE = 50


def staff(request: HttpRequest) -> Actor:
    """Officers, leaders and administrators; HR and residents never use the outreach pages (403)."""
    actor = actor_for(request.user)
    if not (actor.is_admin or actor.is_staff_officer):
        raise PermissionDenied
    return actor


def show_errors(request: HttpRequest, form: Any, exc: DomainError) -> None:
    """Put a service's field errors on the form (or as a message when the form has no such field)."""
    errors = getattr(exc, "errors", [])
    for error in errors:
        name = error.field if form is not None and error.field in form.fields else None
        text = (f"{_('Row')} {error.row}: " if error.row else "") + f"{error.field}: {error.message}"
        if name:
            form.add_error(name, text)
        else:
            messages.error(request, text)
    if not errors:
        messages.error(request, exc.message)


def _as_of(request: HttpRequest) -> date:
    return parse_date(request.GET.get("as_of", "")) or timezone.localdate()


@login_required
def officer_day(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    day = selectors.officer_day(actor=actor, day=_as_of(request))
    context = {"day": day, "route_km": route_length_km(day.route), "overdue": day.overdue}
    return render(request, "outreach/day.html", context)


def resolve_target(actor: Actor, text: str) -> tuple[Household | None, Organization | None]:
    """A household by number, else an organisation by exact name, within the actor's scope."""
    text = text.strip()
    household = Household.objects.visible_to(actor).filter(number=text).first()
    if household is not None:
        return household, None
    organization = Organization.objects.visible_to(actor).filter(name=text).first()
    return None, organization


@login_required
@require_http_methods(["GET", "POST"])
def visit_new(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    initial = {"client_token": secrets.token_urlsafe(16)}
    if "household" in request.GET:
        household = Household.objects.visible_to(actor).filter(pk=request.GET["household"]).first()
        initial["target"] = household.number if household else ""
    if "organization" in request.GET:
        organization = Organization.objects.visible_to(actor).filter(pk=request.GET["organization"]).first()
        initial["target"] = organization.name if organization else ""
    form = VisitForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        household, organization = resolve_target(actor, values["target"])
        if household is None and organization is None:
            form.add_error("target", _("No household or organisation with this number or name in your area."))
        else:
            data = VisitInput(
                household=household,
                organization=organization,
                visited_at=values["visited_at"],
                mode=values["mode"],
                met=values["met"],
                summary=values["summary"],
                needs=values["needs"],
                client_token=values["client_token"] or None,
            )
            try:
                with transaction.atomic():  # the visit, its request and its photo stand or fall together
                    visit = visit_record(actor=actor, data=data)
                    if values["raise_request"]:
                        visit_raise_request(actor=actor, visit=visit, kind=values["request_kind"] or "help")
                    if values.get("photo"):
                        photo_attach(actor=actor, visit=visit, upload=values["photo"])
            except DomainError as exc:
                show_errors(request, form, exc)
            else:
                messages.success(request, _("Visit recorded."))
                request_obj = visit.requests.order_by("-id").first()
                if request_obj is not None:
                    messages.success(
                        request,
                        _("Request %(code)s registered from the visit.")
                        % {"code": request_obj.tracking_code},
                    )
                return redirect("outreach:visit", pk=visit.pk)
    return render(request, "outreach/visit_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def visits_bulk(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    form = BulkVisitForm(request.POST or None, initial={"day": timezone.localdate(), "mode": "in_person"})
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        rows, problems = [], []
        for number, line in enumerate([x for x in values["rows"].splitlines() if x.strip()], start=1):
            parts = [p.strip() for p in line.replace("｜", "|").split("|")]
            parts += [""] * (4 - len(parts))
            household, organization = resolve_target(actor, parts[0])
            if household is None and organization is None:
                problems.append(
                    _("Row %(row)s: %(target)s is not a household or organisation in your area.")
                    % {"row": number, "target": parts[0]}
                )
            rows.append(
                VisitInput(
                    household=household,
                    organization=organization,
                    visited_at=combine_day(values["day"], None),
                    mode=values["mode"],
                    met=parts[1],
                    summary=parts[2],
                    needs=parts[3],
                )
            )
        if problems:
            for problem in problems:
                form.add_error("rows", problem)
        else:
            try:
                visits = visits_bulk_record(actor=actor, rows=rows)
            except ValidationFailed as exc:
                for error in exc.errors:
                    form.add_error(
                        "rows",
                        (f"{_('Row')} {error.row}: " if error.row else "")
                        + f"{error.field}: {error.message}",
                    )
            except DomainError as exc:
                show_errors(request, form, exc)
            else:
                messages.success(request, _("%(n)s visits recorded.") % {"n": len(visits)})
                return redirect("outreach:day")
    return render(request, "outreach/visits_bulk.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff(request)
    visit = selectors.visit_get(actor=actor, pk=pk)
    form = PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if request.POST.get("action") == "raise":
            try:
                created = visit_raise_request(actor=actor, visit=visit)
            except DomainError as exc:
                show_errors(request, None, exc)
            else:
                messages.success(
                    request,
                    _("Request %(code)s registered from the visit.") % {"code": created.tracking_code},
                )
            return redirect("outreach:visit", pk=visit.pk)
        if form.is_valid():
            try:
                photo_attach(
                    actor=actor,
                    visit=visit,
                    upload=form.cleaned_data["photo"],
                    caption=form.cleaned_data["caption"],
                )
            except DomainError as exc:
                show_errors(request, form, exc)
            else:
                messages.success(request, _("Photo added."))
                return redirect("outreach:visit", pk=visit.pk)
    return render(request, "outreach/visit_detail.html", {"visit": visit, "form": form})


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    group = request.GET.get("group", "officer")
    if group not in GROUPS:
        group = "officer"
    as_of = _as_of(request)
    rows = selectors.coverage_report(actor=actor, group=group, as_of=as_of)
    overdue = selectors.due_list(actor=actor, as_of=as_of, overdue_only=True)
    context = {
        "rows": rows,
        "total": coverage_total(rows),
        "group": group,
        "groups": GROUP_CHOICES,
        "as_of": as_of,
        "overdue": overdue[:200],
        "overdue_count": len(overdue),
        "source": selectors.coverage_source(as_of=as_of),
    }
    return render(request, "outreach/coverage.html", context)


@login_required
def attention(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    items = selectors.attention_list(actor=actor, as_of=_as_of(request))
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "outreach/attention.html", {"page": page, "count": len(items)})


@login_required
def visits(request: HttpRequest) -> HttpResponse:
    """Visits in scope, newest first: one officer's (default: mine), one household's, a period."""
    actor = staff(request)
    number = request.GET.get("officer", "").strip()
    household_number = request.GET.get("household", "").strip()
    since, until = parse_date(request.GET.get("since", "")), parse_date(request.GET.get("until", ""))
    if not number and not household_number and actor.officer is not None and "officer" not in request.GET:
        number = actor.officer.staff_number
    officer = Officer.objects.visible_to(actor).filter(staff_number=number).first() if number else None
    qs = selectors.visit_list(actor=actor, officer_id=officer.pk if officer else (-1 if number else None))
    if household_number:
        qs = qs.filter(household__number=household_number)
    if since:
        qs = qs.filter(visited_on__gte=since)
    if until:
        qs = qs.filter(visited_on__lte=until)
    page = Paginator(qs.prefetch_related("requests"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "officer_number": number,
        "household_number": household_number,
        "since": since,
        "until": until,
    }
    return render(request, "outreach/visits.html", context)


def photo(request: HttpRequest, token: str) -> HttpResponse:
    """Photos are never served from MEDIA_URL: only here, after the scope check (a published notice-board
    portrait to anyone)."""
    found = selectors.photo_for_viewer(actor=actor_for(request.user), token=token)
    response = FileResponse(found.file.open("rb"), content_type=found.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
