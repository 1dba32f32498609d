"""GET /api/v1/documents/ and /{id}/: who sees what, filters, pagination, and the
status refresh from the vector store (throttled, one call per page)."""

import uuid

import pytest

from documents.models import Document, DocumentAccess
from tests.documents.conftest import client_for, pdf_file, upload
from tests.documents.factories import DocumentAccessFactory, DocumentFactory

pytestmark = pytest.mark.django_db

DOCUMENTS = "/api/v1/documents/"


def ids(response) -> list[str]:
    return [row["id"] for row in response.json()["results"]]


def test_a_user_lists_own_and_shared_documents_never_others(owner, other):
    mine = DocumentFactory(owner=owner)
    shared = DocumentFactory(owner=other)
    DocumentAccessFactory(document=shared, user=owner)
    DocumentFactory(owner=other)  # someone else's, not shared

    response = client_for(owner).get(DOCUMENTS)

    assert response.status_code == 200
    assert set(response.json()) == {"next", "previous", "results"}
    assert sorted(ids(response)) == sorted([str(mine.pk), str(shared.pk)])


def test_the_list_is_newest_first_and_cursor_paginated(owner):
    documents = DocumentFactory.create_batch(5, owner=owner)
    client = client_for(owner)

    first = client.get(DOCUMENTS, {"page_size": 3})
    second = client.get(first.json()["next"])

    newest_first = [str(d.pk) for d in reversed(documents)]
    assert ids(first) + ids(second) == newest_first
    assert second.json()["next"] is None


def test_a_document_shows_every_field(owner):
    document = DocumentFactory(owner=owner, last_error="")

    row = client_for(owner).get(DOCUMENTS).json()["results"][0]

    assert row == {
        "id": str(document.pk),
        "title": document.title,
        "filename": document.filename,
        "content_type": "application/pdf",
        "size_bytes": 1024,
        "sha256": document.sha256,
        "status": "ready",
        "last_error": "",
        "openai_file_id": document.openai_file_id,
        "vector_store_id": "vs_test",
        "owner_id": str(owner.pk),
        "citation_count": 0,
        "last_cited_at": None,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def test_deleted_documents_are_listed_only_when_asked_for(owner):
    live = DocumentFactory(owner=owner)
    deleted = DocumentFactory(owner=owner, status="deleted")
    client = client_for(owner)

    assert ids(client.get(DOCUMENTS)) == [str(live.pk)]
    assert ids(client.get(DOCUMENTS, {"status": "deleted"})) == [str(deleted.pk)]


def test_status_filter_and_a_bad_value(owner):
    failed = DocumentFactory(owner=owner, status="failed")
    DocumentFactory(owner=owner)
    client = client_for(owner)

    assert ids(client.get(DOCUMENTS, {"status": "failed"})) == [str(failed.pk)]
    bad = client.get(DOCUMENTS, {"status": "lost"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "status"


def test_an_admin_lists_everything_and_narrows_by_owner(admin_user, owner, other):
    a = DocumentFactory(owner=owner)
    b = DocumentFactory(owner=other)
    found = DocumentFactory(owner=None)  # found on OpenAI, nobody here uploaded it
    client = client_for(admin_user)

    assert sorted(ids(client.get(DOCUMENTS))) == sorted(str(d.pk) for d in (a, b, found))
    assert ids(client.get(DOCUMENTS, {"owner_id": str(owner.pk)})) == [str(a.pk)]
    bad = client.get(DOCUMENTS, {"owner_id": "nobody"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "owner_id"


def test_the_list_needs_a_signed_in_user(api_client, api_client_with_key):
    assert api_client.get(DOCUMENTS).status_code == 401
    assert api_client_with_key.get(DOCUMENTS).status_code == 401


def test_the_list_is_a_constant_number_of_queries(owner, other, django_assert_max_num_queries):
    DocumentFactory(owner=owner)
    client = client_for(owner)
    with django_assert_max_num_queries(10) as few:
        client.get(DOCUMENTS)
    DocumentFactory.create_batch(20, owner=owner)
    for document in DocumentFactory.create_batch(20, owner=other):
        DocumentAccessFactory(document=document, user=owner)

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(ids(client.get(DOCUMENTS))) == 41


# --- status refresh ---------------------------------------------------------------


def test_processing_becomes_ready_when_openai_has_indexed_it(fake_openai, owner, settings):
    settings.DOCUMENT_STATUS_REFRESH_SECONDS = 0
    client = client_for(owner)
    body = upload(client).json()
    assert client.get(f"{DOCUMENTS}{body['id']}/").json()["status"] == "processing"

    fake_openai.file_status_set(body["openai_file_id"], "completed")

    assert client.get(f"{DOCUMENTS}{body['id']}/").json()["status"] == "ready"
    assert ids(client.get(DOCUMENTS, {"status": "ready"})) == [body["id"]]


def test_processing_becomes_failed_with_openais_reason(fake_openai, owner, settings):
    settings.DOCUMENT_STATUS_REFRESH_SECONDS = 0
    client = client_for(owner)
    body = upload(client).json()

    fake_openai.file_status_set(
        body["openai_file_id"], "failed", error_code="invalid_file", message="Bad PDF."
    )
    row = client.get(DOCUMENTS).json()["results"][0]

    assert row["status"] == "failed" and row["last_error"] == "invalid_file: Bad PDF."


def test_a_cancelled_file_is_failed(fake_openai, owner, settings):
    settings.DOCUMENT_STATUS_REFRESH_SECONDS = 0
    client = client_for(owner)
    body = upload(client).json()

    fake_openai.file_status_set(body["openai_file_id"], "cancelled")
    row = client.get(f"{DOCUMENTS}{body['id']}/").json()

    assert row["status"] == "failed" and row["last_error"].startswith("cancelled")


def test_the_status_is_asked_at_most_once_per_interval(fake_openai, owner, settings):
    settings.DOCUMENT_STATUS_REFRESH_SECONDS = 60
    client = client_for(owner)
    document_id = upload(client).json()["id"]  # the upload itself counts as a check
    Document.objects.filter(pk=document_id).update(status_checked_at=None)

    for _ in range(3):
        client.get(f"{DOCUMENTS}{document_id}/")
        client.get(DOCUMENTS)

    assert fake_openai.count("GET", "/vector_stores/.*") == 1


def test_a_page_of_processing_documents_costs_one_openai_call(fake_openai, owner, settings):
    settings.DOCUMENT_STATUS_REFRESH_SECONDS = 0
    client = client_for(owner)
    uploaded = [
        upload(client, pdf_file(f"{i}.pdf", b"%PDF-1.4 " + str(i).encode())) for i in range(6)
    ]
    for response in uploaded:
        fake_openai.file_status_set(response.json()["openai_file_id"], "completed")
    before = len(fake_openai.requests)

    rows = client.get(DOCUMENTS).json()["results"]

    assert [row["status"] for row in rows] == ["ready"] * 6
    assert fake_openai.requests[before:] == [("GET", "/vector_stores/vs_test/files")]


def test_openai_down_does_not_break_reading(fake_openai, owner, settings):
    settings.DOCUMENT_STATUS_REFRESH_SECONDS = 0
    client = client_for(owner)
    document_id = upload(client).json()["id"]
    fake_openai.fail("GET", "/vector_stores/.*", 500, times=5)

    detail = client.get(f"{DOCUMENTS}{document_id}/")
    listed = client.get(DOCUMENTS)

    assert detail.status_code == 200 and detail.json()["status"] == "processing"
    assert listed.status_code == 200 and ids(listed) == [document_id]


def test_final_statuses_are_never_asked_about(fake_openai, owner, settings):
    settings.DOCUMENT_STATUS_REFRESH_SECONDS = 0
    for status in ("ready", "failed", "deleted", "missing"):
        DocumentFactory(owner=owner, status=status)

    client_for(owner).get(DOCUMENTS)

    assert fake_openai.requests == []


# --- detail -----------------------------------------------------------------------


def test_detail_for_owner_grantee_admin_and_404_for_a_stranger(owner, other, admin_user):
    document = DocumentFactory(owner=owner)
    grantee = DocumentAccessFactory(document=document).user
    url = f"{DOCUMENTS}{document.pk}/"

    assert client_for(owner).get(url).json()["id"] == str(document.pk)
    assert client_for(grantee).get(url).status_code == 200
    assert client_for(admin_user).get(url).status_code == 200
    stranger = client_for(other).get(url)
    assert stranger.status_code == 404
    assert stranger.json()["errors"][0]["code"] == "document_not_found"


def test_detail_of_an_unknown_id_is_404(owner):
    assert client_for(owner).get(f"{DOCUMENTS}{uuid.uuid4()}/").status_code == 404


def test_a_revoked_grant_hides_the_document_again(owner, other):
    document = DocumentFactory(owner=owner)
    DocumentAccessFactory(document=document, user=other)
    DocumentAccess.objects.filter(user=other).delete()

    assert client_for(other).get(f"{DOCUMENTS}{document.pk}/").status_code == 404


@pytest.mark.parametrize("small_set", [2, 2000])
def test_both_forms_of_the_list_query_give_the_same_page(owner, other, monkeypatch, small_set):
    """Users who may read few documents and users who may read many are read with
    two different queries (the faster one for each); both give the same answer."""
    monkeypatch.setattr("documents.selectors.SMALL_SET", small_set)
    mine = DocumentFactory.create_batch(3, owner=owner)
    shared = DocumentFactory(owner=other)
    DocumentAccessFactory(document=shared, user=owner)
    DocumentFactory(owner=owner, status="deleted")
    DocumentFactory(owner=other)

    response = client_for(owner).get(DOCUMENTS, {"page_size": 2})
    second = client_for(owner).get(response.json()["next"])

    expected = [str(d.pk) for d in [shared, *reversed(mine)]]
    assert ids(response) + ids(second) == expected
