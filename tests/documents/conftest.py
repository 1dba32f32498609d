"""Fixtures of the documents tests: the local OpenAI stand-in with the real SDK
pointed at it, signed-in users (owner, grantee, stranger, admin) and their
clients."""

import io
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from sessions_app.models import UserProfile
from tests.documents.factories import VECTOR_STORE_ID
from tests.fake_openai import API_KEY, FakeOpenAI
from tests.sessions_app.factories import UserProfileFactory
from tests.tokens import bearer_client, hs256_token

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DOCUMENTS = "/api/v1/documents/"


@pytest.fixture
def fake_openai(settings):
    """A local server speaking OpenAI's files / vector-store API (tests.fake_openai)
    on a free loopback port, with settings pointing the openai SDK at it: API key,
    ``OPENAI_BASE_URL``, the vector store ``vs_test``, no retries (a failure is
    seen at once) and a 5-second timeout."""
    fake = FakeOpenAI().start()
    fake.vector_store_create(VECTOR_STORE_ID)
    settings.OPENAI_API_KEY = API_KEY
    settings.OPENAI_BASE_URL = fake.base_url
    settings.OPENAI_VECTOR_STORE_ID = VECTOR_STORE_ID
    settings.OPENAI_MAX_RETRIES = 0
    settings.OPENAI_TIMEOUT_SECONDS = 5.0
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(autouse=True)
def _supabase_auth(supabase):
    """Every documents test accepts the suite's HS256 Supabase tokens."""


def client_for(profile: UserProfile) -> APIClient:
    """A client sending a valid Supabase access token of ``profile``'s user. A 502
    comes back as the response (the test client would re-raise the error that
    5xx answers report)."""
    token = hs256_token(profile.pk, supabase_url=settings.SUPABASE_URL)
    return bearer_client(token, raise_request_exception=False)


@pytest.fixture
def owner(db) -> UserProfile:
    return UserProfileFactory()


@pytest.fixture
def other(db) -> UserProfile:
    """Another signed-in user (a grantee or a stranger, as the test makes them)."""
    return UserProfileFactory()


@pytest.fixture
def admin_user(db) -> UserProfile:
    return UserProfileFactory(role=UserProfile.Role.ADMIN)


def pdf_file(name: str = "handbook.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def upload(client: APIClient, file=None, **fields):
    """POST a multipart upload (default: a small PDF)."""
    return client.post(DOCUMENTS, {"file": file or pdf_file(), **fields}, format="multipart")


def docx_bytes(main_part: str = "word/document.xml") -> bytes:
    """A minimal OOXML package holding ``main_part``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document/>")
    return buffer.getvalue()
