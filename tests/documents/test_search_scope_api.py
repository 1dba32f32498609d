"""GET /api/v1/documents/search-scope/: the file_search scope of a user: their ready
documents, own and shared, as OpenAI's filters object."""

import uuid

import pytest
from openai.types.responses import FileSearchTool

from documents.selectors import FILTER_IN_CHUNK
from tests.documents.conftest import client_for, upload
from tests.documents.factories import DocumentAccessFactory, DocumentFactory

pytestmark = pytest.mark.django_db

SCOPE = "/api/v1/documents/search-scope/"


def as_tool(scope: dict) -> FileSearchTool:
    """The scope as OpenAI's own file_search tool type (fails on a wrong shape)."""
    return FileSearchTool.model_validate(
        {
            "type": "file_search",
            "vector_store_ids": scope["vector_store_ids"],
            "filters": scope["filters"],
        }
    )


def test_owner_grantee_and_stranger(owner, other):
    mine = DocumentFactory(owner=owner)
    shared = DocumentFactory(owner=other)
    DocumentAccessFactory(document=shared, user=owner)
    DocumentFactory(owner=other)  # not shared
    stranger = DocumentFactory().owner

    own_scope = client_for(owner).get(SCOPE).json()
    other_scope = client_for(other).get(SCOPE).json()
    stranger_scope = client_for(stranger).get(SCOPE).json()

    assert sorted(own_scope["document_ids"]) == sorted([str(mine.pk), str(shared.pk)])
    assert own_scope["vector_store_ids"] == ["vs_test"]
    assert own_scope["filters"] == {
        "type": "in",
        "key": "document_id",
        "value": own_scope["document_ids"],
    }
    assert str(mine.pk) not in other_scope["document_ids"]
    assert len(stranger_scope["document_ids"]) == 1
    for scope in (own_scope, other_scope, stranger_scope):
        as_tool(scope)


def test_only_ready_documents_are_in_scope(owner):
    ready = DocumentFactory(owner=owner)
    for status in ("uploaded", "processing", "failed", "deleted", "missing"):
        DocumentFactory(owner=owner, status=status)

    scope = client_for(owner).get(SCOPE).json()

    assert scope["document_ids"] == [str(ready.pk)]
    assert scope["filters"] == {"type": "eq", "key": "document_id", "value": str(ready.pk)}


def test_no_documents_is_an_empty_scope_that_matches_nothing(owner):
    scope = client_for(owner).get(SCOPE).json()

    assert scope["vector_store_ids"] == [] and scope["document_ids"] == []
    assert scope["filters"] == {"type": "eq", "key": "document_id", "value": "none"}


def test_many_documents_are_split_into_in_filters_joined_by_or(owner):
    DocumentFactory.create_batch(FILTER_IN_CHUNK + 5, owner=owner)

    scope = client_for(owner).get(SCOPE).json()

    assert scope["filters"]["type"] == "or"
    parts = scope["filters"]["filters"]
    assert [len(p["value"]) for p in parts] == [FILTER_IN_CHUNK, 5]
    assert [v for p in parts for v in p["value"]] == scope["document_ids"]
    as_tool(scope)


def test_a_new_upload_is_in_scope_as_soon_as_it_is_ready(fake_openai, owner, settings):
    settings.DOCUMENT_STATUS_REFRESH_SECONDS = 0
    client = client_for(owner)
    body = upload(client).json()
    assert client.get(SCOPE).json()["document_ids"] == []

    fake_openai.file_status_set(body["openai_file_id"], "completed")
    client.get(f"/api/v1/documents/{body['id']}/")

    assert client.get(SCOPE).json()["document_ids"] == [body["id"]]


def test_the_ai_backend_asks_with_an_api_key_for_a_user(api_client_with_key, owner):
    document = DocumentFactory(owner=owner)

    scope = api_client_with_key.get(SCOPE, {"user_id": str(owner.pk)})
    unnamed = api_client_with_key.get(SCOPE)
    unknown = api_client_with_key.get(SCOPE, {"user_id": str(uuid.uuid4())})

    assert scope.status_code == 200 and scope.json()["document_ids"] == [str(document.pk)]
    assert unnamed.status_code == 400 and unnamed.json()["errors"][0]["attr"] == "user_id"
    assert unknown.status_code == 200 and unknown.json()["document_ids"] == []


def test_a_user_may_not_ask_for_someone_elses_scope(owner, other):
    response = client_for(owner).get(SCOPE, {"user_id": str(other.pk)})

    assert response.status_code == 403


def test_the_scope_needs_credentials(api_client):
    assert api_client.get(SCOPE).status_code == 401
