"""common.db.insert_or_read: created from RETURNING, constraints other than the
conflict target still raise, on PostgreSQL and SQLite."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.db import insert_or_read
from interactions.models import AISession
from sessions_app.models import CustomerSession

pytestmark = pytest.mark.django_db(transaction=True)


def _customer_session(**overrides) -> CustomerSession:
    now = timezone.now()
    fields = {
        "customer_id": "c-1",
        "phone": "+919876543210",
        "channel": "kiosk",
        "status": "active",
        "created_at": now,
        "last_activity": now,
        "expires_at": now + timedelta(days=7),
    }
    return CustomerSession(**{**fields, **overrides})


def test_second_insert_of_a_key_reads_the_first_row():
    session_id = uuid.uuid4()
    first, created = insert_or_read(AISession(id=session_id, user_id="u1"), conflict="id")
    again, created_again = insert_or_read(AISession(id=session_id, user_id="u2"), conflict="id")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.user_id == "u1"
    assert AISession.objects.count() == 1


def test_partial_unique_constraint_is_the_conflict_target():
    first, created = insert_or_read(_customer_session(), conflict="sessions_one_active_per_phone")
    same, created_again = insert_or_read(
        _customer_session(channel="whatsapp"), conflict="sessions_one_active_per_phone"
    )
    assert created and not created_again and same.pk == first.pk
    CustomerSession.objects.filter(pk=first.pk).update(status="logged_out")
    new, created_new = insert_or_read(_customer_session(), conflict="sessions_one_active_per_phone")
    assert created_new and new.pk != first.pk


def test_a_check_violation_raises_instead_of_being_skipped():
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_or_read(_customer_session(channel="fax"), conflict="sessions_one_active_per_phone")
    assert not CustomerSession.objects.exists()
