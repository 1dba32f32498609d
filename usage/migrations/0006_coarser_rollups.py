"""The coarser rollups ``usage_daily_models`` (day, service, model) and
``usage_monthly`` (month, user, model), filled from ``usage_daily``."""

from django.db import migrations, models

FIGURES = (
    "calls, error_calls, unpriced_calls, input_tokens, cached_input_tokens, output_tokens, "
    "reasoning_output_tokens, total_tokens, cost_usd"
)
SUMS = ", ".join(f"SUM({name})" for name in FIGURES.split(", "))


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        month = "date_trunc('month', day)::date"
    else:  # SQLite stores dates as "YYYY-MM-DD"
        month = "substr(day, 1, 8) || '01'"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM usage_daily_models")
        cursor.execute(
            f"INSERT INTO usage_daily_models (day, service, model, {FIGURES}) "
            f"SELECT day, service, model, {SUMS} FROM usage_daily GROUP BY 1, 2, 3"
        )
        cursor.execute("DELETE FROM usage_monthly")
        cursor.execute(
            f"INSERT INTO usage_monthly (month, user_id, model, {FIGURES}) "
            f"SELECT {month}, user_id, model, {SUMS} FROM usage_daily GROUP BY 1, 2, 3"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('usage', '0005_admin_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='UsageDailyModel',
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
                ('day', models.DateField(help_text='UTC day')),
                ('service', models.CharField(choices=[('chat', 'Chat Completions'), ('responses', 'Responses'), ('embeddings', 'Embeddings'), ('file_search', 'File search'), ('files', 'Files'), ('assistants', 'Assistants'), ('moderations', 'Moderations'), ('audio', 'Audio'), ('images', 'Images'), ('other', 'Other')], max_length=32)),
                ('model', models.CharField(blank=True, db_default='', default='', max_length=100)),
            ],
            options={
                'verbose_name': 'daily usage by model',
                'verbose_name_plural': 'daily usage by model',
                'db_table': 'usage_daily_models',
                'ordering': ['-day'],
                'indexes': [models.Index(fields=['service', 'day'], name='usage_daily_models_svc_idx')],
                'constraints': [models.UniqueConstraint(fields=('day', 'service', 'model'), name='usage_daily_models_key')],
            },
        ),
        migrations.CreateModel(
            name='UsageMonthly',
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
                ('month', models.DateField(help_text='first day of the UTC month')),
                ('user_id', models.CharField(blank=True, db_default='', default='', max_length=100)),
                ('model', models.CharField(blank=True, db_default='', default='', max_length=100)),
            ],
            options={
                'verbose_name': 'monthly usage',
                'verbose_name_plural': 'monthly usage',
                'db_table': 'usage_monthly',
                'ordering': ['-month'],
                'indexes': [models.Index(fields=['model', 'month'], name='usage_monthly_model_idx')],
                'constraints': [models.UniqueConstraint(fields=('month', 'user_id', 'model'), name='usage_monthly_key')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
