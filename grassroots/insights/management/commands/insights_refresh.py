"""Bring the dashboard's request outcomes and figure roll-up up to date (cheap and incremental: run it every
few minutes from cron; ``insights_run`` runs it too). The figures are exact without it, only slower for the
requests changed since the last run. The first run builds the roll-up from every request."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from ... import services


class Command(BaseCommand):
    help = "Rewrite the dashboard's request outcomes and roll-up for the requests that changed since the last run."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="build the figure roll-up again from every request"
        )

    def handle(self, *args, **options):
        with tqdm(desc="request outcomes", unit="request", disable=options["verbosity"] == 0) as bar:
            count = services.outcomes_refresh(progress=bar.update)
        with tqdm(desc="figure roll-up", unit="request", disable=options["verbosity"] == 0) as bar:
            rolled = services.rollup_refresh(progress=bar.update, rebuild=options["rebuild"])
        self.stdout.write(f"request outcomes: {count} rewritten; figure roll-up: {rolled} requests taken in")
