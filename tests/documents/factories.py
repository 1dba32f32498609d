"""Factories of documents and grants (owners from the signed-in users' factory)."""

import hashlib

import factory

from documents.models import Document, DocumentAccess
from tests.sessions_app.factories import UserProfileFactory

VECTOR_STORE_ID = "vs_test"


class DocumentFactory(factory.django.DjangoModelFactory):
    """A ready PDF of its owner, attached to the test vector store."""

    class Meta:
        model = Document

    owner = factory.SubFactory(UserProfileFactory)
    title = factory.Sequence(lambda n: f"Report {n}")
    filename = factory.Sequence(lambda n: f"report-{n}.pdf")
    content_type = "application/pdf"
    size_bytes = 1024
    sha256 = factory.Sequence(lambda n: hashlib.sha256(f"content {n}".encode()).hexdigest())
    openai_file_id = factory.Sequence(lambda n: f"file-test{n:06d}")
    vector_store_id = VECTOR_STORE_ID
    status = Document.Status.READY


class DocumentAccessFactory(factory.django.DjangoModelFactory):
    """A read grant on a new document."""

    class Meta:
        model = DocumentAccess

    document = factory.SubFactory(DocumentFactory)
    user = factory.SubFactory(UserProfileFactory)
    permission = DocumentAccess.Permission.READ
