from django.db import migrations

# (name, applies_to, care tag code or "", organisation kind or "", interval in days)
DEFAULT_RULES = [
    ("重点关注：每两周", "household", "key_attention", "", 14),
    ("独居老人：每月", "household", "elderly_alone", "", 30),
    ("低保户：每月", "household", "dibao", "", 30),
    ("特困户：每月", "household", "tekun", "", 30),
    ("其他农户：每季度", "household", "", "", 91),
    ("法制副职单位：每月", "organization", "", "", 30),
]


def forward(apps, schema_editor):
    VisitRule = apps.get_model("outreach", "VisitRule")
    CareTag = apps.get_model("territory", "CareTag")
    if VisitRule.objects.exists():
        return
    for name, applies_to, tag_code, kind, days in DEFAULT_RULES:
        tag = CareTag.objects.filter(code=tag_code).first() if tag_code else None
        if tag_code and tag is None:
            continue
        VisitRule.objects.create(
            name=name, applies_to=applies_to, care_tag=tag, organization_kind=kind, interval_days=days
        )


class Migration(migrations.Migration):
    dependencies = [("outreach", "0001_initial"), ("territory", "0003_default_care_tags")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
