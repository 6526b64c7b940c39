"""Run queued rotation plans and duty rosters: ``manage.py planning_worker`` (a loop) or ``--once``.

A job whose worker was killed (its heartbeat older than ``JOB_STALE_AFTER``) is taken up again; nothing of
it was written, since a job's result is stored in one transaction."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from grassroots.planning import jobs


class Command(BaseCommand):
    help = "Solve queued rotation plans and duty rosters."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run the jobs waiting now, then stop")
        parser.add_argument("--sleep", type=float, default=2.0, help="seconds between looks when idle")

    def handle(self, *args, once: bool = False, sleep: float = 2.0, **options):
        def echo(kind: str, pk: int, fraction: float, message: str) -> None:
            if options.get("verbosity", 1) > 1:
                self.stdout.write(f"{kind} {pk}: {round(100 * fraction)}% {message}")

        while True:
            job = jobs.job_run_next(echo=echo)
            if job is not None:
                self.stdout.write(f"{job[0]} {job[1]} finished")
                continue
            if once:
                return
            time.sleep(sleep)
