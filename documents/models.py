"""Documents: uploads mapped to OpenAI files in a vector store, who may read them,
and the runs of the registry sync.

A document is one OpenAI file (``file-…``, ``purpose="assistants"``) attached to
a vector store (``vs_…``) with the attributes ``document_id`` and ``user_id``;
the assistant searches it with the Responses API's ``file_search`` tool (the
Assistants API was shut down on 2026-08-26).
"""

import uuid

from django.db import models
from django.db.models import Q

from sessions_app.models import UserProfile


class Document(models.Model):
    """One uploaded document and the OpenAI file that holds it.

    Status life cycle (``Status``)::

        uploaded ──▶ processing ──▶ ready
            │             │
            └──▶ failed ◀─┘          any ──▶ deleted ;  any ──▶ missing

    ``uploaded``: accepted here, the OpenAI file is being created or is not yet
    attached to the vector store; ``processing``: the vector-store file is
    ``in_progress``; ``ready``: ``completed`` (searchable); ``failed``: OpenAI
    answered ``failed`` or ``cancelled``, or the upload did not finish
    (``last_error`` says why); ``deleted``: removed from OpenAI on request;
    ``missing``: the row is here but OpenAI no longer has the file.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        DELETED = "deleted", "Deleted"
        MISSING = "missing", "Missing"

    # No further change is expected from OpenAI for these.
    FINAL_STATUSES = (Status.READY, Status.FAILED, Status.DELETED, Status.MISSING)
    # Content in one of these counts as already uploaded (a duplicate upload).
    LIVE_STATUSES = (Status.UPLOADED, Status.PROCESSING, Status.READY)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        UserProfile,
        db_column="user_id",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
        db_index=False,  # the (user_id, status, created_at) index leads with it
        help_text="who uploaded it; empty for a file found on OpenAI that nobody here uploaded",
    )
    title = models.CharField(max_length=255)
    filename = models.CharField(max_length=255, help_text="the uploaded file's name")
    content_type = models.CharField(max_length=127, help_text="MIME type judged from the content")
    size_bytes = models.BigIntegerField(help_text="bytes")
    sha256 = models.CharField(  # noqa: DJ001 - NULL: content never seen here
        max_length=64,
        null=True,
        blank=True,
        help_text="SHA-256 of the content, hex; empty for files found on OpenAI",
    )
    openai_file_id = models.CharField(  # NULL until OpenAI created the file
        max_length=128,
        unique=True,
        null=True,
        blank=True,
        verbose_name="OpenAI file id",
    )
    vector_store_id = models.CharField(
        max_length=128, blank=True, default="", verbose_name="vector store id"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    status_checked_at = models.DateTimeField(
        null=True, blank=True, help_text="when OpenAI was last asked for the status"
    )

    class Meta:
        db_table = "documents"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["uploaded", "processing", "ready", "failed", "deleted", "missing"]
                ),
                name="documents_status_valid",
            ),
            models.CheckConstraint(condition=Q(size_bytes__gte=0), name="documents_size_valid"),
            # One live copy of a content per owner: concurrent uploads of the same
            # file by one user end on one row (the database decides the race).
            models.UniqueConstraint(
                fields=["owner", "sha256"],
                condition=Q(status__in=["uploaded", "processing", "ready"]),
                name="documents_one_live_copy_per_owner",
            ),
        ]
        indexes = [
            models.Index(
                fields=["owner", "status", "created_at"], name="documents_user_status_created"
            ),
            models.Index(fields=["status", "created_at"], name="documents_status_created"),
            models.Index(fields=["created_at"], name="documents_created"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_final(self) -> bool:
        """True when OpenAI will not change the status any more."""
        return self.status in self.FINAL_STATUSES


class DocumentAccess(models.Model):
    """A grant: ``user`` may ``read`` the document, or ``manage`` it (read, delete,
    grant and revoke access). The owner needs no grant."""

    class Permission(models.TextChoices):
        READ = "read", "Read"
        MANAGE = "manage", "Manage"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(
        UserProfile,
        db_column="user_id",
        on_delete=models.CASCADE,
        related_name="document_grants",
        db_index=False,  # the (user_id, document_id) index leads with it
    )
    permission = models.CharField(max_length=8, choices=Permission.choices)
    granted_by = models.ForeignKey(
        UserProfile,
        db_column="granted_by",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="empty when granted in the admin",
    )
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "document_access"
        verbose_name = "document access grant"
        ordering = ["granted_at"]
        constraints = [
            models.UniqueConstraint(fields=["document", "user"], name="document_access_unique"),
            models.CheckConstraint(
                condition=Q(permission__in=["read", "manage"]),
                name="document_access_permission_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "document"], name="document_access_user"),
            # The admin's list: newest grants first, by date, by permission.
            models.Index(fields=["granted_at"], name="document_access_granted"),
            models.Index(fields=["permission", "granted_at"], name="document_access_perm"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} may {self.permission}"


class DocumentSyncRun(models.Model):
    """One run of ``manage.py sync_openai_files``: when, what it found, how it ended."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    vector_store_id = models.CharField(max_length=128, blank=True, default="")
    known = models.IntegerField(default=0, help_text="files in the store we already knew")
    new = models.IntegerField(default=0, help_text="files in the store recorded by this run")
    missing = models.IntegerField(default=0, help_text="documents whose file is gone")
    refreshed = models.IntegerField(default=0, help_text="documents whose status changed")
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "document_sync_runs"
        verbose_name = "OpenAI file sync run"
        ordering = ["-started_at"]
        constraints = [
            # The lock that keeps two runs from overlapping, on every database (a
            # session advisory lock would not survive Supabase's transaction pooler).
            models.UniqueConstraint(
                fields=["outcome"],
                condition=Q(outcome="running"),
                name="document_sync_runs_one_running",
            ),
        ]
        indexes = [models.Index(fields=["started_at"], name="document_sync_runs_started")]

    def __str__(self) -> str:
        return f"sync {self.started_at:%Y-%m-%d %H:%M:%S} ({self.outcome})"
