"""DELETE /api/v1/documents/{id}/: owner, manage grantee and admin delete (the file
leaves OpenAI); a read grantee is refused; a stranger learns nothing; OpenAI
failing changes nothing."""

import pytest

from documents.models import Document, DocumentAccess
from tests.documents.conftest import client_for, upload
from tests.documents.factories import DocumentAccessFactory, DocumentFactory

pytestmark = pytest.mark.django_db


def url(document) -> str:
    return f"/api/v1/documents/{document.pk}/"


@pytest.fixture
def uploaded(fake_openai, owner) -> Document:
    """A document uploaded through the API, so its file exists on the fake OpenAI."""
    return Document.objects.get(pk=upload(client_for(owner)).json()["id"])


def test_the_owner_deletes_and_the_file_leaves_openai(fake_openai, owner, uploaded, other):
    DocumentAccessFactory(document=uploaded, user=other)

    response = client_for(owner).delete(url(uploaded))

    assert response.status_code == 204
    uploaded.refresh_from_db()
    assert uploaded.status == "deleted" and uploaded.deleted_at is not None
    assert uploaded.openai_file_id not in fake_openai.files
    assert fake_openai.stores["vs_test"] == {}
    assert DocumentAccess.objects.filter(document=uploaded).count() == 1  # kept for the record


def test_a_manage_grantee_deletes(fake_openai, uploaded, other):
    DocumentAccessFactory(document=uploaded, user=other, permission="manage")

    assert client_for(other).delete(url(uploaded)).status_code == 204
    assert fake_openai.files == {}


def test_an_admin_deletes(fake_openai, uploaded, admin_user):
    assert client_for(admin_user).delete(url(uploaded)).status_code == 204
    uploaded.refresh_from_db()
    assert uploaded.status == "deleted"


def test_a_read_grantee_gets_403_and_nothing_changes(fake_openai, uploaded, other):
    DocumentAccessFactory(document=uploaded, user=other, permission="read")

    response = client_for(other).delete(url(uploaded))

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    uploaded.refresh_from_db()
    assert uploaded.status == "processing" and uploaded.openai_file_id in fake_openai.files


def test_a_stranger_gets_404(fake_openai, uploaded, other):
    assert client_for(other).delete(url(uploaded)).status_code == 404
    assert fake_openai.count("DELETE") == 0


def test_openai_failing_is_502_and_the_document_unchanged_so_a_retry_works(
    fake_openai, owner, uploaded
):
    fake_openai.fail("DELETE", "/files/.*", 500)
    client = client_for(owner)

    failed = client.delete(url(uploaded))
    uploaded.refresh_from_db()
    status_after_failure = uploaded.status
    retried = client.delete(url(uploaded))

    assert failed.status_code == 502 and status_after_failure == "processing"
    assert failed.json()["errors"][0]["code"] == "openai_unavailable"
    assert retried.status_code == 204 and fake_openai.files == {}


def test_a_file_openai_no_longer_has_is_not_an_error(fake_openai, owner):
    document = DocumentFactory(owner=owner, openai_file_id="file-gone")

    assert client_for(owner).delete(url(document)).status_code == 204
    document.refresh_from_db()
    assert document.status == "deleted"


def test_a_failed_upload_without_a_file_is_deleted_without_calling_openai(fake_openai, owner):
    document = DocumentFactory(owner=owner, openai_file_id=None, status="failed")

    assert client_for(owner).delete(url(document)).status_code == 204
    assert fake_openai.requests == []


def test_deleting_twice_is_204(fake_openai, owner, uploaded):
    client = client_for(owner)

    assert client.delete(url(uploaded)).status_code == 204
    assert client.delete(url(uploaded)).status_code == 204
    assert fake_openai.count("DELETE") == 1
