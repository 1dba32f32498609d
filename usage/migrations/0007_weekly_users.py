"""The per-week, per-user rollup ``usage_weekly_users`` (ISO weeks from Monday,
UTC), filled from ``usage_daily``."""

from django.db import migrations, models

FIGURES = (
    "calls, error_calls, unpriced_calls, input_tokens, cached_input_tokens, output_tokens, "
    "reasoning_output_tokens, total_tokens, cost_usd"
)
SUMS = ", ".join(f"SUM({name})" for name in FIGURES.split(", "))


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        week = "date_trunc('week', day)::date"
    else:  # SQLite stores dates as "YYYY-MM-DD"; back 6 days, then on to a Monday
        week = "date(day, '-6 days', 'weekday 1')"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM usage_weekly_users")
        cursor.execute(
            f"INSERT INTO usage_weekly_users (week, user_id, {FIGURES}) "
            f"SELECT {week}, user_id, {SUMS} FROM usage_daily GROUP BY 1, 2"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('usage', '0006_coarser_rollups'),
    ]

    operations = [
        migrations.CreateModel(
            name='UsageWeeklyUser',
            fields=[
                ('calls', models.BigIntegerField(db_default=0, default=0, help_text='errors included')),
                ('error_calls', models.BigIntegerField(db_default=0, default=0)),
                ('unpriced_calls', models.BigIntegerField(db_default=0, default=0)),
                ('input_tokens', models.BigIntegerField(db_default=0, default=0, help_text='including cached')),
                ('cached_input_tokens', models.BigIntegerField(db_default=0, default=0)),
                ('output_tokens', models.BigIntegerField(db_default=0, default=0, help_text='including reasoning')),
                ('reasoning_output_tokens', models.BigIntegerField(db_default=0, default=0)),
                ('total_tokens', models.BigIntegerField(db_default=0, default=0)),
                ('cost_usd', models.DecimalField(db_default=0, decimal_places=12, default=0, help_text='USD, priced calls only', max_digits=24)),
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('week', models.DateField(help_text='UTC Monday the ISO week starts on')),
                ('user_id', models.CharField(blank=True, db_default='', default='', max_length=100)),
            ],
            options={
                'verbose_name': 'weekly usage by user',
                'verbose_name_plural': 'weekly usage by user',
                'db_table': 'usage_weekly_users',
                'ordering': ['-week'],
                'indexes': [models.Index(fields=['week'], include=('user_id', 'calls', 'cost_usd'), name='usage_weekly_users_top_idx')],
                'constraints': [models.UniqueConstraint(fields=('week', 'user_id'), name='usage_weekly_users_key')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
