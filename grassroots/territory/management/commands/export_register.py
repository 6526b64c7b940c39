"""Export the register (households and residents a user sees) to .xlsx, masked unless --unmasked."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from grassroots.common.errors import DomainError
from grassroots.territory.exporting import register_export


class Command(BaseCommand):
    help = "Export the register as .xlsx in the import format; ID and phone numbers masked by default."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="username", required=True, help="the user the export is made as")
        parser.add_argument("--out", required=True, help="the .xlsx file to write")
        parser.add_argument("--region", help="only households in this region (any level) by official code")
        parser.add_argument(
            "--unmasked", action="store_true", help="full ID and phone numbers (recorded in the audit log)"
        )
        parser.add_argument("--english", action="store_true", help="English column headers and codes")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user {options['username']}")
        try:
            summary = register_export(
                actor=user,
                out=options["out"],
                region_code=options["region"],
                unmasked=options["unmasked"],
                english_headers=options["english"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        kind = "full-detail" if summary.unmasked else "masked"
        self.stdout.write(
            f"wrote {options['out']}: {summary.households} households, {summary.residents} residents ({kind})"
        )
