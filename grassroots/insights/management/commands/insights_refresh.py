"""Bring the dashboard's request outcomes up to date (cheap and incremental: run it every few minutes from
cron; ``insights_run`` runs it too). The figures are exact without it, only slower for requests changed since
the last run."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from ... import services


class Command(BaseCommand):
    help = "Rewrite the dashboard's request outcomes of the requests that changed since the last run."

    def handle(self, *args, **options):
        with tqdm(desc="request outcomes", unit="request", disable=options["verbosity"] == 0) as bar:
            count = services.outcomes_refresh(progress=bar.update)
        self.stdout.write(f"request outcomes: {count} rewritten")
