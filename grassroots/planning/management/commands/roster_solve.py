"""Solve a duty roster given in the Employee Shift Scheduling Benchmark format and check the plan."""

from __future__ import annotations

import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grassroots.planning.roster.checker import check
from grassroots.planning.roster.curtois import RosterFormatError, read_curtois
from grassroots.planning.roster.export import write_ics, write_xlsx
from grassroots.planning.roster.solver import Improvement, solve_roster


class Command(BaseCommand):
    help = "Solve a roster file (benchmark text format), print each improvement and the checker's verdict."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
        parser.add_argument("--workers", type=int, default=2, help="search threads (default 2)")
        parser.add_argument("--strategy", choices=("auto", "colgen", "lns", "cpsat"), default="auto")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--xlsx", type=Path, help="write the plan as an .xlsx grid")
        parser.add_argument("--ics", type=Path, help="write the plan as iCalendar")
        parser.add_argument("--staff", help="with --ics: only this member of staff")

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        try:
            problem = read_curtois(path)
        except FileNotFoundError as exc:
            raise CommandError(f"no such file: {path}") from exc
        except RosterFormatError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{problem.name}: {len(problem.staff)} staff, {len(problem.shift_types)} shift type(s), "
            f"{problem.horizon_days} days from {problem.start_date.isoformat()}"
        )

        def show(step: Improvement) -> None:
            self.stdout.write(
                f"  {step.seconds:7.2f}s  objective {step.objective:>8}  bound {step.bound:>10.1f}"
            )

        cancel = threading.Event()
        try:
            result = solve_roster(
                problem,
                time_limit=options["time_limit"],  # type: ignore[arg-type]
                workers=options["workers"],  # type: ignore[arg-type]
                strategy=options["strategy"],  # type: ignore[arg-type]
                seed=options["seed"],  # type: ignore[arg-type]
                progress=show,
                cancel=cancel,
            )
        except KeyboardInterrupt:
            cancel.set()
            raise
        self.stdout.write(
            f"status {result.status}, objective {result.objective}, bound {result.best_bound}, "
            f"{result.wall_time:.1f}s, best reached after {result.time_to_best or 0:.2f}s"
        )
        if result.solution is None:
            raise CommandError("no plan found within the time limit")
        report = check(problem, result.solution)
        self.stdout.write(f"checker: {report.verdict()}")
        for violation in report.violations[:20]:
            self.stdout.write(f"  {violation}")
        if report.objective != result.objective:
            self.stderr.write(
                f"checker objective {report.objective} differs from the solver's {result.objective}"
            )
        if options["xlsx"]:
            write_xlsx(problem, result.solution, options["xlsx"])  # type: ignore[arg-type]
            self.stdout.write(f"wrote {options['xlsx']}")
        if options["ics"]:
            write_ics(problem, result.solution, options["ics"], staff_id=options["staff"])  # type: ignore[arg-type]
            self.stdout.write(f"wrote {options['ics']}")
        if not report.feasible:
            raise CommandError("the plan breaks hard rules")
