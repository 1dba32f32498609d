"""manage.py sync_openai_files: unknown files recorded, gone files missing, statuses
refreshed, every listing paged, runs recorded, one run at a time."""

import io
import socket
import uuid
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from documents.models import Document, DocumentSyncRun
from tests.documents.conftest import client_for, upload
from tests.documents.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def sync(*args) -> str:
    out = io.StringIO()
    call_command("sync_openai_files", *args, stdout=out, stderr=out)
    return out.getvalue().strip()


def aged(document: Document, minutes: int = 10) -> Document:
    """Make the document older than the listing's safety margin."""
    Document.objects.filter(pk=document.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes)
    )
    document.refresh_from_db()
    return document


def test_a_sync_finds_one_unknown_and_one_missing_file(fake_openai, owner):
    kept = upload(client_for(owner)).json()
    gone = aged(DocumentFactory(owner=owner, openai_file_id="file-gone"))
    found_id = fake_openai.file_add(filename="policy.docx", vector_store_id="vs_test")

    line = sync()

    assert line == "known 1, new 1, missing 1, refreshed 0"
    found = Document.objects.get(openai_file_id=found_id)
    assert found.owner is None and found.status == "ready"
    assert found.filename == "policy.docx" and found.title == "policy.docx"
    assert found.size_bytes == len(fake_openai.contents[found_id])
    assert found.vector_store_id == "vs_test"
    gone.refresh_from_db()
    assert gone.status == "missing" and "vs_test" in gone.last_error
    assert Document.objects.get(pk=kept["id"]).status == "processing"


def test_each_run_is_recorded_with_its_counts(fake_openai, owner):
    fake_openai.file_add(vector_store_id="vs_test")

    sync()

    run = DocumentSyncRun.objects.get()
    assert run.outcome == "succeeded" and not run.dry_run
    assert (run.known, run.new, run.missing, run.refreshed) == (0, 1, 0, 0)
    assert run.finished_at >= run.started_at and run.vector_store_id == "vs_test"


def test_a_file_with_our_attributes_gets_its_id_and_owner_back(fake_openai, owner):
    document_id = str(uuid.uuid4())
    fake_openai.file_add(
        vector_store_id="vs_test",
        attributes={"document_id": document_id, "user_id": str(owner.pk)},
    )

    sync()

    document = Document.objects.get(pk=document_id)
    assert document.owner == owner


def test_statuses_are_refreshed(fake_openai, owner):
    client = client_for(owner)
    processing = upload(client).json()
    fake_openai.file_status_set(processing["openai_file_id"], "failed")

    line = sync()

    assert line.endswith("refreshed 1")
    document = Document.objects.get(pk=processing["id"])
    assert document.status == "failed" and document.last_error.startswith("unsupported_file")


def test_a_missing_document_whose_file_came_back_is_ready_again(fake_openai, owner):
    file_id = fake_openai.file_add(vector_store_id="vs_test")
    document = DocumentFactory(owner=owner, openai_file_id=file_id, status="missing")

    assert sync() == "known 1, new 0, missing 0, refreshed 1"
    document.refresh_from_db()
    assert document.status == "ready" and document.last_error == ""


def test_every_page_of_the_listing_is_read(fake_openai):
    for i in range(230):  # more than a page: names and sizes come from the files listing
        fake_openai.file_add(filename=f"{i}.txt", content=b"x", vector_store_id="vs_test")

    assert sync() == "known 0, new 230, missing 0, refreshed 0"
    assert fake_openai.count("GET", "/vector_stores/vs_test/files") == 3  # 100 + 100 + 30
    assert fake_openai.count("GET", "/files") == 3 and fake_openai.count("GET", "/files/.+") == 0
    assert Document.objects.filter(filename="229.txt", size_bytes=1).exists()
    assert sync() == "known 230, new 0, missing 0, refreshed 0"


def test_a_dry_run_counts_but_changes_nothing(fake_openai, owner):
    aged(DocumentFactory(owner=owner, openai_file_id="file-gone"))
    fake_openai.file_add(vector_store_id="vs_test")

    line = sync("--dry-run")

    assert line == "dry run: known 0, new 1, missing 1, refreshed 0"
    assert Document.objects.get().status == "ready"
    assert DocumentSyncRun.objects.get().dry_run


def test_a_just_created_document_is_not_called_missing(fake_openai, owner):
    DocumentFactory(owner=owner, openai_file_id="file-being-attached")

    assert sync() == "known 0, new 0, missing 0, refreshed 0"


def test_documents_of_another_vector_store_are_left_alone(fake_openai, owner):
    aged(DocumentFactory(owner=owner, vector_store_id="vs_old"))

    assert sync() == "known 0, new 0, missing 0, refreshed 0"


def test_an_upload_that_never_finished_becomes_failed(fake_openai, owner):
    stuck = aged(DocumentFactory(owner=owner, status="uploaded", openai_file_id=None), 60)

    sync()

    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.last_error == "The upload did not finish."


def test_openai_unreachable_exits_non_zero_and_records_the_failure(fake_openai, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{port}/v1"

    with pytest.raises(CommandError, match="could not be reached"):
        sync()

    run = DocumentSyncRun.objects.get()
    assert run.outcome == "failed" and run.error == "OpenAI could not be reached."


def test_openai_failing_midway_writes_nothing(fake_openai, owner):
    aged(DocumentFactory(owner=owner, openai_file_id="file-gone"))
    fake_openai.file_add(vector_store_id="vs_test")
    fake_openai.fail("GET", "/files/.*", 500)

    with pytest.raises(CommandError):
        sync()

    assert Document.objects.get().status == "ready"
    assert DocumentSyncRun.objects.get().outcome == "failed"


def test_a_second_run_stops_while_one_is_running(fake_openai):
    DocumentSyncRun.objects.create(started_at=timezone.now())

    line = sync()

    assert "in progress" in line and fake_openai.requests == []
    assert DocumentSyncRun.objects.count() == 1


def test_a_dead_run_is_taken_over(fake_openai):
    dead = DocumentSyncRun.objects.create(started_at=timezone.now() - timedelta(hours=2))

    assert sync() == "known 0, new 0, missing 0, refreshed 0"
    dead.refresh_from_db()
    assert dead.outcome == "failed" and "did not finish" in dead.error


def test_the_unique_index_is_the_lock(db):
    from django.db import IntegrityError, transaction

    DocumentSyncRun.objects.create(started_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentSyncRun.objects.create(started_at=timezone.now())
