"""Generate the deterministic demo (and benchmark) data set: ``manage.py demo --scale county --seed 1``."""

from __future__ import annotations

import time
from datetime import date

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from grassroots.common.demo import (
    DEMO_PASSWORDS,
    SCALES,
    DemoContext,
    Login,
    build_plan,
    demo_conflicts,
    demo_generate,
    demo_reset,
    demo_state,
    format_table,
)
from grassroots.common.protected import encrypt


class Command(BaseCommand):
    help = (
        "Generate demo data from real divisions: regions, grids, households, residents, organisations, "
        "units, posts, officers with assignment histories, and one login per role. Deterministic per "
        "seed and scale. Does nothing (and says so) when the same demo is already loaded."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", default="county", choices=list(SCALES))
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--county",
            dest="anchor",
            default=None,
            help="division code: the county (county scale), or a county/prefecture/province whose "
            "prefecture (city) or province (province) is generated; default 410225 兰考县",
        )
        parser.add_argument(
            "--households", type=int, default=None, help="override the scale's household count"
        )
        parser.add_argument("--officers", type=int, default=None, help="override the scale's officer count")
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="reference date for ages, hire dates and assignments (YYYY-MM-DD; default today)",
        )
        parser.add_argument("--reset", action="store_true", help="remove earlier demo data first")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")

    def handle(self, *args, **options) -> None:
        try:
            plan = build_plan(
                scale=options["scale"],
                seed=options["seed"],
                anchor=options["anchor"],
                households=options["households"],
                officers=options["officers"],
                as_of=options["as_of"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        state = demo_state()
        if options["reset"] and state.loaded:
            self.stdout.write("Removing the earlier demo data …")
            removed = demo_reset(state, out=self.stdout)
            self.stdout.write("  " + ", ".join(f"{n} {name}" for name, n in removed.items() if n))
            state = demo_state()
        if state.loaded:
            complete = state.complete
            if complete and complete["key"] == plan.key and _still_there(complete["counties"]):
                self.stdout.write(
                    self.style.SUCCESS(
                        f"The {plan.scale.name} demo (seed {plan.seed}, {', '.join(complete['counties'][:3])}"
                        f"{' …' if len(complete['counties']) > 3 else ''}) is already loaded; nothing to do."
                    )
                )
                self._print_logins([Login(x["username"], x["role"], x["sees"]) for x in complete["logins"]])
                return
            if complete and complete["key"] != plan.key:
                raise CommandError(
                    f"A different demo is loaded ({_describe(complete['key'])}); "
                    "run with --reset to replace it."
                )
            self.stdout.write("An unfinished or partly removed demo was found; removing it first …")
            demo_reset(state, out=self.stdout)
        try:
            encrypt("probe")
        except ImproperlyConfigured as exc:
            raise CommandError(f"Residents' protected fields cannot be encrypted: {exc}") from exc
        problems = demo_conflicts(plan)
        if problems:
            raise CommandError("; ".join(problems))
        names = "、".join(c.division.name for c in plan.counties[:5]) + (
            " …" if len(plan.counties) > 5 else ""
        )
        self.stdout.write(
            f"Generating the {plan.scale.name} demo, seed {plan.seed}, as of {plan.as_of}: {len(plan.counties)} "
            f"counties ({names}), {plan.scale.households:,} households, {plan.scale.officers:,} officers"
        )
        ctx = DemoContext(plan, progress_enabled=False if options["no_progress"] else None, out=self.stdout)
        started = time.perf_counter()
        demo_generate(ctx)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            format_table(
                ["step", "seconds", "rows"],
                [
                    (name, f"{seconds:.1f}", ", ".join(f"{n:,} {what}" for what, n in counts.items()))
                    for name, seconds, counts in ctx.timings
                ],
            )
        )
        self.stdout.write(self.style.SUCCESS(f"Demo generated in {elapsed:.1f}s."))
        self._print_logins(ctx.logins)

    def _print_logins(self, logins: list[Login]) -> None:
        self.stdout.write("\nDemo logins (demo data only; change or remove before real use):")
        self.stdout.write(
            format_table(
                ["username", "password", "role", "sees"],
                [(x.username, DEMO_PASSWORDS[x.role], x.role, x.sees) for x in logins],
            )
        )


def _describe(key: dict) -> str:
    return f"scale {key['scale']}, seed {key['seed']}, area {key['anchor']}, {key['households']:,} households"


def _still_there(county_codes: list[str]) -> bool:
    from grassroots.territory.models import Region

    return Region.objects.filter(code__in=county_codes).count() == len(county_codes)
