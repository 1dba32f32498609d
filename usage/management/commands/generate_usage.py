"""``python manage.py generate_usage --rows N [--days 90] [--users 10000]``: synthetic usage
rows for benchmarks and demos, written set-based (never row by row through the ORM)."""

import re
import secrets
import time
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from usage.pricing import price_call, price_version
from usage.services import usage_coarse_rollups_rebuild, usage_rollups_rebuild
from usage.services.rollups import SUMS

# (model, service, has output): a realistic mix of OpenAI calls.
MODELS = [
    ("gpt-4o", "responses", True),
    ("gpt-4o-mini", "responses", True),
    ("gpt-4.1", "chat", True),
    ("gpt-4.1-mini", "chat", True),
    ("o4-mini", "responses", True),
    ("text-embedding-3-small", "embeddings", False),
]
MILLION = 1_000_000


def _rates() -> list[tuple[float, float, float]]:
    """USD per token (uncached input, cached input, output) of each model, from
    genai-prices (a million tokens of each kind priced, divided back)."""
    rates = []
    for model, _service, _output in MODELS:

        def usd(i: int, c: int, o: int, model=model) -> float:
            price = price_call(
                provider="openai",
                model=model,
                input_tokens=i,
                cached_input_tokens=c,
                output_tokens=o,
            )
            if price.cost_usd is None:
                raise CommandError(f"genai-prices has no price for {model}")
            return float(price.cost_usd) / MILLION

        uncached = usd(MILLION, 0, 0)
        cached = usd(MILLION, MILLION, 0)
        output = usd(0, 0, MILLION)
        rates.append((uncached, cached, output))
    return rates


def _array(values, cast: str) -> str:
    return "ARRAY[" + ", ".join(repr(v) for v in values) + f"]::{cast}[]"


class Command(BaseCommand):
    help = (
        "Generate N synthetic usage rows spread over the last --days days and "
        "--users users, with genai-prices' rates, and add them to the daily rollup. "
        "PostgreSQL: generate_series, one INSERT … SELECT per batch whose rows feed the "
        "usage_daily upsert in the same statement, then usage_daily_users, usage_daily_models, "
        "usage_monthly and usage_weekly_users from usage_daily. SQLite: a recursive CTE, "
        "then a rollup "
        "rebuild of the days touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, required=True)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--users", type=int, default=10_000)
        parser.add_argument("--batch", type=int, default=500_000, help="rows per statement")

    def handle(self, *args, rows: int, days: int, users: int, batch: int, **options):
        if rows < 1 or days < 1 or users < 1 or batch < 1:
            raise CommandError("--rows, --days, --users and --batch must be positive.")
        run = secrets.token_hex(4)
        end = datetime.now(UTC).replace(microsecond=0)
        today = end.date()
        rates = _rates()
        started = time.monotonic()
        if connection.vendor == "postgresql":
            for first in range(1, rows + 1, batch):
                last = min(rows, first + batch - 1)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        self._escaped(self._postgres_sql(rates)),
                        self._params(first, last, run, end, days, users),
                    )
                self.stdout.write(f"{last:,} rows ({time.monotonic() - started:.0f} s)")
            # The coarser rollups from usage_daily, set-based (a statement per day, month, week).
            usage_coarse_rollups_rebuild(since=today - timedelta(days=days), until=today)
        else:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    self._escaped(self._sqlite_sql(rates)),
                    self._params(1, rows, run, end, days, users),
                )
            usage_rollups_rebuild(since=today - timedelta(days=days), until=today)
        self.stdout.write(
            self.style.SUCCESS(
                f"{rows:,} usage rows over {days} days and {users:,} users "
                f"(request ids gen-{run}-*) in {time.monotonic() - started:.1f} s."
            )
        )

    @staticmethod
    def _escaped(sql: str) -> str:
        """Double every ``%`` that is not a ``%(name)s`` placeholder (SQL's modulo)."""
        return re.sub(r"%(?!\()", "%%", sql)

    @staticmethod
    def _params(first, last, run, end, days, users) -> dict:
        return {
            "first": first,
            "last": last,
            "run": f"gen-{run}-",
            "end": end,
            "days": days,
            "users": users,
            "version": price_version(),
        }

    # Row i: user i mod users, ((i div users) mod days) days and (i * 104729 mod 86400)
    # seconds before now (every user calls on every day), one of two models per user
    # (m: the user's number plus 0 or 1, mod 6, changing every `days` calls), tokens
    # from i; one call in fifty is an error, one in three reads half its input from
    # the cache.
    COLUMNS = (
        "id, user_id, service, provider, request_model, input_tokens, cached_input_tokens, "
        "output_tokens, reasoning_output_tokens, total_tokens, cost_usd, price_source, "
        "price_version, price_unknown, status, request_id, created_at, metadata"
    )

    def _select(self, rates, *, uuid_sql: str, pick, interval_sql, cost_round: str) -> str:
        n = len(MODELS)
        return f"""
        SELECT {uuid_sql} AS id,
               'user-' || (i % %(users)s) AS user_id,
               {pick("services", "m")} AS service,
               'openai' AS provider,
               {pick("models", "m")} AS request_model,
               inp AS input_tokens, cached AS cached_input_tokens, out AS output_tokens,
               reasoning AS reasoning_output_tokens, inp + out AS total_tokens,
               {cost_round} AS cost_usd,
               'genai-prices' AS price_source, %(version)s AS price_version,
               {"false" if connection.vendor == "postgresql" else "0"} AS price_unknown,
               CASE WHEN i % 50 = 0 THEN 'error' ELSE 'success' END AS status,
               %(run)s || i AS request_id,
               {interval_sql} AS created_at,
               '{{}}' AS metadata
        FROM (
            SELECT i, m,
                   200 + (i * 37) % 4000 AS inp,
                   CASE WHEN i % 3 = 0 THEN (200 + (i * 37) % 4000) / 2 ELSE 0 END AS cached,
                   CASE WHEN {pick("outputs", "m")} = 1
                        THEN 20 + (i * 53) % 800 ELSE 0 END AS out,
                   CASE WHEN m = 4 THEN (20 + (i * 53) % 800) / 2 ELSE 0 END AS reasoning
            FROM (
                SELECT i,
                       (i % %(users)s + (i / %(users)s / %(days)s) % 2) % {n} AS m
                FROM series
            ) AS s
        ) AS g
        """  # noqa: S608 (built from this module's constants; values are parameters)

    def _postgres_sql(self, rates) -> str:
        arrays = {
            "models": _array([m[0] for m in MODELS], "text"),
            "services": _array([m[1] for m in MODELS], "text"),
            "outputs": _array([int(m[2]) for m in MODELS], "int"),
        }

        def pick(name, index):
            return f"({arrays[name]})[1 + {index}]"

        uncached = _array([r[0] for r in rates], "numeric")
        cached = _array([r[1] for r in rates], "numeric")
        output = _array([r[2] for r in rates], "numeric")
        cost = (
            f"round((inp - cached) * ({uncached})[1 + m] "
            f"+ cached * ({cached})[1 + m] "
            f"+ out * ({output})[1 + m], 12)"
        )
        select = self._select(
            rates,
            uuid_sql="gen_random_uuid()",
            pick=pick,
            interval_sql="%(end)s::timestamptz - (i / %(users)s % %(days)s) * interval '1 day' "
            "- ((i * 104729) % 86400) * interval '1 second'",
            cost_round=cost,
        ).replace("'{}' AS metadata", "'{}'::jsonb AS metadata")
        constants = (
            "WITH series AS (SELECT generate_series(%(first)s::bigint, %(last)s::bigint) AS i), "
        )
        return (
            constants  # noqa: S608
            + f"ins AS (INSERT INTO usage_logs ({self.COLUMNS}) SELECT * FROM ({select}) AS rows "  # noqa: S608
            "RETURNING created_at, user_id, service, request_model, status, price_unknown, "
            "input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens, "
            "total_tokens, cost_usd) "
            "INSERT INTO usage_daily (day, user_id, service, model, calls, error_calls, "
            "unpriced_calls, input_tokens, cached_input_tokens, output_tokens, "
            "reasoning_output_tokens, total_tokens, cost_usd) "
            "SELECT (created_at AT TIME ZONE 'UTC')::date, COALESCE(user_id, ''), service, "
            "COALESCE(request_model, ''), COUNT(*), "
            "SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN price_unknown THEN 1 ELSE 0 END), SUM(input_tokens), "
            "SUM(cached_input_tokens), SUM(output_tokens), SUM(reasoning_output_tokens), "
            "SUM(total_tokens), COALESCE(SUM(cost_usd), 0) FROM ins GROUP BY 1, 2, 3, 4 "
            "ON CONFLICT (day, user_id, service, model) DO UPDATE SET "
            + ", ".join(f"{c} = usage_daily.{c} + excluded.{c}" for c in SUMS)
        )

    def _sqlite_sql(self, rates) -> str:
        def case(values, index):
            whens = " ".join(f"WHEN {k} THEN {v!r}" for k, v in enumerate(values))
            return f"(CASE {index} {whens} END)"

        def pick(name, index):
            values = {
                "models": [m[0] for m in MODELS],
                "services": [m[1] for m in MODELS],
                "outputs": [int(m[2]) for m in MODELS],
            }[name]
            return case(values, index)

        cost = (
            f"round((inp - cached) * {case([r[0] for r in rates], 'm')} "
            f"+ cached * {case([r[1] for r in rates], 'm')} "
            f"+ out * {case([r[2] for r in rates], 'm')}, 12)"
        )
        select = self._select(
            rates,
            uuid_sql="lower(hex(randomblob(16)))",
            pick=pick,
            interval_sql="strftime('%Y-%m-%d %H:%M:%S', %(end)s, "
            "'-' || (i / %(users)s % %(days)s) || ' days', "
            "'-' || ((i * 104729) % 86400) || ' seconds')",
            cost_round=cost,
        )
        return (
            "WITH RECURSIVE series(i) AS (SELECT %(first)s UNION ALL SELECT i + 1 FROM series "  # noqa: S608
            f"WHERE i < %(last)s) INSERT INTO usage_logs ({self.COLUMNS}) {select}"
        )
