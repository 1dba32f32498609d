"""``POST /api/v1/interactions/``: the old chat backend's log_interaction, with usage and cost."""

import uuid
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price

from interactions.models import AIInteraction, AISession
from tests.interactions.factories import AISessionFactory
from tests.interactions.helpers import GPT4O_CHAT_USAGE
from tests.usage.factories import UsageLogFactory
from usage.models import UsageLog

pytestmark = pytest.mark.django_db

LOG = "/api/v1/interactions/"


def log(client, **body):
    body = {
        "session_id": str(uuid.uuid4()),
        "prompt": "Do you have running shoes in size 9?",
        "response": "Yes, the AirStride 2 in blue and black.",
        "model_used": "gpt-4o",
        **body,
    }
    return client.post(LOG, body, format="json")


def nothing_written():
    return (
        AISession.objects.count(),
        AIInteraction.objects.count(),
        UsageLog.objects.count(),
    ) == (0, 0, 0)


def test_an_unknown_session_id_is_created_with_the_interaction(api_client_with_key):
    """The old backend: this was a foreign-key error and a 500."""
    session_id = str(uuid.uuid4())

    response = log(api_client_with_key, session_id=session_id, usage=GPT4O_CHAT_USAGE)

    assert response.status_code == 201
    body = response.json()
    assert body["session_id"] == session_id and body["duplicate"] is False
    session = AISession.objects.get()
    assert str(session.pk) == session_id
    assert session.interaction_count == 1
    assert session.last_interaction_at is not None
    interaction = AIInteraction.objects.get()
    assert interaction.session_id == session.pk
    assert interaction.prompt == "Do you have running shoes in size 9?"
    assert interaction.tokens_used == 1500


def test_an_existing_session_keeps_its_row_and_counts_up(api_client_with_key):
    session = AISessionFactory(user_id="kiosk-7")

    for _ in range(3):
        assert log(api_client_with_key, session_id=str(session.pk)).status_code == 201

    session.refresh_from_db()
    assert AISession.objects.count() == 1
    assert session.interaction_count == 3
    assert session.user_id == "kiosk-7"
    assert AIInteraction.objects.filter(session=session).count() == 3


def test_the_usage_row_is_written_with_the_token_split_and_cost(api_client_with_key):
    response = log(
        api_client_with_key,
        usage=GPT4O_CHAT_USAGE,
        user_id="user-42",
        latency_ms=950,
        openai_response_id="chatcmpl-abc",
        response_model="gpt-4o-2024-08-06",
        reported_cost_usd="0.01",
    )

    assert response.status_code == 201
    row = UsageLog.objects.get()
    assert (row.service, row.request_model, row.response_model) == (
        "chat",
        "gpt-4o",
        "gpt-4o-2024-08-06",
    )
    assert (row.input_tokens, row.cached_input_tokens, row.output_tokens) == (1200, 1024, 300)
    assert (row.reasoning_output_tokens, row.total_tokens) == (0, 1500)
    assert row.user_id == "user-42" and row.latency_ms == 950
    assert row.request_id == "chatcmpl-abc"  # the response id is the default request id
    assert row.reported_cost_usd == Decimal("0.01")  # kept apart from the computed cost
    assert row.cost_usd is not None and row.cost_usd != row.reported_cost_usd
    assert row.ai_session_id == uuid.UUID(response.json()["session_id"])
    assert str(row.interaction_id) == response.json()["id"]
    assert response.json()["usage"]["cost_usd"] == f"{row.cost_usd:.12f}"


def test_the_cost_of_a_known_gpt_4o_call_is_genai_prices_own_figure(api_client_with_key):
    expected = calc_price(
        Usage(input_tokens=1200, cache_read_tokens=1024, output_tokens=300),
        "gpt-4o",
        provider_id="openai",
    ).total_price

    log(api_client_with_key, usage=GPT4O_CHAT_USAGE)

    row = UsageLog.objects.get()
    assert row.cost_usd == expected
    # 176 uncached input at $2.50/M, 1024 cached at $1.25/M, 300 output at $10/M.
    assert expected == Decimal("0.00472")
    assert row.price_unknown is False
    assert row.price_source == "genai-prices" and row.price_version


def test_responses_shape_usage_with_reasoning_tokens(api_client_with_key):
    usage = {
        "input_tokens": 2000,
        "input_tokens_details": {"cached_tokens": 500},
        "output_tokens": 900,
        "output_tokens_details": {"reasoning_tokens": 640},
        "total_tokens": 2900,
    }

    response = log(api_client_with_key, model_used="o3-mini", usage=usage)

    assert response.status_code == 201
    row = UsageLog.objects.get()
    assert row.service == "responses"
    assert (row.input_tokens, row.cached_input_tokens) == (2000, 500)
    assert (row.output_tokens, row.reasoning_output_tokens, row.total_tokens) == (900, 640, 2900)
    # Reasoning tokens are billed as the output tokens they are part of.
    expected = calc_price(
        Usage(input_tokens=2000, cache_read_tokens=500, output_tokens=900),
        "o3-mini",
        provider_id="openai",
    ).total_price
    assert row.cost_usd == expected
    interaction = AIInteraction.objects.get()
    assert (interaction.reasoning_output_tokens, interaction.tokens_used) == (640, 2900)


def test_an_unknown_model_is_stored_without_a_price_and_flagged(api_client_with_key):
    response = log(
        api_client_with_key,
        model_used="ft:acme-internal",
        usage={"prompt_tokens": 10, "completion_tokens": 5},
    )

    assert response.status_code == 201
    row = UsageLog.objects.get()
    assert row.cost_usd is None and row.price_unknown is True
    assert row.total_tokens == 15
    assert response.json()["usage"]["price_unknown"] is True
    assert response.json()["usage"]["cost_usd"] is None


def test_without_usage_no_usage_row_is_written(api_client_with_key):
    response = log(api_client_with_key, tokens_used=42)

    assert response.status_code == 201
    assert response.json()["usage"] is None
    assert AIInteraction.objects.get().tokens_used == 42
    assert UsageLog.objects.count() == 0


def test_text_is_stored_exactly_as_sent(api_client_with_key):
    prompt = "  नमस्ते!\n  Do you have 👟 size 9?  "

    log(api_client_with_key, prompt=prompt, metadata={"items": ["sku-1"]})

    interaction = AIInteraction.objects.get()
    assert interaction.prompt == prompt
    assert interaction.metadata == {"items": ["sku-1"]}


def test_a_duplicate_request_id_returns_the_first_interaction_and_writes_nothing(
    api_client_with_key,
):
    session_id = str(uuid.uuid4())
    first = log(
        api_client_with_key, session_id=session_id, usage=GPT4O_CHAT_USAGE, request_id="req_123"
    )

    retry = log(
        api_client_with_key,
        session_id=session_id,
        response="a different answer",
        usage={"prompt_tokens": 1, "completion_tokens": 1},
        request_id="req_123",
    )

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["duplicate"] is True
    assert retry.json()["id"] == first.json()["id"]
    assert retry.json()["response"] == "Yes, the AirStride 2 in blue and black."
    assert retry.json()["usage"]["total_tokens"] == 1500
    assert UsageLog.objects.count() == 1 and AIInteraction.objects.count() == 1
    assert AISession.objects.get().interaction_count == 1


def test_a_request_id_without_usage_is_400_and_writes_nothing(api_client_with_key):
    """Duplicates are found on the usage row; without usage there is none, so a
    request_id would promise a deduplication that cannot happen."""
    session_id = str(uuid.uuid4())

    responses = [
        log(api_client_with_key, session_id=session_id, request_id="req_no_usage") for _ in range(2)
    ]

    for response in responses:
        assert response.status_code == 400
        error = response.json()["errors"][0]
        assert (error["attr"], error["code"]) == ("request_id", "requires_usage")
    assert nothing_written()


def test_an_openai_response_id_without_usage_is_stored_but_not_a_request_id(api_client_with_key):
    response = log(api_client_with_key, openai_response_id="resp_abc", tokens_used=12)

    assert response.status_code == 201
    assert response.json()["openai_response_id"] == "resp_abc"
    assert response.json()["usage"] is None
    assert AIInteraction.objects.get().openai_response_id == "resp_abc"
    assert UsageLog.objects.count() == 0


def test_a_duplicate_with_usage_is_still_found_by_openai_response_id(api_client_with_key):
    session_id = str(uuid.uuid4())
    body = {"session_id": session_id, "usage": GPT4O_CHAT_USAGE, "openai_response_id": "resp_1"}

    first, retry = log(api_client_with_key, **body), log(api_client_with_key, **body)

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["duplicate"] is True and retry.json()["id"] == first.json()["id"]
    assert AIInteraction.objects.count() == 1 and UsageLog.objects.count() == 1


def test_the_usage_row_belongs_to_the_sessions_owner_not_the_bodys_user(api_client_with_key):
    session = AISessionFactory(user_id="owner-1")

    response = log(
        api_client_with_key,
        session_id=str(session.pk),
        user_id="someone-else",
        usage=GPT4O_CHAT_USAGE,
    )

    assert response.status_code == 201
    row = UsageLog.objects.get()
    assert row.user_id == "owner-1"
    assert row.metadata["requested_user_id"] == "someone-else"  # kept, not lost
    session.refresh_from_db()
    assert session.user_id == "owner-1"


def test_the_bodys_user_owns_a_session_without_owner_and_its_usage(api_client_with_key):
    session = AISessionFactory(user_id=None)

    log(api_client_with_key, session_id=str(session.pk), user_id="user-7", usage=GPT4O_CHAT_USAGE)

    session.refresh_from_db()
    row = UsageLog.objects.get()
    assert session.user_id == row.user_id == "user-7"
    assert "requested_user_id" not in row.metadata


def test_the_openai_conversation_id_is_set_once_and_never_overwritten(api_client_with_key):
    session_id = str(uuid.uuid4())

    log(api_client_with_key, session_id=session_id, openai_conversation_id="conv_1")
    log(api_client_with_key, session_id=session_id, openai_conversation_id="conv_2")
    log(api_client_with_key, session_id=session_id)

    assert AISession.objects.get().openai_conversation_id == "conv_1"


def test_a_request_id_used_by_another_kind_of_call_is_409(api_client_with_key):
    UsageLogFactory(request_id="req_embed_1", service="embeddings")

    response = log(api_client_with_key, usage=GPT4O_CHAT_USAGE, request_id="req_embed_1")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "duplicate_request_id"
    assert AIInteraction.objects.count() == 0 and AISession.objects.count() == 0


def test_only_api_key_holders_may_log(api_client, alice):
    for client in (api_client, alice):
        assert log(client).status_code == 403
    assert nothing_written()


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"session_id": "abc-123"}, "session_id"),
        ({"session_id": 12}, "session_id"),
        ({"session_id": None}, "session_id"),
        ({"prompt": None}, "prompt"),
        ({"response": None}, "response"),
        ({"request_id": "req_1"}, "request_id"),  # without usage: nothing to dedupe on
        ({"openai_conversation_id": "c" * 129}, "openai_conversation_id"),
        ({"model_used": "m" * 51}, "model_used"),
        ({"tokens_used": -1}, "tokens_used"),
        ({"tokens_used": 1.5}, "tokens_used"),
        ({"tokens_used": "12"}, "tokens_used"),
        ({"latency_ms": -5}, "latency_ms"),
        ({"service": "telepathy"}, "service"),
        ({"reported_cost_usd": "-1"}, "reported_cost_usd"),
        ({"usage": {"prompt_tokens": -1, "completion_tokens": 2}}, "usage.prompt_tokens"),
        ({"usage": {"prompt_tokens": 1.5, "completion_tokens": 2}}, "usage.prompt_tokens"),
        ({"usage": {"prompt_tokens": "10", "completion_tokens": 2}}, "usage.prompt_tokens"),
        ({"usage": {"prompt_tokens": True, "completion_tokens": 2}}, "usage.prompt_tokens"),
        ({"usage": {"input_tokens": 10, "output_tokens": -2}}, "usage.output_tokens"),
        ({"usage": {"input_tokens": 10}}, "usage.output_tokens"),
        ({"usage": {"completion_tokens": 10}}, "usage.prompt_tokens"),
        (
            {"usage": {"input_tokens": 10, "output_tokens": 2, "input_tokens_details": []}},
            "usage.input_tokens_details",
        ),
        (
            {
                "usage": {
                    "prompt_tokens": 10,
                    "completion_tokens": 2,
                    "prompt_tokens_details": {"cached_tokens": 11},
                }
            },
            "usage.prompt_tokens_details.cached_tokens",
        ),
        (
            {
                "usage": {
                    "input_tokens": 10,
                    "output_tokens": 2,
                    "output_tokens_details": {"reasoning_tokens": 3},
                }
            },
            "usage.output_tokens_details.reasoning_tokens",
        ),
        (
            {"usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 14}},
            "usage.total_tokens",
        ),
        (
            {"usage": {"input_tokens": 2_000_000_000, "output_tokens": 2_000_000_000}},
            "usage",
        ),
        ({"usage": {"prompt_tokens": 2**31, "completion_tokens": 1}}, "usage.prompt_tokens"),
        ({"usage": {"tokens": 10}}, "usage"),
        ({"usage": {"prompt_tokens": 1, "input_tokens": 1}}, "usage"),
        ({"usage": [1, 2]}, "usage"),
        ({"usage": "lots"}, "usage"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api_client_with_key, change, attr):
    response = log(api_client_with_key, **change)

    assert response.status_code == 400, response.json()
    assert attr in [error["attr"] for error in response.json()["errors"]]
    assert nothing_written()


def test_an_empty_response_is_logged_with_its_usage(api_client_with_key):
    """OpenAI answers with empty content for a tool call or the content filter."""
    response = log(
        api_client_with_key,
        response="",
        finish_reason="tool_calls",
        usage={"prompt_tokens": 80, "completion_tokens": 20, "total_tokens": 100},
        openai_response_id="chatcmpl-tool",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["response"] == ""
    assert response.json()["usage"]["total_tokens"] == 100
    interaction = AIInteraction.objects.get()
    assert (interaction.response, interaction.finish_reason) == ("", "tool_calls")
    row = UsageLog.objects.get()
    assert (row.interaction_id, row.total_tokens) == (interaction.pk, 100)


def test_an_empty_prompt_is_logged_too(api_client_with_key):
    assert log(api_client_with_key, prompt="").status_code == 201
    assert AIInteraction.objects.get().prompt == ""


def test_missing_prompt_and_response_are_both_named(api_client_with_key):
    response = api_client_with_key.post(LOG, {"session_id": str(uuid.uuid4())}, format="json")

    assert response.status_code == 400
    assert {e["attr"] for e in response.json()["errors"]} == {"prompt", "response"}
    assert nothing_written()


def test_an_unknown_usage_shape_says_which_shapes_are_accepted(api_client_with_key):
    response = log(api_client_with_key, usage={"tokens": 10})

    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == ("usage", "unknown_usage_shape")
    assert "prompt_tokens" in error["detail"] and "input_tokens" in error["detail"]


def test_a_body_that_is_not_json_is_400(api_client_with_key):
    response = api_client_with_key.post(LOG, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert nothing_written()
