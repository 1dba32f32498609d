"""End to end with real Supabase-style bearer tokens (HS256):
a signed-in user creates, lists and reads only their own AI sessions."""

import uuid

import pytest

from interactions.models import AISession
from tests.interactions.factories import AIInteractionFactory, AISessionFactory

pytestmark = pytest.mark.django_db


def test_a_signed_in_user_creates_lists_and_reads_their_own_sessions(user_client_for):
    me, stranger = str(uuid.uuid4()), str(uuid.uuid4())
    client = user_client_for(me)
    theirs = AISessionFactory(user_id=stranger)
    AIInteractionFactory(session=theirs)

    created = client.post("/session/create", {}, format="json")
    session_id = created.json()["session_id"]
    listed = client.get("/api/v1/ai-sessions/")
    own_history = client.get(f"/api/v1/ai-sessions/{session_id}/interactions/")
    other_history = client.get(f"/api/v1/ai-sessions/{theirs.pk}/interactions/")
    for_someone_else = client.post("/session/create", {"user_id": stranger}, format="json")

    assert created.status_code == 201
    assert AISession.objects.get(pk=session_id).user_id == me
    assert [row["session_id"] for row in listed.json()["results"]] == [session_id]
    assert own_history.status_code == 200 and own_history.json()["results"] == []
    assert other_history.status_code == 404
    assert for_someone_else.status_code == 403


def test_a_signed_in_user_cannot_log_interactions(user_client_for):
    response = user_client_for(str(uuid.uuid4())).post(
        "/api/v1/interactions/",
        {"session_id": str(uuid.uuid4()), "prompt": "p", "response": "r"},
        format="json",
    )

    assert response.status_code == 403
    assert AISession.objects.count() == 0
