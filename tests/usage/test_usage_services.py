"""Reading OpenAI usage objects, pricing with genai-prices, writing usage rows."""

from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
import pytest
from django.core.exceptions import ValidationError
from genai_prices import Usage, calc_price

from usage.models import UsageLog
from usage.pricing import price_call
from usage.services import (
    SHAPE_CHAT,
    SHAPE_RESPONSES,
    TokenUsage,
    usage_log_create,
    usage_normalize,
)


def test_chat_completions_usage_is_read_in_opentelemetry_terms():
    usage = usage_normalize(
        {
            "prompt_tokens": 1200,
            "completion_tokens": 300,
            "total_tokens": 1500,
            "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 128,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
    )

    assert usage == TokenUsage(1200, 1024, 300, 128, 1500, SHAPE_CHAT)


def test_responses_usage_is_read_in_opentelemetry_terms():
    usage = usage_normalize(
        {
            "input_tokens": 36,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 87,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 123,
        }
    )

    assert usage == TokenUsage(36, 0, 87, 0, 123, SHAPE_RESPONSES)


def test_embeddings_usage_has_no_completion_tokens():
    usage = usage_normalize({"prompt_tokens": 8, "total_tokens": 8})

    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (8, 0, 8)


def test_null_details_and_a_missing_total_are_fine():
    usage = usage_normalize(
        {"prompt_tokens": 10, "completion_tokens": 5, "prompt_tokens_details": None}
    )

    assert (usage.cached_input_tokens, usage.total_tokens) == (0, 15)


@pytest.mark.parametrize(
    ("raw", "attr"),
    [
        # OpenAI: total_tokens = prompt + completion (Chat), input + output (Responses).
        ({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 14}, "usage.total_tokens"),
        ({"input_tokens": 10, "output_tokens": 5, "total_tokens": 0}, "usage.total_tokens"),
        ({"prompt_tokens": 8, "total_tokens": 7}, "usage.total_tokens"),  # embeddings
        # No total reported, and input + output does not fit the column: never clamped.
        ({"input_tokens": 2_000_000_000, "output_tokens": 200_000_000}, "usage"),
        ({"prompt_tokens": 2**31 - 1, "completion_tokens": 1}, "usage"),
        # A reported total beyond the column.
        ({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2**31}, "usage.total_tokens"),
    ],
)
def test_totals_that_do_not_add_up_or_do_not_fit_are_refused(raw, attr):
    with pytest.raises(ValidationError) as caught:
        usage_normalize(raw, field="usage")

    assert set(caught.value.message_dict) == {attr}


def test_the_largest_storable_total_is_kept_exactly():
    usage = usage_normalize({"input_tokens": 2**31 - 2, "output_tokens": 1})

    assert usage.total_tokens == 2**31 - 1


def test_a_reported_total_above_input_plus_output_is_kept_as_reported():
    usage = usage_normalize({"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 16})

    assert usage.total_tokens == 16


def test_all_bad_fields_are_named_at_once():
    with pytest.raises(ValidationError) as caught:
        usage_normalize({"input_tokens": -1, "output_tokens": "7"}, field="usage")

    assert set(caught.value.message_dict) == {"usage.input_tokens", "usage.output_tokens"}


def test_a_gpt_4o_call_costs_what_genai_prices_says():
    at = datetime(2025, 6, 1, tzinfo=UTC)
    expected = calc_price(
        Usage(input_tokens=1000, cache_read_tokens=200, output_tokens=500),
        "gpt-4o",
        provider_id="openai",
        genai_request_timestamp=at,
    )

    price = price_call(
        provider="openai",
        model="gpt-4o",
        input_tokens=1000,
        cached_input_tokens=200,
        output_tokens=500,
        at=at,
    )

    assert price.cost_usd == expected.total_price == Decimal("0.00725")
    assert (price.unknown, price.source, price.model_id) == (False, "genai-prices", "gpt-4o")
    assert price.version == genai_prices.__version__


def test_a_dated_snapshot_name_is_priced_as_its_model():
    price = price_call(
        provider="openai",
        model="gpt-4o-mini-2024-07-18",
        input_tokens=1000,
        cached_input_tokens=0,
        output_tokens=1000,
    )

    assert price.model_id == "gpt-4o-mini" and price.cost_usd == Decimal("0.00075")


@pytest.mark.parametrize(
    ("provider", "model"),
    [("openai", "ft:acme-internal"), ("openai", None), ("nobody-we-know", "gpt-4o")],
)
def test_an_unknown_model_or_provider_has_no_price(provider, model):
    price = price_call(
        provider=provider, model=model, input_tokens=10, cached_input_tokens=0, output_tokens=10
    )

    assert price.cost_usd is None and price.unknown is True


@pytest.mark.django_db
def test_usage_log_create_counts_a_request_id_once():
    first, created = usage_log_create(
        service="embeddings",
        usage={"prompt_tokens": 18_500, "total_tokens": 18_500},
        request_model="text-embedding-3-small",
        request_id="req_embed_1",
    )
    again, created_again = usage_log_create(
        service="embeddings",
        usage={"prompt_tokens": 99, "total_tokens": 99},
        request_model="text-embedding-3-small",
        request_id="req_embed_1",
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.total_tokens == 18_500
    assert UsageLog.objects.count() == 1
    assert first.cost_usd == Decimal("0.00037")  # $0.02 per million tokens


@pytest.mark.django_db
def test_rows_without_a_request_id_are_all_kept():
    for _ in range(2):
        usage_log_create(
            service="chat",
            usage={"prompt_tokens": 1, "completion_tokens": 1},
            request_model="gpt-4o",
        )

    assert UsageLog.objects.filter(request_id=None).count() == 2


@pytest.mark.django_db
def test_the_database_refuses_a_cost_without_a_price_flag():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        UsageLog.objects.create(service="chat", cost_usd=None, price_unknown=False)
