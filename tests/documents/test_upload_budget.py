"""An upload calls OpenAI, so a user who has used up a usage budget is refused first:
429 with Retry-After and the RateLimit headers, nothing sent to OpenAI, nothing
written; the answer is in the OpenAPI schema."""

from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator

from documents.models import Document
from tests.documents.conftest import client_for, upload
from tests.usage.factories import RecordedUsageLogFactory
from usage.models import Budget

pytestmark = pytest.mark.django_db


def _monthly_budget(owner, limit_usd: str) -> Budget:
    return Budget.objects.create(
        user_id=str(owner.pk), limit_usd=Decimal(limit_usd), window="monthly"
    )


def test_an_upload_over_budget_is_429_and_never_reaches_openai(fake_openai, owner):
    budget = _monthly_budget(owner, "1.00")
    RecordedUsageLogFactory(user_id=str(owner.pk), cost_usd=Decimal("1.00"))  # exactly at

    response = upload(client_for(owner))

    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "budget_exceeded"
    assert int(response["Retry-After"]) > 0
    assert response["RateLimit-Policy"].startswith(f'"budget-{budget.pk}-usd";q=100;w=')
    assert response["RateLimit"].startswith(f'"budget-{budget.pk}-usd";r=0;t=')
    assert fake_openai.requests == []
    assert Document.objects.count() == 0


def test_an_upload_just_under_budget_goes_through(fake_openai, owner):
    _monthly_budget(owner, "1.00")
    RecordedUsageLogFactory(user_id=str(owner.pk), cost_usd=Decimal("0.99"))

    response = upload(client_for(owner))

    assert response.status_code == 201
    assert fake_openai.requests


def test_the_429_is_documented_for_the_upload():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    answers = schema["paths"]["/api/v1/documents/"]["post"]["responses"]

    assert "429" in answers
    assert {"Retry-After", "RateLimit-Policy", "RateLimit"} <= set(answers["429"]["headers"])
