"""Request import pages: upload a history file, map its columns and values, read the dry-run report, confirm
the import and follow its progress. Officers, leaders and admins, for a county in their scope; a job of
another county (or another person) answers 404 like a missing one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grassroots.common.audit import audit_record
from grassroots.common.errors import DomainError
from grassroots.common.scoping import Actor, actor_for, get_visible_or_404
from grassroots.territory.importing.readers import FileProblem
from grassroots.territory.models import ImportJobStatus

from .importing.forms import MappingForm, RequestUploadForm
from .importing.jobs import (
    request_import_headers,
    request_import_job_create,
    request_import_job_live,
    request_import_job_start,
)
from .importing.mapping import TARGETS, guess_columns
from .models import ImportMappingPreset, RequestImportJob

S = ImportJobStatus
MAPPABLE = (S.QUEUED, S.VALIDATED, S.REJECTED, S.FAILED)


def _importer(request: HttpRequest) -> Actor:
    actor = actor_for(request.user)
    if not (actor.is_admin or actor.is_staff_officer):
        raise PermissionDenied
    return actor


def _own_job(request: HttpRequest, actor: Actor, pk: int) -> RequestImportJob:
    jobs = RequestImportJob.objects.visible_to(actor).filter(created_by=request.user).select_related("county")
    return get_visible_or_404(jobs, pk=pk)


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    actor = _importer(request)
    form = RequestUploadForm(request.POST or None, request.FILES or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = request_import_job_create(
                actor=actor, upload=upload, file_name=upload.name, county=form.cleaned_data["county"]
            )
        except DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            preset = form.cleaned_data.get("preset")
            if preset is not None:
                RequestImportJob.objects.filter(pk=job.pk).update(mapping=preset.mapping)
            return redirect("casework:import-job", pk=job.pk)
    jobs = (
        RequestImportJob.objects.visible_to(actor)
        .filter(created_by=request.user)
        .select_related("county")[:10]
    )
    return render(request, "casework/import.html", {"form": form, "jobs": jobs, "targets": TARGETS})


def _job_context(job: RequestImportJob, form: MappingForm | None = None) -> dict[str, Any]:
    live = request_import_job_live(job)
    running = job.status in RequestImportJob.RUNNING and job.status != S.QUEUED and not live["stale"]
    total = live["total"] or 0
    report = job.report or {}
    errors = [{"row": r, "column": c, "message": m} for r, c, m, _code in report.get("errors", [])]
    return {
        "job": job,
        "live": live,
        "running": running,
        "percent": min(100, int(100 * live["done"] / total)) if total else None,
        "report": report,
        "errors": errors,
        "errors_hidden": max(0, report.get("error_count", 0) - len(errors)),
        "can_confirm": job.status == S.VALIDATED or (job.status == S.IMPORTING and live["stale"]),
        "form": form,
    }


def _mapping_form(request: HttpRequest, job: RequestImportJob) -> MappingForm | None:
    if job.status not in MAPPABLE:
        return None
    try:
        headers = request_import_headers(job)
    except (FileProblem, OSError) as problem:
        messages.error(request, _("The file cannot be read: %(problem)s") % {"problem": problem})
        return None
    initial = job.mapping or {"columns": guess_columns(headers)}
    return MappingForm(request.POST or None, headers=headers, initial_mapping=initial)


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job page: the mapping form (until imported), the dry-run report, the confirmation."""
    actor = _importer(request)
    job = _own_job(request, actor, pk)
    form = _mapping_form(request, job)
    if request.method == "POST" and form is not None and form.is_valid():
        job.mapping = form.mapping.as_dict()
        job.save(update_fields=["mapping"])
        name = form.cleaned_data.get("save_as", "").strip()
        if name:
            preset, _created = ImportMappingPreset.objects.update_or_create(
                name=name, defaults={"mapping": job.mapping, "created_by": request.user}
            )
            audit_record(actor=actor, action="request_import.preset_save", obj=preset, data={"name": name})
        if not request_import_job_start(actor=actor, job=job, confirm=False):
            messages.warning(request, _("This file is already being checked."))
        return redirect("casework:import-job", pk=job.pk)
    return render(request, "casework/import_job.html", _job_context(job, form))


@login_required
def import_job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment polled by htmx every second while the job runs; it stops polling once finished."""
    actor = _importer(request)
    job = _own_job(request, actor, pk)
    return render(request, "casework/import_status.html", _job_context(job))


@login_required
@require_POST
def import_job_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _importer(request)
    job = _own_job(request, actor, pk)
    if not request_import_job_start(actor=actor, job=job, confirm=True):
        messages.warning(request, _("This import is already running or finished."))
    return redirect("casework:import-job", pk=job.pk)
