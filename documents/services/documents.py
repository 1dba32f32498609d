"""Writes of documents: upload to OpenAI, status refresh, delete.

No database transaction is ever open while an OpenAI call is waited on: through
Supabase's transaction pooler that would pin a server connection per upload.
Each step is its own short statement (autocommit), and every step that OpenAI
can fail leaves the row in a state that says so (``failed`` with
``last_error``) or unchanged (delete), so a retry works.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from common.db import insert_or_read, update_returning
from documents import selectors
from documents.exceptions import (
    DocumentPermissionDenied,
    DocumentTooLarge,
    DocumentTypeNotAllowed,
    OpenAIUnavailable,
)
from documents.file_types import FileTypeNotAllowed, file_type_detect
from documents.models import Document
from documents.openai_gateway import (
    configured_vector_store_id,
    openai_client,
    openai_error_describe,
    openai_unavailable,
)
from sessions_app.models import UserProfile
from usage.services import usage_quota_check

if TYPE_CHECKING:
    import openai
    from openai.types.vector_stores import VectorStoreFile

logger = logging.getLogger(__name__)

# OpenAI vector-store file status → ours.
STATUS_FROM_OPENAI = {
    "in_progress": Document.Status.PROCESSING,
    "completed": Document.Status.READY,
    "failed": Document.Status.FAILED,
    "cancelled": Document.Status.FAILED,
}
# Vector-store files per page of a listing (OpenAI's maximum).
LIST_PAGE_SIZE = 100


def vector_store_file_outcome(vector_store_file: VectorStoreFile) -> tuple[str, str]:
    """``(status, last_error)`` of ours for an OpenAI vector-store file
    (``in_progress`` → processing, ``completed`` → ready, ``failed`` and
    ``cancelled`` → failed with OpenAI's ``last_error`` code and message)."""
    status = STATUS_FROM_OPENAI.get(vector_store_file.status, Document.Status.PROCESSING)
    error = ""
    if vector_store_file.status == "cancelled":
        error = "cancelled: OpenAI cancelled the file's processing."
    elif vector_store_file.last_error is not None and status == Document.Status.FAILED:
        error = f"{vector_store_file.last_error.code}: {vector_store_file.last_error.message}"
    return status, error


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_file_check(*, filename: str, size_bytes: int, file: IO[bytes]) -> str:
    """Check an upload before anything leaves the server; return its MIME type.

    Raises: ValidationError (400, ``file``) for an empty file or a missing name;
    DocumentTooLarge (413) above ``DOCUMENT_MAX_BYTES``; DocumentTypeNotAllowed
    (415) when the extension or the content is not an allowed format
    (``documents.file_types``).
    """
    if not filename:
        raise ValidationError({"file": ValidationError("The file has no name.", code="no_name")})
    if size_bytes <= 0:
        raise ValidationError({"file": ValidationError("The file is empty.", code="empty")})
    limit = settings.DOCUMENT_MAX_BYTES
    if size_bytes > limit:
        raise DocumentTooLarge(f"The file is {size_bytes} bytes; the limit is {limit} bytes.")
    try:
        return file_type_detect(filename=filename, file=file).content_type
    except FileTypeNotAllowed as exc:
        raise DocumentTypeNotAllowed(str(exc)) from exc


def _mark_failed(document: Document, error: str) -> None:
    document.status = Document.Status.FAILED
    document.last_error = error
    document.save(update_fields=["status", "last_error", "openai_file_id", "updated_at"])


def document_create(
    *,
    owner: UserProfile,
    file: IO[bytes],
    filename: str,
    size_bytes: int,
    title: str | None = None,
) -> tuple[Document, bool]:
    """Upload a document: check it, store it on OpenAI, attach it to the vector
    store, record it.

    Steps (each one short statement, none inside a transaction held across a
    call to OpenAI):
    1. ``document_file_check`` (size, type, empty) — nothing leaves the server on
       failure; then the owner's usage budgets (``usage_quota_check``): a user
       who has used up a budget is refused before anything is written or sent.
    2. INSERT the row (``uploaded``) with ``common.db.insert_or_read`` on the
       unique index ``documents_one_live_copy_per_owner``: the same content
       (SHA-256) already live for this owner (``uploaded``, ``processing`` or
       ``ready``) comes back with ``created=False`` and OpenAI is not called.
       Concurrent uploads of one file end on one row.
    3. ``files.create(purpose="assistants")``.
    4. ``vector_stores.files.create(vector_store_id=OPENAI_VECTOR_STORE_ID,
       attributes={"document_id", "user_id"})``; on failure the file from step 3
       is deleted again.
    5. UPDATE the row with the file id and the vector-store file's status
       (``processing``, or ``ready`` when OpenAI already says ``completed``).

    Args:
        owner: the uploading user's profile.
        file: the content (read whole: at most ``DOCUMENT_MAX_BYTES``).
        filename: the client's file name (its extension decides the format).
        size_bytes: the content's length in bytes.
        title: default: ``filename``.

    Returns: ``(document, created)``.
    Raises: what ``document_file_check`` raises; QuotaExceededError (429 with
    ``Retry-After`` and the RateLimit headers) when a usage budget of ``owner`` is
    used up; OpenAIUnavailable (502) when an
    OpenAI call fails, times out or cannot be made — the row then stays as
    ``failed`` with ``last_error`` and nothing is left on OpenAI.
    """
    import openai  # on first use: the SDK costs each process ≈ 18 MB

    content_type = document_file_check(filename=filename, size_bytes=size_bytes, file=file)
    usage_quota_check(user_id=str(owner.pk))
    vector_store_id = configured_vector_store_id()
    client = openai_client()
    data = file.read()
    digest = _sha256(data)
    document = Document(
        owner=owner,
        title=(title or filename)[:255],
        filename=filename[:255],
        content_type=content_type,
        size_bytes=len(data),
        sha256=digest,
        vector_store_id=vector_store_id,
        status=Document.Status.UPLOADED,
    )
    document, created = insert_or_read(document, conflict="documents_one_live_copy_per_owner")
    if not created:
        return document, False

    try:
        created_file = client.files.create(
            file=(filename, data, content_type), purpose="assistants"
        )
    except openai.OpenAIError as exc:
        _mark_failed(document, f"upload: {openai_error_describe(exc)}")
        raise openai_unavailable(exc) from exc
    document.openai_file_id = created_file.id
    Document.objects.filter(pk=document.pk).update(
        openai_file_id=created_file.id, updated_at=timezone.now()
    )

    try:
        attached = client.vector_stores.files.create(
            vector_store_id=vector_store_id,
            file_id=created_file.id,
            attributes={"document_id": str(document.pk), "user_id": str(owner.pk)},
        )
    except openai.OpenAIError as exc:
        error = f"attach: {openai_error_describe(exc)}"
        try:
            client.files.delete(created_file.id)
            document.openai_file_id = None
        except openai.NotFoundError:
            document.openai_file_id = None
        except openai.OpenAIError as cleanup_exc:
            # Kept so that deleting the document removes the file later.
            error += f"; the file could not be deleted again: {openai_error_describe(cleanup_exc)}"
        _mark_failed(document, error)
        raise openai_unavailable(exc) from exc

    status, last_error = vector_store_file_outcome(attached)
    now = timezone.now()
    (document,) = update_returning(
        Document.objects.filter(pk=document.pk),
        status=status,
        last_error=last_error,
        status_checked_at=now,
        updated_at=now,
    )
    return document, True


# --- status refresh ---------------------------------------------------------------


def _due_for_refresh(documents: Iterable[Document], now: datetime, force: bool) -> list[Document]:
    horizon = now - timedelta(seconds=settings.DOCUMENT_STATUS_REFRESH_SECONDS)
    return [
        d
        for d in documents
        if d.status == Document.Status.PROCESSING
        and d.openai_file_id
        and d.vector_store_id
        and (force or d.status_checked_at is None or d.status_checked_at <= horizon)
    ]


def _vector_store_files_find(
    client: openai.OpenAI, store: str, due: list[Document]
) -> dict[str, VectorStoreFile]:
    """The vector-store files of ``due`` (all in ``store``), by file id: one
    ``retrieve`` for a single document, else the store's listing newest first,
    page by page, until every file was seen or the listing is older than the
    oldest of them (in practice one call for a page of documents)."""
    import openai  # on first use: the SDK costs each process ≈ 18 MB

    if len(due) == 1:
        try:
            one = client.vector_stores.files.retrieve(
                file_id=str(due[0].openai_file_id), vector_store_id=store
            )
        except openai.NotFoundError:
            return {}
        return {one.id: one}
    wanted = {d.openai_file_id for d in due}
    oldest = min(d.created_at for d in due).timestamp() - 300  # clocks differ
    found: dict[str, VectorStoreFile] = {}
    for item in client.vector_stores.files.list(store, limit=LIST_PAGE_SIZE, order="desc"):
        if item.id in wanted:
            found[item.id] = item
            if len(found) == len(wanted):
                break
        if item.created_at < oldest:
            break
    return found


def document_status_refresh(
    *, documents: Iterable[Document], force: bool = False
) -> list[Document]:
    """Bring ``processing`` documents up to date with their vector-store files.

    A document is asked about at most once per ``DOCUMENT_STATUS_REFRESH_SECONDS``
    (``status_checked_at``; ``force`` asks anyway); documents in a final status
    are never asked. Calls
    per vector store: one whatever the number of documents (see
    ``_vector_store_files_find``). A changed status is written only if the row
    is still ``processing`` (a concurrent delete wins). A file that OpenAI no
    longer has is left to ``sync_openai_files`` to mark ``missing``.

    Failures of OpenAI are logged and leave the documents as they were: a read
    must not fail because a status could not be refreshed.

    Returns: the same documents, updated in place.
    """
    import openai  # on first use: the SDK costs each process ≈ 18 MB

    documents = list(documents)
    now = timezone.now()
    due = _due_for_refresh(documents, now, force)
    if not due:
        return documents
    try:
        client = openai_client()
    except OpenAIUnavailable as exc:
        logger.warning("Document status not refreshed: %s", exc.message)
        return documents
    by_store: dict[str, list[Document]] = {}
    for document in due:
        by_store.setdefault(document.vector_store_id, []).append(document)
    for store, store_documents in by_store.items():
        try:
            found = _vector_store_files_find(client, store, store_documents)
        except openai.OpenAIError as exc:
            logger.warning("Document status not refreshed: %s", openai_error_describe(exc))
            continue
        unchanged = []
        for document in store_documents:
            item = found.get(document.openai_file_id or "")
            if item is None:
                continue
            status, last_error = vector_store_file_outcome(item)
            if status == document.status:
                unchanged.append(document.pk)
                document.status_checked_at = now
                continue
            updated = Document.objects.filter(
                pk=document.pk, status=Document.Status.PROCESSING
            ).update(status=status, last_error=last_error, status_checked_at=now, updated_at=now)
            if updated:
                document.status, document.last_error = status, last_error
                document.status_checked_at = document.updated_at = now
        if unchanged:
            Document.objects.filter(pk__in=unchanged).update(status_checked_at=now)
    return documents


# --- delete -------------------------------------------------------------------------


def document_delete(*, document: Document, user: UserProfile | None) -> Document:
    """Delete a document: remove its file from OpenAI (``files.delete``, which also
    detaches it from every vector store), then mark the row ``deleted`` with
    ``deleted_at``. Grants are kept for the record. Deleting a deleted document
    does nothing.

    Args:
        document: a document ``user`` may read (``selectors.document_get``).
        user: the caller; None for staff acting in the admin.

    Raises: DocumentPermissionDenied (403) for a ``read`` grantee (only the
    owner, a ``manage`` grantee or an admin may delete); OpenAIUnavailable (502)
    when OpenAI fails — the document is then unchanged, so a retry works. A file
    OpenAI no longer has is not an error.
    """
    import openai  # on first use: the SDK costs each process ≈ 18 MB

    if user is not None and not selectors.document_may_manage(document=document, user=user):
        raise DocumentPermissionDenied("Only the owner or a manager may delete this document.")
    if document.status == Document.Status.DELETED:
        return document
    if document.openai_file_id:
        try:
            openai_client().files.delete(document.openai_file_id)
        except openai.NotFoundError:
            pass  # already gone: the goal is reached
        except openai.OpenAIError as exc:
            raise openai_unavailable(exc) from exc
    now = timezone.now()
    (document,) = update_returning(
        Document.objects.filter(pk=document.pk),
        status=Document.Status.DELETED,
        deleted_at=now,
        updated_at=now,
    )
    return document
