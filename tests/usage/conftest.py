"""Fixtures of the usage tests, and a batch-event builder."""

import itertools

import pytest

from sessions_app.models import UserProfile
from tests.usage.factories import UsageLogFactory

_ids = itertools.count(1)


def event(**fields) -> dict:
    """One usage event for the batch endpoint: a gpt-4o Responses call of 1,000 input
    tokens (200 cached) and 100 output tokens, USD 0.00325 at genai-prices' rates
    ($2.50 / $1.25 cached / $10 per million)."""
    body = {
        "request_id": f"req-{next(_ids)}",
        "service": "responses",
        "model": "gpt-4o",
        "usage": {
            "input_tokens": 1000,
            "input_tokens_details": {"cached_tokens": 200},
            "output_tokens": 100,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 1100,
        },
    }
    body.update(fields)
    return body


@pytest.fixture
def usage_log(db) -> UsageLogFactory:
    """A priced chat call (``UsageLogFactory`` defaults)."""
    return UsageLogFactory()


@pytest.fixture
def alice(db) -> UserProfile:
    """A regular signed-in user's profile."""
    return UserProfile.objects.create(id="8d0c1f0e-0000-4000-8000-0000000a11ce")


@pytest.fixture
def alice_client(alice, user_client):
    """Alice's client (a valid Supabase HS256 token)."""
    return user_client(user=alice)


@pytest.fixture
def admin_client(user_client):
    """A signed-in user with the admin role."""
    return user_client(role=UserProfile.Role.ADMIN)
