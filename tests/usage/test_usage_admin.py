"""Admin list of usage rows: model, tokens, cost, unknown prices; bounded queries."""

import pytest

from tests.usage.factories import UsageLogFactory
from usage.models import UsageLog

pytestmark = pytest.mark.django_db

USAGE = "/admin/usage/usagelog/"


def test_usage_list_shows_model_tokens_and_cost(staff_client):
    UsageLogFactory(request_model="gpt-4o", total_tokens=1500, cost_usd="0.00472")

    html = staff_client.get(USAGE).content.decode()

    assert "gpt-4o" in html and "1500" in html and "0.00472" in html


def shown(response) -> list:
    """The rows on the changelist page."""
    return list(response.context["cl"].result_list)


def test_unknown_price_filter_shows_the_unpriced_calls(staff_client):
    unpriced = UsageLogFactory(request_model="ft:acme-internal", cost_usd=None, price_unknown=True)
    priced = UsageLogFactory(request_model="gpt-4o-mini")

    unknown = staff_client.get(USAGE, {"price": "unknown"})
    known = staff_client.get(USAGE, {"price": "known"})

    assert shown(unknown) == [unpriced] and "unknown price" in unknown.content.decode()
    assert shown(known) == [priced]


def test_filter_by_model(staff_client):
    UsageLogFactory(request_model="gpt-4o-mini")
    embed = UsageLogFactory(request_model="text-embedding-3-small")

    response = staff_client.get(USAGE, {"model": "text-embedding-3-small"})

    assert shown(response) == [embed]


def test_search_by_request_id_and_user(staff_client):
    row = UsageLogFactory(request_id="req_abc", user_id="user-42")
    UsageLogFactory(request_id="req_other", user_id="user-7")

    assert shown(staff_client.get(USAGE, {"q": "req_abc"})) == [row]
    assert shown(staff_client.get(USAGE, {"q": "user-42"})) == [row]


def test_usage_list_is_a_constant_number_of_queries(staff_client, django_assert_max_num_queries):
    UsageLogFactory.create_batch(3)
    with django_assert_max_num_queries(12) as few:
        staff_client.get(USAGE)
    UsageLogFactory.create_batch(80)

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff_client.get(USAGE).status_code == 200


def test_usage_rows_cannot_be_added_or_edited(staff_client):
    row = UsageLogFactory()

    assert staff_client.get(f"{USAGE}add/").status_code == 403
    response = staff_client.post(f"{USAGE}{row.pk}/change/", {"total_tokens": 1})
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.total_tokens == 150


def test_the_usage_list_is_staff_only(client):
    assert client.get(USAGE).status_code == 302


def test_usage_rows_cannot_be_deleted(staff_client):
    """A deleted row would drop the call from the totals and let a retry of its
    request_id be counted again."""
    row = UsageLogFactory()
    url = f"{USAGE}{row.pk}/delete/"

    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    staff_client.post(
        USAGE, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )
    assert "delete_selected" not in staff_client.get(USAGE).content.decode()
    assert UsageLog.objects.filter(pk=row.pk).exists()


def test_the_usage_list_joins_nothing(staff_client):
    UsageLogFactory()

    response = staff_client.get(USAGE)

    assert response.context["cl"].queryset.query.select_related is False
