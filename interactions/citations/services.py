"""Writes of citations: the rows of one interaction, and their later link to a
document.

Shapes come from OpenAI's Responses API: ``file_citation`` annotations of an
``output_text`` part (``{"type": "file_citation", "file_id", "filename",
"index"}``) and, with ``include=["file_search_call.results"]``, the
``file_search_call.results`` entries (``file_id``, ``filename``, ``score``,
``attributes``, ``text``).
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.models import Exists, Model, OuterRef, Subquery
from django.db.models.sql import InsertQuery

from documents.models import Document
from interactions.models import AIInteraction, InteractionCitation

# Most annotations, and most search results, one interaction may carry.
MAX_CITATIONS = 100


def _document_of(file_id: str) -> Subquery:
    # Resolved inside the INSERT itself (a scalar subquery on the unique
    # openai_file_id index): linking costs no statement of its own.
    return Subquery(Document.objects.filter(openai_file_id=file_id).order_by().values("pk")[:1])


def citation_rows_build(
    *,
    citations: Iterable[Mapping[str, Any]] = (),
    retrieved: Iterable[Mapping[str, Any]] = (),
) -> list[InteractionCitation]:
    """The rows to store for one answer (not saved, no interaction set).

    Args:
        citations: ``file_citation`` annotations (``file_id``, ``filename``,
            ``index``), already validated. One ``cited`` row each, in the order
            given; an annotation repeated with the same ``file_id`` and ``index``
            is stored once.
        retrieved: ``file_search_call.results`` entries (``file_id``,
            ``filename``, ``score``), in OpenAI's order (best first). Results of
            files the answer cites give those ``cited`` rows their ``score`` (the
            file's best). The other files get one ``retrieved`` row each, with
            the rank and score of their best chunk. Chunk ``text`` and
            ``attributes`` are not stored.

    Returns: ``cited`` rows by position, then ``retrieved`` rows by rank
    (``document`` still unresolved).
    Raises: ValidationError (400) naming ``citations`` or ``retrieved`` when one
    holds more than ``MAX_CITATIONS`` items.
    """
    citations, retrieved = list(citations), list(retrieved)
    for name, items in (("citations", citations), ("retrieved", retrieved)):
        if len(items) > MAX_CITATIONS:
            raise ValidationError(
                {name: ValidationError(f"At most {MAX_CITATIONS} items.", code="max_length")}
            )
    best: dict[str, tuple[float | None, int, str]] = {}
    for rank, result in enumerate(retrieved):
        file_id, score = result["file_id"], result.get("score")
        previous = best.get(file_id)
        if previous is None or (score is not None and (previous[0] is None or score > previous[0])):
            best[file_id] = (score, rank, result.get("filename") or "")
    rows: list[InteractionCitation] = []
    seen: set[tuple[str, int]] = set()
    for annotation in sorted(citations, key=lambda a: a["index"]):
        key = (annotation["file_id"], annotation["index"])
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            InteractionCitation(
                openai_file_id=annotation["file_id"],
                filename=annotation.get("filename") or "",
                kind=InteractionCitation.Kind.CITED,
                position=annotation["index"],
                score=best[annotation["file_id"]][0] if annotation["file_id"] in best else None,
            )
        )
    cited_files = {file_id for file_id, _index in seen}
    for file_id, (score, rank, filename) in best.items():
        if file_id in cited_files:
            continue
        rows.append(
            InteractionCitation(
                openai_file_id=file_id,
                filename=filename,
                kind=InteractionCitation.Kind.RETRIEVED,
                position=rank,
                score=score,
            )
        )
    return rows


def interaction_citations_insert(
    *, interaction: AIInteraction, rows: list[InteractionCitation], created_at: datetime
) -> list[InteractionCitation]:
    """Insert ``rows`` for ``interaction`` in ONE statement and return them saved.

    ``INSERT INTO interaction_citations (…) VALUES (…, (SELECT id FROM documents
    WHERE openai_file_id = %s LIMIT 1)), … RETURNING id, document_id``: each row
    is linked to the document holding its file, in the same statement. Runs in
    the caller's transaction (``ai_interaction_log``'s), so the rows exist
    exactly when the interaction does.

    Returns: the rows with ``pk`` and ``document_id`` set (an empty list, and no
    statement, for no rows).
    """
    if not rows:
        return []
    model = InteractionCitation
    using = router.db_for_write(model)
    connection = connections[using]
    for row in rows:
        row.interaction = interaction
        row.created_at = created_at
        row.document_id = _document_of(row.openai_file_id)  # type: ignore[assignment]
    fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
    query = InsertQuery(model)
    query.insert_values(fields, list[Model](rows))
    ((sql, params),) = query.get_compiler(using=using).as_sql()
    quote = connection.ops.quote_name
    sql += f" RETURNING {quote('id')}, {quote('document_id')}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    to_uuid = Document._meta.pk.to_python  # SQLite returns the hex text
    for row, (pk, document_id) in zip(rows, returned, strict=True):
        row.pk = pk
        row.document_id = None if document_id is None else to_uuid(document_id)
        row._state.adding = False
    return rows


def interaction_citations_link() -> int:
    """Link citations written while their file was unknown here to the documents
    that now hold those files, in ONE set-based statement::

        UPDATE interaction_citations SET document_id = (SELECT id FROM documents
            WHERE openai_file_id = interaction_citations.openai_file_id)
        WHERE document_id IS NULL AND EXISTS (SELECT 1 FROM documents
            WHERE openai_file_id = interaction_citations.openai_file_id)

    Its cost follows the unlinked citations only (the partial index on
    ``openai_file_id WHERE document_id IS NULL``), which stay few: every file
    of our vector store becomes a document at the next sync. The registry sync
    runs it on every run, so a citation committed while the sync was recording
    its file is linked by the next run.

    Returns: the number of citations linked.
    """
    document = (
        Document.objects.filter(openai_file_id=OuterRef("openai_file_id")).order_by().values("pk")
    )
    return (
        InteractionCitation.objects.filter(document__isnull=True)
        .filter(Exists(document))
        .update(document_id=Subquery(document[:1]))
    )
