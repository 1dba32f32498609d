"""Callers of the AI-session endpoints: two signed-in users with real tokens."""

import pytest
from rest_framework.test import APIClient

from tests.interactions.helpers import ALICE, BOB


@pytest.fixture
def alice(user_client_for) -> APIClient:
    return user_client_for(ALICE)


@pytest.fixture
def bob(user_client_for) -> APIClient:
    return user_client_for(BOB)
