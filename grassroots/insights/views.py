"""Insights pages: the leaders' dashboard (printable, .xlsx and PDF), the list behind every figure, coverage,
warnings with acknowledge/close, hotspots and the digest. Reads through the selectors, writes through the
services; HR and residents get 404 (insights do not exist for them), as does anything out of scope."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from grassroots.casework.models import Category, Channel
from grassroots.common.errors import Conflict, ValidationFailed
from grassroots.common.scoping import Actor, actor_for
from grassroots.territory.models import Region, RegionLevel
from grassroots.workforce.models import Unit

from . import charts, digests, exports, selectors, services
from .assets import echarts_available
from .figures import DIMENSIONS, MEASURES, TABLE_MEASURES, Filters
from .hotspots import hotspot_topics
from .models import Digest, WarningKind, WarningStatus

PAGE_SIZE = 50
TABLE_ROWS = 30  # rows of each table on the page (the exports hold them all)
PRINT_ROWS = 100
HOTSPOT_DOCUMENTS = 1000


def _actor(request: HttpRequest) -> Actor:
    return selectors.require_insights(actor_for(request.user))


def _filters_or_errors(request: HttpRequest, actor: Actor) -> tuple[Filters, list[str]]:
    try:
        return selectors.parse_filters(actor, request.GET.dict()), []
    except ValidationFailed as exc:
        return selectors.parse_filters(actor, {}), [f"{_(e.field)}: {_(e.message)}" for e in exc.errors]


def _choices(actor: Actor) -> dict[str, Any]:
    return {
        "regions": Region.objects.visible_to(actor).filter(level__lte=RegionLevel.TOWNSHIP).order_by("path"),
        "units": Unit.objects.visible_to(actor).order_by("path"),
        "categories": Category.objects.filter(parent__isnull=True, is_active=True).order_by("path"),
        "channels": Channel.choices,
    }


def _context(request: HttpRequest, *, full: bool = False, rows: int = TABLE_ROWS) -> dict[str, Any]:
    """The dashboard's data; ``full`` adds the visit coverage (the page loads it separately), ``rows`` is how
    many rows of each table the page shows (the exports take every row from the data itself)."""
    actor = _actor(request)
    filters, errors = _filters_or_errors(request, actor)
    # The page loads the visit coverage separately (its own request), so that the figures never wait for it.
    data = selectors.dashboard(actor=actor, filters=filters, with_coverage=full)
    query = urlencode(filters.as_query())
    drill = reverse("insights:drill")
    data.update(
        {
            "errors": errors,
            "query": query,
            "drill_url": drill,  # reversed once: the tables link every figure to its list
            "measure_labels": {code: m.label for code, m in MEASURES.items()},
            "dimension_labels": {code: d.label for code, d in DIMENSIONS.items()},
            "table_measures": TABLE_MEASURES,
            "prev_query": urlencode(filters.previous().as_query()),
            "table_rows": rows,
            "heat_rows": rows,
            "table_slice": f":{rows}",
            "heat_slice": f":{rows}",
            "charts": charts.dashboard_charts(data, drill_url=f"{drill}?{query}"),
            "echarts": echarts_available(),
            "coverage_loaded": full,
            **_choices(actor),
        }
    )
    return data


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/dashboard.html", _context(request))


@login_required
@require_GET
def coverage_tile(request: HttpRequest) -> HttpResponse:
    """The visit-coverage figure of the dashboard, loaded by the page after the rest (htmx)."""
    actor = _actor(request)
    filters, _errors = _filters_or_errors(request, actor)
    found = selectors.coverage(
        actor=actor, region=filters.region, as_of=min(filters.end, timezone.localdate())
    )
    return render(request, "insights/_coverage.html", {"coverage": found["total"] if found else None})


@login_required
@require_GET
def dashboard_print(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/print.html", _context(request, full=True, rows=PRINT_ROWS))


def _download(content: bytes, content_type: str, filters: Filters, suffix: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    name = f"insights-{filters.start.isoformat()}-{filters.end.isoformat()}.{suffix}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    data = _context(request, full=True)
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(exports.xlsx(data), kind, data["filters"], "xlsx")


@login_required
@require_GET
def export_pdf(request: HttpRequest) -> HttpResponse:
    data = _context(request, full=True)
    return _download(exports.pdf(data), "application/pdf", data["filters"], "pdf")


@login_required
@require_GET
def drill(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    filters, errors = _filters_or_errors(request, actor)
    measure = request.GET.get("measure", "total")
    dimension = request.GET.get("dimension", "")
    key = request.GET.get("key", "")
    try:
        qs = selectors.drill_list(actor=actor, filters=filters, measure=measure, dimension=dimension, key=key)
    except ValidationFailed as exc:
        errors += [f"{_(e.field)}: {_(e.message)}" for e in exc.errors]
        measure, dimension, key = "total", "", ""
        qs = selectors.drill_list(actor=actor, filters=filters, measure=measure)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    label = ""
    if dimension:
        lookup = int(key) if key.isdigit() else key
        if key in ("", "None"):
            label = str(DIMENSIONS[dimension].none_label)
        elif DIMENSIONS[dimension].key_kind == "date":
            label = key
        else:
            label = DIMENSIONS[dimension].names([lookup]).get(lookup, "") or "—"
    return render(
        request,
        "insights/drill.html",
        {
            "page": page,
            "errors": errors,
            "measure": MEASURES[measure],
            "dimension": DIMENSIONS.get(dimension),
            "key_label": label,
            "filters": filters,
            "back": f"{reverse('insights:dashboard')}?{urlencode(filters.as_query())}",
        },
    )


@login_required
@require_GET
def warning_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    status = request.GET.get("status", WarningStatus.OPEN)
    status = status if status in WarningStatus.values or status == "all" else WarningStatus.OPEN
    kind = request.GET.get("kind", "")
    kind = kind if kind in WarningKind.values else ""
    qs = selectors.warning_list(actor=actor, status="" if status == "all" else status, kind=kind)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "insights/warnings.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "statuses": WarningStatus.choices,
            "kinds": WarningKind.choices,
            "reasons": {w.pk: digests.warning_reason(w) for w in page},
        },
    )


@login_required
@require_GET
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    warning = selectors.warning_get(actor=actor, pk=pk)
    return render(
        request,
        "insights/warning.html",
        {
            "warning": warning,
            "evidence": selectors.warning_evidence(actor=actor, warning=warning),
            "history": selectors.warning_history(actor=actor, warning=warning),
            "escalated_to": list(warning.escalated_to.order_by("username")),
            "reason": digests.warning_reason(warning),
        },
    )


@login_required
@require_POST
def warning_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    actor = _actor(request)
    warning = selectors.warning_get(actor=actor, pk=pk)
    note = request.POST.get("note", "")
    try:
        version = int(request.POST.get("version", "0"))
        if step == "acknowledge":
            services.warning_acknowledge(actor=actor, warning=warning, version=version, note=note)
            messages.success(request, _("Warning acknowledged."))
        elif step == "close":
            services.warning_close(actor=actor, warning=warning, version=version, note=note)
            messages.success(request, _("Warning closed."))
        else:
            messages.error(request, _("Unknown step."))
    except ValueError:
        messages.error(request, _("The form was out of date; reload the page."))
    except ValidationFailed as exc:
        messages.error(request, "; ".join(f"{_(e.field)}: {_(e.message)}" for e in exc.errors))
    except Conflict:
        messages.error(request, _("This warning was changed by someone else; reload it."))
    return redirect("insights:warning", pk=warning.pk)


@login_required
@require_GET
def hotspots(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    filters, errors = _filters_or_errors(request, actor)
    requests = list(
        selectors.scoped_requests(actor, filters)
        .select_related("region")
        .order_by("-created_at")[:HOTSPOT_DOCUMENTS]
    )
    found = hotspot_topics(requests)
    rows = [{"topic": t, "examples": [requests[i] for i in t.examples]} for t in found[:30]]
    return render(
        request,
        "insights/hotspots.html",
        {
            "rows": rows,
            "filters": filters,
            "errors": errors,
            "documents": len(requests),
            "limit": HOTSPOT_DOCUMENTS,
            "in_topics": sum(t.size for t in found),
            **_choices(actor),
        },
    )


@login_required
@require_GET
def digest(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    period = request.GET.get("period", "daily")
    period = period if period in digests.PERIODS else "daily"
    content = digests.build(actor=actor, period=period, now=timezone.now())
    sent = Digest.objects.filter(user=request.user).order_by("-period_end", "period")[:10]
    return render(request, "insights/digest_page.html", {"digest": content, "period": period, "sent": sent})


@login_required
@require_GET
def digest_stored(request: HttpRequest, pk: int) -> HttpResponse:
    """A digest written by the scheduled command, exactly as it was e-mailed (only to its own reader)."""
    _actor(request)
    found = Digest.objects.filter(pk=pk, user=request.user).first()
    if found is None:
        from django.http import Http404

        raise Http404
    return HttpResponse(found.html)
