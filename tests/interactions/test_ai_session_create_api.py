"""``POST /session/create``: the frontend's id reaches ai_sessions."""

import uuid

import pytest

from interactions.models import AISession
from tests.interactions.factories import AISessionFactory
from tests.interactions.helpers import ALICE, BOB
from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db

CREATE = "/session/create"


def test_without_an_id_a_new_uuid_is_created_and_stored(api_client_with_key):
    response = api_client_with_key.post(CREATE, {}, format="json")

    assert response.status_code == 201
    session_id = uuid.UUID(response.json()["session_id"])
    assert AISession.objects.filter(pk=session_id).exists()


def test_the_frontends_id_is_the_rows_id(api_client_with_key):
    """The old backend: the backend stored a different UUID than it answered."""
    session_id = uuid.uuid4()

    response = api_client_with_key.post(
        CREATE, {"session_id": str(session_id), "user_id": "kiosk-7"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["session_id"] == str(session_id)
    row = AISession.objects.get()
    assert (row.pk, row.user_id) == (session_id, "kiosk-7")


def test_creating_an_existing_id_again_is_200_and_no_duplicate(api_client_with_key):
    session_id = str(uuid.uuid4())
    first = api_client_with_key.post(CREATE, {"session_id": session_id}, format="json")

    again = api_client_with_key.post(
        CREATE, {"session_id": session_id, "user_id": "someone-else"}, format="json"
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["session_id"] == session_id
    assert AISession.objects.count() == 1
    assert AISession.objects.get().user_id is None  # an existing row is not changed


def test_channel_title_and_customer_session_are_stored(api_client_with_key):
    customer = CustomerSessionFactory()

    response = api_client_with_key.post(
        CREATE,
        {
            "channel": "whatsapp",
            "title": "Order status",
            "customer_session_id": str(customer.session_id),
        },
        format="json",
    )

    assert response.status_code == 201
    row = AISession.objects.get()
    assert (row.channel, row.title, row.customer_session_id) == (
        "whatsapp",
        "Order status",
        customer.session_id,
    )


def test_the_openai_conversation_id_is_stored_on_a_new_session_only(api_client_with_key):
    session_id = str(uuid.uuid4())

    created = api_client_with_key.post(
        CREATE, {"session_id": session_id, "openai_conversation_id": "conv_abc"}, format="json"
    )
    again = api_client_with_key.post(
        CREATE, {"session_id": session_id, "openai_conversation_id": "conv_other"}, format="json"
    )

    assert (created.status_code, again.status_code) == (201, 200)
    assert created.json()["openai_conversation_id"] == "conv_abc"
    assert again.json()["openai_conversation_id"] == "conv_abc"
    assert AISession.objects.get().openai_conversation_id == "conv_abc"


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"session_id": "abc-123"}, "session_id"),
        ({"session_id": 12}, "session_id"),
        ({"user_id": "u" * 101}, "user_id"),
        ({"channel": "not a slug!"}, "channel"),
        ({"openai_conversation_id": "c" * 129}, "openai_conversation_id"),
        ({"customer_session_id": str(uuid.uuid4())}, "customer_session_id"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(api_client_with_key, body, attr):
    response = api_client_with_key.post(CREATE, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr
    assert AISession.objects.count() == 0


def test_without_credentials_is_401_with_a_bearer_challenge(api_client):
    response = api_client.post(CREATE, {}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert AISession.objects.count() == 0


def test_a_wrong_api_key_is_refused(api_client):
    api_client.credentials(HTTP_X_API_KEY="not-a-key")

    assert api_client.post(CREATE, {}, format="json").status_code == 401
    assert AISession.objects.count() == 0


def test_a_signed_in_user_creates_a_session_of_their_own(alice):
    response = alice.post(CREATE, {}, format="json")

    assert response.status_code == 201
    assert response.json()["user_id"] == ALICE
    assert AISession.objects.get().user_id == ALICE


def test_a_signed_in_user_naming_themselves_is_fine(alice):
    response = alice.post(CREATE, {"user_id": ALICE}, format="json")

    assert response.status_code == 201


def test_a_signed_in_user_cannot_create_a_session_for_someone_else(alice):
    response = alice.post(CREATE, {"user_id": BOB}, format="json")

    assert response.status_code == 403
    assert AISession.objects.count() == 0


def test_a_signed_in_user_gets_their_own_existing_session_back(alice):
    session = AISessionFactory(user_id=ALICE)

    response = alice.post(CREATE, {"session_id": str(session.pk)}, format="json")

    assert response.status_code == 200
    assert response.json()["session_id"] == str(session.pk)


@pytest.mark.parametrize("owner", [BOB, None])
def test_a_signed_in_user_cannot_take_over_another_session_id(alice, owner):
    session = AISessionFactory(user_id=owner)

    response = alice.post(CREATE, {"session_id": str(session.pk)}, format="json")

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "session_id_taken"
    session.refresh_from_db()
    assert session.user_id == owner
