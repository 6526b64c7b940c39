"""Write the OpenAPI schema to docs/openapi.yaml, or (--check) fail when the committed file is stale."""

from __future__ import annotations

import difflib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from grassroots.common.api.schema import openapi_yaml

DEFAULT_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


class Command(BaseCommand):
    help = (
        "Generate the API's OpenAPI schema into docs/openapi.yaml. With --check, write nothing and exit "
        "non-zero when the committed snapshot differs from the code (or the generator had to guess)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="compare instead of writing")
        parser.add_argument("--path", default=str(DEFAULT_PATH), help="snapshot file (default %(default)s)")

    def handle(self, *args, **options):
        path = Path(options["path"])
        generated = openapi_yaml()
        if generated.problems:
            raise CommandError(
                "The schema generator reported problems; fix the endpoints (extend_schema) first:\n"
                + "\n".join(f"  {p}" for p in generated.problems)
            )
        if options["check"]:
            committed = path.read_text(encoding="utf-8") if path.exists() else ""
            if committed == generated.text:
                self.stdout.write(f"{path} is up to date")
                return
            diff = difflib.unified_diff(
                committed.splitlines(keepends=True),
                generated.text.splitlines(keepends=True),
                fromfile=f"{path} (committed)",
                tofile="generated from the code",
                n=2,
            )
            excerpt = "".join(list(diff)[:80])
            raise CommandError(
                f"{path} is out of date with the API code"
                + ("" if path.exists() else " (the file does not exist)")
                + ". Run `python manage.py openapi_snapshot` and commit the result.\n"
                + excerpt
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        unchanged = path.exists() and path.read_text(encoding="utf-8") == generated.text
        path.write_text(generated.text, encoding="utf-8")
        self.stdout.write(f"{path} {'unchanged' if unchanged else 'written'}")
