"""Admin for citations: their own read-only list, and the pieces the interactions
and documents admins use (the citations of an interaction, a document's latest
citations, the "never cited" filter of documents). Read-only: citations are
written with their interaction by the API."""

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from common.admin import CsvExportMixin, ReadOnlyAdminMixin
from interactions.models import InteractionCitation

LATEST_CITATIONS = 20  # shown on a document's page, newest first


def _interaction_link(citation: InteractionCitation) -> str:
    """A link to the citing interaction's admin page (its id: no query)."""
    url = reverse("admin:interactions_aiinteraction_change", args=[citation.interaction_id])
    return format_html('<a href="{}">{}</a>', url, citation.interaction_id)


class _ReadOnlyInline(admin.TabularInline):
    model = InteractionCitation
    extra = 0
    max_num = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class _InteractionCitationsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_citations"):
            self._citations = (
                super().get_queryset().select_related("document").order_by("kind", "position")
            )
        return self._citations


class InteractionCitationInline(_ReadOnlyInline):
    """On an interaction's page: the documents behind the answer, cited ones
    first (by position in the answer), then the retrieved ones (by rank)."""

    formset = _InteractionCitationsFormSet
    fields = readonly_fields = (
        "kind",
        "position",
        "filename",
        "openai_file_id",
        "document",
        "score",
    )
    verbose_name_plural = "citations"


class _LatestCitationsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        if not hasattr(self, "_latest"):
            cited = super().get_queryset().filter(kind=InteractionCitation.Kind.CITED)
            self._latest = cited.order_by("-created_at", "-interaction_id")[:LATEST_CITATIONS]
        return self._latest


class DocumentCitationInline(_ReadOnlyInline):
    """On a document's page: the newest ``LATEST_CITATIONS`` answers' annotations
    citing it (kind ``cited``; one short read along the ``(document_id, kind,
    created_at DESC, interaction_id)`` index), each linking to the interaction."""

    formset = _LatestCitationsFormSet
    fields = readonly_fields = ("created_at", "kind", "position", "score", "answer")
    verbose_name_plural = f"latest citations in answers (newest {LATEST_CITATIONS})"

    @admin.display(description="interaction")
    def answer(self, citation: InteractionCitation) -> str:
        return _interaction_link(citation)


class NeverCitedFilter(admin.SimpleListFilter):
    """Documents that no answer has cited since their upload (or that some did)."""

    title = "cited"
    parameter_name = "cited"

    def lookups(self, request, model_admin):
        return [("never", "Never cited"), ("yes", "Cited")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        cited = InteractionCitation.objects.filter(
            document=OuterRef("pk"), kind=InteractionCitation.Kind.CITED
        )
        if self.value() == "never":
            return queryset.filter(~Exists(cited))
        if self.value() == "yes":
            return queryset.filter(Exists(cited))
        return queryset


@admin.register(InteractionCitation)
class InteractionCitationAdmin(ReadOnlyAdminMixin, CsvExportMixin, admin.ModelAdmin):
    """Every citation, newest first (index ``(created_at, kind, document_id)``):
    which file, which document (empty while unknown here), which answer. Search by
    OpenAI file id (exact) or file name."""

    list_display = [
        "created_at",
        "kind",
        "filename",
        "openai_file_id",
        "document",
        "answer",
        "position",
        "score",
    ]
    search_fields = ["=openai_file_id", "filename"]
    search_help_text = "An OpenAI file id (exact) or a file name (contains)."
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    show_full_result_count = False
    list_per_page = 50
    list_select_related = ["document"]

    @admin.display(description="interaction")
    def answer(self, citation: InteractionCitation) -> str:
        return _interaction_link(citation)
