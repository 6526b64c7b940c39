"""Import a request history (.xlsx or .csv) from another system with a column mapping: all rows or none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from grassroots.casework.importing.run import request_import
from grassroots.casework.models import ImportMappingPreset
from grassroots.common.errors import DomainError
from grassroots.territory.management.commands.import_register import error_table
from grassroots.territory.models import Region, RegionLevel


class Command(BaseCommand):
    help = (
        "Import historical requests (12345 / 311 / hotline exports) for a county; nothing is written unless "
        "every row is valid, and rows already imported from the same source are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=".xlsx or .csv (UTF-8, UTF-8 with BOM, GBK/GB18030)")
        parser.add_argument(
            "--mapping", required=True, help="a mapping JSON file, or the name of a saved preset"
        )
        parser.add_argument("--county", required=True, help="the county's code")
        parser.add_argument("--as", dest="username", required=True, help="the user the import is made as")
        parser.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']}")
        county = Region.objects.filter(code=options["county"], level=RegionLevel.COUNTY).first()
        if county is None:
            raise CommandError(f"no county {options['county']}")
        mapping = _mapping(options["mapping"])
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
            report = request_import(
                actor=user,
                path_or_file=path,
                file_name=path.name,
                county=county,
                mapping=mapping,
                dry_run=options["dry_run"],
                progress=progress,
            )
        except DomainError as exc:
            details = "; ".join(e.message for e in getattr(exc, "errors", [])) or str(exc.message)
            raise CommandError(details) from exc
        finally:
            for bar in bars.values():
                bar.close()
        verb = "would create" if options["dry_run"] or not report.accepted else "created"
        self.stdout.write(f"file: {report.file_name} (sha256 {report.sha256})")
        self.stdout.write(f"rows read: {report.rows_read}; already imported: {report.already_imported}")
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(report.by_status.items()))
        self.stdout.write(f"{verb}: {report.created} requests" + (f" ({statuses})" if statuses else ""))
        if report.errors:
            self.stdout.write(f"{len(report.errors)} error(s); nothing was written:")
            for line in error_table(report):
                self.stdout.write(line)
            raise CommandError(f"import rejected: {len(report.errors)} error(s)")
        self.stdout.write(
            "dry run: nothing was written" if options["dry_run"] else self.style.SUCCESS("imported")
        )


def _mapping(value: str) -> dict[str, Any]:
    path = Path(value)
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path}: not a JSON mapping ({exc})") from exc
    preset = ImportMappingPreset.objects.filter(name=value).first()
    if preset is None:
        raise CommandError(f"{value} is neither a mapping file nor a saved preset")
    return preset.mapping
