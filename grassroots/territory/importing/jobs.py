"""Register imports run from the pages as ``ImportJob`` rows.

An upload is stored server-side and checked (a dry run); after the person confirms, the same file is
imported. Small files run in the request; large ones in a background thread that reports its progress to
the job row while no transaction is open and always to a small progress file, whose modification time is
the job's heartbeat (see ``import_job_start`` and ``import_job_live``).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from grassroots.common.errors import DomainError, Forbidden, ValidationFailed
from grassroots.common.scoping import Actor, as_actor

from ..models import ImportJob, ImportJobStatus
from .register import register_import

logger = logging.getLogger(__name__)

# Errors kept on an ImportJob for the page (the report returned by ``register_import`` keeps them all).
JOB_ERROR_LIMIT = 2000
# A running job whose heartbeat is older than this is taken to be dead (its transaction rolled back).
JOB_STALE_AFTER = timedelta(seconds=90)


def _jobs_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "register-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _progress_file(job: ImportJob) -> Path:
    return _jobs_dir() / f"{job.pk}.progress.json"


def import_job_create(*, actor: Actor | Any, upload: IO[bytes], file_name: str) -> ImportJob:
    """Store an uploaded register file server-side and open a job for it (nothing is checked yet)."""
    actor = as_actor(actor)
    if not (actor.is_admin or actor.is_staff_officer):
        raise Forbidden("Your role may not import registers")
    suffix = Path(file_name).suffix.lower()
    stored = _jobs_dir() / f"{uuid.uuid4().hex}{suffix if suffix in ('.csv', '.xlsx', '.xlsm') else ''}"
    size = 0
    with open(stored, "wb") as out:
        chunks = upload.chunks() if hasattr(upload, "chunks") else iter(lambda: upload.read(1 << 20), b"")
        for chunk in chunks:
            out.write(chunk)
            size += len(chunk)
    return ImportJob.objects.create(
        created_by=actor.user,
        file_name=Path(file_name).name[:255],
        stored_path=str(stored),
        report={"size": size},
    )


def import_job_size(job: ImportJob) -> int:
    try:
        return os.path.getsize(job.stored_path)
    except OSError:
        return 0


class _JobProgress:
    """Reports a job's progress: to the job row while no transaction is open, and always to a small file.

    During the write phase the import holds one open transaction whose changes (including any update of the
    job row) no other connection sees until commit, and on SQLite it holds the only write lock; the progress
    file carries those updates, and its modification time is the job's heartbeat.
    """

    def __init__(self, job: ImportJob):
        self.job = job
        self.path = _progress_file(job)
        self.last_file = 0.0
        self.last_db = 0.0

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
            ImportJob.objects.filter(pk=self.job.pk).update(
                phase=phase, rows_processed=done, rows_total=total or 0, heartbeat_at=timezone.now()
            )


def import_job_live(job: ImportJob) -> dict[str, Any]:
    """Progress as seen by the status fragment: the job row, overlaid by the newer progress file."""
    live = {"phase": job.phase, "done": job.rows_processed, "total": job.rows_total, "stale": False}
    beat = job.heartbeat_at or job.created_at
    path = _progress_file(job)
    try:
        stat_time = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data, stat_time = None, None
    if data and job.status in ImportJob.RUNNING:
        live.update(phase=data["phase"], done=data["done"], total=data["total"] or 0)
    if stat_time and stat_time > beat:
        beat = stat_time
    live["stale"] = job.status in ImportJob.RUNNING and timezone.now() - beat > JOB_STALE_AFTER
    return live


def import_job_claim(*, actor: Actor | Any, job: ImportJob, confirm: bool) -> bool:
    """Move the job into its running state unless another request already did (or may not)."""
    actor = as_actor(actor)
    if job.created_by_id != getattr(actor.user, "pk", None):
        raise Forbidden("Only the person who uploaded the file may import it")
    job.refresh_from_db()
    stale = import_job_live(job)["stale"]
    if confirm:
        allowed = [ImportJobStatus.VALIDATED] + ([ImportJobStatus.IMPORTING] if stale else [])
        target = ImportJobStatus.IMPORTING
    else:
        allowed = [ImportJobStatus.QUEUED, ImportJobStatus.REJECTED, ImportJobStatus.FAILED]
        allowed += [ImportJobStatus.VALIDATING] if stale else []
        target = ImportJobStatus.VALIDATING
    claimed = ImportJob.objects.filter(pk=job.pk, status__in=allowed).update(
        status=target, heartbeat_at=timezone.now(), rows_processed=0, phase="", message=""
    )
    job.refresh_from_db()
    return bool(claimed)


def import_job_run(*, job_id: int, confirm: bool) -> ImportJob:
    """Run a claimed job: the dry run, or (``confirm``) the import itself. Safe to call again after a crash."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    tracker = _JobProgress(job)
    try:
        if not os.path.exists(job.stored_path):
            raise ValidationFailed(_("The uploaded file is no longer on the server; upload it again."))
        report = register_import(
            actor=job.created_by,
            path_or_file=job.stored_path,
            file_name=job.file_name,
            dry_run=not confirm,
            progress=tracker,
        )
    except DomainError as exc:
        status, message, data = ImportJobStatus.FAILED, str(exc.message), job.report
    except Exception:
        logger.exception("register import job %s failed", job_id)
        status, message, data = (
            ImportJobStatus.FAILED,
            _("The import stopped unexpectedly; nothing was written."),
            job.report,
        )
    else:
        data = report.as_dict(JOB_ERROR_LIMIT)
        message = ""
        if report.errors:
            status = ImportJobStatus.REJECTED
        elif confirm:
            status = ImportJobStatus.DONE
        else:
            status = ImportJobStatus.VALIDATED
    ImportJob.objects.filter(pk=job_id).update(
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
        if status == ImportJobStatus.DONE:
            # The upload holds personal data; once imported it is in the registers and need not stay on disk.
            Path(job.stored_path).unlink(missing_ok=True)
    job.refresh_from_db()
    return job


def _run_in_thread(job_id: int, confirm: bool, language: str) -> None:
    try:
        with translation.override(language):
            import_job_run(job_id=job_id, confirm=confirm)
    finally:
        # Connections are per thread; this thread's must not outlive it.
        connections.close_all()


def import_job_start(*, actor: Actor | Any, job: ImportJob, confirm: bool) -> bool:
    """Claim and run a job: in this request for small files, in a background thread for large ones.

    Returns False when the job was not in a state to start (already running, finished, or not yours).
    """
    if not import_job_claim(actor=actor, job=job, confirm=confirm):
        return False
    limit = int(getattr(settings, "REGISTER_IMPORT_SYNC_MAX_BYTES", 256 * 1024))
    if import_job_size(job) <= limit:
        import_job_run(job_id=job.pk, confirm=confirm)
        job.refresh_from_db()
        return True
    language = translation.get_language() or settings.LANGUAGE_CODE
    thread = threading.Thread(
        target=_run_in_thread,
        args=(job.pk, confirm, language),
        name=f"register-import-{job.pk}",
        # A daemon thread dies with its process; its open transaction is then rolled back by the database.
        daemon=True,
    )
    transaction.on_commit(thread.start)
    return True
