from django.core.management.base import BaseCommand

from grassroots.casework.escalation import clock_tick


class Command(BaseCommand):
    help = "Write due reminders and escalate overdue requests (idempotent; run every few minutes)."

    def handle(self, *args, **options):
        report = clock_tick()
        self.stdout.write(
            f"checked {report.checked} requests: {report.reminders} reminders, "
            f"{report.escalations} escalations written"
        )
