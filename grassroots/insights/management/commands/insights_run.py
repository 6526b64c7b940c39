"""The scheduled insights job (cron, e.g. ``15 6 * * *`` daily and ``30 6 * * 1`` with --period weekly):
refresh the dashboard's request outcomes and the villages' map points, raise the early warnings (rises, repeats, groups, deadlines) and write
each leader's digest. Idempotent: warnings are raised once per subject and episode, a digest is written once
per leader and period and e-mailed at most once, so a re-run (or a run after a failure) repeats nothing."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone
from tqdm import tqdm

from grassroots.common.models import Role

from ... import digests, scan, services


class Command(BaseCommand):
    help = "Refresh map points, raise early warnings and write the daily or weekly digests (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=sorted(digests.PERIODS), default="daily")
        parser.add_argument("--no-digest", action="store_true", help="only compute the warnings")
        parser.add_argument("--no-scan", action="store_true", help="only write the digests")
        parser.add_argument(
            "--out", default="", help="also write each digest's HTML into this folder (e.g. var/digests)"
        )
        parser.add_argument("--mail", action="store_true", help="e-mail each digest to its leader (once)")
        parser.add_argument(
            "--base-url", default="", help="absolute address of the site, for links in e-mail"
        )

    def handle(self, *args, **options):
        now = timezone.now()
        quiet = options["verbosity"] == 0
        if not options["no_scan"]:
            outcomes = services.outcomes_refresh()
            rolled = services.rollup_refresh()
            points = services.place_points_refresh()
            with tqdm(desc="rise tests", unit="series", disable=quiet) as bar:
                results = scan.scan_rises(now=now, progress=bar.update)
            flagged = sum(r.flagged for r in results)
            repeats, groups, deadlines = (
                scan.scan_repeats(now=now),
                scan.scan_groups(now=now),
                scan.scan_deadlines(now=now),
            )
            self.stdout.write(
                f"request outcomes rewritten: {outcomes}; rolled up: {rolled}; map points: {points}; rises: {flagged} of {len(results)} series flagged; "
                f"new warnings: repeats {repeats}, groups {groups}, deadlines {deadlines}"
            )
        if options["no_digest"]:
            return
        base_url = options["base_url"] or getattr(settings, "SITE_URL", "")
        out = Path(options["out"]) if options["out"] else None
        if out:
            out.mkdir(parents=True, exist_ok=True)
        leaders = list(get_user_model().objects.filter(role=Role.LEADER, is_active=True).order_by("pk"))
        written = mailed = 0
        for user in tqdm(leaders, desc="digests", unit="leader", disable=quiet):
            digest, new, sent = digests.digest_write(
                user=user, period=options["period"], now=now, base_url=base_url, mail=options["mail"]
            )
            written += new
            mailed += sent
            if out:
                name = f"{digest.period_end:%Y-%m-%d}-{digest.period}-{user.get_username()}.html"
                (out / name).write_text(digest.html, encoding="utf-8")
        self.stdout.write(
            f"digests: {written} written, {len(leaders) - written} already there, {mailed} e-mailed"
        )
