"""The customer-session services, called directly (as a worker or the admin would)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.exceptions import NotFoundError
from sessions_app import services
from sessions_app.models import CustomerSession
from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db


def test_start_then_start_again_continues():
    first, created = services.customer_session_start(
        phone="+91 98765 43210", channel="whatsapp", customer_id="103"
    )
    with CaptureQueriesContext(connection) as queries:
        again, created_again = services.customer_session_start(
            phone="09876543210", channel="kiosk", customer_id="103"
        )

    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    # One INSERT … ON CONFLICT … DO UPDATE … RETURNING slides the existing row.
    assert len(statements) == 1 and "ON CONFLICT" in statements[0]

    assert (created, created_again) == (True, False)
    assert again.session_id == first.session_id
    assert again.channel == "whatsapp"


def test_restore_is_a_single_statement(django_assert_num_queries):
    session = CustomerSessionFactory()

    with django_assert_num_queries(1):
        restored = services.customer_session_restore(session_token=session.session_token)

    assert restored.session_id == session.session_id


def test_restore_by_phone_accepts_any_notation():
    session = CustomerSessionFactory(phone="+919876543210")

    restored = services.customer_session_restore(phone="+91 (98765) 43210")

    assert restored.session_id == session.session_id


def test_restore_of_nothing_raises_not_found():
    with pytest.raises(NotFoundError):
        services.customer_session_restore(session_token=None, phone=None)


def test_start_with_a_bad_phone_raises_validation_error():
    with pytest.raises(ValidationError):
        services.customer_session_start(phone="12", channel="kiosk", customer_id="1")
    assert CustomerSession.objects.count() == 0


def test_the_database_refuses_a_second_active_session_for_a_phone():
    CustomerSessionFactory(phone="+919876543210")

    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerSessionFactory(phone="+919876543210")


def test_the_database_refuses_an_unknown_channel():
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerSessionFactory(channel="telegram")


def test_update_keeps_other_keys_and_slides_the_window():
    session = CustomerSessionFactory(
        created_at=timezone.now() - timedelta(days=6), metadata={"a": 1, "b": {"c": 2}}
    )

    updated = services.customer_session_update(
        session_token=session.session_token, metadata_patch={"b": {"d": 3}}
    )

    assert updated.metadata == {"a": 1, "b": {"c": 2, "d": 3}}
    assert updated.expires_at > timezone.now() + timedelta(days=6, hours=23)


def test_expire_counts_what_it_expired():
    CustomerSessionFactory.create_batch(2, created_at=timezone.now() - timedelta(days=8))

    assert services.customer_sessions_expire() == 2
    assert services.customer_sessions_expire() == 0
