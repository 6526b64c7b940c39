"""Generate the due lists (every liaison's visit duty as of a day): run nightly, and after a rule change."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date
from tqdm import tqdm

from grassroots.outreach.coverage import duties_generate


class Command(BaseCommand):
    help = (
        "Generate the due lists county by county (idempotent: each county's rows are replaced in one "
        "transaction); the coverage dashboard then reads them for today and later days."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = parse_date(options["as_of"]) if options.get("as_of") else timezone.localdate()
        if as_of is None:
            self.stderr.write("--as-of must be YYYY-MM-DD")
            return
        bar = tqdm(desc="due lists", unit="county", file=self.stderr._out)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        try:
            run = duties_generate(as_of=as_of, progress=progress)
        finally:
            bar.close()
        self.stdout.write(
            f"{run.duties} duties as of {run.as_of} in {run.seconds:.1f} s "
            f"({run.moved} liaisons followed their household to a new place)"
        )
