"""Erase the contact details of matters past the retention period (docs/operations.md, "Data retention")."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from grassroots.casework.retention import personal_data_erase, retention_cutoff


class Command(BaseCommand):
    help = (
        "Erase reporters' and parties' contact details of matters that ended more than RETENTION_YEARS ago."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--years", type=float, help="override RETENTION_YEARS for this run")
        parser.add_argument("--dry-run", action="store_true", help="count only, change nothing")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        cutoff = retention_cutoff(years=options["years"])
        bar = None if options["no_progress"] or options["dry_run"] else tqdm(unit="requests", desc="erasing")

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.total = total
                bar.n = done
                bar.refresh()

        result = personal_data_erase(cutoff=cutoff, dry_run=options["dry_run"], progress=progress)
        if bar is not None:
            bar.close()
        verb = "would erase" if options["dry_run"] else "erased"
        self.stdout.write(
            f"{verb} the contact details of {result.requests} requests and {result.parties} parties "
            f"that ended before {result.cutoff:%Y-%m-%d}"
        )
