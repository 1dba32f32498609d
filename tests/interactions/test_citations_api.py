"""Citations sent with an interaction (``POST /api/v1/interactions/``) and shown
with the history (``GET /api/v1/ai-sessions/{id}/interactions/``)."""

import uuid

import pytest
from rest_framework.test import APIClient

from documents.models import DocumentAccess
from interactions.models import AIInteraction, AISession, InteractionCitation
from sessions_app.models import UserProfile
from tests.documents.conftest import client_for
from tests.documents.factories import DocumentFactory
from tests.interactions.factories import (
    AIInteractionFactory,
    AISessionFactory,
    InteractionCitationFactory,
)
from tests.interactions.helpers import GPT4O_CHAT_USAGE
from tests.sessions_app.factories import UserProfileFactory
from tests.threads import run_in_threads
from usage.models import UsageLog

pytestmark = pytest.mark.django_db

LOG = "/api/v1/interactions/"


def history(session_id) -> str:
    return f"/api/v1/ai-sessions/{session_id}/interactions/"


def log(client, **body):
    body = {
        "session_id": str(uuid.uuid4()),
        "prompt": "What is the return window for shoes?",
        "response": "30 days with the receipt [1], 14 days for sale items [2].",
        "model_used": "gpt-4o",
        **body,
    }
    return client.post(LOG, body, format="json")


def annotation(file_id: str, index: int, filename: str = "returns.pdf") -> dict:
    return {"type": "file_citation", "file_id": file_id, "filename": filename, "index": index}


def result(file_id: str, score: float, filename: str = "returns.pdf") -> dict:
    return {
        "file_id": file_id,
        "filename": filename,
        "score": score,
        "attributes": {"document_id": "whatever", "user_id": "someone"},
        "text": "Shoes may be returned within 30 days.",
    }


def stored() -> list[tuple]:
    return list(
        InteractionCitation.objects.order_by("kind", "position").values_list(
            "kind", "openai_file_id", "document_id", "position", "score"
        )
    )


# --- writing ------------------------------------------------------------------------


def test_citations_are_linked_to_documents_by_file_id(api_client_with_key):
    returns = DocumentFactory(openai_file_id="file-returns", filename="returns.pdf")
    sizes = DocumentFactory(openai_file_id="file-sizes", filename="sizes.pdf")

    response = log(
        api_client_with_key,
        citations=[annotation("file-returns", 31), annotation("file-unknown", 58, "sale.pdf")],
        retrieved=[
            result("file-returns", 0.91),
            result("file-sizes", 0.62, "sizes.pdf"),
            result("file-returns", 0.55),
            result("file-other", 0.40, "other.md"),
        ],
    )

    assert response.status_code == 201
    assert stored() == [
        ("cited", "file-returns", returns.pk, 31, 0.91),
        ("cited", "file-unknown", None, 58, None),
        ("retrieved", "file-sizes", sizes.pk, 1, 0.62),
        ("retrieved", "file-other", None, 3, 0.40),
    ]
    assert response.json()["citations"] == [
        {
            "document_id": str(returns.pk),
            "openai_file_id": "file-returns",
            "filename": "returns.pdf",
            "kind": "cited",
            "position": 31,
            "score": 0.91,
        },
        {
            "document_id": None,
            "openai_file_id": "file-unknown",
            "filename": "sale.pdf",
            "kind": "cited",
            "position": 58,
            "score": None,
        },
        {
            "document_id": str(sizes.pk),
            "openai_file_id": "file-sizes",
            "filename": "sizes.pdf",
            "kind": "retrieved",
            "position": 1,
            "score": 0.62,
        },
        {
            "document_id": None,
            "openai_file_id": "file-other",
            "filename": "other.md",
            "kind": "retrieved",
            "position": 3,
            "score": 0.40,
        },
    ]
    interaction = AIInteraction.objects.get()
    assert all(c.created_at == interaction.created_at for c in interaction.citations.all())


def test_an_interaction_without_citations_has_an_empty_list(api_client_with_key):
    response = log(api_client_with_key)

    assert response.status_code == 201
    assert response.json()["citations"] == []
    assert InteractionCitation.objects.count() == 0


def test_citations_cost_one_insert_whatever_their_number(
    api_client_with_key, django_assert_num_queries, django_assert_max_num_queries
):
    DocumentFactory(openai_file_id="file-returns")
    with django_assert_max_num_queries(20) as plain:
        log(api_client_with_key, usage=GPT4O_CHAT_USAGE, request_id="req-plain")
    citations = [annotation("file-returns", i) for i in range(100)]
    retrieved = [result(f"file-{i}", 0.5) for i in range(100)]

    with django_assert_num_queries(len(plain.captured_queries) + 1) as cited:
        response = log(
            api_client_with_key,
            usage=GPT4O_CHAT_USAGE,
            request_id="req-cited",
            citations=citations,
            retrieved=retrieved,
        )

    assert response.status_code == 201
    assert InteractionCitation.objects.count() == 200
    inserts = [q["sql"] for q in cited.captured_queries if "interaction_citations" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")


def test_a_retry_does_not_duplicate_the_citations(api_client_with_key):
    DocumentFactory(openai_file_id="file-returns")
    body = {
        "session_id": str(uuid.uuid4()),
        "usage": GPT4O_CHAT_USAGE,
        "openai_response_id": "resp_retry_1",
        "citations": [annotation("file-returns", 12)],
        "retrieved": [result("file-returns", 0.8), result("file-sizes", 0.3)],
    }

    first = log(api_client_with_key, **body)
    again = log(api_client_with_key, **body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert InteractionCitation.objects.count() == 2
    assert again.json()["citations"] == first.json()["citations"]
    assert AIInteraction.objects.count() == UsageLog.objects.count() == 1


def test_a_repeated_annotation_is_stored_once(api_client_with_key):
    log(api_client_with_key, citations=[annotation("file-a", 5), annotation("file-a", 5)])

    assert stored() == [("cited", "file-a", None, 5, None)]


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        (
            {"citations": [annotation("file-a", 1), {"type": "file_citation", "index": 4}]},
            "file_id",
        ),
        ({"citations": [annotation("file-a", 1), annotation("file-b", -1)]}, "index"),
        (
            {"citations": [annotation("file-a", 1), {**annotation("file-b", 2), "index": "2"}]},
            "index",
        ),
        (
            {
                "citations": [
                    annotation("file-a", 1),
                    {**annotation("file-b", 2), "type": "url_citation"},
                ]
            },
            "type",
        ),
        (
            {"retrieved": [result("file-a", 0.9), {**result("file-b", 0.5), "score": "high"}]},
            "score",
        ),
        ({"retrieved": [result("file-a", 0.9), {"filename": "x.pdf", "score": 0.1}]}, "file_id"),
    ],
)
def test_a_bad_item_is_a_400_naming_its_index_and_nothing_is_written(
    api_client_with_key, body, attr
):
    name = "citations" if "citations" in body else "retrieved"

    response = log(api_client_with_key, usage=GPT4O_CHAT_USAGE, **body)

    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == [f"{name}.1.{attr}"]
    assert AISession.objects.count() == AIInteraction.objects.count() == 0
    assert InteractionCitation.objects.count() == UsageLog.objects.count() == 0


@pytest.mark.parametrize("name", ["citations", "retrieved"])
def test_more_than_100_items_are_refused_whole(api_client_with_key, name):
    items = (
        [annotation("file-a", i) for i in range(101)]
        if name == "citations"
        else [result(f"file-{i}", 0.5) for i in range(101)]
    )

    response = log(api_client_with_key, **{name: items})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"].split(".")[0] == name
    assert AIInteraction.objects.count() == InteractionCitation.objects.count() == 0


# --- the history --------------------------------------------------------------------


@pytest.fixture
def reader(db, supabase) -> UserProfile:
    """A signed-in user (``client_for`` sends a real token of theirs)."""
    return UserProfileFactory()


def _cited_history(reader: UserProfile):
    """An interaction of ``reader``'s session citing: their own document, one shared
    with them, a stranger's, and a file unknown here."""
    own = DocumentFactory(owner=reader, filename="own.pdf")
    shared = DocumentFactory(filename="shared.pdf")
    DocumentAccess.objects.create(document=shared, user=reader, permission="read")
    private = DocumentFactory(filename="private.pdf")
    interaction = AIInteractionFactory(session=AISessionFactory(user_id=str(reader.pk)))
    for document in (own, shared, private):
        InteractionCitationFactory(interaction=interaction, document=document)
    InteractionCitationFactory(
        interaction=interaction, openai_file_id="file-unknown", filename="unknown.pdf"
    )
    return interaction, own, shared, private


def _shown(response) -> list[tuple]:
    (item,) = response.json()["results"]
    return [(c["filename"], c["document_id"], c["openai_file_id"]) for c in item["citations"]]


def test_a_reader_sees_the_document_only_when_they_may_read_it(reader):
    interaction, own, shared, _private = _cited_history(reader)

    response = client_for(reader).get(history(interaction.session_id))

    assert response.status_code == 200
    assert _shown(response) == [
        ("own.pdf", str(own.pk), own.openai_file_id),
        ("shared.pdf", str(shared.pk), shared.openai_file_id),
        ("private.pdf", None, None),
        ("unknown.pdf", None, None),
    ]


def test_the_ai_backend_and_admins_see_every_document(reader, api_client_with_key):
    interaction, own, shared, private = _cited_history(reader)
    UserProfile.objects.filter(pk=reader.pk).update(role=UserProfile.Role.ADMIN)
    reader.refresh_from_db()

    for client in (api_client_with_key, client_for(reader)):
        assert _shown(client.get(history(interaction.session_id))) == [
            ("own.pdf", str(own.pk), own.openai_file_id),
            ("shared.pdf", str(shared.pk), shared.openai_file_id),
            ("private.pdf", str(private.pk), private.openai_file_id),
            ("unknown.pdf", None, "file-unknown"),
        ]


def test_a_revoked_grant_hides_the_document_again(reader):
    interaction, _own, shared, _private = _cited_history(reader)
    DocumentAccess.objects.filter(document=shared, user=reader).delete()

    shown = _shown(client_for(reader).get(history(interaction.session_id)))

    assert shown[1] == ("shared.pdf", None, None)


def test_the_history_with_citations_is_a_constant_number_of_queries(
    reader, django_assert_num_queries
):
    session = AISessionFactory(user_id=str(reader.pk))
    mine = DocumentFactory(owner=reader)
    for interaction in AIInteractionFactory.create_batch(2, session=session):
        InteractionCitationFactory(interaction=interaction, document=mine)
    client = client_for(reader)
    # The caller's profile, the session, the page, the page's citations with the
    # reader's rights.
    with django_assert_num_queries(4):
        client.get(history(session.pk), {"page_size": 2})
    for interaction in AIInteractionFactory.create_batch(40, session=session):
        for document in DocumentFactory.create_batch(3):
            InteractionCitationFactory(interaction=interaction, document=document)
        InteractionCitationFactory(interaction=interaction, document=mine)

    with django_assert_num_queries(4):
        response = client.get(history(session.pk), {"page_size": 42})

    results = response.json()["results"]
    assert len(results) == 42 and sum(len(r["citations"]) for r in results) == 2 + 40 * 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_citations_write_them_once(api_key):
    body = {
        "session_id": str(uuid.uuid4()),
        "prompt": "question",
        "response": "answer [1]",
        "usage": GPT4O_CHAT_USAGE,
        "openai_response_id": "resp_concurrent",
        "citations": [annotation("file-a", 7), annotation("file-b", 9)],
        "retrieved": [result("file-c", 0.4)],
    }

    def post(_i):
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=api_key)
        response = client.post(LOG, body, format="json")
        return response.status_code, response.json()["citations"]

    results = run_in_threads(8, post)

    assert sorted(code for code, _ in results) == [200] * 7 + [201]
    assert all(citations == results[0][1] for _, citations in results)
    assert len(results[0][1]) == 3 and InteractionCitation.objects.count() == 3
