"""The admin pages for customer sessions: staff only, tokens masked, bounded queries."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from sessions_app.models import CustomerSession
from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/sessions_app/customersession/"


def test_changelist_shows_sessions_without_full_tokens(staff_client):
    session = CustomerSessionFactory(phone="+919876543210", customer_id="103")

    response = staff_client.get(CHANGELIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "+919876543210" in html and "103" in html
    assert session.session_token not in html
    assert session.session_token[:4] in html


def test_change_page_never_shows_the_token(staff_client):
    session = CustomerSessionFactory()

    response = staff_client.get(f"{CHANGELIST}{session.pk}/change/")

    assert response.status_code == 200
    assert session.session_token not in response.content.decode()


@pytest.mark.parametrize(
    "lookup", ["session_token__startswith", "session_token", "session_token__gt"]
)
def test_the_token_cannot_be_probed_through_url_filters(staff_client, lookup):
    session = CustomerSessionFactory()

    response = staff_client.get(CHANGELIST, {lookup: session.session_token[:12]})

    assert response.status_code == 400
    assert session.session_token[:12] not in response.content.decode()


@pytest.mark.parametrize(
    ("metadata", "why"),
    [
        ("null", "object"),
        ("[1, 2]", "object"),
        ('"text"', "object"),
        ('{"a": "\\u0000"}', "U+0000"),
    ],
)
def test_metadata_edited_by_hand_must_stay_a_storable_object(staff_client, metadata, why):
    session = CustomerSessionFactory(metadata={"cart": ["sku-1"]})

    response = staff_client.post(f"{CHANGELIST}{session.pk}/change/", {"metadata": metadata})

    assert response.status_code == 200  # the form again, with the error
    assert why in response.content.decode()
    session.refresh_from_db()
    assert session.metadata == {"cart": ["sku-1"]}


def test_metadata_can_be_edited_by_hand(staff_client):
    session = CustomerSessionFactory(metadata={"cart": ["sku-1"]})

    response = staff_client.post(
        f"{CHANGELIST}{session.pk}/change/", {"metadata": '{"cart": [], "note": "called"}'}
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.metadata == {"cart": [], "note": "called"}


def test_changelist_query_count_does_not_grow_with_rows(
    staff_client, django_assert_max_num_queries
):
    CustomerSessionFactory.create_batch(5)
    with django_assert_max_num_queries(8) as few:
        staff_client.get(CHANGELIST)
    CustomerSessionFactory.create_batch(45)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(CHANGELIST)

    assert response.status_code == 200


def test_search_finds_a_phone_typed_in_any_notation(staff_client):
    CustomerSessionFactory(phone="+919876543210", customer_id="103")
    CustomerSessionFactory(phone="+919987654321", customer_id="104")

    response = staff_client.get(CHANGELIST, {"q": "+91 98765-43210"})

    html = response.content.decode()
    assert "+919876543210" in html and "+919987654321" not in html


def test_filters_by_status_and_channel(staff_client):
    CustomerSessionFactory(channel="whatsapp", customer_id="555")
    CustomerSessionFactory(channel="kiosk", status="expired", customer_id="666")

    response = staff_client.get(
        CHANGELIST, {"status__exact": "active", "channel__exact": "whatsapp"}
    )

    assert response.context["cl"].result_count == 1


def test_end_and_expire_actions_change_only_active_sessions(staff_client):
    a, b = CustomerSessionFactory.create_batch(2)
    gone = CustomerSessionFactory(status="expired", created_at=timezone.now() - timedelta(days=9))

    staff_client.post(
        CHANGELIST,
        {"action": "end_sessions", "_selected_action": [str(a.pk), str(gone.pk)]},
    )
    staff_client.post(CHANGELIST, {"action": "expire_sessions", "_selected_action": [str(b.pk)]})

    statuses = dict(CustomerSession.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "logged_out", b.pk: "expired", gone.pk: "expired"}


def test_admin_is_staff_only(client):
    user = get_user_model().objects.create_user("customer", "c@example.com", "pw")
    client.force_login(user)

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
