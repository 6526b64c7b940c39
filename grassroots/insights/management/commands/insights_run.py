"""Compute the early warnings and write the leaders' digests (run daily from the scheduler)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from tqdm import tqdm

from grassroots.common.models import Role
from grassroots.common.scoping import actor_for

from ... import digests, scan


class Command(BaseCommand):
    help = "Raise early warnings (rises, repeats, groups, deadlines) and write the daily or weekly digests."

    def add_arguments(self, parser):
        parser.add_argument("--period", choices=["daily", "weekly"], default="daily")
        parser.add_argument("--no-digest", action="store_true", help="only compute the warnings")
        parser.add_argument("--out", default="", help="folder for the digests' HTML (default var/digests)")
        parser.add_argument("--mail", action="store_true", help="also e-mail each digest to its leader")
        parser.add_argument(
            "--base-url", default="", help="absolute address of the site, for links in e-mail"
        )

    def handle(self, *args, **options):
        now = timezone.now()
        quiet = options["verbosity"] == 0
        with tqdm(desc="rise tests", unit="series", disable=quiet) as bar:
            results = scan.scan_rises(now=now, progress=bar.update)
        flagged = sum(r.flagged for r in results)
        repeats, groups, deadlines = (
            scan.scan_repeats(now=now),
            scan.scan_groups(now=now),
            scan.scan_deadlines(now=now),
        )
        self.stdout.write(
            f"rises: {flagged} of {len(results)} series flagged; new warnings: repeats {repeats}, "
            f"groups {groups}, deadlines {deadlines}"
        )
        if options["no_digest"]:
            return
        from django.contrib.auth import get_user_model

        out = Path(options["out"] or Path(settings.VAR_DIR) / "digests")
        out.mkdir(parents=True, exist_ok=True)
        leaders = get_user_model().objects.filter(role=Role.LEADER, is_active=True).order_by("pk")
        written = 0
        for user in tqdm(list(leaders), desc="digests", unit="leader", disable=quiet):
            with override(settings.LANGUAGE_CODE):
                html = digests.render_email(
                    actor=actor_for(user), period=options["period"], base_url=options["base_url"], now=now
                )
                subject = _("Grassroots digest")
            path = out / f"{timezone.localdate():%Y-%m-%d}-{options['period']}-{user.get_username()}.html"
            path.write_text(html, encoding="utf-8")
            if options["mail"] and user.email:
                send_mail(subject, "", None, [user.email], html_message=html)
            written += 1
        self.stdout.write(f"digests: {written} written to {out}")
