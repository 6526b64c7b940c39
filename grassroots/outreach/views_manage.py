"""Outreach pages for liaisons, contact cards and notice boards, outreach events and their report, rules."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from grassroots.casework.models import Request
from grassroots.common.errors import DomainError
from grassroots.common.models import Role
from grassroots.common.scoping import actor_for, get_visible_or_404
from grassroots.territory.models import Grid, Household, Organization, Region
from grassroots.workforce.models import Officer

from . import selectors
from .events import EventInput, event_create, event_record_outcome, photo_attach
from .forms import BoardForm, EndForm, EventForm, HandoverForm, LiaisonForm, OutcomeForm, PhotoForm, RuleForm
from .models import DutyGeneration, Liaison, LiaisonKind
from .services import (
    liaison_assign_area,
    liaison_create,
    liaison_end,
    liaison_handover,
    notice_board_save,
    visit_rule_save,
)
from .views import PAGE_SIZE, show_errors, staff


@login_required
@require_http_methods(["GET", "POST"])
def liaisons(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    may_assign = actor.is_admin or actor.role == Role.LEADER
    form = LiaisonForm(request.POST or None, initial={"start": timezone.localdate()})
    if request.method == "POST" and may_assign and form.is_valid():
        v = form.cleaned_data
        officer = Officer.objects.visible_to(actor).filter(staff_number=v["officer"].strip()).first()
        target = v["target"].strip()
        try:
            if officer is None:
                form.add_error("officer", _("No officer with this staff number in your units."))
            elif v["whole_area"]:
                grid = Grid.objects.visible_to(actor).filter(code=target).first()
                region = None if grid else Region.objects.visible_to(actor).filter(code=target).first()
                if grid is None and region is None:
                    form.add_error("target", _("No grid or region with this code."))
                else:
                    n = liaison_assign_area(
                        actor=actor, officer=officer, start=v["start"], grid=grid, region=region
                    )
                    messages.success(request, _("%(n)s households assigned.") % {"n": n})
                    return redirect("outreach:liaisons")
            else:
                kind = v["kind"]
                lookup = {
                    LiaisonKind.HOUSEHOLD: lambda: (
                        Household.objects.visible_to(actor).filter(number=target).first()
                    ),
                    LiaisonKind.ORGANIZATION: lambda: (
                        Organization.objects.visible_to(actor).filter(name=target).first()
                    ),
                    LiaisonKind.GRID: lambda: Grid.objects.visible_to(actor).filter(code=target).first(),
                }[kind]()
                if lookup is None:
                    form.add_error("target", _("Not found in your area."))
                else:
                    liaison_create(
                        actor=actor,
                        officer=officer,
                        kind=kind,
                        start=v["start"],
                        duties=v["duties"],
                        **{kind: lookup},
                    )
                    messages.success(request, _("Liaison created."))
                    return redirect("outreach:liaisons")
        except DomainError as exc:
            show_errors(request, form, exc)
    history = request.GET.get("history") == "1"
    number = request.GET.get("officer", "").strip()
    kind = request.GET.get("kind", "")
    officer = Officer.objects.visible_to(actor).filter(staff_number=number).first() if number else None
    rows = selectors.liaison_list(
        actor=actor,
        officer_id=officer.pk if officer else (-1 if number else None),
        kind=kind if kind in LiaisonKind.values else None,
        current_only=not history,
    )
    if history:
        rows = rows.order_by("officer__staff_number", "-start", "id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/liaisons.html",
        {
            "form": form,
            "handover": HandoverForm(initial={"on": timezone.localdate()}),
            "may_assign": may_assign,
            "page": page,
            "history": history,
            "officer_number": number,
            "kind": kind,
            "kinds": LiaisonKind.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["POST"])
def liaison_handover_view(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    form = HandoverForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give both staff numbers, the first day and a reason."))
        return redirect("outreach:liaisons")
    v = form.cleaned_data
    officers = {
        o.staff_number: o
        for o in Officer.objects.visible_to(actor).filter(
            staff_number__in=[v["from_officer"], v["to_officer"]]
        )
    }
    missing = [n for n in (v["from_officer"], v["to_officer"]) if n not in officers]
    if missing:
        messages.error(
            request, _("No officer with this staff number in your units.") + " " + ", ".join(missing)
        )
        return redirect("outreach:liaisons")
    try:
        n = liaison_handover(
            actor=actor,
            from_officer=officers[v["from_officer"]],
            to_officer=officers[v["to_officer"]],
            on=v["on"],
            reason=v["reason"],
        )
    except DomainError as exc:
        show_errors(request, None, exc)
    else:
        messages.success(request, _("%(n)s liaisons handed over.") % {"n": n})
    return redirect("outreach:liaisons")


@login_required
@require_http_methods(["POST"])
def liaison_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff(request)
    liaison = selectors.liaison_get(actor=actor, pk=pk)
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            liaison_end(
                actor=actor,
                liaison=liaison,
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, _("Liaison ended."))
        except DomainError as exc:
            show_errors(request, None, exc)
    else:
        messages.error(request, _("Give the end date and a reason."))
    return redirect("outreach:liaisons")


def _officer_in_scope(request: HttpRequest, pk: int) -> Officer:
    return get_visible_or_404(Officer.objects.visible_to(actor_for(request.user)), pk=pk)


@login_required
def officer_card(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable contact card: the officer, their public phone, and whom they are in contact with."""
    actor = staff(request)
    officer = _officer_in_scope(request, pk)
    grouped = selectors.officer_liaison_summary(actor=actor, officer=officer)
    context = {
        "officer": officer,
        "board": selectors.notice_board_get(officer=officer),
        "grouped": grouped,
        "unit": selectors.officer_unit(officer=officer),
        "villages": sorted({liaison.region.name for items in grouped.values() for liaison in items}),
    }
    return render(request, "outreach/card.html", context)


def notice_board(request: HttpRequest, pk: int) -> HttpResponse:
    """The village notice board (公示牌): public once the officer published it; otherwise staff in scope."""
    officer = Officer.objects.filter(pk=pk).first()
    board = selectors.notice_board_get(officer=officer) if officer else None
    if officer is None or board is None or not board.is_published:
        if not request.user.is_authenticated:
            raise Http404
        staff(request)
        officer = _officer_in_scope(request, pk)
    villages = Region.objects.filter(
        pk__in=Liaison.objects.filter(officer=officer).active_on(timezone.localdate()).values("region_id")
    ).order_by("path")
    context = {
        "officer": officer,
        "board": board,
        "villages": villages,
        "unit": selectors.officer_unit(officer=officer),
    }
    return render(request, "outreach/board.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def board_edit(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    if actor.officer is None:
        raise Http404
    board = selectors.notice_board_get(officer=actor.officer)
    initial = (
        {"public_phone": board.public_phone, "duties": board.duties, "is_published": board.is_published}
        if board
        else {}
    )
    form = BoardForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        v = form.cleaned_data
        try:
            portrait = photo_attach(actor=actor, upload=v["photo"]) if v.get("photo") else None
            notice_board_save(
                actor=actor,
                officer=actor.officer,
                public_phone=v["public_phone"],
                duties=v["duties"],
                is_published=v["is_published"],
                photo=portrait,
                expected_version=board.version if board else None,
            )
        except DomainError as exc:
            show_errors(request, form, exc)
        else:
            messages.success(request, _("Notice board saved."))
            return redirect("outreach:board", pk=actor.officer.pk)
    return render(request, "outreach/board_edit.html", {"form": form, "board": board})


def _month(request: HttpRequest) -> date:
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@login_required
def events(request: HttpRequest) -> HttpResponse:
    """A month calendar of outreach events."""
    actor = staff(request)
    first = _month(request)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    by_day = defaultdict(list)
    for event in selectors.event_list(actor=actor, start=first, end=last):
        by_day[timezone.localtime(event.starts_at).date()].append(event)
    weeks = [
        [(day, by_day.get(day, []), day.month == first.month) for day in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    context = {
        "weeks": weeks,
        "month": first,
        "previous": (first - timedelta(days=1)).strftime("%Y-%m"),
        "next": (last + timedelta(days=1)).strftime("%Y-%m"),
        "today": timezone.localdate(),
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
    }
    return render(request, "outreach/events.html", context)


def _officers(actor, text: str) -> tuple[list[Officer], list[str]]:
    numbers = [n.strip() for n in text.replace("，", ",").split(",") if n.strip()]
    found = {o.staff_number: o for o in Officer.objects.visible_to(actor).filter(staff_number__in=numbers)}
    return [found[n] for n in numbers if n in found], [n for n in numbers if n not in found]


@login_required
@require_http_methods(["GET", "POST"])
def event_new(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    initial = {"officers": actor.officer.staff_number if actor.officer else ""}
    form = EventForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        v = form.cleaned_data
        region = Region.objects.visible_to(actor).filter(code=v["region"].strip()).first()
        officers, unknown = _officers(actor, v["officers"])
        organization = None
        if v["organization"].strip():
            text = v["organization"].strip()
            organization = (
                Organization.objects.visible_to(actor).filter(Q(name=text) | Q(credit_code=text)).first()
            )
            if organization is None:
                form.add_error("organization", _("Not found in your area."))
        if region is None:
            form.add_error("region", _("No region with this code in your county."))
        if unknown:
            form.add_error(
                "officers", _("Unknown staff numbers: %(numbers)s") % {"numbers": ", ".join(unknown)}
            )
        if form.is_valid():
            try:
                event = event_create(
                    actor=actor,
                    data=EventInput(
                        kind=v["kind"],
                        title=v["title"],
                        starts_at=v["starts_at"],
                        ends_at=v["ends_at"],
                        region=region,
                        organization=organization,
                        venue=v["venue"],
                        officers=officers,
                        topics=v["topics"],
                    ),
                )
            except DomainError as exc:
                show_errors(request, form, exc)
            else:
                messages.success(request, _("Event scheduled."))
                return redirect("outreach:event", pk=event.pk)
    return render(request, "outreach/event_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff(request)
    event = selectors.event_get(actor=actor, pk=pk)
    initial = {
        "status": event.status,
        "attendance": event.attendance,
        "topics": event.topics,
        "version": event.version,
        "requests": ", ".join(r.tracking_code for r in event.requests.all()),
    }
    outcome = OutcomeForm(request.POST if request.POST.get("action") == "outcome" else None, initial=initial)
    photo = PhotoForm(request.POST if request.POST.get("action") == "photo" else None, request.FILES or None)
    if request.method == "POST":
        try:
            if outcome.is_bound and outcome.is_valid():
                v = outcome.cleaned_data
                codes = [c.strip().upper() for c in v["requests"].replace("，", ",").split(",") if c.strip()]
                linked = list(Request.objects.visible_to(actor).filter(tracking_code__in=codes))
                missing = set(codes) - {r.tracking_code for r in linked}
                if missing:
                    outcome.add_error(
                        "requests",
                        _("Not found in your scope: %(codes)s") % {"codes": ", ".join(sorted(missing))},
                    )
                else:
                    event_record_outcome(
                        actor=actor,
                        event=event,
                        status=v["status"],
                        attendance=v["attendance"],
                        topics=v["topics"],
                        requests=linked,
                        expected_version=v["version"],
                    )
                    messages.success(request, _("Event updated."))
                    return redirect("outreach:event", pk=event.pk)
            elif photo.is_bound and photo.is_valid():
                photo_attach(
                    actor=actor,
                    event=event,
                    upload=photo.cleaned_data["photo"],
                    caption=photo.cleaned_data["caption"],
                )
                messages.success(request, _("Photo added."))
                return redirect("outreach:event", pk=event.pk)
        except DomainError as exc:
            show_errors(request, outcome if outcome.is_bound else photo, exc)
    return render(
        request, "outreach/event_detail.html", {"event": event, "outcome": outcome, "photo_form": photo}
    )


@login_required
def event_report(request: HttpRequest) -> HttpResponse:
    """Outreach activity per officer and per place over a period (default: the last 365 days)."""
    actor = staff(request)
    end = parse_date(request.GET.get("end", "")) or timezone.localdate()
    start = parse_date(request.GET.get("start", "")) or end - timedelta(days=365)
    return render(
        request, "outreach/event_report.html", selectors.event_report(actor=actor, start=start, end=end)
    )


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    return render(
        request,
        "outreach/rules.html",
        {
            "rows": selectors.visit_rule_list(),
            "may_edit": actor.is_admin or actor.role == Role.LEADER,
            "generation": DutyGeneration.objects.filter(finished_at__isnull=False).first(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add or change a visit rule (leaders: rules of a county in their scope; administrators: any)."""
    actor = staff(request)
    if not (actor.is_admin or actor.role == Role.LEADER):
        raise PermissionDenied
    rule = selectors.visit_rule_get(pk=pk) if pk else None
    initial = {"version": rule.version} if rule else {"applies_to": "household", "is_active": True}
    if rule:
        initial.update(
            name=rule.name,
            applies_to=rule.applies_to,
            interval_days=rule.interval_days,
            care_tag=rule.care_tag,
            household_area=rule.household_area,
            organization_kind=rule.organization_kind,
            county=rule.county.code if rule.county else "",
            is_active=rule.is_active,
        )
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        v = form.cleaned_data
        county = Region.objects.filter(code=v["county"].strip()).first() if v["county"].strip() else None
        if v["county"].strip() and county is None:
            form.add_error("county", _("No region with this code."))
        else:
            try:
                visit_rule_save(
                    actor=actor,
                    rule=rule,
                    expected_version=v.get("version"),
                    name=v["name"],
                    applies_to=v["applies_to"],
                    interval_days=v["interval_days"],
                    care_tag=v["care_tag"],
                    household_area=v["household_area"],
                    organization_kind=v["organization_kind"],
                    county=county,
                    is_active=v["is_active"],
                )
            except DomainError as exc:
                show_errors(request, form, exc)
            else:
                messages.success(
                    request, _("Rule saved. The due lists follow it from their next generation.")
                )
                return redirect("outreach:rules")
    return render(request, "outreach/rule_form.html", {"form": form, "rule": rule})
