"""Admin pages for AI sessions and interactions: staff only, bounded queries."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from interactions.admin import INLINE_LIMIT
from interactions.models import AIInteraction, AISession
from interactions.services import ai_interaction_log
from tests.interactions.factories import AIInteractionFactory, AISessionFactory
from tests.interactions.helpers import GPT4O_CHAT_USAGE
from tests.usage.factories import UsageLogFactory
from usage.models import UsageLog

pytestmark = pytest.mark.django_db

SESSIONS = "/admin/interactions/aisession/"
INTERACTIONS = "/admin/interactions/aiinteraction/"


def fill(count):
    for _ in range(count):
        session = AISessionFactory()
        AIInteractionFactory.create_batch(2, session=session)
        UsageLogFactory(ai_session=session)


def test_the_pages_are_staff_only(client):
    user = get_user_model().objects.create_user("clerk", "clerk@example.com", "pw")
    client.force_login(user)

    for url in (SESSIONS, INTERACTIONS):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_session_list_shows_counts_tokens_and_cost(staff_client):
    session = AISessionFactory(user_id="kiosk-103", interaction_count=2)
    UsageLogFactory(ai_session=session, total_tokens=1500, cost_usd="0.004720")

    response = staff_client.get(SESSIONS)

    html = response.content.decode()
    assert response.status_code == 200
    assert "kiosk-103" in html and "1500" in html and "0.00472" in html


@pytest.mark.parametrize("url", [SESSIONS, INTERACTIONS])
def test_changelists_are_a_constant_number_of_queries(
    staff_client, django_assert_max_num_queries, url
):
    fill(3)
    with django_assert_max_num_queries(12) as few:
        staff_client.get(url)
    fill(40)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(url)

    assert response.status_code == 200


def test_session_page_shows_the_newest_interactions_read_only(staff_client):
    session = AISessionFactory()
    start = timezone.now() - timedelta(hours=2)
    AIInteractionFactory(session=session, prompt="the very first question", created_at=start)
    for i in range(INLINE_LIMIT):
        AIInteractionFactory(
            session=session,
            prompt=f"later question {i}",
            created_at=start + timedelta(minutes=i + 1),
        )

    response = staff_client.get(f"{SESSIONS}{session.pk}/change/")

    html = response.content.decode()
    assert response.status_code == 200
    assert f"later question {INLINE_LIMIT - 1}" in html
    assert "the very first question" not in html  # beyond the newest INLINE_LIMIT
    assert 'name="interactions-0-prompt"' not in html  # read-only: no inputs


def test_session_page_queries_do_not_grow_with_history(staff_client, django_assert_max_num_queries):
    session = AISessionFactory()
    AIInteractionFactory.create_batch(3, session=session)
    url = f"{SESSIONS}{session.pk}/change/"
    with django_assert_max_num_queries(20) as few:
        staff_client.get(url)
    AIInteractionFactory.create_batch(60, session=session)

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff_client.get(url).status_code == 200


def test_search_sessions_by_prompt_text_and_user(staff_client):
    shoes = AISessionFactory(user_id="kiosk-103")
    AIInteractionFactory(session=shoes, prompt="Do you have running shoes?")
    other = AISessionFactory(user_id="web-9")
    AIInteractionFactory(session=other, response="Our return window is 30 days.")

    assert shown(staff_client.get(SESSIONS, {"q": "running shoes"})) == [shoes]
    assert shown(staff_client.get(SESSIONS, {"q": "return window"})) == [other]
    assert shown(staff_client.get(SESSIONS, {"q": "web-9"})) == [other]


def shown(response) -> list:
    """The rows on the changelist page."""
    return list(response.context["cl"].result_list)


def test_filter_sessions_and_interactions_by_model(staff_client):
    mini = AIInteractionFactory(model_used="gpt-4o-mini")
    AIInteractionFactory(model_used="gpt-4o")

    sessions = staff_client.get(SESSIONS, {"model": "gpt-4o-mini"})
    interactions = staff_client.get(INTERACTIONS, {"model": "gpt-4o-mini"})

    assert shown(sessions) == [mini.session]
    assert shown(interactions) == [mini]


def test_search_interactions_by_text(staff_client):
    aisle = AIInteractionFactory(prompt="Where is aisle 4?")
    AIInteractionFactory(prompt="What time do you close?")

    assert shown(staff_client.get(INTERACTIONS, {"q": "aisle"})) == [aisle]


def test_filter_by_date(staff_client):
    today = timezone.now()
    recent = AIInteractionFactory(created_at=today)
    AIInteractionFactory(created_at=today - timedelta(days=400))

    response = staff_client.get(
        INTERACTIONS, {"created_at__year": today.year, "created_at__month": today.month}
    )

    assert shown(response) == [recent]


def test_staff_can_retitle_a_session_without_touching_its_history(staff_client):
    session = AISessionFactory(title="old", user_id="u1", channel="kiosk")
    AIInteractionFactory.create_batch(3, session=session)

    response = staff_client.post(
        f"{SESSIONS}{session.pk}/change/",
        {
            "user_id": "u1",
            "channel": "kiosk",
            "title": "Shoe sizes",
            "customer_session": "",
            "openai_conversation_id": "",
            "interactions-TOTAL_FORMS": "3",
            "interactions-INITIAL_FORMS": "3",
            "interactions-MIN_NUM_FORMS": "0",
            "interactions-MAX_NUM_FORMS": "0",
        },
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.title == "Shoe sizes"
    assert session.interactions.count() == 3


def test_an_interaction_cannot_be_deleted(staff_client):
    """Deleting one interaction would leave its session's interaction_count and
    last_interaction_at out of step."""
    logged = ai_interaction_log(session_id=AISessionFactory().pk, prompt="p", response="r")
    url = f"{INTERACTIONS}{logged.interaction.pk}/delete/"

    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    bulk = staff_client.post(
        INTERACTIONS,
        {"action": "delete_selected", "_selected_action": [logged.interaction.pk], "post": "yes"},
    )
    assert bulk.status_code == 302  # no such action: back to the list, nothing deleted
    assert "delete_selected" not in staff_client.get(INTERACTIONS).content.decode()
    assert AIInteraction.objects.count() == 1
    assert AISession.objects.get().interaction_count == 1


def test_a_session_is_deleted_with_its_interactions_and_keeps_its_usage_rows(staff_client):
    session = AISessionFactory()
    for i in range(2):
        ai_interaction_log(
            session_id=session.pk,
            prompt="p",
            response="r",
            model_used="gpt-4o",
            usage=GPT4O_CHAT_USAGE,
            request_id=f"req-del-{i}",
        )
    url = f"{SESSIONS}{session.pk}/delete/"

    confirm = staff_client.get(url)
    response = staff_client.post(url, {"post": "yes"})

    assert confirm.status_code == 200 and not confirm.context["perms_lacking"]
    assert response.status_code == 302
    assert AISession.objects.count() == 0 and AIInteraction.objects.count() == 0
    rows = UsageLog.objects.all()
    assert len(rows) == 2  # the billing record stays, detached
    assert {(r.ai_session_id, r.interaction_id, r.user_id) for r in rows} == {
        (None, None, session.user_id)
    }
