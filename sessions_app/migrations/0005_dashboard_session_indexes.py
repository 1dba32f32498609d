"""The dashboard's customer-session counts read from indexes alone (PostgreSQL):
``sessions_created_idx`` carries the channel, and a partial index of the active
sessions by channel and expiry."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('sessions_app', '0004_jsonb_merge_patch'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='customersession',
            name='sessions_created_idx',
        ),
        migrations.AddIndex(
            model_name='customersession',
            index=models.Index(fields=['created_at'], include=('channel',), name='sessions_created_idx'),
        ),
        migrations.AddIndex(
            model_name='customersession',
            index=models.Index(condition=models.Q(('status', 'active')), fields=['channel', 'expires_at'], name='sessions_active_channel_idx'),
        ),
    ]
