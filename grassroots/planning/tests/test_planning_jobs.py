"""Planning jobs for real: a run solved by a thread of the web process; a ``planning_worker`` process
killed while solving leaves the database as it was, and the job, once its heartbeat is stale, is taken up
again and finishes; a worker that was only slow does not write a second result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.utils import timezone

from grassroots.common.models import AuditEntry
from grassroots.planning import jobs
from grassroots.planning.models import JobStatus, PlannedMove, PlanRun
from grassroots.planning.services import plan_run_create

from .conftest import PLAN_START


def _wait(predicate, seconds: float = 90.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OperationalError:  # SQLite's shared in-memory test database locks whole tables
            pass
        time.sleep(step)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_run_started_from_a_page_is_solved_by_a_thread_of_the_web_process(court, settings):
    settings.PLANNING_JOB_MODE = "thread"
    run = plan_run_create(
        actor=court.world.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2, time_limit=10
    )
    assert _wait(lambda: PlanRun.objects.get(pk=run.pk).status not in PlanRun.ACTIVE, step=0.5)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.report["ok"] and run.worker
    assert PlannedMove.objects.filter(run=run).count() == run.moves_count


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_leaves_the_database_as_it_was_and_the_job_is_run_again(court, postgres_only):
    run = plan_run_create(
        actor=court.world.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=4, time_limit=30
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "planning_worker", "--once"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait(lambda: PlanRun.objects.get(pk=run.pk).status == JobStatus.RUNNING, seconds=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    run.refresh_from_db()
    # Killed while solving: claimed and nothing more — no moves, no result, no finishing audit entry.
    assert run.status == JobStatus.RUNNING and run.attempts == 1
    assert not PlannedMove.objects.filter(run=run).exists()
    assert run.plan == {} and run.report == {} and run.finished_at is None
    assert not AuditEntry.objects.filter(action="planning.plan_run.finish", object_id=str(run.pk)).exists()
    # While its heartbeat is fresh nobody takes it; once stale, the next worker does and finishes it.
    assert jobs.job_next() is None
    PlanRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
    assert jobs.job_run_next() == ("plan", run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.DONE and run.attempts == 2 and run.report["ok"]
    assert PlannedMove.objects.filter(run=run).count() == run.moves_count
    assert AuditEntry.objects.filter(action="planning.plan_run.finish", object_id=str(run.pk)).count() == 1


@pytest.mark.django_db
def test_a_slow_worker_whose_job_was_taken_up_does_not_write_a_second_result(court):
    run = plan_run_create(
        actor=court.world.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=2, time_limit=10
    )
    assert jobs.job_claim("plan", run.pk)
    # Meanwhile another worker took the job up (the heartbeat looked stale) and holds it now.
    PlanRun.objects.filter(pk=run.pk).update(worker="another-host:1:1")
    jobs.plan_run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.RUNNING and run.worker == "another-host:1:1"
    assert not PlannedMove.objects.filter(run=run).exists() and run.report == {}


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_approvals_of_one_plan_one_wins_the_other_conflicts(court, postgres_only):
    import threading

    from django.db import close_old_connections

    from grassroots.common.errors import Conflict
    from grassroots.planning.services import plan_run_approve
    from grassroots.workforce.models import Assignment, AssignmentKind

    run = plan_run_create(
        actor=court.world.user_hr, rule_set=court.rule_set, start=PLAN_START, periods=3, time_limit=20
    )
    jobs.job_run_next()
    run.refresh_from_db()
    assert run.report["ok"] and run.moves_count > 0
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(user) -> None:
        close_old_connections()
        try:
            barrier.wait()
            plan_run_approve(actor=user, run=PlanRun.objects.get(pk=run.pk), expected_version=run.version)
            outcomes.append("approved")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (court.world.user_hr, court.world.admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["approved", "conflict"]
    planned = Assignment.objects.filter(kind=AssignmentKind.PLANNED, note=f"rotation plan #{run.pk}")
    assert planned.count() == run.moves_count
