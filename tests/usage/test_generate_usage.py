"""generate_usage: set-based synthetic rows whose rollup matches them exactly."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from tests.usage.test_ingest_api import rollup_equals_raw
from usage.models import UsageLog

pytestmark = pytest.mark.django_db


def test_generated_rows_are_priced_spread_and_rolled_up():
    call_command("generate_usage", "--rows", "600", "--days", "3", "--users", "7", "--batch", "250")

    assert UsageLog.objects.count() == 600
    assert UsageLog.objects.values("user_id").distinct().count() == 7
    per_model = dict(
        UsageLog.objects.values_list("request_model").annotate(n=Count("id")).order_by()
    )
    assert len(per_model) == 6 and sum(per_model.values()) == 600
    # Each user calls two models.
    models_per_user = UsageLog.objects.values("user_id").annotate(
        n=Count("request_model", distinct=True)
    )
    assert {row["n"] for row in models_per_user} == {2}
    assert not UsageLog.objects.filter(cost_usd__isnull=True).exists()
    rollup_equals_raw()
