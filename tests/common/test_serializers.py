"""A serializer built once renders what a serializer per object renders."""

import pytest

from common.serializers import representer
from interactions.apis import AIInteractionSerializer
from sessions_app.apis.customer_sessions import CustomerSessionSerializer
from tests.interactions.factories import AISessionFactory
from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db


def test_representer_gives_what_data_gives():
    sessions = [CustomerSessionFactory(metadata={"cart": [1, {"sku": "A"}]}) for _ in range(3)]
    render = representer(CustomerSessionSerializer)

    assert [render(s) for s in sessions] == [CustomerSessionSerializer(s).data for s in sessions]


def test_representer_of_a_serializer_with_declared_fields():
    interaction = AISessionFactory().interactions.create(prompt="p", response="r")
    interaction.citation_list = []  # the views attach the interaction's citations
    render = representer(AIInteractionSerializer)

    assert render(interaction) == AIInteractionSerializer(interaction).data
