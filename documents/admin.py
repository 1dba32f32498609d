"""Admin: documents with their OpenAI ids, status, grants and latest citations
(filter: never cited); the sync runs.

Rows are the record of what was uploaded, so the admin never hard-deletes a
document: "Delete from OpenAI" removes the file from OpenAI and marks the row
``deleted`` (staff with the documents "delete" permission), "Refresh status"
asks OpenAI again (staff with "change").
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import CsvExportMixin, ReadOnlyAdminMixin
from documents import services
from documents.exceptions import DocumentPermissionDenied, OpenAIUnavailable
from documents.models import Document, DocumentAccess, DocumentSyncRun
from interactions.citations.admin import DocumentCitationInline, NeverCitedFilter


class DocumentAccessInline(admin.TabularInline):
    """The document's grants; added here they have no ``granted_by``."""

    model = DocumentAccess
    extra = 0
    fields = ["user", "permission", "granted_by", "granted_at"]
    readonly_fields = ["granted_by", "granted_at"]
    raw_id_fields = ["user"]


# The document page's fields, in order.
DOCUMENT_FIELDS = (
    "title",
    "owner",
    "status",
    "last_error",
    "filename",
    "content_type",
    "size_bytes",
    "sha256",
    "openai_file_id",
    "vector_store_id",
    "created_at",
    "updated_at",
    "status_checked_at",
    "deleted_at",
)


@admin.register(Document)
class DocumentAdmin(CsvExportMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "owner",
        "status",
        "size_bytes",
        "openai_file_id",
        "vector_store_id",
        "short_error",
        "created_at",
    ]
    # The owner filter lists only owners present in the rows shown (index
    # ``(user_id, status, created_at)``); status: index ``(status, created_at)``.
    list_filter = ["status", NeverCitedFilter, ("owner", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["owner"]
    ordering = ["-created_at"]
    show_full_result_count = False  # no second COUNT(*) over the whole table
    search_fields = ["title", "filename", "^openai_file_id"]
    search_help_text = "Title or file name (contains), or an OpenAI file id (starts with)."
    date_hierarchy = "created_at"
    inlines = [DocumentAccessInline, DocumentCitationInline]
    actions = ["refresh_status", "delete_from_openai"]
    fields = DOCUMENT_FIELDS
    # Everything but the title is written by the system (upload, status sync, deletion).
    readonly_fields = [name for name in DOCUMENT_FIELDS if name != "title"]

    @admin.display(description="last error")
    def short_error(self, document: Document) -> str:
        return document.last_error[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # documents are uploaded through the API

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # never a hard delete: see "Delete from OpenAI"

    def has_remove_from_openai_permission(self, request: HttpRequest) -> bool:
        """Django's "delete document" permission (hard deletes stay off)."""
        return request.user.has_perm("documents.delete_document")

    @admin.action(description="Refresh status from OpenAI", permissions=["change"])
    def refresh_status(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        documents = list(queryset)
        before = {d.pk: d.status for d in documents}
        services.document_status_refresh(documents=documents, force=True)
        changed = sum(1 for d in documents if d.status != before[d.pk])
        self.message_user(request, f"{len(documents)} checked, {changed} changed status.")

    @admin.action(
        description="Delete from OpenAI (keeps the record)", permissions=["remove_from_openai"]
    )
    def delete_from_openai(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        deleted, failed = 0, []
        for document in queryset:
            try:
                services.document_delete(document=document, user=None)
                deleted += 1
            except (OpenAIUnavailable, DocumentPermissionDenied) as exc:
                failed.append(f"{document.title}: {exc.message}")
        if deleted:
            self.message_user(request, f"{deleted} document(s) deleted.")
        for line in failed:
            self.message_user(request, line, level=messages.ERROR)


@admin.register(DocumentAccess)
class DocumentAccessAdmin(CsvExportMixin, admin.ModelAdmin):
    """Every grant: who may read or manage which document, granted by whom and when.
    Grants are also edited inline on each document."""

    list_display = ["document", "user", "permission", "granted_by", "granted_at"]
    list_filter = ["permission"]  # index (permission, granted_at)
    list_select_related = ["document", "user", "granted_by"]
    raw_id_fields = ["document", "user", "granted_by"]
    search_fields = ["=user__id", "=document__id", "^document__openai_file_id", "=user__email"]
    search_help_text = "User id or document id (exact), OpenAI file id (starts with), email."
    date_hierarchy = "granted_at"
    ordering = ["-granted_at"]
    show_full_result_count = False


@admin.register(DocumentSyncRun)
class DocumentSyncRunAdmin(ReadOnlyAdminMixin, CsvExportMixin, admin.ModelAdmin):
    """When ``sync_openai_files`` ran and what it found (read-only)."""

    list_display = [
        "started_at",
        "finished_at",
        "outcome",
        "dry_run",
        "known",
        "new",
        "missing",
        "refreshed",
        "error",
    ]
    list_filter = ["outcome"]  # the partial unique index finds the running one
    search_fields = ["=vector_store_id"]
    search_help_text = "Vector store id (exact)."
    show_full_result_count = False
    date_hierarchy = "started_at"
    ordering = ["-started_at"]
