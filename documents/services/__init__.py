"""Writes of the documents app, one module per sub-domain: ``documents``
(upload, status refresh, delete), ``access`` (grants), ``sync`` (the registry
reconciliation behind ``manage.py sync_openai_files``)."""

from documents.services.access import (
    GrantResult,
    document_access_grant,
    document_access_revoke,
)
from documents.services.documents import (
    document_create,
    document_delete,
    document_file_check,
    document_status_refresh,
    vector_store_file_outcome,
)
from documents.services.sync import (
    SyncAlreadyRunning,
    SyncCounts,
    documents_sync,
)

__all__ = [
    "GrantResult",
    "SyncAlreadyRunning",
    "SyncCounts",
    "document_access_grant",
    "document_access_revoke",
    "document_create",
    "document_delete",
    "document_file_check",
    "document_status_refresh",
    "documents_sync",
    "vector_store_file_outcome",
]
