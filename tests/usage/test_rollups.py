"""usage_daily stays exact: interactions and batches add to it in their transaction,
concurrent writers both count, and a rebuild from the raw rows gives the same figures."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from interactions.services import ai_interaction_log
from tests.interactions.helpers import GPT4O_CHAT_USAGE
from tests.threads import run_in_threads
from tests.usage.conftest import event
from tests.usage.test_ingest_api import rollup_equals_raw
from usage.models import UsageDaily, UsageLog
from usage.services import usage_events_ingest, usage_rollups_rebuild


def table() -> list[tuple]:
    return sorted(
        UsageDaily.objects.values_list(
            "day",
            "user_id",
            "service",
            "model",
            "calls",
            "error_calls",
            "unpriced_calls",
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "reasoning_output_tokens",
            "total_tokens",
            "cost_usd",
        )
    )


@pytest.mark.django_db
def test_an_interaction_is_rolled_up_in_its_transaction():
    ai_interaction_log(
        session_id="8d0c1f0e-0000-4000-8000-0000000000aa",
        prompt="p",
        response="r",
        model_used="gpt-4o",
        usage=GPT4O_CHAT_USAGE,
        user_id="u1",
    )

    daily = UsageDaily.objects.get()
    assert (daily.user_id, daily.service, daily.model, daily.calls) == ("u1", "chat", "gpt-4o", 1)
    assert daily.cost_usd == UsageLog.objects.get().cost_usd
    rollup_equals_raw()


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_for_the_same_day_user_and_model_all_count():
    def send(i):
        return usage_events_ingest(events=[event(user_id="u1") for _ in range(5)]).created

    created = run_in_threads(8, send)

    assert created == [5] * 8
    daily = UsageDaily.objects.get()
    assert daily.calls == 40
    assert daily.cost_usd == Decimal("0.00325") * 40
    rollup_equals_raw()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_batch_count_once():
    batch = [event(user_id="u1") for _ in range(20)]

    created = run_in_threads(6, lambda i: usage_events_ingest(events=batch).created)

    assert sum(created) == 20
    assert UsageDaily.objects.get().calls == 20


@pytest.mark.django_db
def test_a_rebuild_gives_identical_figures():
    usage_events_ingest(
        events=[
            event(user_id="u1", created_at="2026-01-01T10:00:00Z"),
            event(user_id="u1", created_at="2026-01-02T10:00:00Z", model="gpt-4o-mini"),
            event(user_id="u2", created_at="2026-01-02T23:59:59Z", status="error"),
            event(created_at="2026-01-02T00:00:00Z", model="ft:unknown"),
            event(user_id="u3", created_at="2026-01-03T00:00:00Z", service="embeddings"),
        ]
    )
    before = table()
    # A drifted rollup (a manual fix of usage_logs, a bug) is put right by a rebuild.
    UsageDaily.objects.filter(day=date(2026, 1, 2)).update(calls=99, cost_usd=Decimal(7))
    UsageDaily.objects.create(day=date(2026, 1, 3), user_id="ghost", service="chat", calls=1)

    usage_rollups_rebuild(since=date(2026, 1, 1), until=date(2026, 1, 4))

    assert table() == before
    rollup_equals_raw()


@pytest.mark.django_db
def test_the_rebuild_command_recomputes_from_a_date(capsys):
    usage_events_ingest(events=[event(user_id="u1", created_at="2026-02-01T10:00:00Z")])
    before = table()
    UsageDaily.objects.all().delete()

    call_command("rebuild_usage_rollups", "--since", "2026-02-01", "--until", "2026-02-02")

    assert table() == before
    assert "2026-02-01" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_rebuild_command_refuses_a_bad_date():
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        call_command("rebuild_usage_rollups", "--since", "yesterday")


@pytest.mark.django_db
def test_a_duplicate_request_does_not_change_the_rollup():
    first = event(user_id="u1", created_at=datetime(2026, 1, 1, tzinfo=UTC).isoformat())
    usage_events_ingest(events=[first])
    before = table()

    usage_events_ingest(events=[first])

    assert table() == before
