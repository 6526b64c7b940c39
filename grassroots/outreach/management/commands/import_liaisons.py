"""Import a liaison roster (.xlsx or .csv) as a named leader or administrator: all rows or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from grassroots.common.errors import DomainError
from grassroots.outreach.importing import liaison_roster_import
from grassroots.territory.management.commands.import_register import error_table


class Command(BaseCommand):
    help = "Import a liaison roster (one row per liaison); nothing is written unless every row is valid."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=".xlsx or .csv (UTF-8, UTF-8 with BOM, GBK/GB18030)")
        parser.add_argument(
            "--as", dest="username", required=True, help="the leader or administrator importing"
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']}")
        bars: dict[str, tqdm] = {}

        def progress(phase: str, done: int, total: int | None) -> None:
            bar = bars.get(phase)
            if bar is None:
                for other in bars.values():
                    other.close()
                label = "checking" if phase == "validate" else "writing"
                bar = bars[phase] = tqdm(total=total, desc=label, unit="row", file=self.stderr._out)
            if total and total > (bar.total or 0):
                bar.total = total
            bar.update(done - bar.n)

        try:
            report = liaison_roster_import(
                actor=user,
                path_or_file=path,
                file_name=path.name,
                dry_run=options["dry_run"],
                progress=progress,
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for bar in bars.values():
                bar.close()
        verb = "would create" if options["dry_run"] or not report.accepted else "created"
        self.stdout.write(f"file: {report.file_name} (sha256 {report.sha256})")
        self.stdout.write(f"rows read: {report.rows_read}")
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(report.by_kind.items())) or "none"
        self.stdout.write(f"liaisons {verb}: {report.liaisons} ({kinds})")
        if report.errors:
            for line in error_table(report):
                self.stdout.write(line)
            raise CommandError(f"{len(report.errors)} errors: nothing was imported")
        if options["dry_run"]:
            self.stdout.write("dry run: nothing was written")
        else:
            self.stdout.write(self.style.SUCCESS("imported"))
