"""factory_boy factories for interactions models."""

import factory
from django.utils import timezone

from interactions.models import AIInteraction, AISession, InteractionCitation


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


class InteractionCitationFactory(factory.django.DjangoModelFactory):
    """A ``file_citation`` of a file unknown here, in a new interaction (pass
    ``document=`` to cite a document: its file id and name are then taken)."""

    class Meta:
        model = InteractionCitation

    interaction = factory.SubFactory(AIInteractionFactory)
    document = None
    openai_file_id = factory.LazyAttributeSequence(
        lambda o, n: o.document.openai_file_id if o.document else f"file-elsewhere{n}"
    )
    filename = factory.LazyAttribute(lambda o: o.document.filename if o.document else "notes.pdf")
    kind = InteractionCitation.Kind.CITED
    position = factory.Sequence(lambda n: n * 10)
    created_at = factory.LazyAttribute(lambda o: o.interaction.created_at)
