"""Query values PostgreSQL would refuse are 400s naming the parameter, never 500s.

PostgreSQL keeps a time-zone displacement within ±15:59 (``+16:00`` or more is
"time zone displacement out of range"), so a date filter or a cursor position
carrying ``+20:00`` must be refused before it reaches the database; so must
a year outside the database's range and a cursor that is not one of ours. Any
``DataError`` that still comes back is a 400 too. The checks run on every
database (SQLite would store such values), so these tests do too.
"""

import base64
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from django_filters.fields import IsoDateTimeField

from common.filters import StorableIsoDateTimeField
from tests.interactions.factories import AIInteractionFactory, AISessionFactory
from tests.sessions_app.factories import UserProfileFactory, UserSessionFactory

pytestmark = pytest.mark.django_db

AI_SESSIONS = "/api/v1/ai-sessions/"
USER_SESSIONS = "/api/v1/user-sessions/"

OFFSETS_POSTGRES_REFUSES = [
    "2026-01-01T00:00:00+20:00",
    "2026-01-01T00:00:00-20:00",
    "2026-01-01T00:00:00+16:00",
    "2026-01-01T00:00:00-23:59",
    "2026-01-01T00:00:00.123456+23:59",
]


def cursor(**fields: str) -> str:
    """A cursor as DRF's CursorPagination encodes it (base64 of a query string)."""
    return base64.b64encode(urlencode(fields).encode()).decode()


def assert_400_naming(response, parameter: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    assert [e["attr"] for e in body["errors"]] == [parameter]


@pytest.mark.parametrize("value", OFFSETS_POSTGRES_REFUSES)
@pytest.mark.parametrize(
    "parameter", ["created_after", "created_before", "active_after", "active_before"]
)
def test_a_date_filter_with_an_offset_postgres_refuses_is_400(
    api_client_with_key, parameter, value
):
    AISessionFactory()

    response = api_client_with_key.get(AI_SESSIONS, {parameter: value})

    assert_400_naming(response, parameter)
    assert "15:59" in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize("value", ["2026-01-01T00:00:00+15:59", "2026-01-01T00:00:00-15:59"])
def test_the_widest_offsets_postgres_takes_still_filter(api_client_with_key, value):
    AISessionFactory()

    response = api_client_with_key.get(AI_SESSIONS, {"created_after": value})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize(
    "value", ["10000-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00"]
)
def test_a_date_filter_outside_the_years_databases_store_is_400(api_client_with_key, value):
    response = api_client_with_key.get(AI_SESSIONS, {"created_after": value})

    assert_400_naming(response, "created_after")


@pytest.mark.parametrize("position", OFFSETS_POSTGRES_REFUSES)
def test_a_crafted_ai_session_cursor_is_400_naming_cursor(api_client_with_key, position):
    AISessionFactory()

    response = api_client_with_key.get(AI_SESSIONS, {"cursor": cursor(o="0", r="0", p=position)})

    assert_400_naming(response, "cursor")


@pytest.mark.parametrize("position", OFFSETS_POSTGRES_REFUSES)
def test_a_crafted_user_session_cursor_is_400_naming_cursor(user_client_for, position):
    alice = UserProfileFactory()
    UserSessionFactory(user=alice)

    response = user_client_for(alice).get(
        USER_SESSIONS, {"cursor": cursor(o="0", r="0", p=position)}
    )

    assert_400_naming(response, "cursor")


def test_a_crafted_interaction_history_cursor_is_400_naming_cursor(api_client_with_key):
    interaction = AIInteractionFactory()
    url = f"{AI_SESSIONS}{interaction.session_id}/interactions/"

    response = api_client_with_key.get(
        url, {"cursor": cursor(o="0", r="0", p="2026-01-01T00:00:00+20:00")}
    )

    assert_400_naming(response, "cursor")


@pytest.mark.parametrize(
    "crafted",
    [
        "not base64!",
        cursor(o="0", r="0", p="not a date"),
        cursor(o="0", r="0", p="99999-01-01T00:00:00Z"),
        cursor(o="0", r="0", p="2026-01-01T00:00:00\x00"),
        cursor(o="-1", r="0"),
        cursor(o="x", r="0"),
    ],
)
def test_any_cursor_that_is_not_ours_is_400_naming_cursor(api_client_with_key, crafted):
    AISessionFactory()

    response = api_client_with_key.get(AI_SESSIONS, {"cursor": crafted})

    assert_400_naming(response, "cursor")


def test_a_real_cursor_still_pages(api_client_with_key):
    now = timezone.now()
    for minutes in range(3):
        AISessionFactory(updated_at=now - timezone.timedelta(minutes=minutes))

    first = api_client_with_key.get(AI_SESSIONS, {"page_size": 2}).json()
    second = api_client_with_key.get(first["next"])

    assert second.status_code == 200
    assert len(second.json()["results"]) == 1


@pytest.mark.postgres
def test_a_value_the_validation_missed_is_a_400_naming_the_query_parameter(
    api_client_with_key, monkeypatch
):
    """Were the offset check gone, PostgreSQL's own refusal (a DataError) would still
    be a 400 naming the query parameter sent, and the value is never echoed."""
    monkeypatch.setattr(StorableIsoDateTimeField, "to_python", IsoDateTimeField.to_python)

    response = api_client_with_key.get(AI_SESSIONS, {"created_after": "2026-01-01T00:00:00+20:00"})

    assert_400_naming(response, "created_after")
    assert response.json()["errors"][0]["code"] == "database_refused_value"
    assert "+20:00" not in response.content.decode()
