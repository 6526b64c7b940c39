from django.db import migrations

CARE_TAGS = [
    ("dibao", "低保", "Minimum living allowance"),
    ("tekun", "特困", "Extreme hardship"),
    ("elderly_alone", "独居老人", "Elderly living alone"),
    ("empty_nest", "空巢老人", "Empty-nest elderly"),
    ("left_behind_child", "留守儿童", "Left-behind child"),
    ("disabled", "残疾人", "Person with disability"),
    ("key_attention", "重点关注", "Key attention"),
    ("veteran", "退役军人", "Veteran"),
]


def forward(apps, schema_editor):
    CareTag = apps.get_model("territory", "CareTag")
    for order, (code, name, name_en) in enumerate(CARE_TAGS):
        CareTag.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("territory", "0002_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
