"""Budgets: windows from the clock, quota edges, 429 with RateLimit headers, one alert
per budget, user, window and threshold (also under concurrency), admins' API."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from sessions_app.models import UserProfile
from tests.interactions.helpers import GPT4O_CHAT_USAGE
from tests.threads import run_in_threads
from tests.usage.conftest import event
from usage.models import Budget, UsageAlert
from usage.selectors import usage_quota_get
from usage.services import budget_create, usage_events_ingest, usage_quota_check

pytestmark = pytest.mark.django_db
BUDGETS = "/api/v1/usage/budgets/"
QUOTA = "/api/v1/usage/quota/"
ALERTS = "/api/v1/usage/alerts/"
ONE_CALL = Decimal("0.00325")  # cost of one event() call; 1,100 tokens
MON = datetime(2026, 6, 1, tzinfo=UTC)  # a Monday, first of the month


def spend(user_id: str, calls: int, at: datetime) -> None:
    usage_events_ingest(
        events=[event(user_id=user_id, created_at=at.isoformat()) for _ in range(calls)],
        now=at,
    )


@pytest.mark.parametrize(
    ("calls", "allowed"), [(1, True), (2, False), (3, False)], ids=["under", "at", "over"]
)
def test_a_budget_is_used_up_at_its_limit(calls, allowed):
    budget_create(user_id="u1", limit_usd=2 * ONE_CALL, window="daily")
    spend("u1", calls, MON + timedelta(hours=1))

    quota = usage_quota_get(user_id="u1", now=MON + timedelta(hours=2))

    assert quota.allowed is allowed
    (status,) = quota.budgets
    assert status.used_usd == calls * ONE_CALL
    assert status.remaining_usd == max(Decimal(0), (2 - calls) * ONE_CALL)


def test_a_token_budget_counts_input_plus_output():
    budget_create(user_id="u1", limit_tokens=2200, window="daily")
    spend("u1", 1, MON)

    (status,) = usage_quota_get(user_id="u1", now=MON).budgets

    assert (status.used_tokens, status.remaining_tokens) == (1100, 1100)


def test_a_new_window_starts_by_itself():
    budget_create(user_id="u1", limit_usd=ONE_CALL, window="daily")
    spend("u1", 1, MON + timedelta(hours=23))

    before = usage_quota_get(user_id="u1", now=MON + timedelta(hours=23, minutes=59))
    after = usage_quota_get(user_id="u1", now=MON + timedelta(days=1))

    assert before.allowed is False and before.retry_after == 60
    assert after.allowed is True
    assert after.budgets[0].window_start == MON + timedelta(days=1)
    assert after.budgets[0].used_usd == 0


@pytest.mark.parametrize(
    ("window", "now", "start", "end"),
    [
        ("weekly", MON + timedelta(days=6, hours=23), MON, MON + timedelta(days=7)),
        ("monthly", MON + timedelta(days=29), MON, datetime(2026, 7, 1, tzinfo=UTC)),
        ("daily", MON + timedelta(hours=5), MON, MON + timedelta(days=1)),
    ],
)
def test_calendar_windows_are_utc_periods(window, now, start, end):
    budget_create(user_id="u1", limit_usd=1, window=window)

    (status,) = usage_quota_get(user_id="u1", now=now).budgets

    assert (status.window_start, status.window_end) == (start, end)


def test_a_rolling_window_is_the_last_n_days_to_the_second():
    budget_create(user_id="u1", limit_usd=2 * ONE_CALL, window="rolling", window_days=2)
    spend("u1", 1, MON + timedelta(hours=10))  # leaves the window at day 2, 10:00
    spend("u1", 1, MON + timedelta(days=1, hours=9))

    inside = usage_quota_get(user_id="u1", now=MON + timedelta(days=2, hours=9, minutes=59))
    outside = usage_quota_get(user_id="u1", now=MON + timedelta(days=2, hours=10, seconds=1))

    assert inside.allowed is False
    assert inside.budgets[0].used_usd == 2 * ONE_CALL
    # Retry-After: when the first day's usage has left the window (day 3 00:00, a
    # day at a time: never too early).
    assert inside.retry_after == int(timedelta(hours=14, minutes=1).total_seconds())
    assert outside.allowed is True and outside.budgets[0].used_usd == ONE_CALL


def test_a_users_own_budget_replaces_the_roles(alice):
    budget_create(role="user", limit_usd=ONE_CALL, window="daily")
    spend(str(alice.pk), 1, MON)
    assert usage_quota_get(user_id=str(alice.pk), now=MON).allowed is False

    own = budget_create(user_id=str(alice.pk), limit_usd=10, window="monthly")

    quota = usage_quota_get(user_id=str(alice.pk), now=MON)
    assert quota.allowed is True and [s.budget for s in quota.budgets] == [own]


def test_a_role_budget_applies_to_that_roles_users_only(alice):
    admin = UserProfile.objects.create(id="8d0c1f0e-0000-4000-8000-0000000ad000", role="admin")
    budget_create(role="admin", limit_usd=ONE_CALL, window="daily")

    assert len(usage_quota_get(user_id=str(admin.pk)).budgets) == 1
    assert usage_quota_get(user_id=str(alice.pk)).budgets == []


def test_the_quota_endpoint_for_the_user_and_for_api_keys(alice, alice_client, api_client_with_key):
    budget = budget_create(user_id=str(alice.pk), limit_usd=1, limit_tokens=10_000)
    spend(str(alice.pk), 1, datetime.now(UTC))

    own = alice_client.get(QUOTA)
    by_key = api_client_with_key.get(QUOTA, {"user_id": str(alice.pk)})

    assert own.status_code == by_key.status_code == 200
    body = own.json()
    assert body["allowed"] is True
    assert body["budgets"][0] == {
        **body["budgets"][0],
        "id": budget.pk,
        "scope": "user",
        "window": "monthly",
        "limit_usd": "1.000000000000",
        "used_usd": "0.003250000000",
        "remaining_usd": "0.996750000000",
        "limit_tokens": 10000,
        "used_tokens": 1100,
        "remaining_tokens": 8900,
    }
    # Cents and tokens; t: seconds until the month's window ends.
    usd, tokens = own["RateLimit"].split(", ")
    assert usd.startswith(f'"budget-{budget.pk}-usd";r=99;t=')
    assert tokens.startswith(f'"budget-{budget.pk}-tokens";r=8900;t=')
    assert 0 < int(usd.rsplit("=", 1)[1]) <= 31 * 86400
    month = datetime.fromisoformat(body["budgets"][0]["window_end"]) - datetime.fromisoformat(
        body["budgets"][0]["window_start"]
    )
    window = int(month.total_seconds())
    assert own["RateLimit-Policy"] == (
        f'"budget-{budget.pk}-usd";q=100;w={window}, "budget-{budget.pk}-tokens";q=10000;w={window}'
    )
    assert api_client_with_key.get(QUOTA).status_code == 400


class _CallsOpenAI(APIView):
    """Stands in for an endpoint that calls OpenAI (document upload)."""

    permission_classes: list = []

    def post(self, request):
        usage_quota_check(user_id=request.data["user_id"])
        return self.finalize_response(request, _ok(), *[], **{})


def _ok():
    from rest_framework.response import Response

    return Response({"called": True})


def test_the_quota_check_answers_429_with_retry_after_and_ratelimit_headers():
    budget = budget_create(user_id="u1", limit_usd=ONE_CALL, window="daily")
    spend("u1", 1, datetime.now(UTC))
    view = _CallsOpenAI.as_view()
    factory = APIRequestFactory()

    refused = view(factory.post("/x", {"user_id": "u1"}, format="json"))
    allowed = view(factory.post("/x", {"user_id": "u2"}, format="json"))

    assert refused.status_code == 429
    assert refused.data["errors"][0]["code"] == "budget_exceeded"
    seconds_to_midnight = int(refused["Retry-After"])
    assert 0 < seconds_to_midnight <= 86400
    assert refused["RateLimit-Policy"] == f'"budget-{budget.pk}-usd";q=0;w=86400'
    assert refused["RateLimit"] == f'"budget-{budget.pk}-usd";r=0;t={seconds_to_midnight}'
    assert allowed.status_code == 200


def test_crossing_thresholds_records_one_alert_each_and_mails_the_admins(
    settings, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    budget_create(user_id="u1", limit_usd=10 * ONE_CALL, window="daily")

    with django_capture_on_commit_callbacks(execute=True):
        spend("u1", 7, MON)  # 70 %: nothing
        assert UsageAlert.objects.count() == 0
        spend("u1", 1, MON)  # 80 %
        spend("u1", 1, MON)  # 90 %: the 80 % alert exists already
        spend("u1", 2, MON)  # 110 %: 95 %
        spend("u1", 1, MON + timedelta(days=1))  # a new window, 10 %: nothing

    alerts = list(UsageAlert.objects.order_by("threshold"))
    assert [a.threshold for a in alerts] == [Decimal("0.8"), Decimal("0.95")]
    assert alerts[0].used_usd == 8 * ONE_CALL and alerts[0].window_start == MON
    assert len(mail.outbox) == 2
    assert "80 %" in mail.outbox[0].subject and "u1" in mail.outbox[0].body


def test_budget_exceeded_is_reported_and_the_usage_recorded(api_client_with_key):
    budget_create(user_id="u1", limit_usd=ONE_CALL, window="daily")

    first = api_client_with_key.post("/api/v1/usage/events/", {"events": [event(user_id="u1")]})
    interaction = api_client_with_key.post(
        "/api/v1/interactions/",
        {
            "session_id": "8d0c1f0e-0000-4000-8000-0000000000ab",
            "prompt": "p",
            "response": "r",
            "model_used": "gpt-4o",
            "usage": GPT4O_CHAT_USAGE,
            "user_id": "u1",
        },
    )

    assert first.json()["budget_exceeded"] == ["u1"]
    assert interaction.status_code == 201 and interaction.json()["budget_exceeded"] is True


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_crossing_a_threshold_record_one_alert():
    budget_create(user_id="u1", limit_usd=10 * ONE_CALL, window="monthly")
    spend("u1", 7, datetime.now(UTC))

    run_in_threads(6, lambda i: usage_events_ingest(events=[event(user_id="u1")]))

    assert sorted(UsageAlert.objects.values_list("threshold", flat=True)) == [
        Decimal("0.8"),
        Decimal("0.95"),
    ]


# --- the admins' API ---------------------------------------------------------------


def test_admins_create_list_change_and_delete_budgets(admin_client):
    created = admin_client.post(
        BUDGETS, {"role": "user", "limit_usd": "5.00", "window": "weekly"}, format="json"
    )
    assert created.status_code == 201, created.json()
    budget_id = created.json()["id"]
    assert created.json()["alert_thresholds"] == [0.8, 0.95]

    changed = admin_client.patch(f"{BUDGETS}{budget_id}/", {"limit_tokens": 1000}, format="json")
    listed = admin_client.get(BUDGETS)
    deleted = admin_client.delete(f"{BUDGETS}{budget_id}/")

    assert changed.status_code == 200 and changed.json()["limit_tokens"] == 1000
    assert [b["id"] for b in listed.json()["results"]] == [budget_id]
    assert deleted.status_code == 204 and not Budget.objects.exists()


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"limit_usd": "1"}, "user_id"),
        ({"role": "user", "user_id": "u1", "limit_usd": "1"}, "user_id"),
        ({"role": "user"}, "limit_usd"),
        ({"role": "user", "limit_usd": "1", "window": "rolling"}, "window_days"),
        ({"role": "user", "limit_usd": "1", "window_days": 3}, "window_days"),
        ({"role": "user", "limit_usd": "-1"}, "limit_usd"),
        ({"role": "user", "limit_usd": "1", "alert_thresholds": [1.5]}, "alert_thresholds.0"),
        ({"role": "wizard", "limit_usd": "1"}, "role"),
    ],
)
def test_a_bad_budget_is_400_naming_the_field(admin_client, body, attr):
    response = admin_client.post(BUDGETS, body, format="json")

    assert response.status_code == 400
    assert attr in {e["attr"] for e in response.json()["errors"]}
    assert not Budget.objects.exists()


def test_a_patch_that_breaks_the_rules_is_400(admin_client):
    budget = budget_create(user_id="u1", limit_usd=1)

    response = admin_client.patch(f"{BUDGETS}{budget.pk}/", {"limit_usd": None}, format="json")

    assert response.status_code == 400
    budget.refresh_from_db()
    assert budget.limit_usd == 1


def test_budgets_and_alerts_are_for_admins_only(alice_client):
    assert alice_client.get(BUDGETS).status_code == 403
    assert alice_client.post(BUDGETS, {"role": "user", "limit_usd": "1"}).status_code == 403
    assert alice_client.get(ALERTS).status_code == 403


def test_admins_list_alerts(admin_client):
    budget = budget_create(user_id="u1", limit_usd=ONE_CALL, window="daily")
    spend("u1", 1, MON)

    body = admin_client.get(ALERTS).json()
    filtered = admin_client.get(ALERTS, {"user_id": "nobody"}).json()

    assert [(a["budget_id"], a["user_id"], a["threshold"]) for a in body["results"]] == [
        (budget.pk, "u1", 0.95),
        (budget.pk, "u1", 0.8),
    ]
    assert body["results"][0]["window_start"] == "2026-06-01T00:00:00Z"
    assert filtered["results"] == []
