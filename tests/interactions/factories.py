"""factory_boy factories for interactions models."""

import factory
from django.utils import timezone

from interactions.models import AIInteraction, AISession


class AISessionFactory(factory.django.DjangoModelFactory):
    """An AI session of a user on the kiosk."""

    class Meta:
        model = AISession

    user_id = factory.Sequence(lambda n: f"user-{n}")
    channel = "kiosk"
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda o: o.created_at)


class AIInteractionFactory(factory.django.DjangoModelFactory):
    """One exchange on gpt-4o."""

    class Meta:
        model = AIInteraction

    session = factory.SubFactory(AISessionFactory)
    prompt = factory.Sequence(lambda n: f"Question {n}?")
    response = factory.Sequence(lambda n: f"Answer {n}.")
    model_used = "gpt-4o"
    tokens_used = 150
    created_at = factory.LazyFunction(timezone.now)
