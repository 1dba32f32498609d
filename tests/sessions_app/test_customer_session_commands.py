"""Maintenance commands for customer sessions."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db


def test_expire_sessions_marks_only_run_out_active_sessions(django_assert_num_queries):
    old = timezone.now() - timedelta(days=8)
    run_out = CustomerSessionFactory.create_batch(3, created_at=old)
    live = CustomerSessionFactory()
    logged_out = CustomerSessionFactory(created_at=old, status="logged_out")
    out = StringIO()

    # One set-based UPDATE of the sessions; three more record the run for the admin.
    with django_assert_num_queries(4) as captured:
        call_command("expire_sessions", stdout=out)
    assert sum('"sessions"' in query["sql"] for query in captured.captured_queries) == 1

    assert "Expired 3 customer session(s)." in out.getvalue()
    for session in run_out:
        session.refresh_from_db()
        assert session.status == "expired"
    live.refresh_from_db()
    logged_out.refresh_from_db()
    assert (live.status, logged_out.status) == ("active", "logged_out")


def test_expire_sessions_twice_expires_nothing_more():
    CustomerSessionFactory(created_at=timezone.now() - timedelta(days=8))
    call_command("expire_sessions", stdout=StringIO())
    out = StringIO()

    call_command("expire_sessions", stdout=out)

    assert "Expired 0 customer session(s)." in out.getvalue()
