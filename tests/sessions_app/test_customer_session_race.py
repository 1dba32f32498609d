"""Concurrency: the database, not the application, decides who wins."""

import pytest
from rest_framework.test import APIClient

from sessions_app.models import CustomerSession
from tests.sessions_app.factories import CustomerSessionFactory
from tests.threads import run_in_threads


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_starts_for_one_new_phone_share_one_session(api_key):
    def start(i):
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=api_key)
        response = client.post(
            "/session/start",
            {
                "phone": "+919876543210",
                "channel": ["kiosk", "whatsapp"][i % 2],
                "customer_id": "103",
            },
            format="json",
        )
        return response.status_code, response.json()

    results = run_in_threads(16, start)

    statuses = sorted(code for code, _ in results)
    assert statuses == [200] * 15 + [201]
    assert len({body["session"]["session_id"] for _, body in results}) == 1
    assert len({body["session_token"] for _, body in results}) == 1
    assert CustomerSession.objects.filter(phone="+919876543210", status="active").count() == 1
    assert CustomerSession.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_merge_patches_all_land():
    session = CustomerSessionFactory(metadata={})

    def patch(i):
        client = APIClient()
        return client.post(
            "/session/update",
            {"metadata": {f"k{i}": i}},
            format="json",
            HTTP_X_SESSION_TOKEN=session.session_token,
        ).status_code

    results = run_in_threads(8, patch)

    assert results == [200] * 8
    session.refresh_from_db()
    assert session.metadata == {f"k{i}": i for i in range(8)}
