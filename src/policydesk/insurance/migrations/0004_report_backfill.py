from django.db import migrations

# The same rule as services.refresh_report_fields, in SQL that SQLite and PostgreSQL both run.
BACKFILL = [
    "UPDATE insurance_policy SET agent_id = COALESCE(manager_id,"
    " (SELECT c.curator_id FROM clients_client c WHERE c.id = insurance_policy.client_id))",
    "UPDATE insurance_policy SET is_renewed = TRUE WHERE id IN"
    " (SELECT r.renews_id FROM insurance_policy r WHERE r.state = 'issued' AND r.renews_id IS NOT NULL)",
]



class Migration(migrations.Migration):
    """Fill the report fields before their indexes exist (quicker over millions of rows), in a
    migration of its own: PostgreSQL checks the new foreign key at this migration's commit, and
    refuses to create an index on a table with such checks pending."""

    dependencies = [
        ("insurance", "0003_report_fields"),
    ]

    operations = [
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
