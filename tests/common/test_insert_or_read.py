"""common.db.insert_or_read: created from RETURNING, constraints other than the
conflict target still raise, on PostgreSQL and SQLite."""

import copy
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


def _compiled(instance):
    """What Django's own compiler writes for ``instance`` (no kept text)."""
    from django.db.models.sql import InsertQuery

    meta = instance._meta
    fields = [
        f
        for f in meta.local_concrete_fields
        if not (f.primary_key and getattr(instance, f.attname) is None)
    ]
    query = InsertQuery(type(instance))
    query.insert_values(fields, [instance])
    ((sql, params),) = query.get_compiler(using="default").as_sql()
    return sql, list(params)


def _comparable(statement):
    """``(sql, params)`` with psycopg's JSON wrappers (no value equality) unwrapped."""
    sql, params = statement
    return sql, [getattr(value, "obj", value) for value in params]


def _plain_rows():
    from interactions.models import AIInteraction
    from usage.services import usage_log_build, usage_normalize

    session = AISession(id=uuid.uuid4(), user_id="u1")
    usage = usage_normalize({"input_tokens": 10, "output_tokens": 5})
    return [
        _customer_session(metadata={"cart": [1, 2]}),
        session,
        AIInteraction(session=session, prompt="p", response="r", model_used="gpt-4o"),
        usage_log_build(service="responses", usage=usage, request_model="gpt-4o", user_id="u1"),
    ]


def test_the_kept_insert_text_is_what_django_compiles():
    from common.db import insert_sql

    for first, second in zip(_plain_rows(), _plain_rows(), strict=True):
        insert_sql(first)  # compiled, its text kept
        kept, compiled = insert_sql(second), _compiled(second)
        assert _comparable(kept) == _comparable(compiled), type(second).__name__


def test_a_row_with_raw_sql_keeps_its_text_per_expression_and_its_own_values():
    from django.db.models.expressions import RawSQL

    from common.db import insert_sql

    def with_sql(row, sql, params):  # sql: this test's fixed texts
        expected = copy.copy(row)
        expected.customer_id = RawSQL(sql, params)  # noqa: S611
        expression = RawSQL(sql, params)  # noqa: S611
        kept = insert_sql(row, expressions={"customer_id": expression})
        return _comparable(kept), _comparable(_compiled(expected))

    for value in ("C-9", "D-1"):
        row = _customer_session(customer_id="kept")
        kept, compiled = with_sql(row, "lower(%s)", [value])
        assert kept == compiled and "lower(%s)" in kept[0] and value in kept[1]
        assert row.customer_id == "kept"  # the instance itself is not changed
    kept, compiled = with_sql(_customer_session(), "upper(%s)", ["E-2"])
    assert kept == compiled and "upper(%s)" in kept[0]
    row = _customer_session()
    assert _comparable(insert_sql(row)) == _comparable(_compiled(row))


def test_a_row_with_another_expression_is_compiled_each_time():
    from django.db.models import Value
    from django.db.models.functions import Lower

    from common.db import insert_sql

    for value in ("F-3", "G-4"):
        row = _customer_session(customer_id=Lower(Value(value)))
        sql, params = insert_sql(row)
        assert "LOWER(%s)" in sql and value in params
        assert _comparable((sql, params)) == _comparable(_compiled(row))
