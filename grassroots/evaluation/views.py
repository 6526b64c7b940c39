"""Evaluation pages: the overview, runs (with progress while computing), results with their breakdown and
the records behind every figure, the printable report card, units, the promotion shortlist and the .xlsx
export. Reads through the selectors, writes through the services. Residents get 403 (there is nothing
for them here); anything outside the actor's scope answers 404."""

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

from grassroots.common.errors import DomainError
from grassroots.common.scoping import Actor, actor_for

from . import exports, presentation, reviews, selectors, services
from .forms import AdjustmentForm, AppealForm, DecisionForm, ResultFilterForm, RunForm
from .indicators import INDICATORS
from .models import GRADE_ORDER, AppealStatus, DecisionStatus, RunStatus

PAGE_SIZE = 50


def _actor(request: HttpRequest) -> Actor:
    actor = actor_for(request.user)
    if not selectors.may_use_evaluation(actor):
        raise PermissionDenied
    return actor


def _manager(request: HttpRequest) -> Actor:
    actor = _actor(request)
    if not selectors.may_manage(actor):
        raise PermissionDenied
    return actor


def _error(request: HttpRequest, exc: DomainError) -> None:
    details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    messages.error(request, f"{exc.message}{': ' + details if details else ''}")


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    context: dict[str, Any] = {"manager": selectors.may_manage(actor)}
    runs = selectors.run_list(actor=actor)
    context["runs"] = list(runs[:8])
    if actor.officer is not None:
        own = selectors.result_list(actor=actor, officer_id=actor.officer.pk).filter(
            run__status=RunStatus.PUBLISHED
        )
        context["own_results"] = list(own.order_by("-run__period_end")[:8])
    latest = next((r for r in context["runs"] if r.status == RunStatus.PUBLISHED), None)
    context["latest"] = latest
    if latest is not None:
        context["grades"] = _grade_rows(selectors.grade_counts(actor=actor, run=latest))
        if actor.role == "leader" or selectors.may_manage(actor):
            context["units"] = list(selectors.unit_result_list(actor=actor, run=latest)[:20])
    if selectors.may_manage(actor):
        context["pending_adjustments"] = selectors.adjustment_list(
            actor=actor, status=DecisionStatus.PENDING
        ).count()
        context["open_appeals"] = selectors.appeal_list(actor=actor, status=AppealStatus.OPEN).count()
    return render(request, "evaluation/overview.html", context)


def _grade_rows(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    return [(str(g), presentation.grade_label(str(g)), counts.get(str(g), 0)) for g in GRADE_ORDER]


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = None
    if selectors.may_manage(actor):
        form = RunForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                run = services.run_create(
                    actor=actor, scheme_version=data["scheme_version"], period_start=data["period_start"],
                    period_end=data["period_end"], unit=data.get("unit"), label=data.get("label") or "",
                )  # fmt: skip
                services.run_start(actor=actor, run=run)
            except DomainError as exc:
                _error(request, exc)
            else:
                return redirect("evaluation:run", run.pk)
    elif request.method == "POST":
        raise PermissionDenied
    page = Paginator(selectors.run_list(actor=actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "evaluation/runs.html", {"page": page, "form": form})


def _run_context(request: HttpRequest, actor: Actor, run: Any) -> dict[str, Any]:
    filters = ResultFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    results = selectors.result_list(
        actor=actor, run=run, unit_id=data.get("unit"), peer_group=data.get("peer_group") or None,
        grade=data.get("grade") or None, search=data.get("q") or None,
    )  # fmt: skip
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "run": run,
        "page": page,
        "filters": filters,
        "manager": selectors.may_manage(actor),
        "grades": _grade_rows(selectors.grade_counts(actor=actor, run=run)) if run.results_sha256 else [],
        "peer_groups": [(code, presentation.peer_label(code)) for code in selectors.peer_groups(run=run)],
        "live": run.is_running,
    }


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    run = selectors.run_get(actor=actor, pk=pk)
    return render(request, "evaluation/run.html", _run_context(request, actor, run))


@login_required
@require_GET
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the run page polls while the run is being computed."""
    actor = _actor(request)
    run = selectors.run_get(actor=actor, pk=pk)
    response = render(request, "evaluation/_run_status.html", {"run": run, "live": run.is_running})
    if not run.is_running and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # the results are there: show the whole page
    return response


@login_required
@require_POST
def run_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    actor = _manager(request)
    run = selectors.run_get(actor=actor, pk=pk)
    version = request.POST.get("version")
    expected = int(version) if version and version.isdigit() else None
    try:
        if action == "compute":
            services.run_start(actor=actor, run=run)
        elif action == "publish":
            services.run_publish(actor=actor, run=run, expected_version=expected)
            messages.success(
                request, _("Published. The results are now visible to the officers and their leaders.")
            )
        elif action == "check":
            report = services.run_recompute(actor=actor, run=run, read_record=True)
            if report.ok:
                messages.success(
                    request, _("Recomputed from the stored inputs: identical. The record is unchanged.")
                )
            elif report.results_equal and report.record_unchanged is False:
                messages.warning(
                    request, _("Recomputed from the stored inputs: identical. The record has changed since.")
                )
            else:
                messages.error(request, _("The stored results differ from a recomputation: %(what)s") % {
                    "what": ", ".join(report.differences[:5]) or "hash"})  # fmt: skip
        elif action == "discard":
            services.run_discard(actor=actor, run=run, expected_version=expected)
            messages.success(request, _("The draft run was removed."))
            return redirect("evaluation:runs")
        else:
            raise PermissionDenied
    except DomainError as exc:
        _error(request, exc)
    return redirect("evaluation:run", run.pk)


@login_required
@require_GET
def run_export(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    run = selectors.run_get(actor=actor, pk=pk)
    response = HttpResponse(
        exports.run_xlsx(actor=actor, run=run),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="evaluation-{run.pk}.xlsx"'
    return response


@login_required
@require_GET
def shortlist(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    run = selectors.run_get(actor=actor, pk=pk)
    results = selectors.result_list(actor=actor, run=run, shortlisted=True).order_by("shortlist_rank")
    rows = [(r, [presentation.reason_text(x) for x in r.shortlist_reasons]) for r in results]
    return render(request, "evaluation/shortlist.html", {"run": run, "rows": rows})


@login_required
@require_GET
def unit_list(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    run = selectors.run_get(actor=actor, pk=pk)
    units = list(selectors.unit_result_list(actor=actor, run=run))
    codes = [i["code"] for i in run.scheme_version.definition["indicators"]]
    columns = [
        c for c in codes if c in ("on_time", "satisfaction", "mediation_success", "visit_coverage", "visits")
    ]
    table = [(u, [_unit_cell(u, c) for c in columns]) for u in units]
    return render(
        request,
        "evaluation/units.html",
        {"run": run, "table": table, "columns": [(c, INDICATORS[c].label) for c in columns]},
    )


def _unit_cell(unit_result: Any, code: str) -> dict[str, str]:
    entry = next((e for e in unit_result.breakdown if e["code"] == code), {})
    return {
        "value": presentation.figure(code, entry.get("value")),
        "interval": presentation.interval(code, entry.get("low"), entry.get("high")),
        "n": presentation.number(entry.get("n"), 0) if entry.get("n") else "",
    }


@login_required
@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    unit_result = selectors.unit_result_get(actor=actor, pk=pk)
    run = unit_result.run
    officers = selectors.result_list(actor=actor, run=run, unit_id=unit_result.unit_id)
    rows = [
        {
            "label": INDICATORS[e["code"]].label,
            "code": e["code"],
            "figure": presentation.figure(e["code"], e.get("value")),
            "interval": presentation.interval(e["code"], e.get("low"), e.get("high")),
            "k": presentation.number(e.get("k")),
            "n": presentation.number(e.get("n"), 0) if e.get("n") else "",
            "adjusted": presentation.figure(e["code"], e.get("adjusted"))
            if e.get("adjusted") is not None
            else "",
        }
        for e in unit_result.breakdown
    ]
    return render(
        request,
        "evaluation/unit.html",
        {"unit_result": unit_result, "run": run, "rows": rows, "officers": officers,
         "grades": _grade_rows(unit_result.grade_counts)},
    )  # fmt: skip


def _result_context(actor: Actor, result: Any) -> dict[str, Any]:
    definition = result.run.scheme_version.definition
    manager = selectors.may_manage(actor)
    own = result.officer.user_id is not None and result.officer.user_id == actor.pk
    return {
        "result": result,
        "run": result.run,
        "lines": presentation.lines(result.breakdown, definition),
        "rank": presentation.rank_text(result.rank, result.rank_best, result.rank_worst, result.size),
        "peer_rank": presentation.rank_text(result.peer_rank, result.peer_rank_best, result.peer_rank_worst, result.peer_size),
        "peer_label": presentation.peer_label(result.peer_group),
        "grade_label": presentation.grade_label(result.grade),
        "effective_grade_label": presentation.grade_label(result.effective_grade),
        "reasons": [presentation.reason_text(x) for x in result.shortlist_reasons],
        "manager": manager,
        "own": own,
        "may_appeal": own and result.run.is_published and not any(a.status == AppealStatus.OPEN for a in result.appeals.all()),
        "may_adjust": result.run.is_published and not own and (manager or actor.role == "leader"),
        "appeal_form": AppealForm(),
        "adjustment_form": AdjustmentForm(),
        "decision_form": DecisionForm,
        "credit": result.front_line_credit,
    }  # fmt: skip


@login_required
@require_GET
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    result = selectors.result_get(actor=actor, pk=pk)
    return render(request, "evaluation/result.html", _result_context(actor, result))


@login_required
@require_GET
def result_print(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    result = selectors.result_get(actor=actor, pk=pk)
    return render(request, "evaluation/report_card.html", _result_context(actor, result))


@login_required
@require_GET
def result_drill(request: HttpRequest, pk: int, code: str, part: str) -> HttpResponse:
    actor = _actor(request)
    result = selectors.result_get(actor=actor, pk=pk)
    found = selectors.result_drill(actor=actor, result=result, code=code, part=part)
    entry = next((e for e in result.breakdown if e["code"] == code), {})
    figure_value = entry.get("k") if part == "numerator" else entry.get("n")
    if code == "average_days" and part == "numerator":
        figure_value = entry.get("k")
    page = Paginator(found.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/drill.html",
        {"result": result, "drill": found, "page": page, "indicator": INDICATORS[code], "part": part,
         "figure": figure_value, "casework_links": actor.may_see_personal_data},
    )  # fmt: skip


@login_required
@require_POST
def result_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    result = selectors.result_get(actor=actor, pk=pk)
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            reviews.appeal_file(actor=actor, result=result, reason=form.cleaned_data["reason"])
            messages.success(request, _("Your appeal was filed; the political/HR department will decide it."))
        except DomainError as exc:
            _error(request, exc)
    else:
        messages.error(request, _("Say what is wrong and why."))
    return redirect("evaluation:result", result.pk)


@login_required
@require_POST
def result_adjust(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    result = selectors.result_get(actor=actor, pk=pk)
    form = AdjustmentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reviews.adjustment_request(
                actor=actor, result=result, kind=data["kind"], reason=data["reason"],
                score_delta=data.get("score_delta") if data["kind"] == "score" else None,
                grade=data.get("grade") or "" if data["kind"] == "grade" else "",
            )  # fmt: skip
            messages.success(request, _("The adjustment was requested; someone else decides it."))
        except DomainError as exc:
            _error(request, exc)
    else:
        messages.error(request, _("The adjustment needs a kind and a reason."))
    return redirect("evaluation:result", result.pk)
