"""Every JSON API parses bodies with common.parsers.LimitedJSONParser: a body
the database could not store, or that would exhaust the stack, is a 400 that
says why, and nothing is written (on PostgreSQL these were DataError and
RecursionError 500s)."""

import uuid

import pytest

from common.parsers import JSON_MAX_DEPTH
from interactions.models import AIInteraction, AISession
from sessions_app.models import CustomerSession

pytestmark = pytest.mark.django_db

UNSTORABLE_BODIES = {
    "nul in a value": '{"note": "a\\u0000b"}',
    "nul in a key": '{"a\\u0000b": 1}',
    "lone surrogate": '{"note": "\\ud800"}',
    "number beyond float range": '{"note": 1e400}',
    "too deep": '{"note": ' + "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH + "}",
}


def start_body(metadata: str) -> str:
    return (
        '{"phone": "+919876543210", "channel": "kiosk", "customer_id": "103", '
        f'"metadata": {metadata}}}'
    )


@pytest.mark.parametrize("metadata", UNSTORABLE_BODIES.values(), ids=UNSTORABLE_BODIES.keys())
def test_session_start_refuses_metadata_the_database_cannot_store(api_client_with_key, metadata):
    response = api_client_with_key.generic(
        "POST", "/session/start", start_body(metadata), "application/json"
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"
    assert CustomerSession.objects.count() == 0


@pytest.mark.parametrize("metadata", UNSTORABLE_BODIES.values(), ids=UNSTORABLE_BODIES.keys())
def test_interaction_log_refuses_metadata_the_database_cannot_store(api_client_with_key, metadata):
    body = (
        f'{{"session_id": "{uuid.uuid4()}", "prompt": "hi", "response": "hello", '
        f'"model_used": "gpt-4o", "metadata": {metadata}}}'
    )

    response = api_client_with_key.generic(
        "POST", "/api/v1/interactions/", body, "application/json"
    )

    assert response.status_code == 400
    assert (AISession.objects.count(), AIInteraction.objects.count()) == (0, 0)


def test_a_body_nested_past_the_interpreter_stack_is_a_400(api_client_with_key):
    """100 kB of brackets, under the size limit, used to raise RecursionError."""
    body = "[" * 50_000 + "]" * 50_000

    response = api_client_with_key.generic("POST", "/session/start", body, "application/json")

    assert response.status_code == 400
    assert "nested deeper" in response.json()["errors"][0]["detail"]


def test_nesting_up_to_the_limit_and_ordinary_unicode_are_kept(api_client_with_key):
    nested = "[" * (JSON_MAX_DEPTH - 2) + "]" * (JSON_MAX_DEPTH - 2)  # metadata sits at depth 2
    metadata = f'{{"nested": {nested}, "name": "Priya \\u00e9 \\ud83d\\ude00", "n": 1e300}}'

    response = api_client_with_key.generic(
        "POST", "/session/start", start_body(metadata), "application/json"
    )

    assert response.status_code == 201
    stored = CustomerSession.objects.get().metadata
    assert stored["name"] == "Priya é 😀" and float(stored["n"]) == 1e300


def test_a_deep_body_without_escapes_is_still_a_400(api_client_with_key):
    """Without a \\u escape only the depth is walked; the depth limit still holds."""
    too_deep = "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH
    body = start_body(f'{{"plain": "text", "deep": {too_deep}}}')
    assert "\\u" not in body

    response = api_client_with_key.generic("POST", "/session/start", body, "application/json")

    assert response.status_code == 400
    assert "nested deeper" in response.json()["errors"][0]["detail"]
    assert CustomerSession.objects.count() == 0


def test_an_escaped_backslash_before_u_is_kept_as_text(api_client_with_key):
    metadata = '{"path": "C:\\\\u0000dir"}'  # the text \u0000dir, not a NUL

    response = api_client_with_key.generic(
        "POST", "/session/start", start_body(metadata), "application/json"
    )

    assert response.status_code == 201
    assert CustomerSession.objects.get().metadata["path"] == "C:\\u0000dir"
