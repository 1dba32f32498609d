"""Plain SQL inserts naming only the original columns (as the old chat backend wrote them).

Every NOT NULL column this project added has a database default, so rows written
outside Django are complete and Django reads and updates them as its own.
"""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from interactions.models import AIInteraction, AISession
from interactions.services import ai_interaction_log
from usage.models import UsageLog

pytestmark = pytest.mark.django_db


def insert(table: str, **columns) -> None:
    """``INSERT INTO table (columns…) VALUES (%s…)``: names are this module's
    constants (quoted), values are parameters."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, list(columns.values()))


def test_seed_002_inserts_of_a_session_and_an_interaction_work():
    before = timezone.now().replace(microsecond=0)
    session_id, interaction_id = uuid.uuid4(), uuid.uuid4()

    # The old chat backend: INSERT ai_sessions (id, user_id), then INSERT ai_interactions.
    insert("ai_sessions", id=session_id.hex, user_id="kiosk-7")
    insert(
        "ai_interactions",
        id=interaction_id.hex,
        session_id=session_id.hex,
        prompt="Do you have size 9?",
        response="Yes.",
        model_used="gpt-4o",
        tokens_used=42,
    )

    session = AISession.objects.get(pk=session_id)
    assert (session.user_id, session.interaction_count, session.last_interaction_at) == (
        "kiosk-7",
        0,
        None,
    )
    assert session.created_at >= before and session.updated_at >= before
    interaction = AIInteraction.objects.get(pk=interaction_id)
    assert interaction.metadata == {} and interaction.created_at >= before
    # Django goes on from there.
    ai_interaction_log(session_id=session_id, prompt="p", response="r")
    session.refresh_from_db()
    assert session.interaction_count == 1 and session.last_interaction_at is not None


def test_the_seed_timestamps_may_still_be_given():
    session_id = uuid.uuid4()
    at = timezone.now().replace(microsecond=0) - timedelta(days=1)

    insert("ai_sessions", id=session_id.hex, user_id=None, created_at=at, updated_at=at)

    session = AISession.objects.get(pk=session_id)
    assert session.created_at == at and session.updated_at == at


def test_a_plain_usage_insert_gets_the_defaults():
    row_id = uuid.uuid4()

    insert("usage_logs", id=row_id.hex, service="embeddings", cost_usd="0.00037")

    row = UsageLog.objects.get(pk=row_id)
    assert (row.provider, row.status, row.price_unknown, row.metadata) == (
        "openai",
        "success",
        False,
        {},
    )
    assert (row.input_tokens, row.cached_input_tokens, row.output_tokens) == (0, 0, 0)
    assert (row.reasoning_output_tokens, row.total_tokens) == (0, 0)
    assert row.created_at is not None
