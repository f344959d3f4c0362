from django.db import migrations

SEEDED = [
    ("marketing", "Marketing"),
    ("follow_up", "Management follow-up"),
    ("meeting", "Meeting"),
    ("sale", "Sale"),
    ("problem_client", "Problem client"),
]


def seed(apps, schema_editor):
    CaseType = apps.get_model("diary", "CaseType")
    for code, name in SEEDED:
        CaseType.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("diary", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
