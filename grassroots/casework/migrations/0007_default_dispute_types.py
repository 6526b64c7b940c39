from django.db import migrations

# The 20 dispute types the routing model is trained on (LawBench 2-4 labels, so a suggestion maps onto a type
# by name), then the common grassroots types of people's mediation. Each deployment edits them in the admin.
DISPUTE_TYPES = [
    ("marriage_family", "婚姻家庭", "Marriage and family"),
    ("neighbour", "邻里纠纷", "Neighbours"),
    ("land", "土地纠纷", "Land and forest rights"),
    ("labour", "劳动纠纷", "Labour"),
    ("traffic", "交通事故", "Traffic accident"),
    ("debt", "债权债务", "Debts"),
    ("contract", "合同纠纷", "Contract"),
    ("housing", "房产纠纷", "Housing and real estate"),
    ("property_management", "物业纠纷", "Property management"),
    ("tort", "侵权", "Tort"),
    ("personal_injury", "人身损害", "Personal injury"),
    ("medical", "医疗纠纷", "Medical"),
    ("demolition", "拆迁安置", "Demolition and resettlement"),
    ("construction", "建设工程", "Construction works"),
    ("consumer", "消费权益", "Consumer rights"),
    ("mortgage", "抵押担保", "Mortgage and guarantee"),
    ("company", "公司法", "Company law"),
    ("administrative", "行政诉讼", "Administrative litigation"),
    ("intellectual_property", "知识产权", "Intellectual property"),
    ("criminal", "刑事辩护", "Criminal defence"),
    ("foreign", "涉外法律", "Foreign-related law"),
    ("maritime", "海事海商", "Maritime and commerce"),
    ("general", "综合咨询", "General legal questions"),
    ("other", "其他纠纷", "Other disputes"),
]


def forward(apps, schema_editor):
    DisputeType = apps.get_model("casework", "DisputeType")
    for order, (code, name, name_en) in enumerate(DISPUTE_TYPES):
        DisputeType.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("casework", "0006_catalogue_and_imports")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
