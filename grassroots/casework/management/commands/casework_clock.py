from django.core.management.base import BaseCommand

from grassroots.casework.escalation import clock_tick
from grassroots.casework.follow_up import follow_up_tick
from grassroots.casework.throttle import throttle_purge


class Command(BaseCommand):
    help = (
        "Write due reminders, escalate overdue requests and follow-ups, delete expired rate-limit counters "
        "(idempotent; run every few minutes)."
    )

    def handle(self, *args, **options):
        report = clock_tick()
        follow_ups = follow_up_tick()
        purged = throttle_purge()
        self.stdout.write(
            f"checked {report.checked} requests: {report.reminders} reminders, "
            f"{report.escalations} escalations written; {follow_ups.reminders} follow-up reminders; "
            f"{purged} expired rate-limit counters deleted"
        )
