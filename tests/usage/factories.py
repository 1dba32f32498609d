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


class RecordedUsageLogFactory(UsageLogFactory):
    """A call recorded as the services record it: the raw row, its ``usage_daily``
    rollup and the budgets' alerts, in one transaction (``usage_log_insert``)."""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from usage.services import usage_log_insert

        row, _created = usage_log_insert(log=model_class(*args, **kwargs))
        return row
