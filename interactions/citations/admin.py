"""Admin pieces for citations, used by the interactions and documents admins:
the citations of an interaction, a document's latest citations, and the
"never cited" filter of documents. Read-only: citations are written with their
interaction by the API."""

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from interactions.models import InteractionCitation

LATEST_CITATIONS = 20  # shown on a document's page, newest first


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
            self._latest = super().get_queryset().order_by("-created_at", "-pk")[:LATEST_CITATIONS]
        return self._latest


class DocumentCitationInline(_ReadOnlyInline):
    """On a document's page: its newest ``LATEST_CITATIONS`` citations (one short
    query on the ``(document_id, kind, created_at)`` index's table), each linking
    to the interaction."""

    formset = _LatestCitationsFormSet
    fields = readonly_fields = ("created_at", "kind", "position", "score", "answer")
    verbose_name_plural = f"latest citations (newest {LATEST_CITATIONS})"

    @admin.display(description="interaction")
    def answer(self, citation: InteractionCitation) -> str:
        url = reverse("admin:interactions_aiinteraction_change", args=[citation.interaction_id])
        return format_html('<a href="{}">{}</a>', url, citation.interaction_id)


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
