from django.db import migrations, models


class Migration(migrations.Migration):
    """The covering indexes of the renewal reports, in a migration of their own: PostgreSQL creates
    an index only once the backfill's deferred foreign-key checks have run (at 0003's commit)."""

    dependencies = [
        ("insurance", "0003_report_fields"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="policy",
            name="policy_state_end_idx",
        ),
        migrations.AddIndex(
            model_name='policy',
            index=models.Index(fields=['state', 'end_date', 'is_renewed', 'agent', 'line', 'currency', 'premium'], name='policy_report_end_idx'),
        ),
        migrations.AddIndex(
            model_name='policy',
            index=models.Index(fields=['state', 'cancelled_on', 'agent', 'line', 'currency', 'premium'], name='policy_report_cancel_idx'),
        ),
    ]
