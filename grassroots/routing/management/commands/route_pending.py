"""Suggest a category for every request registered without one; apply it when the model is confident."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grassroots.routing.pending import auto_apply_threshold, route_pending


class Command(BaseCommand):
    help = (
        "Route requests registered without a category (public web, hotline, Open311): store the top-3 "
        "suggestions and, when the model's top confidence reaches ROUTING_AUTO_APPLY, apply the category and "
        "its responsible unit. Idempotent; run it every minute next to casework_clock."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--threshold",
            type=float,
            default=None,
            help=f"apply when the top confidence is at least this (default ROUTING_AUTO_APPLY, now "
            f"{auto_apply_threshold():.2f})",
        )
        parser.add_argument("--limit", type=int, default=None, help="route at most this many requests")
        parser.add_argument(
            "--again", action="store_true", help="also requests already suggested for (after retraining)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        threshold = options["threshold"]
        if threshold is not None and not 0.0 < threshold <= 1.0:
            raise CommandError("--threshold must be in (0, 1]")
        show = options["verbosity"] >= 1 and sys.stdout.isatty()

        def progress(done: int, total: int) -> None:
            if show and (done % 20 == 0 or done == total):
                self.stdout.write(f"\r{done}/{total}", ending="")
                self.stdout.flush()

        report = route_pending(
            threshold=threshold, limit=options["limit"], again=options["again"], progress=progress
        )
        if show and report.checked:
            self.stdout.write("")
        note = " (keyword rules only: no trained model, nothing applied)" if report.mode == "rules" else ""
        self.stdout.write(
            f"checked {report.checked} requests: {report.suggested} suggested, {report.applied} routed "
            f"automatically, {report.left} left for the assignment queue, {report.skipped} skipped{note}"
        )
