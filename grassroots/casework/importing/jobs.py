"""Request imports run from the pages as ``RequestImportJob`` rows, with the register import's job life cycle:
upload (stored server-side), mapping, dry run, confirmation, import; small files in the request, large ones
in a background thread whose progress goes to the job row (outside the write transaction) and to a small
progress file whose modification time is the heartbeat.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grassroots.common.errors import DomainError, Forbidden, ValidationFailed
from grassroots.common.scoping import Actor, as_actor
from grassroots.territory.importing.jobs import JOB_ERROR_LIMIT, JOB_STALE_AFTER
from grassroots.territory.models import ImportJobStatus, Region

from ..models import RequestImportJob
from .run import request_import, require_import_right

logger = logging.getLogger(__name__)
S = ImportJobStatus


def _jobs_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "request-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _progress_file(job: RequestImportJob) -> Path:
    return _jobs_dir() / f"{job.pk}.progress.json"


def request_import_job_create(
    *, actor: Actor | Any, upload: IO[bytes], file_name: str, county: Region
) -> RequestImportJob:
    """Store an uploaded file server-side and open a job for it (nothing is checked until it is mapped)."""
    actor = as_actor(actor)
    require_import_right(actor, county)
    suffix = Path(file_name).suffix.lower()
    stored = _jobs_dir() / f"{uuid.uuid4().hex}{suffix if suffix in ('.csv', '.xlsx', '.xlsm') else ''}"
    with open(stored, "wb") as out:
        chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b"")
        for chunk in chunks:
            out.write(chunk)
    return RequestImportJob.objects.create(
        created_by=actor.user, county=county, file_name=Path(file_name).name[:255], stored_path=str(stored)
    )


class _Progress:
    def __init__(self, job: RequestImportJob):
        self.job, self.path, self.last_file, self.last_db = job, _progress_file(job), 0.0, 0.0

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        final = total is not None and done >= total
        if final or now - self.last_file >= 0.5:
            self.last_file = now
            temp = self.path.with_suffix(".tmp")
            temp.write_text(json.dumps({"phase": phase, "done": done, "total": total}))
            os.replace(temp, self.path)
        if not connection.in_atomic_block and (final or now - self.last_db >= 1.0):
            self.last_db = now
            RequestImportJob.objects.filter(pk=self.job.pk).update(
                phase=phase, rows_processed=done, rows_total=total or 0, heartbeat_at=timezone.now()
            )


def request_import_job_live(job: RequestImportJob) -> dict[str, Any]:
    live = {"phase": job.phase, "done": job.rows_processed, "total": job.rows_total, "stale": False}
    beat = job.heartbeat_at or job.created_at
    try:
        path = _progress_file(job)
        stat_time = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data, stat_time = None, None
    if data and job.status in RequestImportJob.RUNNING:
        live.update(phase=data["phase"], done=data["done"], total=data["total"] or 0)
    if stat_time and stat_time > beat:
        beat = stat_time
    live["stale"] = job.status in RequestImportJob.RUNNING and timezone.now() - beat > JOB_STALE_AFTER
    return live


def request_import_job_claim(*, actor: Actor | Any, job: RequestImportJob, confirm: bool) -> bool:
    actor = as_actor(actor)
    if job.created_by_id != getattr(actor.user, "pk", None):
        raise Forbidden("Only the person who uploaded the file may import it")
    job.refresh_from_db()
    stale = request_import_job_live(job)["stale"]
    if confirm:
        allowed, target = [S.VALIDATED] + ([S.IMPORTING] if stale else []), S.IMPORTING
    else:
        allowed = [S.QUEUED, S.VALIDATED, S.REJECTED, S.FAILED] + ([S.VALIDATING] if stale else [])
        target = S.VALIDATING
    claimed = RequestImportJob.objects.filter(pk=job.pk, status__in=allowed).update(
        status=target, heartbeat_at=timezone.now(), rows_processed=0, phase="", message=""
    )
    job.refresh_from_db()
    return bool(claimed)


def request_import_job_run(*, job_id: int, confirm: bool) -> RequestImportJob:
    """Run a claimed job: the dry run, or (``confirm``) the import. Safe to call again after a crash."""
    job = RequestImportJob.objects.select_related("created_by", "county").get(pk=job_id)
    try:
        if not os.path.exists(job.stored_path):
            raise ValidationFailed(_("The uploaded file is no longer on the server; upload it again."))
        report = request_import(
            actor=job.created_by,
            path_or_file=job.stored_path,
            file_name=job.file_name,
            county=job.county,
            mapping=job.mapping,
            dry_run=not confirm,
            progress=_Progress(job),
        )
    except DomainError as exc:
        details = "; ".join(str(e.message) for e in getattr(exc, "errors", []))
        status, message, data = S.FAILED, details or str(exc.message), job.report
    except Exception:
        logger.exception("request import job %s failed", job_id)
        status, message, data = (
            S.FAILED,
            _("The import stopped unexpectedly; nothing was written."),
            job.report,
        )
    else:
        data, message = report.as_dict(JOB_ERROR_LIMIT), ""
        status = S.REJECTED if report.errors else (S.DONE if confirm else S.VALIDATED)
    RequestImportJob.objects.filter(pk=job_id).update(
        status=status,
        report=data,
        message=message[:500],
        sha256=data.get("sha256", ""),
        rows_processed=data.get("rows_read", 0),
        rows_total=data.get("rows_read", 0),
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    with suppress(OSError):
        _progress_file(job).unlink(missing_ok=True)
        if status == S.DONE:
            Path(job.stored_path).unlink(missing_ok=True)  # personal data: not kept once imported
    job.refresh_from_db()
    return job


def _run_in_thread(job_id: int, confirm: bool, language: str) -> None:
    try:
        with translation.override(language):
            request_import_job_run(job_id=job_id, confirm=confirm)
    finally:
        connections.close_all()


def request_import_job_start(*, actor: Actor | Any, job: RequestImportJob, confirm: bool) -> bool:
    """Claim and run a job (in this request for small files, else in a background thread)."""
    if not request_import_job_claim(actor=actor, job=job, confirm=confirm):
        return False
    limit = int(getattr(settings, "REGISTER_IMPORT_SYNC_MAX_BYTES", 256 * 1024))
    try:
        size = os.path.getsize(job.stored_path)
    except OSError:
        size = 0
    if size <= limit:
        request_import_job_run(job_id=job.pk, confirm=confirm)
        job.refresh_from_db()
        return True
    language = translation.get_language() or settings.LANGUAGE_CODE
    thread = threading.Thread(
        target=_run_in_thread, args=(job.pk, confirm, language), name=f"request-import-{job.pk}", daemon=True
    )
    transaction.on_commit(thread.start)
    return True


def request_import_headers(job: RequestImportJob) -> list[str]:
    """The header row of the stored file (for the mapping form)."""
    from grassroots.territory.importing.readers import binary, open_source, scan

    with binary(job.stored_path) as handle:
        _, lines, utf8 = scan(handle)
        source = open_source(handle, job.file_name, lines, utf8)
        headers = [h.strip() for h in source.headers if h and h.strip()]
        source.rows.close()
    return headers
