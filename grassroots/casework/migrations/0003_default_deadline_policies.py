from django.db import migrations

# Common practice of 12345 hotlines and mediation rules; each deployment edits them in the admin.
POLICIES = [
    ("紧急 Emergency", {"urgency": "emergency"}, 2, "hours", 0, 1, 2),
    ("加急 Urgent", {"urgency": "urgent"}, 24, "hours", 0, 4, 12),
    ("信访 Petition", {"channel": "petition"}, 60, "calendar_days", 30, 72, 24),
    ("咨询 Consultation", {"kind": "consultation"}, 3, "working_days", 0, 24, 24),
    ("求助 Help", {"kind": "help"}, 5, "working_days", 5, 24, 24),
    ("投诉举报 Complaint", {"kind": "complaint"}, 7, "working_days", 7, 24, 24),
    ("意见建议 Suggestion", {"kind": "suggestion"}, 15, "working_days", 15, 48, 48),
    ("求决 Demand", {"kind": "demand"}, 15, "working_days", 15, 48, 48),
    ("委派调解 Dispute mediation", {"kind": "dispute"}, 30, "calendar_days", 30, 72, 48),
]


def forward(apps, schema_editor):
    DeadlinePolicy = apps.get_model("casework", "DeadlinePolicy")
    for name, match, amount, unit, extension, remind, escalate in POLICIES:
        DeadlinePolicy.objects.get_or_create(
            name=name,
            defaults={**match, "amount": amount, "unit": unit, "max_extension_days": extension,
                      "remind_before_hours": remind, "escalate_every_hours": escalate},
        )


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_clocks")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
