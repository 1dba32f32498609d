"""Writes of AI sessions and interactions (``ai_sessions``, ``ai_interactions``).

The old chat backend's failure: the session id the frontend got never reached ``ai_sessions``,
so logging an interaction broke the foreign key with a 500. Here a session is
created with the id the caller gives (idempotently, race-safely), and logging an
interaction for an unknown session id creates the session in the same
transaction: the foreign key always holds, also when requests race.
"""

import uuid
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from common.db import insert_or_read, insert_sql, prepared_cursor
from common.exceptions import ConflictError
from interactions.citations.services import citation_rows_build, interaction_citations_insert
from interactions.models import AIInteraction, AISession, InteractionCitation
from sessions_app.models import CustomerSession
from usage.models import UsageLog
from usage.services import (
    SHAPE_CHAT,
    TokenUsage,
    usage_log_build,
    usage_log_insert,
    usage_log_statement_parts,
    usage_normalize,
    usage_written_done,
    usage_written_statement_parts,
)


def _as_uuid(value: object) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError(
            {"session_id": ValidationError("Must be a valid UUID.", code="invalid")}
        ) from None


def _check_customer_session(customer_session_id: uuid.UUID | str | None) -> None:
    # Checked up front: Django's foreign keys are DEFERRABLE on Postgres, so a
    # dangling id would only fail at COMMIT, as a 500.
    if customer_session_id and not CustomerSession.objects.filter(pk=customer_session_id).exists():
        raise ValidationError(
            {"customer_session_id": ValidationError("No such customer session.", code="not_found")}
        )


def ai_session_get_or_create(
    *,
    session_id: uuid.UUID | str | None = None,
    user_id: str | None = None,
    channel: str | None = None,
    title: str | None = None,
    customer_session_id: uuid.UUID | str | None = None,
    openai_conversation_id: str | None = None,
    owner_only: bool = False,
) -> tuple[AISession, bool]:
    """Create the AI session ``session_id`` (a new UUID when None), or return it.

    Idempotent: an existing id comes back unchanged with ``created=False``, no
    error and no second row. Race-safe (``common.db.insert_or_read`` on the
    primary key): a concurrent insert of the same id waits for the other
    transaction and then reads its row; ``created`` comes from the INSERT's
    ``RETURNING``.

    Args:
        session_id: the frontend's UUID, or None for a new one.
        user_id: the owner (≤ 100 chars, e.g. a Supabase user id), stored on a new row.
        channel, title, customer_session_id, openai_conversation_id: stored on a
            new row only (an existing row comes back unchanged).
        owner_only: when True (a signed-in user creating their own session), an
            existing session owned by anyone else (or no one) is a conflict.

    Returns: ``(session, created)``.
    Raises: ValidationError (400) for a non-UUID ``session_id`` or an unknown
    ``customer_session_id``;
    ConflictError (409, code ``session_id_taken``) when ``owner_only`` and the
    id belongs to someone else.
    """
    _check_customer_session(customer_session_id)
    now = timezone.now()
    candidate = AISession(
        id=_as_uuid(session_id) if session_id else uuid.uuid4(),
        user_id=user_id,
        channel=channel,
        title=title,
        customer_session_id=customer_session_id,
        openai_conversation_id=openai_conversation_id,
        created_at=now,
        updated_at=now,
    )
    session, created = insert_or_read(candidate, conflict="id")
    if owner_only and not created and session.user_id != user_id:
        raise ConflictError(
            "This session id is already used by another user.", code="session_id_taken"
        )
    return session, created


@dataclass(frozen=True)
class InteractionLogged:
    """What ``ai_interaction_log`` did: the interaction, its usage row (or None when
    no usage was given), its citations, and whether the request was a duplicate of
    an earlier one (then all are the earlier rows and nothing was written)."""

    interaction: AIInteraction
    usage_log: UsageLog | None
    duplicate: bool = False
    citations: list[InteractionCitation] = field(default_factory=list)


class _DuplicateRequest(Exception):
    """Raised inside the transaction to roll back a duplicate request's writes."""


def ai_interaction_log(
    *,
    session_id: uuid.UUID | str,
    prompt: str,
    response: str,
    model_used: str | None = None,
    usage: dict | TokenUsage | None = None,
    tokens_used: int | None = None,
    user_id: str | None = None,
    channel: str | None = None,
    openai_conversation_id: str | None = None,
    latency_ms: int | None = None,
    openai_response_id: str | None = None,
    finish_reason: str | None = None,
    response_model: str | None = None,
    service: str | None = None,
    request_id: str | None = None,
    reported_cost_usd: Decimal | None = None,
    metadata: dict | None = None,
    citations: Sequence[Mapping] = (),
    retrieved: Sequence[Mapping] = (),
) -> InteractionLogged:
    """Log one exchange: ensure the session, write the interaction and its usage row.

    All or nothing, in ONE statement on PostgreSQL (``_interaction_write``): the
    session upsert (``INSERT ai_sessions … ON CONFLICT DO UPDATE`` that counts
    ``interaction_count`` up, moves ``last_interaction_at``/``updated_at`` forward
    to now — ``GREATEST``: a call that waited for the row lock never sets them
    back — and fills a missing ``user_id``/``channel``/``openai_conversation_id``),
    ``INSERT ai_interactions`` and ``INSERT usage_logs`` priced by genai-prices,
    with the usage rollups, the owner's budget check and alerts; without
    citations and outside a caller's transaction it is atomic on its own (no
    BEGIN/COMMIT). With citations, one more INSERT in one transaction. New alerts
    are mailed to the admins after commit. Ten concurrent calls for one new
    session id give one session row, ten interactions and ten usage rows.

    Args:
        session_id: the AI session (created when unknown, owned by ``user_id``).
        prompt, response: the texts, stored exactly as given; "" is a valid text
            (OpenAI answers with empty content for tool calls or a content filter).
        model_used: the requested model (≤ 50 chars, the column's original width).
        usage: OpenAI's ``usage`` object (Chat Completions or Responses shape) or a
            TokenUsage; None writes no usage row.
        tokens_used: total tokens when no ``usage`` is given (else usage's total).
        user_id: the session's owner when it has none yet; it never replaces an
            owner. The usage row is attributed to the session's owner after this
            call (the existing owner wins over a different ``user_id``; that
            ``user_id`` is then kept as ``requested_user_id`` in the usage row's
            metadata).
        channel, openai_conversation_id: stored on the session when it has none
            (never overwritten).
        response_model: the model the API answered with (priced in preference).
        service: usage service, default ``responses``/``chat`` from the usage shape.
        request_id: idempotency key of the call, recorded on the usage row;
            defaults to ``openai_response_id``. Needs ``usage``: without a usage row
            there is nothing to deduplicate on.
        latency_ms: milliseconds; reported_cost_usd: USD, kept apart from the cost.
        citations, retrieved: the answer's ``file_citation`` annotations and the
            ``file_search_call.results`` entries (validated by the caller: at most
            ``MAX_CITATIONS`` each); stored as ``interaction_citations`` rows by ONE
            more ``INSERT`` in the same transaction, each linked to the document
            holding its file (see ``citation_rows_build``). None sent: no statement.

    Returns: InteractionLogged. A ``request_id`` already in ``usage_logs``: the
    first interaction and usage row stand and come back with ``duplicate=True``
    (this call's writes are rolled back; the race is decided by the unique index).
    Without ``usage`` there is no usage row, so an ``openai_response_id`` alone is
    stored on the interaction but does not deduplicate.
    Raises: ValidationError (400) naming the field for a non-UUID session id, bad
    usage, or a ``request_id`` without ``usage``; ConflictError (409,
    ``duplicate_request_id``) when the request_id belongs to a usage row that is
    not an interaction's.
    """
    tokens = None
    if usage is not None and not isinstance(usage, TokenUsage):
        tokens = usage_normalize(usage)
    elif usage is not None:
        tokens = usage
    if request_id and tokens is None:
        raise ValidationError(
            {
                "request_id": ValidationError(
                    "request_id needs usage: duplicates are detected on the usage row, "
                    "which is only written when usage is sent.",
                    code="requires_usage",
                )
            }
        )
    session_pk = _as_uuid(session_id)
    citation_rows = citation_rows_build(citations=citations, retrieved=retrieved)
    now = timezone.now()
    log = None
    if tokens is not None:
        # Priced before the transaction: no lock is held while genai-prices works.
        log = usage_log_build(
            service=service or ("chat" if tokens.shape == SHAPE_CHAT else "responses"),
            usage=tokens,
            request_model=model_used,
            response_model=response_model,
            latency_ms=latency_ms,
            request_id=request_id or openai_response_id,
            reported_cost_usd=reported_cost_usd,
            created_at=now,
        )
    session = AISession(
        id=session_pk,
        user_id=user_id,
        channel=channel,
        openai_conversation_id=openai_conversation_id,
        created_at=now,
        updated_at=now,
        last_interaction_at=now,
        interaction_count=1,
    )
    interaction = AIInteraction(
        session_id=session_pk,
        prompt=prompt,
        response=response,
        model_used=model_used,
        tokens_used=tokens.total_tokens if tokens is not None else tokens_used,
        created_at=now,
        openai_response_id=openai_response_id,
        latency_ms=latency_ms,
        finish_reason=finish_reason,
        input_tokens=tokens.input_tokens if tokens else None,
        cached_input_tokens=tokens.cached_input_tokens if tokens else None,
        output_tokens=tokens.output_tokens if tokens else None,
        reasoning_output_tokens=tokens.reasoning_output_tokens if tokens else None,
        metadata=metadata or {},
    )
    if log is not None:
        log.ai_session_id = session_pk
        log.interaction_id = interaction.pk
    # All or nothing, and a duplicate aborts nothing else. PostgreSQL without
    # citations, outside a caller's transaction: the one statement is atomic on its
    # own (no BEGIN and COMMIT round trips). Otherwise one transaction (a savepoint
    # inside a caller's).
    alone = (
        connection.vendor == "postgresql" and not citation_rows and not connection.in_atomic_block
    )
    try:
        with nullcontext() if alone else transaction.atomic():
            _interaction_write(session=session, interaction=interaction, log=log)
            interaction_citations_insert(
                interaction=interaction, rows=citation_rows, created_at=now
            )
    except (_DuplicateRequest, IntegrityError):
        first = None
        if log is not None and log.request_id is not None:
            first = (
                UsageLog.objects.select_related("interaction")
                .filter(request_id=log.request_id)
                .first()
            )
        if first is None or log is None:
            raise  # not a repeated request_id: a real error
        if first.interaction is None:
            raise ConflictError(
                f"request_id {log.request_id!r} is already recorded for another call.",
                code="duplicate_request_id",
            ) from None
        return InteractionLogged(
            first.interaction,
            first,
            duplicate=True,
            citations=list(first.interaction.citations.order_by("kind", "position", "pk")),
        )
    return InteractionLogged(interaction, log, citations=citation_rows)


# The session of a logged interaction: inserted with interaction_count 1, or, when
# it exists, counted up with its last activity moved forward to now (never back: a
# call that waited for the row lock may carry an earlier instant) and a missing
# owner, channel or conversation id filled in (never overwritten).
_SESSION_UPSERT = (
    'ON CONFLICT ("id") DO UPDATE SET '
    '"interaction_count" = "ai_sessions"."interaction_count" + 1, '
    '"last_interaction_at" = {greatest}(COALESCE("ai_sessions"."last_interaction_at", '
    'EXCLUDED."last_interaction_at"), EXCLUDED."last_interaction_at"), '
    '"updated_at" = {greatest}("ai_sessions"."updated_at", EXCLUDED."updated_at"), '
    '"user_id" = COALESCE("ai_sessions"."user_id", EXCLUDED."user_id"), '
    '"channel" = COALESCE("ai_sessions"."channel", EXCLUDED."channel"), '
    '"openai_conversation_id" = COALESCE("ai_sessions"."openai_conversation_id", '
    'EXCLUDED."openai_conversation_id") '
    'RETURNING "user_id"'
)


_METADATA = UsageLog._meta.get_field("metadata")
# The usage row's owner is known only inside the statement, from the upsert's
# RETURNING. RawSQL: fixed SQL, the values are parameters.
_OWNER_SQL = '(SELECT "user_id" FROM s)'
_USAGE_FROM_STATEMENT = {
    "user_id": RawSQL(_OWNER_SQL, [], output_field=UsageLog._meta.get_field("user_id")),  # noqa: S611
    # The same id, read from the interaction's INSERT: so that it runs before the
    # usage row's (an unread CTE would run last, while the rollups' row locks are
    # held).
    "interaction_id": RawSQL(
        '(SELECT "id" FROM i)', [], output_field=UsageLog._meta.get_field("interaction_id")
    ),
}


def _interaction_write(
    *, session: AISession, interaction: AIInteraction, log: UsageLog | None
) -> None:
    """Write the session upsert, the interaction and its usage row, all or nothing.

    PostgreSQL: ONE statement, parts of a data-modifying ``WITH``: the three
    writes, the usage row taking the session's owner from the upsert's
    ``RETURNING`` (``usage_log_statement_parts``), then the usage rollup levels,
    the owner's budget check and alerts (``usage_written_statement_parts``); the
    statement is atomic on its own, or runs in the caller's transaction when
    there is one. Elsewhere (SQLite, inside ``ai_interaction_log``'s
    transaction): the same writes as separate statements, the usage row through
    ``usage_log_insert``.

    ``log.user_id`` becomes the session's owner after the upsert; a different
    ``user_id`` the caller sent (``session.user_id``) is kept as
    ``requested_user_id`` in the usage row's metadata.

    Raises: IntegrityError (PostgreSQL) or _DuplicateRequest (elsewhere) when the
    usage row's ``request_id`` is recorded already; nothing is written then.
    """
    postgres = connection.vendor == "postgresql"
    upsert = _SESSION_UPSERT.format(greatest="GREATEST" if postgres else "MAX")
    session_sql, params = insert_sql(session)
    requested = session.user_id
    if not postgres:
        with connection.cursor() as cursor:
            cursor.execute(f"{session_sql} {upsert}", params)
            (owner,) = cursor.fetchone()
            interaction.save(force_insert=True)
            if log is not None:
                _usage_owner_set(log, owner=owner, requested=requested)
                row, created = usage_log_insert(log=log)
                if not created:
                    raise _DuplicateRequest
                log.budget_exceeded = row.budget_exceeded
        return

    interaction_sql, interaction_params = insert_sql(interaction)
    parts = [f"s AS ({session_sql} {upsert})", f'i AS ({interaction_sql} RETURNING "id")']
    params += interaction_params
    final = ['"user_id"']
    if log is not None:
        expressions = dict(_USAGE_FROM_STATEMENT)
        if requested:
            expressions["metadata"] = RawSQL(  # noqa: S611
                f"(CASE WHEN {_OWNER_SQL} IS DISTINCT FROM %s THEN %s ELSE %s END)",
                [
                    requested,
                    _METADATA.get_db_prep_value(
                        {**log.metadata, "requested_user_id": requested}, connection
                    ),
                    _METADATA.get_db_prep_value(log.metadata, connection),
                ],
                output_field=_METADATA,
            )
        for part, part_params in usage_log_statement_parts(log, name="u", expressions=expressions):
            parts.append(part)
            params += part_params
        # The usage rollups in the same statement; whose budgets to check after it.
        written, probe = usage_written_statement_parts(source="u")
        parts += written
        final.append(probe)
    # Prepared where allowed: PostgreSQL parses and plans the 10 KB statement once
    # per connection instead of on every call (about two thirds of its CPU).
    with prepared_cursor() as cursor:
        # The parts are Django's compiled INSERTs and the usage app's statement
        # parts; every value is a parameter.
        sql = f"WITH {', '.join(parts)} SELECT {', '.join(final)} FROM s"  # noqa: S608
        cursor.execute(sql, params)
        owner, *results = cursor.fetchone()
    if log is not None:
        _usage_owner_set(log, owner=owner, requested=requested)
        exceeded = usage_written_done(users=results[0], now=log.created_at)
        log.budget_exceeded = log.user_id in exceeded


def _usage_owner_set(log: UsageLog, *, owner: str | None, requested: str | None) -> None:
    log.user_id = owner
    if requested and requested != owner:
        log.metadata["requested_user_id"] = requested
