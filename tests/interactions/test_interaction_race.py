"""Concurrency: the database decides (never a foreign-key error, never a 500)."""

import uuid

import pytest
from rest_framework.test import APIClient

from interactions.models import AIInteraction, AISession
from interactions.services import ai_session_get_or_create
from tests.interactions.helpers import GPT4O_CHAT_USAGE
from tests.threads import run_in_threads
from usage.models import UsageLog


def key_client(api_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key)
    return client


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_interactions_for_one_new_session(api_key):
    session_id = str(uuid.uuid4())

    def post(i):
        response = key_client(api_key).post(
            "/api/v1/interactions/",
            {
                "session_id": session_id,
                "prompt": f"question {i}",
                "response": f"answer {i}",
                "model_used": "gpt-4o",
                "usage": GPT4O_CHAT_USAGE,
                "request_id": f"req-{i}",
            },
            format="json",
        )
        return response.status_code

    statuses = run_in_threads(10, post)

    assert statuses == [201] * 10
    assert AISession.objects.count() == 1
    assert AIInteraction.objects.filter(session_id=session_id).count() == 10
    assert UsageLog.objects.filter(ai_session_id=session_id).count() == 10
    assert AISession.objects.get().interaction_count == 10  # the F() increment lost none


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_retries_of_one_request_write_once(api_key):
    session_id = str(uuid.uuid4())

    def post(i):
        response = key_client(api_key).post(
            "/api/v1/interactions/",
            {
                "session_id": session_id,
                "prompt": "question",
                "response": f"answer from attempt {i}",
                "usage": GPT4O_CHAT_USAGE,
                "openai_response_id": "chatcmpl-retried",
            },
            format="json",
        )
        return response.status_code, response.json()

    results = run_in_threads(10, post)

    assert sorted(code for code, _ in results) == [200] * 9 + [201]
    assert len({body["id"] for _, body in results}) == 1
    assert [body["duplicate"] for code, body in results if code == 200] == [True] * 9
    assert AIInteraction.objects.count() == 1 and UsageLog.objects.count() == 1
    assert AISession.objects.get().interaction_count == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_id_make_one_row_and_one_201():
    session_id = uuid.uuid4()

    results = run_in_threads(
        10, lambda i: ai_session_get_or_create(session_id=session_id, user_id=f"u{i}")
    )

    assert sorted(created for _, created in results) == [False] * 9 + [True]
    assert AISession.objects.count() == 1
    assert {session.user_id for session, _ in results} == {AISession.objects.get().user_id}
