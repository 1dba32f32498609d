"""Callers of the AI-session endpoints: two signed-in users."""

import pytest
from rest_framework.test import APIClient

from tests.interactions.helpers import ALICE, BOB, signed_in_client


@pytest.fixture
def alice() -> APIClient:
    return signed_in_client(ALICE)


@pytest.fixture
def bob() -> APIClient:
    return signed_in_client(BOB)
