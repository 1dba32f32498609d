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


# --- rollups, budgets, alerts -----------------------------------------------------

from datetime import UTC, datetime  # noqa: E402

from sessions_app.models import UserProfile  # noqa: E402
from tests.usage.conftest import event  # noqa: E402
from usage.models import Budget, UsageAlert, UsageDaily  # noqa: E402
from usage.services import budget_create, usage_events_ingest  # noqa: E402

DAILY = "/admin/usage/usagedaily/"


def test_the_rollup_list_shows_figures_links_raw_rows_and_is_bounded(
    staff_client, django_assert_max_num_queries
):
    usage_events_ingest(events=[event(user_id="u1", created_at="2026-05-01T10:00:00Z")])
    with django_assert_max_num_queries(12) as few:
        html = staff_client.get(DAILY).content.decode()
    assert "u1" in html and "0.00325" in html
    assert "/admin/usage/usagelog/?created_at__gte=2026-05-01" in html
    usage_events_ingest(events=[event(user_id=f"u{i}") for i in range(60)])

    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(DAILY)


def test_the_user_filter_shows_one_users_rows(staff_client):
    usage_events_ingest(events=[event(user_id="u1"), event(user_id="u2")])

    response = staff_client.get(USAGE, {"user_id": "u1"})

    assert [log.user_id for log in shown(response)] == ["u1"]


def test_superusers_recompute_selected_days(staff_client):
    usage_events_ingest(events=[event(user_id="u1", created_at="2026-05-01T10:00:00Z")])
    row = UsageDaily.objects.get()
    UsageDaily.objects.filter(pk=row.pk).update(calls=42)

    staff_client.post(DAILY, {"action": "rebuild_days", "_selected_action": [row.pk]})

    assert UsageDaily.objects.get().calls == 1


def test_staff_without_superuser_cannot_recompute(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_usagedaily"))
    client.force_login(user)

    html = client.get(DAILY).content.decode()

    assert "rebuild_days" not in html


def test_budgets_are_edited_in_the_admin_with_the_rules(staff_client):
    refused = staff_client.post(
        "/admin/usage/budget/add/",
        {"role": "user", "window": "daily", "alert_thresholds": "[0.8]"},
    )
    added = staff_client.post(
        "/admin/usage/budget/add/",
        {"role": "user", "limit_usd": "5", "window": "daily", "alert_thresholds": "[0.8]"},
    )

    assert refused.status_code == 200 and "limit_tokens or both" in refused.content.decode()
    assert added.status_code == 302
    assert Budget.objects.get().limit_usd == 5


def test_a_users_budgets_are_edited_inline_on_the_profile(staff_client):
    profile = UserProfile.objects.create(id="8d0c1f0e-0000-4000-8000-0000000000cc")
    page = f"/admin/sessions_app/userprofile/{profile.pk}/change/"

    assert "budgets of this user" in staff_client.get(page).content.decode().lower()
    response = staff_client.post(
        page,
        {
            "role": "user",
            "budgets-TOTAL_FORMS": "1",
            "budgets-INITIAL_FORMS": "0",
            "budgets-0-limit_tokens": "5000",
            "budgets-0-window": "weekly",
            "budgets-0-alert_thresholds": "[0.5]",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    budget = Budget.objects.get()
    assert (budget.user_id, budget.limit_tokens, budget.window) == (str(profile.pk), 5000, "weekly")


def test_alerts_are_listed_in_the_admin(staff_client, django_assert_max_num_queries):
    budget_create(user_id="u1", limit_usd="0.001", window="daily")
    usage_events_ingest(events=[event(user_id="u1", created_at=datetime.now(UTC).isoformat())])
    assert UsageAlert.objects.count() == 2

    with django_assert_max_num_queries(12):
        html = staff_client.get("/admin/usage/usagealert/").content.decode()

    assert "80 %" in html and "95 %" in html
