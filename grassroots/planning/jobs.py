"""Running plan and roster jobs: claim, solve with progress and cancellation, store the result at once.

A job is claimed by one worker with a conditional UPDATE (queued → running, or a running job whose
heartbeat is stale, i.e. whose worker died). While the engine solves, a heartbeat thread writes the progress
and the heartbeat to the job row every second or so and reads ``cancel_requested``; the engine itself never
touches the database. The result (the run's fields, its moves or assignments, the audit entry) is written in
one transaction, so a worker killed at any point leaves either the old state or the whole result, and the
job can simply be taken up again.

Workers: ``manage.py planning_worker`` (a loop, or ``--once``), or, with ``PLANNING_JOB_MODE = "thread"``
(the default), a thread of the web process started when the page queues the job.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from grassroots.common.audit import audit_record

from .models import (
    JOB_STALE_AFTER,
    JobStatus,
    PlannedMove,
    PlanResult,
    PlanRun,
    RosterAssignment,
    RosterRun,
)

logger = logging.getLogger(__name__)

KINDS: dict[str, type] = {"plan": PlanRun, "roster": RosterRun}
# Progress and heartbeat are written at most this often (seconds).
BEAT_EVERY = 1.0
# A job failing this many times (its worker killed each time) is marked failed instead of taken up again.
MAX_ATTEMPTS = 3

ProgressEcho = Callable[[str, int, float, str], None]  # kind, id, fraction, message


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def job_claim(kind: str, pk: int, *, worker: str | None = None) -> bool:
    """Take job ``kind:pk`` if it is queued, or running with a stale heartbeat (its worker died)."""
    model = KINDS[kind]
    now = timezone.now()
    stale = now - JOB_STALE_AFTER
    claimable = Q(status=JobStatus.QUEUED) | (
        Q(status=JobStatus.RUNNING)
        & (Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale))
    )
    claimed = (
        model.objects.filter(claimable, pk=pk, cancel_requested=False)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .update(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            worker=(worker or worker_name())[:120],
            progress=0,
            message="",
            error="",
        )
    )
    return bool(claimed)


def _give_up_dead_jobs() -> None:
    """Jobs whose workers died MAX_ATTEMPTS times, and cancelled jobs whose worker died, are closed."""
    stale = timezone.now() - JOB_STALE_AFTER
    for model in KINDS.values():
        dead = Q(status=JobStatus.RUNNING) & Q(heartbeat_at__lt=stale)
        model.objects.filter(dead, cancel_requested=True).update(
            status=JobStatus.CANCELLED, finished_at=timezone.now()
        )
        model.objects.filter(dead, attempts__gte=MAX_ATTEMPTS).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error="the worker stopped before finishing, several times",
        )


def job_next() -> tuple[str, int] | None:
    """The oldest job a worker may take now."""
    _give_up_dead_jobs()
    stale = timezone.now() - JOB_STALE_AFTER
    candidates = []
    for kind, model in KINDS.items():
        row = (
            model.objects.filter(
                Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, heartbeat_at__lt=stale),
                cancel_requested=False,
                attempts__lt=MAX_ATTEMPTS,
            )
            .order_by("created_at", "id")
            .values_list("created_at", "id")
            .first()
        )
        if row:
            candidates.append((row[0], kind, row[1]))
    if not candidates:
        return None
    _created, kind, pk = min(candidates)
    return kind, pk


class _Beat:
    """Writes progress and heartbeat from its own thread (its own connection) and watches for a cancel."""

    def __init__(self, model: type, pk: int, echo: ProgressEcho | None, kind: str):
        self.model, self.pk, self.echo, self.kind = model, pk, echo, kind
        self.cancel = threading.Event()
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.fraction, self.text, self.dirty = 0.0, "", False
        self.thread = threading.Thread(target=self._run, name=f"planning-beat-{kind}-{pk}", daemon=True)

    def __enter__(self) -> _Beat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()

    def progress(self, fraction: float, text: str) -> None:
        with self.lock:
            self.fraction, self.text, self.dirty = max(0.0, min(1.0, fraction)), text[:300], True
        if self.echo is not None:
            self.echo(self.kind, self.pk, fraction, text)

    def _run(self) -> None:
        try:
            while not self.done.wait(BEAT_EVERY):
                with self.lock:
                    values = {"heartbeat_at": timezone.now()}
                    if self.dirty:
                        values.update(progress=self.fraction, message=self.text)
                        self.dirty = False
                self.model.objects.filter(pk=self.pk).update(**values)
                if self.model.objects.filter(pk=self.pk, cancel_requested=True).exists():
                    self.cancel.set()
        except Exception:  # the solve goes on; a dead heartbeat only makes the job look stale
            logger.exception("heartbeat of %s %s failed", self.kind, self.pk)
        finally:
            connection.close()


class _Inline:
    """The beat of a job run inside the caller's transaction (the demo): no thread, no writes until the
    end; progress goes only to ``echo``."""

    def __init__(self, echo: ProgressEcho | None, kind: str, pk: int):
        self.echo, self.kind, self.pk = echo, kind, pk
        self.cancel = threading.Event()

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def progress(self, fraction: float, text: str) -> None:
        if self.echo is not None:
            self.echo(self.kind, self.pk, fraction, text)


def _beat(model: type, pk: int, echo: ProgressEcho | None, kind: str, inline: bool) -> _Beat | _Inline:
    return _Inline(echo, kind, pk) if inline else _Beat(model, pk, echo, kind)


def _still_ours(model: type, pk: int, worker: str) -> bool:
    """Lock the job row and check this worker still holds it: a worker that was only slow (its job taken
    up by another after a stale heartbeat) must not write a second result."""
    row = model.objects.select_for_update().filter(pk=pk).values("status", "worker").first()
    if row is None or row["status"] != JobStatus.RUNNING or row["worker"] != worker[:120]:
        logger.warning("%s %s is no longer held by this worker; its result is dropped", model.__name__, pk)
        return False
    return True


def _fail(model: type, pk: int, message: str) -> None:
    model.objects.filter(pk=pk).update(
        status=JobStatus.FAILED, finished_at=timezone.now(), error=message[:4000]
    )


# -- rotation plans ------------------------------------------------------------------------------------------


@dataclass
class _PlanOutcome:
    status: str
    result: str
    objective: int | None
    plan: dict
    report: dict
    explanation: dict
    stats: dict
    moves: list


def plan_run_execute(pk: int, *, echo: ProgressEcho | None = None, inline: bool = False) -> PlanRun:
    """Solve a claimed plan run and store its result (one transaction). ``inline``: inside the caller's
    transaction, without the heartbeat thread (which would wait on the caller's row lock)."""
    from .build import period_start
    from .rotation.model import problem_from_json
    from .rotation.reasons import moves_with_reasons
    from .rotation.solver import plan_rotation

    me = worker_name()
    run = PlanRun.objects.select_related("rule_set").get(pk=pk)
    try:
        problem = problem_from_json(run.problem)
        with _beat(PlanRun, pk, echo, "plan", inline) as beat:
            result = plan_rotation(
                problem,
                time_limit=run.time_limit,
                workers=int(getattr(settings, "PLANNING_WORKERS", 2)),
                progress=beat.progress,
                cancel=beat.cancel,
            )
            cancelled = beat.cancel.is_set()
    except Exception:
        logger.exception("plan run %s failed", pk)
        _fail(PlanRun, pk, traceback.format_exc(limit=5))
        return PlanRun.objects.get(pk=pk)
    from grassroots.workforce.models import Officer, Post

    moves = moves_with_reasons(problem, result.plan) if result.plan is not None else []
    officer_ids = dict(
        Officer.objects.filter(staff_number__in={m.officer for m in moves}).values_list("staff_number", "id")
    )
    codes = {m.to_post for m in moves} | {m.from_post for m in moves if m.from_post}
    post_ids = dict(Post.objects.filter(code__in=codes).values_list("code", "id"))
    horizon = run.periods
    periods_of: dict[str, list[int]] = {}
    for move in moves:
        periods_of.setdefault(move.officer, []).append(move.period)
    rows = []
    for move in moves:
        following = [t for t in periods_of[move.officer] if t > move.period]
        last = min(following) if following else horizon
        rows.append(
            PlannedMove(
                run_id=pk,
                officer_id=officer_ids[move.officer],
                period=move.period,
                starts=period_start(run.start, run.period_kind, move.period),
                ends=period_start(run.start, run.period_kind, last) - timedelta(days=1),
                from_post_id=post_ids.get(move.from_post),
                to_post_id=post_ids[move.to_post],
                reasons=move.reasons,
            )
        )
    status = JobStatus.CANCELLED if cancelled and result.plan is None else JobStatus.DONE
    stats = {
        "mode": result.mode,
        "components": result.components,
        "rounds": result.rounds,
        "wall_time": round(result.wall_time, 2),
        "soft": result.soft,
        "cancelled": cancelled,
        "round_stats": [s.to_json() for s in result.rounds_stats][:500],
        "trace": [[round(t, 2), m] for t, m in result.trace][-200:],
    }
    with transaction.atomic():
        if not _still_ours(PlanRun, pk, me):
            return PlanRun.objects.get(pk=pk)
        PlannedMove.objects.filter(run_id=pk).delete()
        PlannedMove.objects.bulk_create(rows, batch_size=1000)
        PlanRun.objects.filter(pk=pk).update(
            status=status,
            result=result.status if result.status in PlanResult.values else PlanResult.UNKNOWN,
            objective=result.objective,
            plan=result.plan.to_json() if result.plan is not None else {},
            report=result.report.to_json() if result.report is not None else {},
            explanation=result.explanation.to_json() if result.explanation is not None else {},
            stats=stats,
            moves_count=len(rows),
            progress=1.0,
            message="",
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            version=F("version") + 1,
        )
        audit_record(
            actor=run.created_by,
            action="planning.plan_run.finish",
            obj=run,
            data={
                "status": status,
                "result": result.status,
                "penalty": result.objective,
                "moves": len(rows),
                "hard_violations": len(result.report.hard_violations) if result.report else None,
                "seconds": round(result.wall_time, 2),
            },
        )
    return PlanRun.objects.get(pk=pk)


# -- duty rosters -------------------------------------------------------------------------------------------


def stored_roster_problem(run: RosterRun):
    """The problem a roster run solves: its stored text with the minimums of cover put back."""
    from dataclasses import replace

    from .roster.curtois import parse_curtois

    problem = parse_curtois(
        run.problem_text, name=run.definition.name, start_date=run.definition.start_date, any_weekday=True
    )
    minimums = run.minimums or {}
    cover = tuple(replace(c, minimum=int(minimums.get(f"{c.day}:{c.shift}", 0))) for c in problem.cover)
    return replace(problem, cover=cover)


def roster_run_execute(pk: int, *, echo: ProgressEcho | None = None, inline: bool = False) -> RosterRun:
    from .roster.checker import check
    from .roster.solver import solve_roster

    me = worker_name()
    run = RosterRun.objects.select_related("definition").get(pk=pk)
    try:
        problem = stored_roster_problem(run)
        started = time.monotonic()
        with _beat(RosterRun, pk, echo, "roster", inline) as beat:

            def improved(step) -> None:
                fraction = min(0.99, (time.monotonic() - started) / max(1, run.time_limit))
                beat.progress(fraction, f"objective {step.objective}, bound {step.bound:.0f}")

            def said(message: str) -> None:
                fraction = min(0.99, (time.monotonic() - started) / max(1, run.time_limit))
                beat.progress(fraction, message)

            result = solve_roster(
                problem,
                time_limit=run.time_limit,
                workers=int(getattr(settings, "PLANNING_WORKERS", 2)),
                progress=improved,
                messages=said,
                cancel=beat.cancel,
            )
            cancelled = beat.cancel.is_set()
    except Exception:
        logger.exception("roster run %s failed", pk)
        _fail(RosterRun, pk, traceback.format_exc(limit=5))
        return RosterRun.objects.get(pk=pk)
    from grassroots.workforce.models import Officer

    definition = run.definition
    duties = {d.code: d.pk for d in definition.duty_types.all()}
    officers = dict(
        Officer.objects.filter(staff_number__in=[s.id for s in problem.staff]).values_list(
            "staff_number", "id"
        )
    )
    missing = {s.id for s in problem.staff} - set(officers)
    missing |= {t.code for t in problem.shift_types} - set(duties)
    if missing:
        _fail(
            RosterRun,
            pk,
            f"the roster changed while it was solved: {', '.join(sorted(missing))} no longer exist",
        )
        return RosterRun.objects.get(pk=pk)
    rows = []
    report = None
    if result.solution is not None:
        report = check(problem, result.solution)
        for staff_id, row in result.solution.assignment.items():
            for day, code in enumerate(row):
                if code is not None:
                    rows.append(
                        RosterAssignment(
                            run_id=pk,
                            officer_id=officers[staff_id],
                            date=definition.start_date + timedelta(days=day),
                            duty_id=duties[code],
                        )
                    )
    status = JobStatus.CANCELLED if cancelled and result.solution is None else JobStatus.DONE
    report_json = {}
    if report is not None:
        report_json = {
            "ok": report.feasible,
            "objective": report.objective,
            "under_cover": report.under_cover,
            "over_cover": report.over_cover,
            "on_requests": report.on_requests,
            "off_requests": report.off_requests,
            "violations": [
                {"rule": v.rule, "staff": v.staff, "day": v.day, "message": v.message}
                for v in report.violations
            ][:500],
            "violation_count": len(report.violations),
        }
    with transaction.atomic():
        if not _still_ours(RosterRun, pk, me):
            return RosterRun.objects.get(pk=pk)
        RosterAssignment.objects.filter(run_id=pk).delete()
        RosterAssignment.objects.bulk_create(rows, batch_size=2000)
        RosterRun.objects.filter(pk=pk).update(
            status=status,
            result=result.status if result.status in PlanResult.values else PlanResult.UNKNOWN,
            objective=result.objective,
            bound=result.best_bound if result.best_bound not in (None, float("-inf")) else None,
            report=report_json,
            trace=[[round(s.seconds, 2), s.objective] for s in result.trace][-300:],
            progress=1.0,
            message="",
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        audit_record(
            actor=run.created_by,
            action="planning.roster_run.finish",
            obj=run,
            data={
                "status": status,
                "result": result.status,
                "penalty": result.objective,
                "assignments": len(rows),
                "seconds": round(result.wall_time, 2),
            },
        )
    return RosterRun.objects.get(pk=pk)


EXECUTE = {"plan": plan_run_execute, "roster": roster_run_execute}


def job_run(kind: str, pk: int, *, echo: ProgressEcho | None = None) -> bool:
    """Claim and run one job; False when it was not free to take."""
    if not job_claim(kind, pk):
        return False
    EXECUTE[kind](pk, echo=echo)
    return True


def job_run_next(*, echo: ProgressEcho | None = None) -> tuple[str, int] | None:
    """Run the oldest job a worker may take; returns it, or None when there is none."""
    while True:
        job = job_next()
        if job is None:
            return None
        if job_run(*job, echo=echo):
            return job
        # another worker took it in between: look again


def _in_thread(kind: str, pk: int) -> None:
    close_old_connections()
    try:
        job_run(kind, pk)
    except Exception:
        logger.exception("planning job %s %s failed", kind, pk)
    finally:
        connection.close()


def job_start(kind: str, pk: int) -> None:
    """After the queuing transaction commits (the services call this), run the job in a thread of this
    process unless a separate worker runs jobs (``PLANNING_JOB_MODE = "worker"``)."""
    if getattr(settings, "PLANNING_JOB_MODE", "thread") != "thread":
        return
    thread = threading.Thread(target=_in_thread, args=(kind, pk), name=f"planning-{kind}-{pk}", daemon=True)
    transaction.on_commit(thread.start)
