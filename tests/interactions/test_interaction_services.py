"""The services behind the endpoints: statements per interaction, demo data."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.demo import DOCS_SESSION, KIOSK_SESSION
from common.demo import ai_sessions_load as load_demo_data
from interactions.models import AIInteraction, AISession
from interactions.services import ai_interaction_log, ai_session_get_or_create
from tests.interactions.factories import AISessionFactory
from tests.interactions.helpers import GPT4O_CHAT_USAGE
from usage.models import UsageLog
from usage.services.rollups import LEVELS

pytestmark = pytest.mark.django_db


def test_logging_an_interaction_is_one_statement_on_postgres_more_elsewhere():
    """PostgreSQL: session upsert, interaction, usage row, the rollup levels and the
    budget check in one WITH statement; SQLite: the three INSERTs as separate
    statements, one upsert per rollup level, and the budgets."""
    session = AISessionFactory()

    with CaptureQueriesContext(connection) as queries:
        ai_interaction_log(
            session_id=session.pk,
            prompt="p",
            response="r",
            model_used="gpt-4o",
            usage=GPT4O_CHAT_USAGE,
            request_id="req-1",
        )

    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("BEGIN", "SAVEPOINT", "RELEASE"))
    ]
    elsewhere = 4 + len(LEVELS)  # three INSERTs, the budgets, an upsert per level
    assert len(statements) == (1 if connection.vendor == "postgresql" else elsewhere), statements


def test_get_or_create_keeps_the_given_id_and_is_idempotent():
    session_id = uuid.uuid4()

    first, created = ai_session_get_or_create(session_id=session_id, user_id="u1")
    again, created_again = ai_session_get_or_create(session_id=session_id, user_id="u2")

    assert (created, created_again) == (True, False)
    assert first.pk == again.pk == session_id
    assert again.user_id == "u1"


def test_logging_fills_a_missing_owner_but_never_replaces_one():
    anonymous = AISessionFactory(user_id=None, channel=None)
    owned = AISessionFactory(user_id="u1")

    ai_interaction_log(
        session_id=anonymous.pk, prompt="p", response="r", user_id="u9", channel="web"
    )
    ai_interaction_log(session_id=owned.pk, prompt="p", response="r", user_id="u9")

    anonymous.refresh_from_db()
    owned.refresh_from_db()
    assert (anonymous.user_id, anonymous.channel) == ("u9", "web")
    assert owned.user_id == "u1"


def test_the_usage_row_takes_the_sessions_user():
    session = AISessionFactory(user_id="u1")

    logged = ai_interaction_log(
        session_id=session.pk, prompt="p", response="r", model_used="gpt-4o", usage=GPT4O_CHAT_USAGE
    )

    assert logged.usage_log.user_id == "u1"
    assert UsageLog.objects.get().user_id == "u1"


def test_demo_data_is_loaded_once():
    created = load_demo_data()
    again = load_demo_data()

    assert created > 0 and again == 0
    assert set(AISession.objects.values_list("pk", flat=True)) == {KIOSK_SESSION, DOCS_SESSION}
    assert AIInteraction.objects.filter(session_id=KIOSK_SESSION).count() == 2
    assert AISession.objects.get(pk=DOCS_SESSION).interaction_count == 2
    assert UsageLog.objects.filter(price_unknown=True).count() == 1
    assert UsageLog.objects.filter(service="embeddings").count() == 1


def test_a_non_uuid_session_id_is_a_validation_error_naming_it():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as logged:
        ai_interaction_log(session_id="abc-123", prompt="p", response="r")
    with pytest.raises(ValidationError) as created:
        ai_session_get_or_create(session_id="abc-123")

    assert set(logged.value.message_dict) == set(created.value.message_dict) == {"session_id"}
    assert AISession.objects.count() == 0


def test_the_sessions_times_never_go_backwards():
    """A request that took ``now`` and then waited for the session's row lock must not
    write an older instant over a newer one (GREATEST, NULL-safe on SQLite too)."""
    later = timezone.now() + timedelta(minutes=5)  # written by a request that got in first
    session = AISessionFactory(last_interaction_at=later, updated_at=later)

    ai_interaction_log(session_id=session.pk, prompt="p", response="r")

    session.refresh_from_db()
    assert session.last_interaction_at == later and session.updated_at == later
    assert session.interaction_count == 1


def test_the_sessions_times_move_forward():
    earlier = timezone.now() - timedelta(hours=1)
    session = AISessionFactory(last_interaction_at=None, updated_at=earlier)

    before = timezone.now()
    ai_interaction_log(session_id=session.pk, prompt="p", response="r")

    session.refresh_from_db()
    assert session.last_interaction_at is not None  # NULL (no interaction yet) → now
    assert session.last_interaction_at >= before and session.updated_at >= before
    assert session.last_interaction_at == session.updated_at


def test_a_request_id_without_usage_is_refused_naming_it():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        ai_interaction_log(session_id=uuid.uuid4(), prompt="p", response="r", request_id="req-1")

    assert set(caught.value.message_dict) == {"request_id"}
    assert AISession.objects.count() == 0
