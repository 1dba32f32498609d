"""AI chat sessions and their interactions (``ai_sessions``, ``ai_interactions``).

String columns are NULL when unknown (the original SQL's `user_id VARCHAR(100) NULL`, `model_used
VARCHAR(50)`), hence `null=True` on CharFields (ruff DJ001 silenced on purpose).

Table and column names are the original SQL's (``ai_sessions``, ``ai_interactions``); the
AI backend and SQL readers already depend on them. Extra columns are nullable, or
NOT NULL with a database default (``db_default``), so an ``INSERT`` that names only
the original SQL's columns still works; Django itself writes the Python ``default``.
"""

import uuid

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class AISession(models.Model):
    """One conversation between a user (or an anonymous visitor) and the assistant.

    ``id`` is the id the frontend got from ``POST /session/create`` (the old
    frontend's id must be the row's id). ``interaction_count`` and
    ``last_interaction_at`` are kept in step by ``ai_interaction_log`` (an F()
    increment in the interaction's transaction); ``updated_at`` is the last activity
    and orders the session list.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    # db_default: the old chat backend's inserts may omit the timestamps (its columns have no
    # default there); Django writes timezone.now() itself.
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(default=timezone.now, db_default=Now())
    # Extras (nullable): what the admin and the lists need.
    title = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    channel = models.CharField(  # noqa: DJ001
        max_length=32,
        null=True,
        blank=True,
        help_text="kiosk, whatsapp, website, chat, web, ios, … (free slug)",
    )
    customer_session = models.ForeignKey(
        "sessions_app.CustomerSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="customer_session_id",
        related_name="ai_sessions",
    )
    openai_conversation_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    # NOT NULL with a database default too, so an INSERT naming only the original
    # columns (as the old chat backend's db_service wrote them) works.
    interaction_count = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "ai_sessions"
        verbose_name = "AI session"
        ordering = ["-updated_at"]
        indexes = [
            # The list: newest activity first, optionally one user's / one channel's.
            models.Index(fields=["-updated_at"], name="ai_sessions_updated_idx"),
            models.Index(fields=["user_id", "-updated_at"], name="ai_sessions_user_updated_idx"),
            models.Index(fields=["channel", "-updated_at"], name="ai_sessions_chan_updated_idx"),
            models.Index(fields=["created_at"], name="ai_sessions_created_idx"),
        ]

    def __str__(self) -> str:
        return str(self.id)


class AIInteraction(models.Model):
    """One prompt and the assistant's response, with the call's token split.

    ``tokens_used`` is the call's total tokens (the old chat backend's readers use it); the
    split follows the OpenTelemetry GenAI terms: ``input_tokens`` includes
    ``cached_input_tokens``, ``output_tokens`` includes ``reasoning_output_tokens``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(
        AISession,
        on_delete=models.CASCADE,
        db_column="session_id",
        related_name="interactions",
        db_index=False,  # the (session_id, created_at) index below serves it
    )
    prompt = models.TextField()
    response = models.TextField()
    model_used = models.CharField(max_length=50, null=True, blank=True)  # noqa: DJ001
    tokens_used = models.IntegerField(null=True, blank=True, help_text="total tokens")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    # Extras (nullable).
    openai_response_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    cached_input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    reasoning_output_tokens = models.PositiveIntegerField(null=True, blank=True)
    # NOT NULL with a database default ({}): the old chat backend's inserts do not name it.
    metadata = models.JSONField(default=dict, db_default={}, blank=True)

    class Meta:
        db_table = "ai_interactions"
        verbose_name = "AI interaction"
        ordering = ["created_at"]
        indexes = [
            # History by (session_id, created_at).
            models.Index(fields=["session", "created_at"], name="ai_interactions_session_idx"),
            models.Index(fields=["model_used", "created_at"], name="ai_interactions_model_idx"),
            # Interactions per day and model (the admin's dashboard): read from the
            # index alone on PostgreSQL (created_at and model_used never change).
            models.Index(
                fields=["created_at"], include=["model_used"], name="ai_interactions_created_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} @ {self.created_at:%Y-%m-%d %H:%M:%S}"


class InteractionCitation(models.Model):
    """A document behind an answer: a ``file_citation`` annotation of the answer
    (``cited``) or a ``file_search`` result the answer did not cite
    (``retrieved``).

    OpenAI's Responses API marks the sentences of an ``output_text`` that rest on
    a file with ``{"type": "file_citation", "file_id", "filename", "index"}``
    annotations; with ``include=["file_search_call.results"]`` the
    ``file_search_call`` also lists the chunks it retrieved (``file_id``,
    ``filename``, ``score``, ``attributes``, ``text``).

    - ``cited``: one row per annotation; ``position`` is the annotation's
      ``index`` (a character offset in the answer's text) and ``score`` the best
      score of that file among the retrieved results (NULL when not sent).
    - ``retrieved``: one row per file that the search returned and the answer did
      not cite; ``position`` is the rank of its best chunk in the results (0 =
      first) and ``score`` that chunk's score. The chunk text is not stored.

    ``document`` is the document whose ``openai_file_id`` matches, NULL while the
    file is unknown here; ``sync_openai_files`` links such rows when it records
    the file. ``openai_file_id`` and ``filename`` are kept as OpenAI gave them, so
    a citation still says which file it was after its document is gone.
    """

    class Kind(models.TextChoices):
        CITED = "cited", "Cited"
        RETRIEVED = "retrieved", "Retrieved"

    interaction = models.ForeignKey(
        AIInteraction,
        on_delete=models.CASCADE,
        db_column="interaction_id",
        related_name="citations",
        db_index=False,  # the (interaction_id, kind, position) index leads with it
    )
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="document_id",
        related_name="citations",
        db_index=False,  # the (document_id, kind, created_at) index leads with it
        help_text="empty while the OpenAI file is unknown here",
    )
    openai_file_id = models.CharField(max_length=128, verbose_name="OpenAI file id")
    filename = models.CharField(max_length=255, blank=True, default="")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    position = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="cited: the annotation's character index in the answer; "
        "retrieved: the rank in the search results (0 = first)",
    )
    score = models.FloatField(null=True, blank=True, help_text="file_search relevance score")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = "interaction_citations"
        verbose_name = "citation"
        ordering = ["interaction", "kind", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["cited", "retrieved"]),
                name="interaction_citations_kind_valid",
            ),
        ]
        indexes = [
            # The citations of an interaction (the history page, the admin).
            models.Index(
                fields=["interaction", "kind", "position"], name="interaction_citations_inter"
            ),
            # The interactions that cited a document, newest first; its counts.
            models.Index(
                fields=["document", "kind", "-created_at", "interaction"],
                name="interaction_citations_doc",
            ),
            # Most cited documents of a period; the admin's list, newest first.
            models.Index(
                fields=["created_at", "kind", "document"], name="interaction_citations_period"
            ),
            # Citations of files not known yet, linked by the registry sync.
            models.Index(
                fields=["openai_file_id"],
                condition=models.Q(document__isnull=True),
                name="interaction_citations_unlinked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename or self.openai_file_id}"
