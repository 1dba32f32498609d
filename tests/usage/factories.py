"""factory_boy factories for usage models."""

from decimal import Decimal

import factory
from django.utils import timezone

from usage.models import UsageLog


class UsageLogFactory(factory.django.DjangoModelFactory):
    """A priced chat call."""

    class Meta:
        model = UsageLog

    service = UsageLog.Service.CHAT
    request_model = "gpt-4o"
    input_tokens = 100
    output_tokens = 50
    total_tokens = 150
    cost_usd = Decimal("0.00075")
    price_source = "genai-prices"
    request_id = factory.Sequence(lambda n: f"req-{n}")
    created_at = factory.LazyFunction(timezone.now)
