"""Register pages: upload a register file, read its dry-run report, confirm the import; export the register.

The pages hold no rules of their own: ``importing`` and ``exporting`` decide what is valid and allowed.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.common.errors import DomainError
from grassroots.common.scoping import Actor, actor_for

from .exporting import register_export, register_export_allowed
from .forms import RegisterExportForm, RegisterUploadForm, export_region_choices
from .importing import COLUMNS, import_job_create, import_job_live, import_job_start
from .models import ImportJob, ImportJobStatus, Region


def _register_writer(request: HttpRequest) -> Actor:
    """Officers, leaders and admins write households; HR and residents get 403."""
    actor = actor_for(request.user)
    if not (actor.is_admin or actor.is_staff_officer):
        raise PermissionDenied
    return actor


def _own_job(request: HttpRequest, pk: int) -> ImportJob:
    # Someone else's job answers 404, exactly like a missing one.
    return get_object_or_404(ImportJob, pk=pk, created_by=request.user)


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    actor = _register_writer(request)
    form = RegisterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = import_job_create(actor=actor, upload=upload, file_name=upload.name)
        import_job_start(actor=actor, job=job, confirm=False)
        return redirect("territory:import-job", pk=job.pk)
    jobs = ImportJob.objects.filter(created_by=request.user)[:10]
    return render(
        request,
        "territory/import.html",
        {"form": form, "jobs": jobs, "columns": COLUMNS},
    )


def _job_context(job: ImportJob) -> dict[str, Any]:
    live = import_job_live(job)
    running = job.status in ImportJob.RUNNING and not live["stale"]
    total = live["total"] or 0
    percent = min(100, int(100 * live["done"] / total)) if total else None
    report = job.report or {}
    errors = [
        {"row": row, "column": column, "message": message, "code": code}
        for row, column, message, code in report.get("errors", [])
    ]
    return {
        "job": job,
        "live": live,
        "running": running,
        "percent": percent,
        "report": report,
        "errors": errors,
        "errors_hidden": max(0, report.get("error_count", 0) - len(errors)),
        "can_confirm": job.status == ImportJobStatus.VALIDATED
        or (job.status == ImportJobStatus.IMPORTING and live["stale"]),
        "can_check": job.status in (ImportJobStatus.REJECTED, ImportJobStatus.FAILED)
        or (job.status == ImportJobStatus.VALIDATING and live["stale"]),
        "now": timezone.now(),
    }


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    _register_writer(request)
    job = _own_job(request, pk)
    return render(request, "territory/import_job.html", _job_context(job))


@login_required
def import_job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment polled by htmx every second while the job runs; it stops polling once finished."""
    _register_writer(request)
    job = _own_job(request, pk)
    return render(request, "territory/_import_status.html", _job_context(job))


@login_required
@require_POST
def import_job_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _register_writer(request)
    job = _own_job(request, pk)
    if not import_job_start(actor=actor, job=job, confirm=True):
        messages.warning(request, _("This import is already running or finished."))
    return redirect("territory:import-job", pk=job.pk)


@login_required
@require_POST
def import_job_check(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _register_writer(request)
    job = _own_job(request, pk)
    if not import_job_start(actor=actor, job=job, confirm=False):
        messages.warning(request, _("This file is already being checked."))
    return redirect("territory:import-job", pk=job.pk)


@login_required
def export_register(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    if not register_export_allowed(actor):
        raise PermissionDenied
    regions = Region.objects.visible_to(actor)
    form = RegisterExportForm(request.POST or None, regions=regions, may_unmask=actor.may_see_personal_data)
    if request.method == "POST" and form.is_valid():
        out = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes (and so deletes) it
        try:
            summary = register_export(
                actor=actor,
                out=out,
                region_code=form.cleaned_data["region"] or None,
                unmasked=bool(form.cleaned_data.get("unmasked")),
                english_headers=form.cleaned_data["english_headers"],
            )
        except DomainError as exc:
            out.close()
            form.add_error(None, str(exc.message))
        else:
            out.seek(0)
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            kind = "full" if summary.unmasked else "masked"
            name = f"register-{form.cleaned_data['region'] or 'all'}-{kind}-{stamp}.xlsx"
            return FileResponse(out, as_attachment=True, filename=name)
    return render(
        request,
        "territory/export.html",
        {"form": form, "region_choices": export_region_choices(regions)},
    )
