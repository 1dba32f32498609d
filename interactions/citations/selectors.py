"""Reads of citations: with the history, per document, and across documents."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    QuerySet,
    Value,
)

from documents.models import Document
from documents.selectors import document_readable_q
from interactions.models import AIInteraction, InteractionCitation

CITED = InteractionCitation.Kind.CITED


def citations_for_reader(*, reader_id: str | None, sees_all: bool) -> QuerySet[InteractionCitation]:
    """Citations in reading order (``cited`` by position, then ``retrieved`` by
    rank), each annotated ``document_visible``: whether the reader may learn which
    document (and OpenAI file) it is.

    Args:
        reader_id: the signed-in reader's user id; None for an API-key caller.
        sees_all: True for API-key callers (the AI backend, which searched these
            files itself) and admins: every citation's document is visible.
            Otherwise a citation's document is visible when the reader owns it or
            holds a grant on it; a citation of a file unknown here is visible to
            no signed-in reader but an admin.

    Use it as the ``Prefetch`` queryset of ``AIInteraction.citations``: one query
    for a whole page of interactions.
    """
    qs = InteractionCitation.objects.order_by("interaction_id", "kind", "position", "pk")
    if sees_all or reader_id is None:
        return qs.annotate(document_visible=Value(True, output_field=BooleanField()))
    readable = document_readable_q(user_id=reader_id, via="document__")
    return qs.annotate(document_visible=ExpressionWrapper(readable, output_field=BooleanField()))


@dataclass(frozen=True)
class CitationStats:
    """How often a document was cited: ``citation_count`` answers (interactions)
    cited it, the last at ``last_cited_at`` (None: never)."""

    citation_count: int = 0
    last_cited_at: datetime | None = None


def document_citation_stats(*, document_ids: Iterable[Any]) -> dict[uuid.UUID, CitationStats]:
    """``CitationStats`` of each document in ``document_ids`` (absent: never cited).

    One query for any number of documents: ``COUNT(DISTINCT interaction_id)`` and
    ``MAX(created_at)`` of their ``cited`` rows grouped by document, read from the
    ``(document_id, kind, created_at, interaction_id)`` index.
    """
    ids = list(document_ids)
    if not ids:
        return {}
    rows = (
        InteractionCitation.objects.filter(document_id__in=ids, kind=CITED)
        .order_by()
        .values("document_id")
        .annotate(n=Count("interaction_id", distinct=True), last=Max("created_at"))
        .values_list("document_id", "n", "last")
    )
    return {document_id: CitationStats(n, last) for document_id, n, last in rows}


def document_citing_interactions(*, document: Document) -> QuerySet:
    """The interactions that cited ``document``, newest first, as rows
    ``{interaction_id, created_at, annotations, score}``: ``annotations`` is the
    number of the answer's ``file_citation`` annotations pointing at the document,
    ``score`` the file's best retrieval score (None when not sent).

    Grouped over the document's ``cited`` rows in index order (``document_id,
    kind, created_at DESC, interaction_id``), so a cursor page reads only its
    rows. Order for pagination: ``-created_at``, ``-interaction_id``.
    """
    return (
        InteractionCitation.objects.filter(document=document, kind=CITED)
        .values("interaction_id", "created_at")
        .annotate(annotations=Count("pk"), score=Max("score"))
        .order_by("-created_at", "-interaction_id")
    )


def interactions_by_id(*, ids: Iterable[Any]) -> dict[uuid.UUID, AIInteraction]:
    """The interactions ``ids`` with their sessions (one query)."""
    return {
        i.pk: i for i in AIInteraction.objects.filter(pk__in=list(ids)).select_related("session")
    }


def period_bounds(*, start: date, end: date) -> tuple[datetime, datetime]:
    """``[start 00:00 UTC, end + 1 day 00:00 UTC)``: inclusive UTC dates as a
    half-open range of instants."""
    return (
        datetime.combine(start, time.min, tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC),
    )


def most_cited_documents(*, start: date, end: date, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` documents cited by the most answers between the UTC dates
    ``start`` and ``end`` (inclusive), most first (ties: the latest cited first).

    Rows: ``{document_id, title, filename, owner_id, status, citation_count,
    last_cited_at}``; ``citation_count`` counts interactions, not annotations.
    One query over the ``(created_at, kind, document_id)`` index range of the
    period, joined to ``documents``. Citations of files unknown here are not
    ranked (they have no document yet).
    """
    since, until = period_bounds(start=start, end=end)
    rows = (
        InteractionCitation.objects.filter(
            kind=CITED, created_at__gte=since, created_at__lt=until, document__isnull=False
        )
        .order_by()
        .values(
            "document_id",
            "document__title",
            "document__filename",
            "document__owner_id",
            "document__status",
        )
        .annotate(
            citation_count=Count("interaction_id", distinct=True), last_cited_at=Max("created_at")
        )
        .order_by("-citation_count", "-last_cited_at", "document_id")[:limit]
    )
    return [
        {
            "document_id": row["document_id"],
            "title": row["document__title"],
            "filename": row["document__filename"],
            "owner_id": row["document__owner_id"],
            "status": row["document__status"],
            "citation_count": row["citation_count"],
            "last_cited_at": row["last_cited_at"],
        }
        for row in rows
    ]


def documents_never_cited() -> QuerySet[Document]:
    """Documents (not deleted) that no answer has cited since their upload,
    oldest first: ``NOT EXISTS`` a ``cited`` row, read from the
    ``(document_id, kind, …)`` index."""
    cited = InteractionCitation.objects.filter(document=OuterRef("pk"), kind=CITED)
    return (
        Document.objects.exclude(status=Document.Status.DELETED)
        .filter(~Exists(cited))
        .order_by("created_at", "pk")
    )
