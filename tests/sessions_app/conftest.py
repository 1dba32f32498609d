"""Fixtures of the sessions_app tests: a customer session and a signed-in user's
profile (the callers themselves come from ``tests/conftest.py``)."""

import pytest

from sessions_app.models import CustomerSession, UserProfile
from tests.sessions_app.factories import CustomerSessionFactory, UserProfileFactory


@pytest.fixture
def customer_session(db) -> CustomerSession:
    """An active customer session with a live window."""
    return CustomerSessionFactory()


@pytest.fixture
def profile(db) -> UserProfile:
    """A regular user's profile."""
    return UserProfileFactory()
