import sys

from django.core.management.base import BaseCommand

from grassroots.common.audit import audit_export_lines


class Command(BaseCommand):
    help = "Export the audit log as JSON Lines with the chain rule, verifiable without this application."

    def add_arguments(self, parser):
        parser.add_argument("--out", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        out = open(options["out"], "w", encoding="utf-8") if options["out"] else sys.stdout  # noqa: SIM115
        count = -1
        try:
            for line in audit_export_lines():
                out.write(line + "\n")
                count += 1
        finally:
            if options["out"]:
                out.close()
        if options["out"]:
            self.stderr.write(f"exported {count} entries to {options['out']}")
