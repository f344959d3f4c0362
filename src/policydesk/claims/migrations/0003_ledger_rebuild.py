# The loss ledger filled from the policies and claims already recorded (claims/ledger.py). Its own
# migration: PostgreSQL builds nothing on tables with foreign-key checks pending in the transaction.

from django.db import migrations


def rebuild(apps, schema_editor):
    from policydesk.claims.ledger import ledger_rebuild

    ledger_rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0002_ledger"),
        ("insurance", "0005_report_indexes"),
    ]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
