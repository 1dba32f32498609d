"""The tables as the database enforces them: one live copy of a content per owner,
one document per OpenAI file, valid statuses and permissions, and (PostgreSQL)
deleting a profile in SQL, as Supabase does when it deletes the auth user."""

import uuid

import pytest
from django.db import IntegrityError, connection, transaction

from documents.models import Document, DocumentAccess
from tests.documents.conftest import pdf_file
from tests.documents.factories import DocumentAccessFactory, DocumentFactory
from tests.tokens import bearer_client, hs256_token

pytestmark = pytest.mark.django_db


def test_one_live_copy_of_a_content_per_owner(owner):
    first = DocumentFactory(owner=owner, sha256="a" * 64)

    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentFactory(owner=owner, sha256="a" * 64, status="processing")
    DocumentFactory(owner=owner, sha256="a" * 64, status="failed")  # failed copies may repeat
    Document.objects.filter(pk=first.pk).update(status="deleted")
    DocumentFactory(owner=owner, sha256="a" * 64)  # once deleted, a new live copy


def test_an_openai_file_belongs_to_one_document():
    DocumentFactory(openai_file_id="file-1")

    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentFactory(openai_file_id="file-1")


def test_the_database_refuses_unknown_statuses_and_permissions():
    grant = DocumentAccessFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=grant.document_id).update(status="lost")
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentAccess.objects.filter(pk=grant.pk).update(permission="write")


@pytest.mark.postgres
def test_deleting_a_profile_in_sql_keeps_documents_ownerless_and_drops_its_grants(owner, other):
    document = DocumentFactory(owner=owner)
    kept = DocumentAccessFactory(document=document, user=other, granted_by=owner)
    DocumentAccessFactory(document=DocumentFactory(owner=other), user=owner)

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("DELETE FROM user_profiles WHERE id = %s", [owner.pk])

    document.refresh_from_db()
    kept.refresh_from_db()
    assert document.owner_id is None and kept.granted_by_id is None
    assert not DocumentAccess.objects.filter(user_id=owner.pk).exists()


def test_a_user_with_a_real_supabase_token_uploads_and_lists(fake_openai, supabase):
    user_id = uuid.uuid4()
    client = bearer_client(hs256_token(user_id, supabase_url=supabase.SUPABASE_URL))

    created = client.post("/api/v1/documents/", {"file": pdf_file()}, format="multipart")
    listed = client.get("/api/v1/documents/")

    assert created.status_code == 201 and created.json()["owner_id"] == str(user_id)
    assert [row["id"] for row in listed.json()["results"]] == [created.json()["id"]]
