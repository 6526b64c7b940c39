from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from grassroots.common.audit import audit_record
from grassroots.common.protected import rotate
from grassroots.territory.models import Resident


class Command(BaseCommand):
    help = (
        "Re-encrypt protected personal data under the newest key in FIELD_ENCRYPTION_KEYS. "
        "Run after prepending a new key; remove the old key only afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, **options):
        batch = options["batch"]
        total = Resident.objects.count()
        last = 0
        done = 0
        with tqdm(total=total, unit="resident", disable=None) as bar:
            while True:
                rows = list(
                    Resident.objects.filter(id__gt=last)
                    .order_by("id")
                    .only("id", "id_number_encrypted", "phone_encrypted")[:batch]
                )
                if not rows:
                    break
                with transaction.atomic():
                    for row in rows:
                        row.id_number_encrypted = rotate(row.id_number_encrypted)
                        row.phone_encrypted = rotate(row.phone_encrypted)
                    Resident.objects.bulk_update(rows, ["id_number_encrypted", "phone_encrypted"])
                last = rows[-1].id
                done += len(rows)
                bar.update(len(rows))
        audit_record(actor=None, action="protected.rotate_keys", data={"residents": done})
        self.stdout.write(f"re-encrypted {done} residents under the newest key")
