"""Fill usage_daily from the usage rows recorded before it existed, and (PostgreSQL)
create the SQL editor's summary views.

``user_usage_summary``: per user totals from the daily rollup.
``chat_sessions_summary``: AI (chat) sessions with their message counts.
Both are ``security_invoker`` views (PostgreSQL 15+): on Supabase they apply the
row-level security of the caller, not of the views' owner.
"""

from django.db import migrations

ROLLUP_COLUMNS = (
    "day, user_id, service, model, calls, error_calls, unpriced_calls, input_tokens, "
    "cached_input_tokens, output_tokens, reasoning_output_tokens, total_tokens, cost_usd"
)
BACKFILL = """
INSERT INTO usage_daily ({columns})
SELECT {day}, COALESCE(user_id, ''), service, COALESCE(request_model, response_model, ''),
       COUNT(*), SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END),
       SUM(CASE WHEN price_unknown THEN 1 ELSE 0 END), SUM(input_tokens),
       SUM(cached_input_tokens), SUM(output_tokens), SUM(reasoning_output_tokens),
       SUM(total_tokens), COALESCE(SUM(cost_usd), 0)
FROM usage_logs
GROUP BY 1, 2, 3, 4
"""

VIEWS = """
CREATE VIEW user_usage_summary WITH (security_invoker = true) AS
SELECT user_id,
       MIN(day) AS first_day,
       MAX(day) AS last_day,
       COUNT(DISTINCT day) AS active_days,
       SUM(calls) AS calls,
       SUM(error_calls) AS error_calls,
       SUM(unpriced_calls) AS unpriced_calls,
       SUM(input_tokens) AS input_tokens,
       SUM(cached_input_tokens) AS cached_input_tokens,
       SUM(output_tokens) AS output_tokens,
       SUM(reasoning_output_tokens) AS reasoning_output_tokens,
       SUM(total_tokens) AS total_tokens,
       SUM(cost_usd) AS cost_usd
FROM usage_daily
WHERE user_id <> ''
GROUP BY user_id;

CREATE VIEW chat_sessions_summary WITH (security_invoker = true) AS
SELECT s.id AS session_id,
       s.user_id,
       s.title,
       s.channel,
       s.created_at,
       s.updated_at AS last_activity,
       s.last_interaction_at,
       s.interaction_count AS message_count
FROM ai_sessions s;
"""
DROP_VIEWS = "DROP VIEW IF EXISTS chat_sessions_summary; DROP VIEW IF EXISTS user_usage_summary;"


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        day = "(created_at AT TIME ZONE 'UTC')::date"
    else:  # SQLite stores UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]"
        day = "date(created_at)"
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM usage_daily")
        cursor.execute(BACKFILL.format(columns=ROLLUP_COLUMNS, day=day))


def create_views(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(VIEWS)


def drop_views(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_VIEWS)


class Migration(migrations.Migration):

    dependencies = [
        ("usage", "0003_usage_daily_budgets_alerts"),
        ("interactions", "0002_db_defaults_for_seed_inserts"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(create_views, drop_views),
    ]
