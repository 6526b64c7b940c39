import sys

from django.core.management.base import BaseCommand, CommandError

from grassroots.common.audit import audit_verify, verify_export_lines


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log (or of an exported file) and name the first bad entry."

    def add_arguments(self, parser):
        parser.add_argument("--file", help="verify an export made by audit_export instead of the database")

    def handle(self, *args, **options):
        if options["file"]:
            with open(options["file"], encoding="utf-8") as handle:
                result = verify_export_lines(handle)
        else:
            result = audit_verify()
        if result.ok:
            self.stdout.write(f"audit chain intact: {result.checked} entries, head {result.head_hash}")
            return
        self.stderr.write(
            f"audit chain BROKEN at entry {result.first_bad_id}: {result.problem} "
            f"({result.checked} entries verified before it)"
        )
        sys.stderr.flush()
        raise CommandError(f"tampered entry {result.first_bad_id}", returncode=2)
