"""POST /api/v1/documents/: checks before anything leaves the server, the upload to
OpenAI with attributes, duplicates, and every way OpenAI can fail."""

import hashlib
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from documents.models import Document
from tests.documents.conftest import PDF, client_for, docx_bytes, pdf_file, upload
from tests.documents.factories import DocumentFactory
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


def test_an_upload_becomes_an_openai_file_in_the_vector_store(fake_openai, owner):
    response = upload(client_for(owner), title="Staff handbook")

    assert response.status_code == 201
    body = response.json()
    document = Document.objects.get(pk=body["id"])
    assert body["status"] == "processing" and document.status == "processing"
    assert body["title"] == "Staff handbook" and body["filename"] == "handbook.pdf"
    assert body["content_type"] == "application/pdf" and body["size_bytes"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["owner_id"] == str(owner.pk) and body["vector_store_id"] == "vs_test"
    file_id = body["openai_file_id"]
    assert fake_openai.contents[file_id] == PDF
    assert fake_openai.files[file_id]["purpose"] == "assistants"
    attached = fake_openai.stores["vs_test"][file_id]
    assert attached["attributes"] == {"document_id": body["id"], "user_id": str(owner.pk)}


def test_the_title_defaults_to_the_file_name(fake_openai, owner):
    response = upload(client_for(owner), pdf_file("Q3 results.pdf"))

    assert response.json()["title"] == "Q3 results.pdf"


def test_a_file_openai_has_already_indexed_is_ready_at_once(fake_openai, owner):
    fake_openai.new_file_status = "completed"

    response = upload(client_for(owner))

    assert response.status_code == 201 and response.json()["status"] == "ready"


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("notes.md", b"# Notes\n\nplain text", "text/markdown"),
        ("prices.csv", b"sku,price\nA1,10\n", "text/csv"),
        ("data.json", b'{"a": 1}', "application/json"),
        ("page.html", b"<html><body>hi</body></html>", "text/html"),
        ("letter.docx", docx_bytes(), None),
        ("deck.pptx", docx_bytes("ppt/presentation.xml"), None),
        ("utf16.txt", "hello".encode("utf-16"), "text/plain"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "application/msword"),
    ],
)
def test_allowed_types_are_accepted_by_content(fake_openai, owner, name, content, content_type):
    # The client's content type is ignored: the extension and the content decide.
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")

    response = upload(client_for(owner), file)

    assert response.status_code == 201, response.json()
    if content_type:
        assert response.json()["content_type"] == content_type


def test_a_file_over_the_limit_is_413_and_never_reaches_openai(fake_openai, owner, settings):
    settings.DOCUMENT_MAX_BYTES = 100

    response = upload(client_for(owner), pdf_file(content=PDF + b"x" * 100))

    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "file_too_large"
    assert fake_openai.requests == [] and Document.objects.count() == 0


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(fake_openai, owner, settings):
    settings.DOCUMENT_MAX_BYTES = 10
    big = b"%PDF-" + b"x" * 200_000

    response = upload(client_for(owner), pdf_file(content=big))

    assert response.status_code == 413 and fake_openai.requests == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("tool.exe", b"MZ\x90\x00binary"),
        ("no_extension", b"plain text"),
        ("fake.pdf", b"just text pretending to be a PDF"),
        ("fake.docx", b"not a zip at all"),
        ("slides.docx", docx_bytes("ppt/presentation.xml")),  # a pptx named .docx
        ("binary.txt", b"text\x00with a NUL"),
        ("latin1.txt", "café".encode("latin-1")),
        ("broken.json", b'{"a": '),
        ("image.png", b"\x89PNG\r\n\x1a\n"),
    ],
)
def test_disallowed_types_are_415_and_never_reach_openai(fake_openai, owner, name, content):
    file = SimpleUploadedFile(name, content, content_type="application/pdf")

    response = upload(client_for(owner), file)

    assert response.status_code == 415, response.json()
    assert response.json()["errors"][0]["code"] == "unsupported_file_type"
    assert fake_openai.requests == [] and Document.objects.count() == 0


def test_an_empty_file_is_400_naming_the_field(fake_openai, owner):
    response = upload(client_for(owner), pdf_file(content=b""))

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "file"
    assert fake_openai.requests == []


def test_a_missing_file_is_400_naming_the_field(fake_openai, owner):
    response = client_for(owner).post("/api/v1/documents/", {"title": "x"}, format="multipart")

    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "file"


def test_a_json_body_is_415(fake_openai, owner):
    response = client_for(owner).post("/api/v1/documents/", {"file": "x"}, format="json")

    assert response.status_code == 415 and fake_openai.requests == []


def test_the_same_content_again_is_200_with_the_first_document(fake_openai, owner):
    client = client_for(owner)
    first = upload(client, pdf_file("a.pdf"))

    second = upload(client, pdf_file("copy of a.pdf"))

    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert fake_openai.count("POST", "/files") == 1
    assert Document.objects.count() == 1


def test_the_same_content_by_another_user_is_a_document_of_theirs(fake_openai, owner, other):
    first = upload(client_for(owner))

    second = upload(client_for(other))

    assert second.status_code == 201 and second.json()["id"] != first.json()["id"]


@pytest.mark.parametrize("status", ["failed", "deleted", "missing"])
def test_content_whose_document_is_gone_or_failed_uploads_again(fake_openai, owner, status):
    DocumentFactory(owner=owner, sha256=hashlib.sha256(PDF).hexdigest(), status=status)

    response = upload(client_for(owner))

    assert response.status_code == 201
    assert Document.objects.filter(owner=owner).count() == 2


def test_openai_failing_on_attach_deletes_the_created_file(fake_openai, owner):
    fake_openai.fail("POST", "/vector_stores/vs_test/files", 500)

    response = upload(client_for(owner))

    assert response.status_code == 502
    error = response.json()["errors"][0]
    assert error["code"] == "openai_unavailable" and "500" in error["detail"]
    document = Document.objects.get()
    assert document.status == "failed" and document.last_error.startswith("attach: ")
    assert document.openai_file_id is None
    assert fake_openai.count("POST", "/files") == 1
    assert fake_openai.count("DELETE", "/files/file-.*") == 1
    assert fake_openai.files == {} and fake_openai.stores["vs_test"] == {}


def test_a_file_that_cannot_be_deleted_again_stays_recorded(fake_openai, owner):
    fake_openai.fail("POST", "/vector_stores/vs_test/files", 500)
    fake_openai.fail("DELETE", "/files/.*", 500)

    response = upload(client_for(owner))

    document = Document.objects.get()
    assert response.status_code == 502 and document.status == "failed"
    # Kept, so that deleting the document removes the file from OpenAI later.
    assert document.openai_file_id in fake_openai.files
    assert "could not be deleted again" in document.last_error


def test_openai_failing_on_file_create_is_502_and_a_failed_row(fake_openai, owner):
    fake_openai.fail("POST", "/files", 503, message="Slow down")

    response = upload(client_for(owner))

    assert response.status_code == 502
    document = Document.objects.get()
    assert document.status == "failed" and document.last_error == (
        "upload: OpenAI answered 503: Slow down"
    )
    assert fake_openai.count("POST", "/vector_stores/.*") == 0


def test_a_passing_openai_error_is_retried_by_the_sdk(fake_openai, owner, settings):
    settings.OPENAI_MAX_RETRIES = 1
    fake_openai.fail("POST", "/vector_stores/vs_test/files", 503)

    response = upload(client_for(owner))

    assert response.status_code == 201
    assert fake_openai.count("POST", "/vector_stores/vs_test/files") == 2
    assert fake_openai.count("DELETE") == 0


def test_a_failed_upload_can_be_retried(fake_openai, owner):
    fake_openai.fail("POST", "/files", 500)
    client = client_for(owner)
    assert upload(client).status_code == 502

    retry = upload(client)

    assert retry.status_code == 201 and retry.json()["status"] == "processing"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_openai_unreachable_is_502_and_a_failed_row(fake_openai, owner, settings):
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{_closed_port()}/v1"

    response = upload(client_for(owner))

    assert response.status_code == 502
    assert response.json()["errors"][0]["detail"] == "OpenAI could not be reached."
    document = Document.objects.get()
    assert document.status == "failed" and "could not be reached" in document.last_error


def test_openai_too_slow_is_502(fake_openai, owner, settings):
    settings.OPENAI_TIMEOUT_SECONDS = 0.2
    fake_openai.delay = 1.0

    response = upload(client_for(owner))

    assert response.status_code == 502
    assert response.json()["errors"][0]["detail"] == "OpenAI did not answer in time."


def test_openai_not_configured_is_502_and_nothing_is_written(fake_openai, owner, settings):
    settings.OPENAI_VECTOR_STORE_ID = ""

    response = upload(client_for(owner))

    assert response.status_code == 502
    assert response.json()["errors"][0]["code"] == "openai_not_configured"
    assert Document.objects.count() == 0 and fake_openai.requests == []


def test_uploading_needs_a_signed_in_user(fake_openai, api_client):
    response = upload(api_client)

    assert response.status_code == 401 and fake_openai.requests == []


@pytest.mark.django_db(transaction=True)
def test_no_database_transaction_is_open_while_openai_is_called(fake_openai, owner):
    main_thread_connection = connection  # the request runs on this thread
    seen = []
    fake_openai.probe = lambda method, path: seen.append(
        (method, path, main_thread_connection.in_atomic_block)
    )
    client = client_for(owner)
    document_id = upload(client).json()["id"]
    client.get(f"/api/v1/documents/{document_id}/")
    client.delete(f"/api/v1/documents/{document_id}/")

    methods = [(method, path.split("/")[1]) for method, path, _ in seen]
    assert ("POST", "files") in methods and ("DELETE", "files") in methods
    assert [atomic for *_, atomic in seen] == [False] * len(seen)


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_of_one_file_end_on_one_document(fake_openai, owner):
    fake_openai.delay = 0.05  # keep the first upload in flight while the others arrive

    responses = run_in_threads(4, lambda i: upload(client_for(owner), pdf_file(f"{i}.pdf")))

    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1 and Document.objects.count() == 1
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert fake_openai.count("POST", "/files") == 1


def test_openai_calls_leave_no_urls_in_the_log(fake_openai, owner, caplog, settings):
    settings.DOCUMENT_STATUS_REFRESH_SECONDS = 0
    client = client_for(owner)
    with caplog.at_level("INFO"):
        document_id = upload(client).json()["id"]
        client.get("/api/v1/documents/")
        client.get(f"/api/v1/documents/{document_id}/")

    assert fake_openai.base_url not in caplog.text
