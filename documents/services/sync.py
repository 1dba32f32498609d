"""Reconcile the ``documents`` table with the vector store (``manage.py
sync_openai_files``).

The store is the truth about which files are searchable; the table is the truth
about who owns them. A run:
1. takes the run lock (a ``running`` row in ``document_sync_runs``; a second
   run finds it and stops; a run older than ``stale_after`` is taken over);
2. lists every file of the vector store (the SDK's cursor pages, 100 a page);
3. records the files it does not know: owner from the file's ``user_id``
   attribute when that user exists here (else none), id from its
   ``document_id`` attribute when free, status from the store, file name and
   size from ``files.retrieve`` (the ``files`` listing when there are more than
   a page of them); citations written while their files were unknown here are
   linked to the documents now holding them (one set-based ``UPDATE``);
4. refreshes the status of the documents it knows (``in_progress`` →
   processing, ``completed`` → ready, ``failed``/``cancelled`` → failed; a
   ``missing`` one whose file came back gets its status again);
5. marks ``missing`` the documents (uploaded, processing, ready) whose file is
   no longer in the store, and ``failed`` the uploads that never finished
   (``uploaded`` for longer than ``stale_after``);
6. writes the run's counts (``known``, ``new``, ``missing``, ``refreshed``) and
   outcome.
No transaction is open while OpenAI is called; writes are set-based.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from common.db import insert_or_read
from documents.exceptions import OpenAIUnavailable
from documents.file_types import ALLOWED_TYPES
from documents.models import Document, DocumentSyncRun
from documents.openai_gateway import (
    configured_vector_store_id,
    openai_client,
    openai_error_describe,
)
from documents.services.documents import LIST_PAGE_SIZE, vector_store_file_outcome
from interactions.citations.services import interaction_citations_link
from sessions_app.models import UserProfile

if TYPE_CHECKING:
    import openai
    from openai.types import FileObject
    from openai.types.vector_stores import VectorStoreFile

logger = logging.getLogger(__name__)

# A run (or an upload) not finished after this long is taken as dead.
DEFAULT_STALE_AFTER = timedelta(minutes=30)
# Documents created this shortly before the listing may not be in it yet.
LISTING_MARGIN = timedelta(minutes=2)
_CHUNK = 1000


class SyncAlreadyRunning(Exception):
    """Another run holds the lock."""


@dataclass
class SyncCounts:
    """What a run found: files of the store already known, new files recorded,
    documents marked missing, documents whose status changed."""

    known: int = 0
    new: int = 0
    missing: int = 0
    refreshed: int = 0

    def line(self) -> str:
        return (
            f"known {self.known}, new {self.new}, missing {self.missing}, "
            f"refreshed {self.refreshed}"
        )


def _lock(*, dry_run: bool, stale_after: timedelta) -> DocumentSyncRun:
    now = timezone.now()
    DocumentSyncRun.objects.filter(
        outcome=DocumentSyncRun.Outcome.RUNNING, started_at__lt=now - stale_after
    ).update(
        outcome=DocumentSyncRun.Outcome.FAILED,
        finished_at=now,
        error="The run did not finish (taken over by a later run).",
    )
    run, created = insert_or_read(
        DocumentSyncRun(started_at=now, dry_run=dry_run), conflict="document_sync_runs_one_running"
    )
    if not created:
        raise SyncAlreadyRunning("Another sync_openai_files run is in progress.")
    return run


def _content_type(filename: str) -> str:
    dot = filename.rfind(".")
    file_type = ALLOWED_TYPES.get(filename[dot:].lower()) if dot > 0 else None
    return file_type.content_type if file_type else "application/octet-stream"


def _files_find(client: openai.OpenAI, file_ids: list[str]) -> dict[str, FileObject]:
    """The OpenAI file objects (name, size) of ``file_ids``: one ``retrieve`` each
    for a page's worth, else the ``assistants`` files listing, page by page, until
    all were seen. A file deleted meanwhile is absent from the answer."""
    import openai  # on first use: the SDK costs each process ≈ 18 MB

    found: dict[str, FileObject] = {}
    if len(file_ids) <= LIST_PAGE_SIZE:
        for file_id in file_ids:
            try:
                found[file_id] = client.files.retrieve(file_id)
            except openai.NotFoundError:
                continue
        return found
    wanted = set(file_ids)
    for file in client.files.list(purpose="assistants", limit=LIST_PAGE_SIZE):
        if file.id in wanted:
            found[file.id] = file
            if len(found) == len(wanted):
                break
    return found


def _new_document(
    store: str,
    item: VectorStoreFile,
    file: FileObject,
    taken_ids: set[uuid.UUID],
    owners: set[str],
) -> Document:
    attributes = item.attributes or {}
    status, last_error = vector_store_file_outcome(item)
    document = Document(
        title=file.filename[:255],
        filename=file.filename[:255],
        content_type=_content_type(file.filename),
        size_bytes=file.bytes,
        openai_file_id=item.id,
        vector_store_id=store,
        status=status,
        last_error=last_error,
        status_checked_at=timezone.now(),
    )
    wanted: uuid.UUID | None
    try:
        wanted = uuid.UUID(str(attributes.get("document_id")))
    except ValueError:
        wanted = None
    if wanted is not None and wanted not in taken_ids:
        document.id = wanted
        taken_ids.add(wanted)
    owner = str(attributes.get("user_id") or "")
    if owner in owners:
        document.owner_id = uuid.UUID(owner)
    return document


def _user_ids(values: Iterable[object]) -> set[str]:
    candidates = []
    for value in values:
        try:
            candidates.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    found = UserProfile.objects.filter(pk__in=candidates).values_list("pk", flat=True)
    return {str(pk) for pk in found}


def documents_sync(
    *, dry_run: bool = False, stale_after: timedelta = DEFAULT_STALE_AFTER
) -> tuple[DocumentSyncRun, SyncCounts]:
    """One reconciliation of the table with ``OPENAI_VECTOR_STORE_ID`` (see the
    module docstring). ``dry_run``: count what would change, change nothing (the
    run is still recorded).

    Returns: the recorded run (outcome ``succeeded``) and its counts.
    Raises: SyncAlreadyRunning (nothing recorded); OpenAIUnavailable when OpenAI
    fails or is not configured (the run is recorded as ``failed`` with the
    error, and nothing of the run's findings is written).
    """
    import openai  # on first use: the SDK costs each process ≈ 18 MB

    run = _lock(dry_run=dry_run, stale_after=stale_after)
    counts = SyncCounts()
    try:
        store = configured_vector_store_id()
        run.vector_store_id = store
        client = openai_client()
        listed_at = timezone.now()
        try:
            items = {
                item.id: item
                for item in client.vector_stores.files.list(store, limit=LIST_PAGE_SIZE)
            }
        except openai.OpenAIError as exc:
            raise OpenAIUnavailable(openai_error_describe(exc)) from exc

        rows = {
            file_id: (pk, status, last_error, created_at, row_store)
            for pk, file_id, status, last_error, created_at, row_store in Document.objects.filter(
                openai_file_id__isnull=False
            ).values_list(
                "pk", "openai_file_id", "status", "last_error", "created_at", "vector_store_id"
            )
        }
        unknown = [item for file_id, item in items.items() if file_id not in rows]
        counts.known = len(items) - len(unknown)

        # Known files: statuses that changed.
        changes: dict[tuple[str, str], list] = {}
        for file_id, item in items.items():
            if file_id not in rows:
                continue
            pk, status, last_error, _created, _store = rows[file_id]
            if status in (Document.Status.DELETED, Document.Status.UPLOADED):
                continue  # deleted on request / an upload still attaching
            new_status, new_error = vector_store_file_outcome(item)
            if (new_status, new_error) != (status, last_error):
                changes.setdefault((new_status, new_error), []).append(pk)
        counts.refreshed = sum(len(pks) for pks in changes.values())

        # Our live documents of this store whose file is gone.
        horizon = listed_at - LISTING_MARGIN
        gone = [
            pk
            for file_id, (pk, status, _error, created, row_store) in rows.items()
            if file_id not in items
            and row_store == store
            and status in (Document.Status.PROCESSING, Document.Status.READY)
            and created < horizon
        ]
        counts.missing = len(gone)
        # Uploads that never finished (the process died between the steps).
        stale_uploads = Document.objects.filter(
            status=Document.Status.UPLOADED, created_at__lt=listed_at - stale_after
        )
        counts.refreshed += stale_uploads.count()

        # New files: looked up one by one (only files nobody here uploaded).
        new_documents = []
        if unknown:
            wanted_ids = [(item.attributes or {}).get("document_id") for item in unknown]
            taken = set(
                Document.objects.filter(
                    pk__in=[str(v) for v in wanted_ids if _is_uuid(v)]
                ).values_list("pk", flat=True)
            )
            owners = _user_ids((item.attributes or {}).get("user_id") for item in unknown)
            try:
                files = _files_find(client, [item.id for item in unknown])
            except openai.OpenAIError as exc:
                raise OpenAIUnavailable(openai_error_describe(exc)) from exc
            new_documents = [
                _new_document(store, item, files[item.id], taken, owners)
                for item in unknown
                if item.id in files  # else deleted since the listing
            ]
        counts.new = len(new_documents)

        if not dry_run:
            now = timezone.now()
            Document.objects.bulk_create(new_documents, ignore_conflicts=True)
            # Answers may have cited the new files before we knew them.
            linked = interaction_citations_link()
            if linked:
                logger.info("Linked %d earlier citations to their documents.", linked)
            for (status, last_error), pks in changes.items():
                for i in range(0, len(pks), _CHUNK):
                    Document.objects.filter(pk__in=pks[i : i + _CHUNK]).exclude(
                        status=Document.Status.DELETED
                    ).update(
                        status=status, last_error=last_error, status_checked_at=now, updated_at=now
                    )
            for i in range(0, len(gone), _CHUNK):
                Document.objects.filter(
                    pk__in=gone[i : i + _CHUNK],
                    status__in=[Document.Status.PROCESSING, Document.Status.READY],
                ).update(
                    status=Document.Status.MISSING,
                    last_error=f"The file is no longer in vector store {store}.",
                    updated_at=now,
                )
            stale_uploads.update(
                status=Document.Status.FAILED,
                last_error="The upload did not finish.",
                updated_at=now,
            )
    except Exception as exc:
        run.outcome = DocumentSyncRun.Outcome.FAILED
        run.error = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        run.finished_at = timezone.now()
        run.save()
        raise
    run.outcome = DocumentSyncRun.Outcome.SUCCEEDED
    run.finished_at = timezone.now()
    run.known, run.new, run.missing, run.refreshed = (
        counts.known,
        counts.new,
        counts.missing,
        counts.refreshed,
    )
    run.save()
    return run, counts


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
