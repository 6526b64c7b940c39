"""Lists to work from: my requests (filters, deadline colours), the leader's assignment and escalation
queue, and the follow-up queue (resolved requests awaiting their call back)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.common.errors import DomainError
from grassroots.common.pagination import KeysFirstPaginator
from grassroots.common.scoping import get_visible_or_404

from .. import escalation, selectors
from ..forms import DEADLINE_LABELS, FollowUpForm, MyRequestsFilterForm
from ..models import ClockAlert, Request
from ..workflow import Action
from .common import PAGE_SIZE, is_leader, leader, refusal_message, safe_next, staff
from .detail import assignable


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    form = MyRequestsFilterForm(request.GET)
    filters = form.filters()
    requests = selectors.my_requests(
        actor=actor,
        status=filters["status"],
        kind=filters["kind"],
        channel=filters["channel"],
        deadline=filters["deadline"],
        query=filters["q"],
    )
    # Keys first: the page's order and limit come from the open-matters index, not from every row that matches.
    page = KeysFirstPaginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"item": item, "state": selectors.deadline_state(item, now)} for item in page]
    return render(
        request,
        "casework/my_requests.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "deadline_labels": DEADLINE_LABELS,
            "filtered": any(filters.values()),
        },
    )


@login_required
def leader_queue(request: HttpRequest) -> HttpResponse:
    actor = leader(request)
    queue = selectors.leader_queue(actor=actor)
    awaiting = Paginator(queue["awaiting_assignment"], PAGE_SIZE).get_page(request.GET.get("page"))
    escalations = Paginator(queue["escalations"], PAGE_SIZE).get_page(request.GET.get("alerts"))
    units, officers = assignable(actor)
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
def follow_up_queue(request: HttpRequest) -> HttpResponse:
    """Resolved requests awaiting the follow-up call, soonest due first (none the user resolved)."""
    actor = staff(request)
    page = Paginator(selectors.follow_up_queue(actor=actor), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [{"item": item, "state": selectors.follow_up_state(item, now)} for item in page]
    return render(
        request,
        "casework/follow_ups.html",
        {"page": page, "rows": rows, "deadline_labels": DEADLINE_LABELS, "form": FollowUpForm()},
    )


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    actor = staff(request)
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
        reverse("casework:queue") if is_leader(actor) else reverse("casework:detail", args=[alert.request_id])
    )
    return redirect(safe_next(request, request.POST.get("next", ""), fallback))
