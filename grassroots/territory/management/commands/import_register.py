"""Import a household/resident register (.xlsx or .csv) as a named user: all rows or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from grassroots.common.errors import DomainError
from grassroots.territory.importing import ImportReport, register_import


def error_table(report: ImportReport) -> list[str]:
    rows = [("row", "column", "reason")] + [
        (str(e.row) if e.row else "-", e.column or "-", e.message) for e in report.errors
    ]
    widths = [max(_width(r[i]) for r in rows) for i in range(2)]
    lines = []
    for index, (row, column, reason) in enumerate(rows):
        lines.append(
            f"{row}{' ' * (widths[0] - _width(row))}  {column}{' ' * (widths[1] - _width(column))}  {reason}"
        )
        if index == 0:
            lines.append("-" * (widths[0] + widths[1] + 12))
    return lines


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


class Command(BaseCommand):
    help = "Import a register file (one row per resident); nothing is written unless every row is valid."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=".xlsx or .csv (UTF-8, UTF-8 with BOM, GBK/GB18030)")
        parser.add_argument("--as", dest="username", required=True, help="the user the import is made as")
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
            report = register_import(
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
        self.stdout.write(
            f"{verb}: {report.households} households, {report.residents} residents"
            + (f" (numbers {report.first_number} … {report.last_number})" if report.first_number else "")
        )
        if report.errors:
            self.stdout.write(f"{len(report.errors)} error(s); nothing was written:")
            for line in error_table(report):
                self.stdout.write(line)
            raise CommandError(f"import rejected: {len(report.errors)} error(s)")
        if options["dry_run"]:
            self.stdout.write("dry run: nothing was written")
        else:
            self.stdout.write(self.style.SUCCESS("imported"))
