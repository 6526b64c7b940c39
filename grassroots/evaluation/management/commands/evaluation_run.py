"""Compute (and optionally publish) an evaluation run from the terminal, with a progress bar:
``manage.py evaluation_run --user hr --period 2026Q3 [--scheme default] [--unit CODE] [--publish]``,
or check a run: ``manage.py evaluation_run --user hr --recompute RUN_ID [--read-record]``."""

from __future__ import annotations

import re
import sys
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from grassroots.common.errors import DomainError
from grassroots.workforce.models import Unit

from ... import services
from ...models import EvaluationRun, SchemeVersion, VersionStatus


def _period(text: str) -> tuple[date, date, str]:
    match = re.fullmatch(r"(\d{4})Q([1-4])", text.strip().upper())
    if not match:
        raise CommandError("--period is a quarter such as 2026Q3 (or give --start and --end)")
    year, quarter = int(match[1]), int(match[2])
    return services.quarter_of(date(year, 3 * quarter - 2, 1))


class Command(BaseCommand):
    help = (
        "Compute an evaluation run from the record (progress in the terminal), publish it, or recompute one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="the HR or admin account the run is made by")
        parser.add_argument("--scheme", default="default", help="scheme code (its active version is used)")
        parser.add_argument("--period", help="a quarter, e.g. 2026Q3 (default: the last full quarter)")
        parser.add_argument("--start", type=date.fromisoformat)
        parser.add_argument("--end", type=date.fromisoformat)
        parser.add_argument("--unit", help="code of a unit: evaluate its officers only")
        parser.add_argument("--publish", action="store_true", help="publish the run once computed")
        parser.add_argument(
            "--recompute", type=int, help="recompute run ID from its stored inputs and compare"
        )
        parser.add_argument(
            "--read-record", action="store_true", help="with --recompute: read the record again"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no account {options['user']!r}")
        try:
            if options["recompute"]:
                self._recompute(user, options)
            else:
                self._compute(user, options)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc

    def _compute(self, user, options) -> None:
        version = SchemeVersion.objects.filter(
            scheme__code=options["scheme"], status=VersionStatus.ACTIVE
        ).first()
        if version is None:
            raise CommandError(f"scheme {options['scheme']!r} has no active version")
        if options["start"] and options["end"]:
            start, end, label = options["start"], options["end"], ""
        elif options["period"]:
            start, end, label = _period(options["period"])
        else:
            start, end, label = services.previous_quarter(date.today())
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"no unit {options['unit']!r}")
        run = services.run_create(
            actor=user, scheme_version=version, period_start=start, period_end=end, unit=unit, label=label
        )
        bar = tqdm(
            total=1, desc=run.label, unit="step", disable=options["no_progress"] or not sys.stderr.isatty()
        )

        def progress(phase: str, done: int, total: int) -> None:
            bar.total = total
            bar.set_postfix_str(phase)
            bar.update(done - bar.n)

        try:
            run = services.run_start(actor=user, run=run, background=False, progress=progress)
        finally:
            bar.close()
        self.stdout.write(
            f"run {run.pk} {run.label}: {run.officer_count} officers in {run.seconds or 0:.1f} s "
            f"(inputs {run.inputs_sha256[:12]}…, results {run.results_sha256[:12]}…)"
        )
        if options["publish"]:
            run = services.run_publish(actor=user, run=run, expected_version=run.version)
            self.stdout.write(self.style.SUCCESS(f"published run {run.pk}"))

    def _recompute(self, user, options) -> None:
        run = EvaluationRun.objects.filter(pk=options["recompute"]).first()
        if run is None:
            raise CommandError(f"no run {options['recompute']}")
        report = services.run_recompute(actor=user, run=run, read_record=options["read_record"])
        self.stdout.write(f"inputs intact: {report.inputs_intact}; results equal: {report.results_equal}")
        if report.record_checked:
            self.stdout.write(f"record unchanged since: {report.record_unchanged}")
        for line in report.differences:
            self.stdout.write(f"  differs: {line}")
        if not report.ok:
            raise CommandError("the run does not recompute to what is stored")
