"""Pages of the political/HR department (and the people they concern): schemes and their versions, the
review queue of adjustments and appeals, mentoring, nominations and the honours register with its exemplar
pages. Reads through the selectors, writes through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from grassroots.casework.models import Request
from grassroots.common.errors import Conflict, DomainError, ValidationFailed
from grassroots.outreach.models import Visit

from . import honours, mentoring, presentation, selectors, services
from . import reviews as review_services
from .definition import APPLIES, QUOTA_SCOPES, TARGET_TYPES
from .forms import DecisionForm, GoalForm, NominateForm, NominationDecisionForm, SessionForm
from .indicators import INDICATOR_LIST, INDICATORS
from .models import GRADE_ORDER, AppealStatus, DecisionStatus, MentorshipStatus, NominationStatus
from .views import PAGE_SIZE, _actor, _error, _manager

# ------------------------------------------------------------------------------------------ schemes


@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    if request.method == "POST":
        actor = _manager(request)
        try:
            version = services.scheme_create(
                actor=actor, code=request.POST.get("code", ""), name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
            )  # fmt: skip
            return redirect("evaluation:scheme-version", version.pk)
        except DomainError as exc:
            _error(request, exc)
    return render(
        request,
        "evaluation/schemes.html",
        {"schemes": selectors.scheme_list(actor=actor), "manager": selectors.may_manage(actor)},
    )


def _definition_from_post(post: Any, current: dict[str, Any]) -> dict[str, Any]:
    """Read the editor's fields back into a definition (validation happens in the service)."""

    def num(name: str, default: Any = None) -> Any:
        raw = (post.get(name) or "").strip()
        if raw == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            return raw  # the service names the field and says it must be a number
        return int(value) if value.is_integer() and "." not in raw else value

    indicators = []
    for spec in INDICATOR_LIST:
        prefix = f"ind-{spec.code}-"
        if not post.get(prefix + "on"):
            continue
        kind = post.get(prefix + "type", "higher")
        keys = {
            "higher": ("floor", "goal"),
            "lower": ("goal", "ceiling"),
            "range": ("min", "low", "high", "max"),
        }
        target = {"type": kind, **{k: num(prefix + k) for k in keys.get(kind, ())}}
        indicators.append(
            {
                "code": spec.code,
                "weight": num(prefix + "weight", 0),
                "target": target,
                "adjust": bool(post.get(prefix + "adjust")),
                "shrink": bool(post.get(prefix + "shrink")),
                "min_sample": num(prefix + "min_sample", 1),
                "applies": post.get(prefix + "applies", "all"),
                "mass_work": bool(post.get(prefix + "mass_work")),
            }
        )
    grades = []
    for grade in GRADE_ORDER:
        if post.get(f"grade-{grade}-on"):
            rule = {"grade": str(grade), "min_score": num(f"grade-{grade}-min_score", 0)}
            share = num(f"grade-{grade}-max_share")
            if share is not None:
                rule["max_share"] = share
            grades.append(rule)
    shortlist = {
        "grades": post.getlist("shortlist-grades"),
        "min_years": num("shortlist-min_years", 0),
        "share": num("shortlist-share", 0.1),
        "max": num("shortlist-max", 10),
    }
    return {
        **current,
        "indicators": indicators,
        "grades": grades,
        "quota_scope": post.get("quota_scope", "run"),
        "front_line_credit": num("front_line_credit", 0),
        "confidence": num("confidence", 0.95),
        "veteran_years": num("veteran_years", 5),
        "grace_days": num("grace_days", 15),
        "case_mix": post.getlist("case_mix"),
        "shortlist": shortlist,
    }


@login_required
def scheme_version(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    version = selectors.scheme_version_get(actor=actor, pk=pk)
    errors: list[str] = []
    definition = version.definition
    if request.method == "POST":
        actor = _manager(request)
        action = request.POST.get("action")
        try:
            if action == "save":
                definition = _definition_from_post(request.POST, version.definition)
                version = services.scheme_version_update(
                    actor=actor, version=version, definition=definition, note=request.POST.get("note"),
                    expected_version=int(request.POST.get("version") or 0) or None,
                )  # fmt: skip
                messages.success(request, _("The draft was saved."))
                return redirect("evaluation:scheme-version", version.pk)
            if action == "activate":
                version = services.scheme_version_activate(
                    actor=actor,
                    version=version,
                    expected_version=int(request.POST.get("version") or 0) or None,
                )
                messages.success(request, _("This version is now active; it will never change."))
                return redirect("evaluation:scheme-version", version.pk)
            if action == "draft":
                draft = services.scheme_version_draft(
                    actor=actor, scheme=version.scheme, note=request.POST.get("note", "")
                )
                return redirect("evaluation:scheme-version", draft.pk)
            raise PermissionDenied
        except DomainError as exc:
            errors = [f"{e.field}: {e.message}" for e in exc.errors] or [exc.message]
    items = {i["code"]: i for i in definition["indicators"]}
    rows = [
        {
            "spec": spec,
            "item": items.get(spec.code),
            "target": presentation.target_text(items[spec.code]) if spec.code in items else "",
        }
        for spec in INDICATOR_LIST
    ]
    grade_rules = {g["grade"]: g for g in definition["grades"]}
    grades = [(str(g), presentation.grade_label(str(g)), grade_rules.get(str(g))) for g in GRADE_ORDER]
    return render(
        request,
        "evaluation/scheme_version.html",
        {
            "version": version,
            "definition": definition,
            "rows": rows,
            "grades": grades,
            "errors": errors,
            "editable": not version.is_frozen and selectors.may_manage(actor),
            "manager": selectors.may_manage(actor),
            "target_types": TARGET_TYPES,
            "applies": APPLIES,
            "quota_scopes": QUOTA_SCOPES,
            "case_mix": ("kind", "channel", "category", "urgency", "difficulty"),
        },
    )


# ------------------------------------------------------------------------------------------ reviews


@login_required
@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    return render(
        request,
        "evaluation/reviews.html",
        {
            "adjustments": selectors.adjustment_list(actor=actor, status=DecisionStatus.PENDING)[:100],
            "appeals": selectors.appeal_list(actor=actor, status=AppealStatus.OPEN)[:100],
            "decided": selectors.adjustment_list(actor=actor).exclude(status=DecisionStatus.PENDING)[:30],
            "form": DecisionForm,
        },
    )


@login_required
@require_POST
def adjustment_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    adjustment = selectors.adjustment_get(actor=actor, pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            review_services.adjustment_decide(
                actor=actor, adjustment=adjustment, approve=request.POST.get("decision") == "approve",
                reason=form.cleaned_data["reason"], expected_version=form.cleaned_data["version"],
            )  # fmt: skip
            messages.success(request, _("Decided."))
        except DomainError as exc:
            _error(request, exc)
    else:
        messages.error(request, _("A decision needs a reason."))
    return redirect(request.POST.get("next") or "evaluation:reviews")


@login_required
@require_POST
def appeal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    appeal = selectors.appeal_get(actor=actor, pk=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            review_services.appeal_decide(
                actor=actor, appeal=appeal, upheld=request.POST.get("decision") == "uphold", reason=data["reason"],
                score_delta=data.get("score_delta"), grade=data.get("grade") or "", expected_version=data["version"],
            )  # fmt: skip
            messages.success(request, _("Decided."))
        except DomainError as exc:
            _error(request, exc)
    else:
        messages.error(request, _("A decision needs a reason."))
    return redirect(request.POST.get("next") or "evaluation:reviews")


# ---------------------------------------------------------------------------------------- mentoring


@login_required
def mentoring_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    latest = selectors.latest_published_run()
    if request.method == "POST":
        actor = _manager(request)
        try:
            if latest is None:
                raise Conflict(_("Publish a run first: pairs are proposed from its scores."))
            made = mentoring.mentoring_propose(
                actor=actor, run=latest, capacity=int(request.POST.get("capacity") or 2)
            )
            messages.success(request, _("%(n)s pairs proposed.") % {"n": len(made)})
        except (DomainError, ValueError) as exc:
            if isinstance(exc, DomainError):
                _error(request, exc)
            else:
                messages.error(request, _("The capacity is a whole number."))
        return redirect("evaluation:mentoring")
    status = request.GET.get("status") or None
    pairs = selectors.mentorship_list(actor=actor, status=status)
    page = Paginator(pairs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(m, [presentation.reason_text(r) for r in m.reasons]) for m in page]
    return render(
        request,
        "evaluation/mentoring.html",
        {"page": page, "rows": rows, "manager": selectors.may_manage(actor), "latest": latest, "status": status,
         "statuses": MentorshipStatus.choices},
    )  # fmt: skip


@login_required
def mentorship_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    pair = selectors.mentorship_get(actor=actor, pk=pk)
    session_form, goal_form = SessionForm(), GoalForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("accept", "decline"):
                mentoring.mentorship_decide(actor=_manager(request), mentorship=pair, accept=action == "accept",
                                            expected_version=int(request.POST.get("version") or 0) or None)  # fmt: skip
            elif action == "session":
                session_form = SessionForm(request.POST)
                if session_form.is_valid():
                    mentoring.mentoring_session_record(
                        actor=actor, mentorship=pair, **session_form.cleaned_data
                    )
                else:
                    raise ValidationFailed(_("Session not recorded"))
            elif action == "goal":
                goal_form = GoalForm(request.POST)
                if goal_form.is_valid():
                    data = goal_form.cleaned_data
                    mentoring.mentoring_goal_add(actor=actor, mentorship=pair, title=data["title"],
                                                 indicator=data.get("indicator") or "",
                                                 target_value=data.get("target_value"), due_on=data.get("due_on"))  # fmt: skip
                else:
                    raise ValidationFailed(_("Goal not added"))
            elif action == "achieved":
                goal = pair.goals.get(pk=int(request.POST.get("goal") or 0))
                mentoring.mentoring_goal_achieve(actor=actor, goal=goal)
            else:
                raise PermissionDenied
            return redirect("evaluation:mentorship", pair.pk)
        except DomainError as exc:
            _error(request, exc)
        except pair.goals.model.DoesNotExist:
            messages.error(request, _("No such goal."))
    progress = mentoring.mentee_progress(mentorship=pair)
    return render(
        request,
        "evaluation/mentorship.html",
        {
            "pair": pair,
            "reasons": [presentation.reason_text(r) for r in pair.reasons],
            "progress": progress,
            "session_form": session_form,
            "goal_form": goal_form,
            "manager": selectors.may_manage(actor),
            "party": actor.officer is not None and actor.officer.pk in (pair.mentor_id, pair.mentee_id),
            "indicator_labels": {code: spec.label for code, spec in INDICATORS.items()},
        },
    )


# ---------------------------------------------------------------------------------------- exemplars


@login_required
@require_GET
def honour_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    page = Paginator(selectors.honour_list(actor=actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/honours.html",
        {"page": page, "titles": selectors.honour_title_list(), "manager": selectors.may_manage(actor)},
    )


@login_required
def nomination_list(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = NominateForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                made = honours.nominations_propose(
                    actor=actor, title=form.cleaned_data["title"], run=form.cleaned_data["run"]
                )
                messages.success(request, _("%(n)s candidates nominated.") % {"n": len(made)})
                return redirect("evaluation:nominations")
            except DomainError as exc:
                _error(request, exc)
        else:
            messages.error(request, _("Choose a title and a published run."))
    status = request.GET.get("status") or NominationStatus.PROPOSED
    page = Paginator(selectors.nomination_list(actor=actor, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "evaluation/nominations.html",
        {"page": page, "form": form, "status": status, "statuses": NominationStatus.choices,
         "decision_form": NominationDecisionForm, "me": request.user.pk},
    )  # fmt: skip


@login_required
@require_POST
def nomination_decide(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    nomination = selectors.nomination_get(actor=actor, pk=pk)
    form = NominationDecisionForm(request.POST)
    if form.is_valid():
        try:
            honours.nomination_decide(
                actor=actor, nomination=nomination, approve=request.POST.get("decision") == "approve",
                reason=form.cleaned_data["reason"], citation=form.cleaned_data.get("citation") or "",
                expected_version=form.cleaned_data["version"],
            )  # fmt: skip
            messages.success(request, _("The committee's decision was recorded."))
        except DomainError as exc:
            _error(request, exc)
    else:
        messages.error(request, _("A decision needs the committee's reason."))
    return redirect("evaluation:nominations")


@login_required
@require_GET
def honour_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The exemplar page: the citation, the figures, and the cases and visits that earned it, with no
    resident's personal data (a request shows its category, kind, place and dates; a visit its date, mode
    and place)."""
    actor = _actor(request)
    honour = selectors.honour_get(actor=actor, pk=pk)
    requests = (
        Request.objects.filter(pk__in=honour.request_ids)
        .select_related("region", "category")
        .only("id", "tracking_code", "kind", "status", "outcome", "created_at", "region__name", "category__name",
              "public_summary", "is_confidential")
        .order_by("created_at")
    )  # fmt: skip
    visits = (
        Visit.objects.filter(pk__in=honour.visit_ids)
        .select_related("region", "organization")
        .only("id", "visited_on", "mode", "region__name", "organization__name", "organization_id")
        .order_by("visited_on")
    )
    code = honour.title.indicator
    evidence = honour.evidence
    return render(
        request,
        "evaluation/honour.html",
        {
            "honour": honour,
            "requests": Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page")),
            "visits": visits[:200],
            "indicator": INDICATORS.get(code),
            "figure": presentation.figure(code, evidence.get("value")),
            "interval": presentation.interval(code, evidence.get("low"), evidence.get("high")),
        },
    )
