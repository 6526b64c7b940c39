"""Server-rendered pages. Views read through the selectors and write through the services; the only
decisions made here are which page a role may open (``access``) and what to render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from grassroots.common.audit import audit_verify
from grassroots.common.errors import Forbidden
from grassroots.common.models import Role
from grassroots.common.scoping import Actor, actor_for
from grassroots.territory import selectors as territory
from grassroots.territory.models import CareTag
from grassroots.territory.services import resident_reveal
from grassroots.workforce import selectors as workforce

from . import access, login_guard
from .forms import HouseholdFilterForm, OfficerFilterForm, RevealForm
from .selectors import audit_head_get

PAGE_SIZE = 50
# Home-page tables are summaries; the list pages hold the rest.
SUMMARY_ROWS = 50


# Home -------------------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    sections = {
        Role.RESIDENT: _home_resident,
        Role.OFFICER: _home_officer,
        Role.LEADER: _home_leader,
        Role.HR: _home_hr,
        Role.ADMIN: _home_admin,
    }
    build = sections.get(actor.role)
    context: dict[str, Any] = {"role": actor.role}
    if build is not None:
        context.update(build(actor))
    return render(request, "web/home.html", context)


def _home_resident(actor: Actor) -> dict[str, Any]:
    if not actor.household_id:
        return {"household": None}
    household = territory.household_get(actor=actor, pk=actor.household_id)
    return {"household": household, "region_path": territory.region_ancestors(region=household.region)}


def _own_officer(actor: Actor) -> Any:
    return workforce.officer_get(actor=actor, pk=actor.officer.pk) if actor.officer else None


def _home_officer(actor: Actor) -> dict[str, Any]:
    return {
        "officer": _own_officer(actor),
        "territory_totals": territory.territory_totals(actor=actor),
        "care_tag_counts": territory.household_care_tag_counts(actor=actor),
    }


def _home_leader(actor: Actor) -> dict[str, Any]:
    posts = list(workforce.post_staffing(actor=actor))
    return {
        "officer": _own_officer(actor),
        "units": list(workforce.unit_staffing(actor=actor)[:SUMMARY_ROWS]),
        "posts": posts[:SUMMARY_ROWS],
        "posts_total": len(posts),
        "workforce_totals": workforce.workforce_totals(actor=actor),
        "territory_totals": territory.territory_totals(actor=actor),
        "townships": territory.household_counts_by_township(actor=actor),
    }


def _staffing_first(posts: list[Any]) -> list[Any]:
    """Posts outside their staffing range first (largest gap first), then the rest in unit order."""

    def gap(post: Any) -> int:
        if post.staffed < post.min_staff:
            return post.min_staff - post.staffed
        if post.staffed > post.max_staff:
            return post.staffed - post.max_staff
        return 0

    return sorted(posts, key=lambda post: -gap(post))


def _home_hr(actor: Actor) -> dict[str, Any]:
    front_line = list(workforce.post_staffing(actor=actor, front_line=True))
    return {
        "workforce_totals": workforce.workforce_totals(actor=actor),
        "front_line_posts": _staffing_first(front_line)[:SUMMARY_ROWS],
        "front_line_total": len(front_line),
        "front_line_under": sum(1 for p in front_line if p.staffed < p.min_staff),
        "front_line_over": sum(1 for p in front_line if p.staffed > p.max_staff),
        "recruits": list(workforce.officer_list(actor=actor, recruits_only=True)[:10]),
        "units": list(workforce.unit_staffing(actor=actor)[:SUMMARY_ROWS]),
    }


def _home_admin(actor: Actor) -> dict[str, Any]:
    return {
        "territory_totals": territory.territory_totals(actor=actor),
        "workforce_totals": workforce.workforce_totals(actor=actor),
        "audit_head": audit_head_get(),
    }


# Households ---------------------------------------------------------------------------------------------


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    access.require(access.may_list_households(actor))
    selected_region = request.GET.get("region") or None
    form = HouseholdFilterForm(
        request.GET,
        regions=territory.household_region_choices(actor=actor, selected_code=selected_region),
        grids=territory.grid_choices(
            actor=actor, region_code=selected_region, selected_code=request.GET.get("grid") or None
        ),
        care_tags=CareTag.objects.order_by("sort_order", "code"),
    )
    filters = form.filters()
    households = territory.household_list(
        actor=actor,
        region_code=filters["region_code"] or None,
        grid_code=filters["grid_code"] or None,
        care_tag=filters["care_tag"] or None,
        search=filters["search"] or None,
    )
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/households/list.html",
        {"form": form, "page": page, "filtered": any(filters.values())},
    )


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_for(request.user)
    household = territory.household_get(actor=actor, pk=pk)
    return render(
        request,
        "web/households/detail.html",
        {
            "household": household,
            "region_path": territory.region_ancestors(region=household.region),
            "may_reveal": access.may_reveal_personal_data(actor),
            "reveal_form": RevealForm(),
        },
    )


@never_cache
@require_POST
@login_required
def resident_reveal_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one resident's unmasked ID and phone numbers once; the service writes the audit entry."""
    actor = actor_for(request.user)
    resident = territory.resident_get(actor=actor, pk=pk)
    form = RevealForm(request.POST)
    reason = form.cleaned_data["reason"].strip() if form.is_valid() else ""
    try:
        revealed = resident_reveal(actor=actor, resident=resident, reason=reason)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc
    context = {"resident": resident, "revealed": revealed, "may_reveal": False}
    if getattr(request, "htmx", False):
        return render(request, "web/households/_resident_row.html", context)
    return render(request, "web/households/revealed.html", context)


# Officers -----------------------------------------------------------------------------------------------


@login_required
def officer_list(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    access.require(access.may_list_officers(actor))
    form = OfficerFilterForm(request.GET, units=workforce.unit_list(actor=actor).filter(is_active=True))
    officers = workforce.officer_list(actor=actor, **form.filters())
    page = Paginator(officers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/officers/list.html", {"form": form, "page": page})


@login_required
def officer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_for(request.user)
    officer = workforce.officer_get(actor=actor, pk=pk)
    return render(request, "web/officers/detail.html", {"officer": officer})


# Audit --------------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def audit_verify_view(request: HttpRequest) -> HttpResponse:
    """Administrators recompute the whole hash chain on request (too slow for every page view)."""
    actor = actor_for(request.user)
    access.require(access.may_verify_audit(actor))
    result = audit_verify() if request.method == "POST" else None
    return render(request, "web/audit/verify.html", {"audit_head": audit_head_get(), "result": result})


class LoginView(auth_views.LoginView):
    """The sign-in page, refusing attempts (429) once an account or an address has failed too often."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = login_guard.seconds_locked(request, request.POST.get("username", ""))
        if not wait:
            return super().post(request, *args, **kwargs)
        minutes = max(1, round(wait / 60))
        context = self.get_context_data(form=AuthenticationForm(request))
        context["locked_message"] = ngettext(
            "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
            "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(wait)
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        login_guard.record_failure(self.request, self.request.POST.get("username", ""))
        return super().form_invalid(form)
