"""Routing pages: the suggestion panel of the intake form (htmx) and the recategorise form of a request."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.casework.categorise import request_categorise
from grassroots.casework.models import Category, Kind
from grassroots.casework.selectors import request_get
from grassroots.common.errors import DomainError
from grassroots.common.scoping import Actor, actor_for

from .models import Screen, Task
from .presentation import confidence_percent
from .serving import RoutedLabel, suggest


def _staff(request: HttpRequest) -> Actor:
    actor = actor_for(request.user)
    if not (actor.is_admin or actor.is_staff_officer):
        raise PermissionDenied
    return actor


def _row(label: RoutedLabel) -> dict[str, Any]:
    return {
        "label": label.label,
        "category": label.category,
        "path": label.category_path,
        "unit": label.unit,
        "code": label.dispute_type,
        "rules": label.rules,
        "percent": confidence_percent(label.confidence),
    }


@login_required
@require_POST
def intake_suggest(request: HttpRequest) -> HttpResponse:
    """The panel beside the intake form: top-3 categories (and dispute types for a dispute) as typed."""
    _staff(request)
    title, body = request.POST.get("title", ""), request.POST.get("description", "")
    kind = request.POST.get("kind", "")
    context: dict[str, Any] = {
        "picked": request.POST.get("routing_category", ""),
        "picked_other": request.POST.get("routing_other", ""),
        "picked_dispute": request.POST.get("routing_dispute_type", ""),
        "empty": not (title.strip() or body.strip()),
    }
    if not context["empty"]:
        result = suggest(Task.CATEGORY, title=title, body=body)
        context["result"] = result
        context["rows"] = [_row(label) for label in result.labels]
        if kind == Kind.DISPUTE:
            disputes = suggest(Task.DISPUTE_TYPE, title=title, body=body)
            context["disputes"] = disputes
            context["dispute_rows"] = [_row(label) for label in disputes.labels]
    return render(request, "routing/_intake_suggestions.html", context)


@login_required
@require_POST
def categorise(request: HttpRequest, pk: int) -> HttpResponse:
    """The recategorise form of the request page: a suggestion or any category, the dispute type."""
    actor = _staff(request)
    item = request_get(actor=actor, pk=pk)
    picked = request.POST.get("category", "")
    if picked == "other":
        picked = request.POST.get("category_other", "")
    category = None
    if picked:
        category = Category.objects.filter(pk=picked if picked.isdigit() else 0, is_active=True).first()
        if category is None:
            messages.error(request, _("Not done: choose a category from the list."))
            return redirect(reverse("casework:detail", args=[item.pk]) + "#routing")
    dispute_type = request.POST.get("dispute_type")
    if item.kind != Kind.DISPUTE:
        dispute_type = None
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        request_categorise(
            actor=actor,
            request=item,
            category=category,
            dispute_type=dispute_type,
            version=version,
            screen=Screen.DETAIL,
        )
    except DomainError as exc:
        from grassroots.casework.views import refusal_message

        messages.error(request, refusal_message(exc))
    else:
        messages.success(request, _("Category saved; the choice is recorded for retraining."))
    return redirect(reverse("casework:detail", args=[item.pk]) + "#routing")
