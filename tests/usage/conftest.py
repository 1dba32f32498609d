"""Fixtures of the usage tests."""

import pytest

from tests.usage.factories import UsageLogFactory


@pytest.fixture
def usage_log(db) -> UsageLogFactory:
    """A priced chat call (``UsageLogFactory`` defaults)."""
    return UsageLogFactory()
