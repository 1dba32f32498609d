"""POST /api/v1/usage/events/: all or nothing, duplicates skipped, exact costs, rollup in step."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from tests.interactions.factories import AISessionFactory
from tests.usage.conftest import event
from usage.models import (
    UsageDaily,
    UsageDailyModel,
    UsageDailyUser,
    UsageLog,
    UsageMonthly,
    UsageWeeklyUser,
)
from usage.services import usage_log_build, usage_normalize

pytestmark = pytest.mark.django_db
EVENTS = "/api/v1/usage/events/"
FIGURES = [
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_output_tokens",
    "total_tokens",
]


def rollup_equals_raw() -> None:
    """Every rollup figure equals the same aggregate over the raw rows."""
    raw = UsageLog.objects.aggregate(**{f: Sum(f) for f in FIGURES}, cost_usd=Sum("cost_usd"))
    daily = UsageDaily.objects.aggregate(**{f: Sum(f) for f in FIGURES}, cost_usd=Sum("cost_usd"))
    assert daily == raw
    assert UsageDaily.objects.aggregate(n=Sum("calls"))["n"] == UsageLog.objects.count()
    assert (
        UsageDaily.objects.aggregate(n=Sum("unpriced_calls"))["n"]
        == UsageLog.objects.filter(price_unknown=True).count()
    )
    coarse_levels_equal_daily()


ROLLUP_SUMS = [
    "calls",
    "error_calls",
    "unpriced_calls",
    *FIGURES,
    "cost_usd",
]


# Each coarser level: its model, its key columns, and a usage_daily row's key there.
COARSE_LEVELS = [
    (UsageDailyModel, ("day", "service", "model"), lambda r: (r["day"], r["service"], r["model"])),
    (UsageDailyUser, ("day", "user_id"), lambda r: (r["day"], r["user_id"])),
    (
        UsageMonthly,
        ("month", "user_id", "model"),
        lambda r: (r["day"].replace(day=1), r["user_id"], r["model"]),
    ),
    (
        UsageWeeklyUser,
        ("week", "user_id"),
        lambda r: (r["day"] - timedelta(days=r["day"].weekday()), r["user_id"]),
    ),
]


def coarse_levels_equal_daily() -> None:
    """``usage_daily_models``, ``usage_daily_users``, ``usage_monthly`` and
    ``usage_weekly_users`` hold, row for row, ``usage_daily`` summed per their keys."""
    daily = list(UsageDaily.objects.values("day", "user_id", "service", "model", *ROLLUP_SUMS))
    for model, key, key_of in COARSE_LEVELS:
        expected: dict[tuple, dict] = {}
        for row in daily:
            into = expected.setdefault(key_of(row), dict.fromkeys(ROLLUP_SUMS, 0))
            for name in ROLLUP_SUMS:
                into[name] += row[name]
        actual = {
            tuple(r[k] for k in key): {n: r[n] for n in ROLLUP_SUMS}
            for r in model.objects.values(*key, *ROLLUP_SUMS)
        }
        assert actual == expected, model.__name__


def test_a_batch_is_written_priced_and_rolled_up(api_client_with_key):
    batch = [event(user_id="u1"), event(user_id="u1"), event(user_id="u2", model="gpt-4o-mini")]

    response = api_client_with_key.post(EVENTS, {"events": batch})

    assert response.status_code == 201, response.json()
    assert response.json() == {"created": 3, "duplicates": 0, "budget_exceeded": []}
    costs = sorted(UsageLog.objects.values_list("cost_usd", flat=True))
    # gpt-4o: 800 x $2.50 + 200 cached x $1.25 + 100 x $10 per million = $0.00325;
    # the cached tokens are charged once, at the cached rate.
    assert costs[-2:] == [Decimal("0.00325"), Decimal("0.00325")]
    rows = {(r.user_id, r.model): r for r in UsageDaily.objects.all()}
    assert rows[("u1", "gpt-4o")].calls == 2
    assert rows[("u1", "gpt-4o")].cost_usd == Decimal("0.0065")
    assert rows[("u1", "gpt-4o")].cached_input_tokens == 400
    rollup_equals_raw()


def test_duplicates_in_the_batch_and_across_batches_are_skipped(api_client_with_key):
    first = event(user_id="u1")
    api_client_with_key.post(EVENTS, {"events": [first]})

    response = api_client_with_key.post(
        EVENTS, {"events": [first, event(request_id="r-new"), event(request_id="r-new")]}
    )

    assert response.json()["created"] == 1 and response.json()["duplicates"] == 2
    assert UsageLog.objects.count() == 2
    rollup_equals_raw()


def test_a_bad_event_writes_nothing_and_names_each_bad_item(api_client_with_key):
    batch = [
        event(),
        event(service="telepathy"),
        event(usage={"input_tokens": -1, "output_tokens": 1}),
        {"service": "chat", "usage": {"prompt_tokens": 1}},
        event(created_at=(timezone.now() + timedelta(minutes=10)).isoformat()),
        event(colour="blue"),
    ]

    response = api_client_with_key.post(EVENTS, {"events": batch})

    assert response.status_code == 400
    attrs = {e["attr"] for e in response.json()["errors"]}
    assert attrs == {
        "events.1.service",
        "events.2.usage.input_tokens",
        "events.3.request_id",
        "events.4.created_at",
        "events.5.colour",
    }
    assert UsageLog.objects.count() == 0 and UsageDaily.objects.count() == 0


def test_a_service_or_status_that_is_not_a_string_is_a_400_naming_it(api_client_with_key):
    batch = [event(service=["chat"]), event(status={"ok": True})]

    response = api_client_with_key.post(EVENTS, {"events": batch})

    assert response.status_code == 400
    assert sorted(e["attr"] for e in response.json()["errors"]) == [
        "events.0.service",
        "events.1.status",
    ]
    assert UsageLog.objects.count() == 0


@pytest.mark.parametrize("count", [0, 1001])
def test_a_batch_has_1_to_1000_events(api_client_with_key, count):
    response = api_client_with_key.post(EVENTS, {"events": [event() for _ in range(count)]})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "events"


def test_an_unknown_ai_session_is_refused_and_a_known_one_is_linked(api_client_with_key):
    session = AISessionFactory()
    bad = "8d0c1f0e-0000-4000-8000-00000000dead"

    refused = api_client_with_key.post(EVENTS, {"events": [event(ai_session_id=bad)]})
    accepted = api_client_with_key.post(EVENTS, {"events": [event(ai_session_id=str(session.pk))]})

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["attr"] == "events.0.ai_session_id"
    assert accepted.status_code == 201
    assert UsageLog.objects.get().ai_session_id == session.pk


def test_an_unpriced_model_has_no_cost_and_counts_as_unpriced(api_client_with_key):
    api_client_with_key.post(EVENTS, {"events": [event(model="ft:acme-internal-v9")]})

    log = UsageLog.objects.get()
    assert log.cost_usd is None and log.price_unknown
    daily = UsageDaily.objects.get()
    assert (daily.unpriced_calls, daily.cost_usd) == (1, 0)


def test_back_filled_events_count_on_their_own_utc_day(api_client_with_key):
    api_client_with_key.post(
        EVENTS,
        {
            "events": [
                event(created_at="2026-03-01T23:30:00-02:00"),  # 2026-03-02 01:30 UTC
                event(created_at="2026-03-01T12:00:00Z", status="error"),
            ]
        },
    )

    days = {d.day.isoformat(): d for d in UsageDaily.objects.all()}
    assert sorted(days) == ["2026-03-01", "2026-03-02"]
    assert days["2026-03-01"].error_calls == 1
    log = UsageLog.objects.get(status="success")
    assert log.created_at == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def test_a_naive_time_is_refused(api_client_with_key):
    response = api_client_with_key.post(
        EVENTS, {"events": [event(created_at="2026-03-01T12:00:00")]}
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "events.0.created_at"


def test_only_api_keys_may_send_events(api_client, alice_client):
    assert api_client.post(EVENTS, {"events": [event()]}).status_code in (401, 403)
    assert alice_client.post(EVENTS, {"events": [event()]}).status_code == 403
    assert UsageLog.objects.count() == 0


def test_chat_completions_usage_is_accepted(api_client_with_key):
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 100,
        "prompt_tokens_details": {"cached_tokens": 200},
        "completion_tokens_details": {"reasoning_tokens": 40},
    }

    api_client_with_key.post(EVENTS, {"events": [event(service="chat", usage=usage)]})

    daily = UsageDaily.objects.get()
    assert (daily.reasoning_output_tokens, daily.total_tokens) == (40, 1100)
    assert daily.cost_usd == Decimal("0.00325")


def test_a_batch_row_holds_what_the_one_call_path_would_write(api_client_with_key):
    """The batch statement builds some columns in SQL (the id, the batch's constants,
    the metadata merge): every column equals ``usage_log_build``'s for the same call."""
    events = [
        event(user_id="u1", metadata={"ticket": 7}, latency_ms=120),
        event(metadata={"usage_shape": "theirs"}, response_model="gpt-4o-2024-08-06"),
        event(model="no-such-model", created_at="2026-03-01T23:30:00.250000-02:00"),
        event(usage={"prompt_tokens": 12, "total_tokens": 12}, service="embeddings", model=None),
    ]
    before = timezone.now()

    response = api_client_with_key.post(EVENTS, {"events": events})

    after = timezone.now()
    assert response.status_code == 201, response.json()
    rows = {log.request_id: log for log in UsageLog.objects.all()}
    now_rows = [rows[e["request_id"]] for e in events if "created_at" not in e]
    assert len({log.created_at for log in now_rows}) == 1  # the batch's one "now"
    assert before <= now_rows[0].created_at <= after
    for sent in events:
        row = rows[sent["request_id"]]
        expected = usage_log_build(
            service=sent["service"],
            usage=usage_normalize(sent["usage"]),
            request_model=sent.get("model"),
            response_model=sent.get("response_model"),
            user_id=sent.get("user_id"),
            latency_ms=sent.get("latency_ms"),
            request_id=sent["request_id"],
            metadata=sent.get("metadata"),
            created_at=row.created_at,
        )
        assert isinstance(row.id, uuid.UUID)
        columns = [f.attname for f in UsageLog._meta.concrete_fields if f.attname != "id"]
        assert {c: getattr(row, c) for c in columns} == {c: getattr(expected, c) for c in columns}
    assert rows[events[1]["request_id"]].metadata == {"usage_shape": "theirs"}
    assert rows[events[2]["request_id"]].created_at == datetime(
        2026, 3, 2, 1, 30, 0, 250000, tzinfo=UTC
    )
