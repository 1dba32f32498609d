"""The admin's front page: figures, charts data, health, a fixed number of queries."""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from admin_panel.selectors.dashboard import dashboard_figures
from admin_panel.selectors.periods import periods_for
from tests.documents.factories import DocumentFactory
from tests.interactions.factories import AIInteractionFactory, InteractionCitationFactory
from tests.sessions_app.factories import CustomerSessionFactory
from tests.usage.factories import RecordedUsageLogFactory
from usage.models import Budget, UsageAlert

pytestmark = pytest.mark.django_db

INDEX = "/admin/"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_figures_from_known_data(staff_client, known_data):
    response = staff_client.get(INDEX)
    board = response.context["dashboard"]

    assert {c.key: c.count for c in board.customer_sessions} == {
        "whatsapp": 2,
        "kiosk": 3,
        "website": 0,
        "chat": 0,
    }
    assert {c.key: c.count for c in board.user_sessions if c.count} == {
        "web": 2,
        "ios-external": 1,
    }
    assert (board.ai_sessions_today, board.interactions_today) == (2, 5)
    assert board.ai_sessions_week >= 2 and board.interactions_week == 5
    today, week, _month = board.cost
    assert today.value == Decimal("1.50") and today.change_pct is None
    assert week.value == Decimal("1.50") and week.previous == Decimal("0.75")
    assert week.change_pct == pytest.approx(100.0)
    assert board.unpriced_calls_month == 1
    html = response.content.decode()
    assert "$1.5000" in html and "+100.0 %" in html


def test_documents_by_status_and_budgets_over_a_threshold(staff_client, known_data):
    DocumentFactory.create_batch(2, owner=known_data.ann)  # ready
    DocumentFactory(owner=known_data.ann, status="failed", last_error="invalid_file")
    DocumentFactory(owner=known_data.ann, status="deleted")
    # Bob: $0.50 earlier + $0.50 now of a $1.20 budget (83 %) crosses 80 % only;
    # Ann: $2.00 of $10 (20 %), none.
    Budget.objects.create(
        user_id=str(known_data.bob.pk), limit_usd=Decimal("1.20"), alert_thresholds=[0.8, 0.95]
    )
    Budget.objects.create(user_id=str(known_data.ann.pk), limit_usd=Decimal("10"))
    RecordedUsageLogFactory(user_id=str(known_data.bob.pk), cost_usd=Decimal("0.50"))
    RecordedUsageLogFactory(user_id=str(known_data.ann.pk), cost_usd=Decimal("1.00"))

    response = staff_client.get(INDEX)
    board = response.context["dashboard"]

    documents = {c.key: c.count for c in board.documents}
    assert documents == {
        "uploaded": 0,
        "processing": 0,
        "ready": 2,
        "failed": 1,
        "deleted": 1,
        "missing": 0,
    }
    assert board.documents_total == 3
    assert board.budgets_over_threshold_total == 1
    (over,) = board.budgets_over_threshold
    assert (over.user_id, over.threshold) == (str(known_data.bob.pk), Decimal("0.8"))
    html = response.content.decode()
    assert 'id="figure-documents"' in html and 'id="figure-budgets"' in html
    assert "80 %" in html


def test_an_alert_of_an_earlier_window_is_not_over_the_threshold_now():
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    budget = Budget.objects.create(user_id="u-1", limit_usd=Decimal(1), window="daily")
    UsageAlert.objects.create(
        budget=budget,
        user_id="u-1",
        threshold=Decimal("0.8"),
        window_start=now - timedelta(days=1),
        used_usd=Decimal("0.9"),
        used_tokens=0,
        created_at=now - timedelta(hours=13),  # yesterday's window
    )

    assert dashboard_figures(now=now).budgets_over_threshold_total == 0
    yesterday_late = now - timedelta(hours=12, minutes=30)
    assert dashboard_figures(now=yesterday_late).budgets_over_threshold_total == 1


def test_top_users_link_to_their_profile_page(staff_client, known_data):
    board = staff_client.get(INDEX).context["dashboard"]
    # Ann's call of a week ago counts when it fell in this month.
    week_ago_in_month = board.periods.month.contains((timezone.now() - timedelta(days=7)).date())
    ann_cost = Decimal("1.75") if week_ago_in_month else Decimal("1.00")

    assert [(u.label, u.cost_usd) for u in board.top_users] == [
        ("ann@example.com", ann_cost),
        ("bob@example.com", Decimal("0.50")),
    ]
    ann_page = reverse("admin:sessions_app_userprofile_change", args=[known_data.ann.pk])
    assert board.top_users[0].url == ann_page
    assert f'href="{ann_page}"' in staff_client.get(INDEX).content.decode()


def test_chart_series_travel_as_json_not_inline_script(staff_client, known_data):
    html = staff_client.get(INDEX).content.decode()

    data = json.loads(
        re.search(
            r'<script id="dashboard-charts" type="application/json">(.*?)</script>', html, re.S
        )[1]
    )
    assert len(data["days"]) == 30
    interactions = {s["label"]: sum(s["data"]) for s in data["interactions"]}
    assert interactions == {"gpt-4o": 4, "gpt-4o-mini": 1}
    cost = {s["label"]: round(sum(s["data"]), 4) for s in data["cost"]}
    assert cost == {"gpt-4o": 1.75, "gpt-4o-mini": 0.5, "ft:custom": 0.0}
    sessions = {s["label"]: sum(s["data"]) for s in data["sessions"]}
    assert sessions == {"kiosk": 3, "whatsapp": 2, "website": 1, "chat": 1}
    # Every other script is a static file: a strict CSP (script-src 'self') holds.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)
    assert "chart.umd.min.js" in html


def test_the_page_costs_the_same_queries_whatever_the_data(
    staff_client, known_data, django_assert_num_queries
):
    # 18: sessions, users, usage, interactions, health (15), documents by status,
    # budgets, and the alerts of their current windows (3).
    Budget.objects.create(user_id=str(known_data.bob.pk), limit_usd=Decimal("0.10"))
    staff_client.get(INDEX)  # warms the one-minute migrations cache
    with django_assert_num_queries(19) as first:
        staff_client.get(INDEX)
    DocumentFactory.create_batch(3, owner=known_data.bob)
    RecordedUsageLogFactory.create_batch(
        40, user_id=str(known_data.bob.pk), cost_usd=Decimal("0.01")
    )
    call_command("expire_sessions", stdout=open("/dev/null", "w"))  # noqa: SIM115

    with django_assert_num_queries(len(first.captured_queries)):
        assert staff_client.get(INDEX).status_code == 200


def test_previous_month_is_compared_up_to_the_same_day():
    """On 31 March the month is compared with 1-28 February; the week (Tuesday) with
    last Monday-Tuesday; each in whole UTC days."""
    periods = periods_for(datetime(2026, 3, 31, tzinfo=UTC).date())

    assert (periods.previous_month.first.isoformat(), periods.previous_month.last.isoformat()) == (
        "2026-02-01",
        "2026-02-28",
    )
    assert (periods.week.first.isoformat(), periods.previous_week.last.isoformat()) == (
        "2026-03-30",
        "2026-03-24",
    )


def test_month_cost_and_change_at_a_fixed_time():
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    RecordedUsageLogFactory(created_at=now, cost_usd=Decimal("3.00"))
    RecordedUsageLogFactory(created_at=now - timedelta(days=2), cost_usd=Decimal("1.00"))
    RecordedUsageLogFactory(created_at=datetime(2026, 2, 5, tzinfo=UTC), cost_usd=Decimal("2.00"))
    # After the same day of February: not in the comparison.
    RecordedUsageLogFactory(created_at=datetime(2026, 2, 20, tzinfo=UTC), cost_usd=Decimal("9.00"))

    board = dashboard_figures(now=now)
    month = board.cost[2]

    assert (month.value, month.previous) == (Decimal("4.00"), Decimal("2.00"))
    assert month.change_pct == pytest.approx(100.0)


def test_health_shows_database_migrations_and_openai_not_configured(staff_client, settings):
    settings.OPENAI_API_KEY = ""
    response = staff_client.get(INDEX)
    html = response.content.decode()

    assert response.context["db_health"].reachable
    assert response.context["pending_migrations"] == []
    assert "all applied" in html and "not configured" in html


def test_command_runs_show_when_and_what(staff_client):
    call_command("expire_sessions", stdout=open("/dev/null", "w"))  # noqa: SIM115

    statuses = {s.command: s for s in staff_client.get(INDEX).context["command_statuses"]}

    assert statuses["expire_sessions"].run.status == "succeeded"
    assert statuses["expire_sessions"].run.summary == "Expired 0 customer session(s)."
    assert statuses["mark_idle_sessions"].run is None  # listed, never run
    html = staff_client.get(INDEX).content.decode()
    assert "Expired 0 customer session(s)." in html and "never run" in html


def test_the_dashboard_is_staff_only(client):
    response = client.get(INDEX)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_usage_is_live_and_past_sessions_are_cached_until_the_day_ends(staff_client):
    staff_client.get(INDEX)
    yesterday = timezone.now() - timedelta(days=1)
    # Usage comes from the rollups, exact at once: today's and a late call of yesterday.
    RecordedUsageLogFactory(cost_usd=Decimal("2.00"))
    RecordedUsageLogFactory(cost_usd=Decimal("5.00"), created_at=yesterday)
    # Sessions started are counted on the raw table: past days come from the cache.
    CustomerSessionFactory(channel="chat")
    CustomerSessionFactory(channel="chat", created_at=yesterday)

    board = staff_client.get(INDEX).context["dashboard"]
    today, _week, _month = board.cost
    assert (today.value, today.previous) == (Decimal("2.00"), Decimal("5.00"))
    chat = {series["label"]: series["data"] for series in board.charts["sessions"]}["chat"]
    assert chat[-2:] == [0.0, 1.0]
    cache.clear()  # what the end of the UTC day does
    board = staff_client.get(INDEX).context["dashboard"]
    chat = {series["label"]: series["data"] for series in board.charts["sessions"]}["chat"]
    assert chat[-2:] == [1.0, 1.0]


def test_the_most_cited_documents_of_the_month(staff_client):
    popular, quiet = DocumentFactory(title="Returns policy"), DocumentFactory(title="Menu")
    for _ in range(3):
        InteractionCitationFactory(document=popular, interaction=AIInteractionFactory())
    InteractionCitationFactory(document=quiet, interaction=AIInteractionFactory())

    response = staff_client.get(INDEX)

    board = response.context["dashboard"]
    assert [(d["title"], d["citation_count"]) for d in board.top_documents] == [
        ("Returns policy", 3),
        ("Menu", 1),
    ]
    html = response.content.decode()
    assert reverse("admin:documents_document_change", args=[popular.pk]) in html
