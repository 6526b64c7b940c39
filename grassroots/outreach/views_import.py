"""Liaison-roster import pages (upload, dry-run report, confirmation, progress) and the coverage export.

The pages hold no rules: ``importing`` decides what is valid and who may import; ``exporting`` writes the
workbook from the scoped selectors. Someone else's job answers 404, like a missing one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from grassroots.common.errors import DomainError
from grassroots.common.scoping import Actor, actor_for, get_visible_or_404
from grassroots.territory.models import ImportJobStatus

from .exporting import coverage_workbook
from .importing import (
    COLUMNS,
    KIND_WORDS,
    require_roster_right,
    roster_job_create,
    roster_job_stale,
    roster_job_start,
)
from .models import LiaisonImportJob
from .views import _as_of, staff

S = ImportJobStatus


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.csv"}),
    )


def _importer(request: HttpRequest) -> Actor:
    actor = actor_for(request.user)
    try:
        require_roster_right(actor)
    except DomainError as exc:
        raise PermissionDenied from exc
    return actor


def _own_job(request: HttpRequest, actor: Actor, pk: int) -> LiaisonImportJob:
    return get_visible_or_404(
        LiaisonImportJob.objects.visible_to(actor).filter(created_by=request.user), pk=pk
    )


@login_required
def roster_import(request: HttpRequest) -> HttpResponse:
    actor = _importer(request)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = roster_job_create(actor=actor, upload=upload, file_name=upload.name)
        roster_job_start(actor=actor, job=job, confirm=False)
        return redirect("outreach:roster-job", pk=job.pk)
    jobs = LiaisonImportJob.objects.visible_to(actor).filter(created_by=request.user)[:10]
    kinds = [(words[1], words[0]) for words in KIND_WORDS.values()]
    return render(
        request,
        "outreach/roster_import.html",
        {"form": form, "jobs": jobs, "columns": COLUMNS, "kinds": kinds},
    )


def _job_context(job: LiaisonImportJob) -> dict[str, Any]:
    stale = roster_job_stale(job)
    running = job.status in (S.VALIDATING, S.IMPORTING) and not stale
    report = job.report or {}
    errors = [{"row": r, "column": c, "message": m} for r, c, m, _code in report.get("errors", [])]
    return {
        "job": job,
        "stale": stale,
        "running": running,
        "percent": min(100, int(100 * job.rows_processed / job.rows_total)) if job.rows_total else None,
        "report": report,
        "errors": errors,
        "errors_hidden": max(0, report.get("error_count", 0) - len(errors)),
        "can_confirm": job.status == S.VALIDATED or (job.status == S.IMPORTING and stale),
    }


@login_required
def roster_job(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _importer(request)
    return render(request, "outreach/roster_job.html", _job_context(_own_job(request, actor, pk)))


@login_required
def roster_job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment polled by htmx every second while the job runs; it stops polling once finished."""
    actor = _importer(request)
    return render(request, "outreach/_roster_status.html", _job_context(_own_job(request, actor, pk)))


@login_required
@require_POST
def roster_job_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _importer(request)
    job = _own_job(request, actor, pk)
    if not roster_job_start(actor=actor, job=job, confirm=True):
        messages.warning(request, _("This import is already running or finished."))
    return redirect("outreach:roster-job", pk=job.pk)


@login_required
def coverage_export(request: HttpRequest) -> HttpResponse:
    actor = staff(request)
    as_of = _as_of(request)
    response = HttpResponse(
        coverage_workbook(actor=actor, as_of=as_of),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="coverage-{as_of:%Y-%m-%d}.xlsx"'
    return response
