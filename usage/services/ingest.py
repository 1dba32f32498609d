"""Writes of usage rows, and the reading of OpenAI's usage objects.

- ``usage_normalize(raw)`` reads the ``usage`` object of either OpenAI API shape
  into OpenTelemetry GenAI token counts (or raises a 400 naming the field);
- ``usage_log_build(...)`` prices a call with genai-prices (``usage.pricing``);
- ``usage_logs_insert(logs=...)`` writes rows race-safely on ``request_id`` and,
  in the same transaction, adds them to the rollups and checks the users'
  budgets (alerts); ``usage_log_insert(log=...)`` is its one-row form;
- ``usage_log_create(...)`` normalises, prices and inserts one call;
- ``usage_events_ingest(events=...)``: the batch endpoint's validation and
  all-or-nothing write (PostgreSQL: one statement for the rows and the rollups);
- ``usage_log_statement_parts`` / ``usage_written_statement_parts`` /
  ``usage_written_done``: the same write as parts of another app's statement
  (the logged interaction's).
"""

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.db import INTEGER_MAX, insert_new_rows, insert_or_read, insert_sql
from usage.models import UsageLog
from usage.pricing import PRICE_SOURCE, price_call, price_version

# The two shapes of OpenAI's ``usage`` object.
# Chat Completions: https://platform.openai.com/docs/api-reference/chat/object#chat/object-usage
# Responses: https://platform.openai.com/docs/api-reference/responses/object#responses/object-usage
SHAPE_CHAT = "chat_completions"
SHAPE_RESPONSES = "responses"
_SHAPES = {
    # shape: (input key, output key, input details key, output details key, output required)
    SHAPE_CHAT: (
        "prompt_tokens",
        "completion_tokens",
        "prompt_tokens_details",
        "completion_tokens_details",
        False,  # embeddings answer {prompt_tokens, total_tokens} only
    ),
    SHAPE_RESPONSES: (
        "input_tokens",
        "output_tokens",
        "input_tokens_details",
        "output_tokens_details",
        True,
    ),
}
# Token counts above this are refused: PositiveIntegerField is a 32-bit column.
MAX_TOKENS = INTEGER_MAX


@dataclass(frozen=True)
class TokenUsage:
    """One call's tokens in OpenTelemetry GenAI terms.

    ``input_tokens`` includes ``cached_input_tokens``; ``output_tokens`` includes
    ``reasoning_output_tokens``; ``total_tokens`` as reported (else input + output).
    ``shape`` is the OpenAI shape it was read from.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0
    total_tokens: int = 0
    shape: str = SHAPE_RESPONSES


def _count(
    errors: dict, container: dict, key: str, path: tuple[str, ...], *, required: bool
) -> int:
    """A non-negative integer token count from ``container[key]``; records an error
    under ``<path>.<key>`` (the name is built only then) and returns 0 when it is
    missing, not an integer or out of range."""
    value = container.get(key)
    # JSON true/false are ints in Python (``type`` is then bool); 1.0 and "12" are not
    # token counts either.
    if type(value) is int and 0 <= value <= MAX_TOKENS:
        return value
    attr = ".".join((*path, key))
    if value is None:
        if required:
            errors[attr] = ValidationError("This field is required.", code="required")
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        errors[attr] = ValidationError("A token count must be an integer.", code="invalid")
        return 0
    if value < 0 or value > MAX_TOKENS:
        errors[attr] = ValidationError(
            f"A token count must be between 0 and {MAX_TOKENS}.", code="out_of_range"
        )
        return 0
    return value  # an int subclass in range


def _details(errors: dict, raw: dict, key: str, field: str) -> dict:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors[f"{field}.{key}"] = ValidationError("Expected a JSON object.", code="invalid")
        return {}
    return value


def usage_normalize(raw: Any, *, field: str = "usage") -> TokenUsage:
    """Read an OpenAI ``usage`` object of either API shape.

    Chat Completions (and Embeddings): ``prompt_tokens``, ``completion_tokens``
    (optional for embeddings), ``total_tokens``, ``prompt_tokens_details.cached_tokens``,
    ``completion_tokens_details.reasoning_tokens``.
    Responses: ``input_tokens``, ``output_tokens``, ``total_tokens``,
    ``input_tokens_details.cached_tokens``, ``output_tokens_details.reasoning_tokens``.
    Other keys (audio tokens, prediction tokens, …) are ignored; they are already
    part of the counts above.

    Returns: TokenUsage (cached tokens stay included in ``input_tokens``, reasoning
    tokens in ``output_tokens``, as OpenAI reports them).
    Raises: django ValidationError naming the field (``usage``,
    ``usage.prompt_tokens``, ``usage.input_tokens_details.cached_tokens``, …) for
    an unknown or mixed shape, a missing count, a count that is not an integer in
    0 … 2,147,483,647, cached/reasoning tokens larger than their total, a reported
    ``total_tokens`` below input + output (``usage.total_tokens``), or, without a
    reported total, input + output above 2,147,483,647 (``usage``). Nothing is
    clamped.
    """
    return TokenUsage(*_usage_counts(raw, field))


def _usage_counts(raw: Any, field: str) -> tuple[int, int, int, int, int, str]:
    """``usage_normalize``'s reading as a tuple in ``TokenUsage``'s field order
    (input, cached input, output, reasoning output, total tokens, shape); the same
    errors. The batch endpoint uses it as is: no TokenUsage per event."""
    if not isinstance(raw, dict):
        raise ValidationError({field: ValidationError("Expected a JSON object.", code="invalid")})
    is_chat = "prompt_tokens" in raw or "completion_tokens" in raw
    is_responses = "input_tokens" in raw or "output_tokens" in raw
    if is_chat == is_responses:
        detail = (
            "Mixes Chat Completions (prompt_tokens, completion_tokens) and Responses "
            "(input_tokens, output_tokens) fields."
            if is_chat
            else "Unknown usage shape: expected Chat Completions (prompt_tokens, "
            "completion_tokens) or Responses (input_tokens, output_tokens) usage."
        )
        raise ValidationError({field: ValidationError(detail, code="unknown_usage_shape")})
    shape = SHAPE_CHAT if is_chat else SHAPE_RESPONSES
    in_key, out_key, in_details_key, out_details_key, out_required = _SHAPES[shape]

    errors: dict = {}
    path = (field,)
    input_tokens = _count(errors, raw, in_key, path, required=True)
    output_tokens = _count(errors, raw, out_key, path, required=out_required)
    in_details = _details(errors, raw, in_details_key, field)
    out_details = _details(errors, raw, out_details_key, field)
    cached = _count(errors, in_details, "cached_tokens", (field, in_details_key), required=False)
    reasoning = _count(
        errors, out_details, "reasoning_tokens", (field, out_details_key), required=False
    )
    total = _count(errors, raw, "total_tokens", path, required=False)
    if not errors:
        if cached > input_tokens:
            errors[f"{field}.{in_details_key}.cached_tokens"] = ValidationError(
                f"cached_tokens ({cached}) cannot exceed {in_key} ({input_tokens}).",
                code="invalid",
            )
        if reasoning > output_tokens:
            errors[f"{field}.{out_details_key}.reasoning_tokens"] = ValidationError(
                f"reasoning_tokens ({reasoning}) cannot exceed {out_key} ({output_tokens}).",
                code="invalid",
            )
        # OpenAI's total is input + output in both shapes (embeddings: input only).
        # A larger reported total is kept as reported; a smaller one is a broken object.
        both = input_tokens + output_tokens
        if raw.get("total_tokens") is None:
            if both > MAX_TOKENS:
                errors[field] = ValidationError(
                    f"{in_key} + {out_key} ({both}) exceeds the largest total that can be "
                    f"stored ({MAX_TOKENS}).",
                    code="out_of_range",
                )
            total = both
        elif total < both:
            errors[f"{field}.total_tokens"] = ValidationError(
                f"total_tokens ({total}) cannot be less than {in_key} + {out_key} ({both}).",
                code="invalid",
            )
    if errors:
        raise ValidationError(errors)
    return input_tokens, cached, output_tokens, reasoning, total, shape


def _log_values(
    *,
    service: str,
    usage: TokenUsage,
    request_model: str | None,
    response_model: str | None = None,
    provider: str = "openai",
    operation: str | None = None,
    user_id: str | None = None,
    ai_session_id: uuid.UUID | str | None = None,
    interaction_id: uuid.UUID | str | None = None,
    reported_cost_usd: Decimal | None = None,
    latency_ms: int | None = None,
    status: str = UsageLog.Status.SUCCESS,
    request_id: str | None = None,
    metadata: dict | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """The column values (by attname) of ``usage_log_build``'s row."""
    created_at = created_at or timezone.now()
    price = price_call(
        provider=provider,
        model=response_model or request_model,
        input_tokens=usage.input_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        output_tokens=usage.output_tokens,
        at=created_at,
    )
    values = {
        "id": uuid.uuid4(),
        "user_id": user_id,
        "ai_session_id": ai_session_id,
        "interaction_id": interaction_id,
        "service": service,
        "operation": operation,
        "provider": provider,
        "request_model": request_model,
        "response_model": response_model,
        "input_tokens": usage.input_tokens,
        "cached_input_tokens": usage.cached_input_tokens,
        "output_tokens": usage.output_tokens,
        "reasoning_output_tokens": usage.reasoning_output_tokens,
        "total_tokens": usage.total_tokens,
        "cost_usd": price.cost_usd,
        "reported_cost_usd": reported_cost_usd,
        "price_source": price.source,
        "price_version": price.version,
        "price_unknown": price.unknown,
        "latency_ms": latency_ms,
        "status": status,
        "request_id": request_id or None,
        "created_at": created_at,
        "metadata": {"usage_shape": usage.shape, **(metadata or {})},
    }
    return values


def usage_log_build(**fields: Any) -> UsageLog:
    """An unsaved UsageLog for one call, priced with genai-prices.

    Keyword arguments: ``service``, ``usage`` (TokenUsage), ``request_model``;
    optional ``response_model``, ``provider`` (default ``openai``),
    ``operation``, ``user_id``, ``ai_session_id``, ``interaction_id``,
    ``reported_cost_usd``, ``latency_ms``, ``status``, ``request_id``,
    ``metadata``, ``created_at`` (default now).

    The price is looked up for ``response_model`` (the dated snapshot the API
    answered with) when given, else ``request_model``, at ``created_at`` (default
    now). An unknown provider or model gives ``cost_usd=None`` and
    ``price_unknown=True`` (never a guessed price). Costs are USD Decimals; the
    caller's own figure goes to ``reported_cost_usd`` and is never used as the cost.
    """
    return _log_from_values(_log_values(**fields))


def _log_from_values(values: dict[str, Any]) -> UsageLog:
    # Positional construction (every column given, in the model's order) is Django's
    # fast path, a third of the keyword one: it matters for batches of 1,000.
    # (django-stubs types a positional call as one value for the first column.)
    return UsageLog(*(values[field.attname] for field in _COLUMNS))  # type: ignore[misc]


_COLUMNS = UsageLog._meta.concrete_fields


def _rolled_up(*, written: list[UsageLog], now: datetime | None) -> None:
    """Add rows just written to ``usage_daily`` and check their users' budgets (in the
    caller's transaction); set each row's ``budget_exceeded``."""
    from usage.services.budgets import usage_budgets_evaluate
    from usage.services.rollups import usage_rollups_add

    usage_rollups_add(logs=written)
    exceeded = usage_budgets_evaluate(
        user_ids={log.user_id for log in written if log.user_id}, now=now
    )
    for log in written:
        log.budget_exceeded = log.user_id in exceeded


def usage_logs_insert(*, logs: list[UsageLog], now: datetime | None = None) -> list[UsageLog]:
    """Insert a batch of rows and keep the rollup and the budgets' alerts in step, in
    one transaction.

    1. ``common.db.insert_new_rows`` on ``request_id`` (one ``INSERT … ON CONFLICT
       (request_id) DO NOTHING RETURNING id``): a row whose ``request_id`` is already
       recorded (or repeated earlier in ``logs``) is skipped; a concurrent insert of
       the same request_id waits for the other transaction, then does nothing, so
       one row per request_id ever exists.
    2. ``usage_rollups_add``: the written rows are added to ``usage_daily``
       (an upsert that adds; see ``usage.services.rollups``).
    3. ``usage_budgets_evaluate``: the budgets of the rows' users are checked
       against the new figures; thresholds crossed are recorded as alerts (the
       unique key decides between concurrent requests) and mailed to the site's
       admins after commit. Each written row's ``budget_exceeded`` attribute says
       whether its user is now over a budget.

    Runs inside the caller's transaction when there is one (a savepoint), so the
    raw rows, the rollup and the alerts commit or roll back together.

    Returns: the rows written, in the order given.
    """
    seen: set[str] = set()
    unique = []
    for log in logs:  # a request_id repeated in the batch: the first one stands
        if log.request_id is not None:
            if log.request_id in seen:
                continue
            seen.add(log.request_id)
        unique.append(log)
    if not unique:
        return []
    with transaction.atomic():
        ids = insert_new_rows(unique, conflict="request_id")
        written = [log for log in unique if log.pk in ids]
        if written:
            _rolled_up(written=written, now=now)
    return written


def usage_log_statement_parts(
    log: UsageLog, *, name: str, expressions: Mapping[str, RawSQL] | None = None
) -> list[tuple[str, list[Any]]]:
    """``log``'s row as parts of a data-modifying ``WITH`` statement (PostgreSQL),
    for a caller that writes it together with other rows in one statement
    (``interactions.services.ai_interaction_log``). ``expressions``: columns (by
    attname) whose value is SQL, such as an id another part of the statement
    returns (``common.db.insert_sql``).

    The first part is ``<name> AS (INSERT INTO usage_logs … RETURNING *)``, a plain
    INSERT: a recorded ``request_id`` fails the whole statement (IntegrityError),
    so nothing of it is written. The caller adds ``usage_written_statement_parts``
    (rollups, budgets) to the same statement, fed by ``<name>``.

    Returns: ``[(sql, params), …]`` in order.
    """
    sql, params = insert_sql(log, expressions=expressions)
    return [(f"{name} AS ({sql} RETURNING *)", params)]


def usage_log_insert(*, log: UsageLog) -> tuple[UsageLog, bool]:
    """Insert ``log`` unless its ``request_id`` is already recorded; roll it up.

    ``common.db.insert_or_read`` on the unique ``request_id``: a concurrent insert
    of the same request_id waits for the other transaction and then reads its
    row, so exactly one row per request_id ever exists. A row without a
    request_id is always inserted. A row written is added to ``usage_daily`` and
    its user's budgets are checked in the same transaction (as
    ``usage_logs_insert``); its ``budget_exceeded`` says the outcome.

    Returns: ``(row, created)``; for a recorded request_id, the first row
    (unchanged) and False.
    Raises: IntegrityError for a row that breaks another constraint (token
    counts, cost); nothing is written.
    """
    with transaction.atomic():
        row, created = insert_or_read(log, conflict="request_id")
        if created:
            _rolled_up(written=[row], now=None)
    return row, created


def usage_log_create(*, usage: TokenUsage | dict[str, Any], **fields: Any) -> tuple[UsageLog, bool]:
    """Record one call's usage: normalise, price, insert (one transaction).

    Args: ``usage`` as TokenUsage or a raw OpenAI usage object; ``fields`` as
    ``usage_log_build`` takes them.
    Returns: ``(row, created)``; for a ``request_id`` already recorded, the first
    row (which stands unchanged) and False.
    Raises: django ValidationError naming the field for bad usage (400).
    """
    if not isinstance(usage, TokenUsage):
        usage = usage_normalize(usage)
    log = usage_log_build(usage=usage, **fields)
    return usage_log_insert(log=log)


# --- the batch endpoint -----------------------------------------------------

MAX_EVENTS = 1000
# Back-filling is allowed; a clock ahead by more than this is refused.
MAX_FUTURE = timedelta(minutes=5)
EVENT_FIELDS = {
    "request_id",
    "service",
    "model",
    "response_model",
    "usage",
    "user_id",
    "ai_session_id",
    "latency_ms",
    "status",
    "metadata",
    "created_at",
}
_SERVICES = set(UsageLog.Service.values)
_STATUSES = set(UsageLog.Status.values)
_SUCCESS = UsageLog.Status.SUCCESS.value


def _text(
    errors: dict, event: dict, key: str, index: int, *, max_length: int, required: bool
) -> str | None:
    """``event[key]``: a non-empty string of at most ``max_length`` characters without
    NUL, or None; a problem is recorded under ``events.<index>.<key>``."""
    value = event.get(key)
    if value is None:
        if required:
            errors[f"events.{index}.{key}"] = ValidationError(
                "This field is required.", code="required"
            )
        return None
    if not isinstance(value, str) or not value.strip():
        errors[f"events.{index}.{key}"] = ValidationError(
            "Expected a non-empty string.", code="invalid"
        )
        return None
    if len(value) > max_length or "\x00" in value:
        errors[f"events.{index}.{key}"] = ValidationError(
            f"At most {max_length} characters, no NUL.", code="max_length"
        )
        return None
    return value


def _event_parse(errors: dict, event: Any, index: int, now: datetime) -> dict[str, Any] | None:
    """One event → its validated values (as ``_events_validate`` returns them);
    problems go to ``errors`` under ``events.<index>.<field>`` (names are built
    only for an error)."""
    if not isinstance(event, dict):
        errors[f"events.{index}"] = ValidationError("Expected a JSON object.", code="invalid")
        return None
    before = len(errors)
    if not EVENT_FIELDS.issuperset(event):
        for key in sorted(set(event) - EVENT_FIELDS):
            errors[f"events.{index}.{key}"] = ValidationError(
                "Unknown field.", code="unknown_field"
            )
    request_id = _text(errors, event, "request_id", index, max_length=128, required=True)
    service = event.get("service")
    if not isinstance(service, str) or service not in _SERVICES:
        errors[f"events.{index}.service"] = ValidationError(
            f"One of: {', '.join(sorted(_SERVICES))}.",
            code="required" if service is None else "invalid_choice",
        )
    model = _text(errors, event, "model", index, max_length=100, required=False)
    response_model = _text(errors, event, "response_model", index, max_length=100, required=False)
    user_id = _text(errors, event, "user_id", index, max_length=100, required=False)
    session_id = event.get("ai_session_id")
    if session_id is not None:
        try:
            session_id = uuid.UUID(session_id) if isinstance(session_id, str) else None
        except ValueError:
            session_id = None
        if session_id is None:
            errors[f"events.{index}.ai_session_id"] = ValidationError(
                "Must be a valid UUID.", code="invalid"
            )
    latency = event.get("latency_ms")
    if latency is not None and (
        isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= MAX_TOKENS
    ):
        errors[f"events.{index}.latency_ms"] = ValidationError(
            f"An integer number of milliseconds, 0 to {MAX_TOKENS}.", code="invalid"
        )
    status = event.get("status", _SUCCESS)
    if not isinstance(status, str) or status not in _STATUSES:
        errors[f"events.{index}.status"] = ValidationError(
            "One of: error, success.", code="invalid_choice"
        )
    metadata = event.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        errors[f"events.{index}.metadata"] = ValidationError(
            "Expected a JSON object.", code="invalid"
        )
    created_at = now
    raw_time = event.get("created_at")
    if raw_time is not None:
        parsed = parse_datetime(raw_time) if isinstance(raw_time, str) else None
        if parsed is None or timezone.is_naive(parsed):
            errors[f"events.{index}.created_at"] = ValidationError(
                "An ISO 8601 date-time with a UTC offset, e.g. 2026-11-30T09:15:00Z.",
                code="invalid",
            )
        elif parsed > now + MAX_FUTURE:
            errors[f"events.{index}.created_at"] = ValidationError(
                "At most 5 minutes in the future.", code="in_future"
            )
        else:
            created_at = parsed
    try:
        usage = _usage_counts(event.get("usage"), f"events.{index}.usage")
    except ValidationError as exc:
        errors.update(exc.error_dict)
        return None
    if len(errors) > before:
        return None
    return {
        "request_id": request_id,
        "service": service,
        "usage": usage,
        "request_model": model,
        "response_model": response_model,
        "user_id": user_id,
        "ai_session_id": session_id,
        "latency_ms": latency,
        "status": status,
        "metadata": metadata,
        "created_at": created_at,
    }


def _events_validate(*, events: list, now: datetime) -> list[dict[str, Any]]:
    """Validate a batch of usage events whole (nothing is priced or written).

    An event: ``request_id`` (required, ≤ 128 chars), ``service`` (required, a
    ``UsageLog.Service``), ``usage`` (required, OpenAI's usage object in either
    shape), ``model`` / ``response_model`` (≤ 100), ``user_id`` (≤ 100),
    ``ai_session_id`` (UUID of an existing AI session), ``latency_ms`` (integer
    milliseconds), ``status`` (``success`` default, or ``error``), ``metadata``
    (object), ``created_at`` (ISO 8601 with offset; default ``now``, the same
    object; at most 5 minutes ahead).

    Returns: each event's values, in order: ``request_id``, ``service``, ``usage``
    (``_usage_counts``' tuple), ``request_model``, ``response_model``,
    ``user_id``, ``ai_session_id`` (UUID), ``latency_ms``, ``status``,
    ``metadata``, ``created_at`` (aware datetime); None for an absent optional one.
    Raises: ValidationError listing every bad item as ``events.<index>.<field>``
    (``events`` itself for an empty or too long list).
    """
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise ValidationError(
            {"events": ValidationError(f"Send 1 to {MAX_EVENTS} events.", code="invalid")}
        )
    errors: dict = {}
    rows = [_event_parse(errors, event, i, now) for i, event in enumerate(events)]
    session_ids = {row["ai_session_id"] for row in rows if row is not None and row["ai_session_id"]}
    if session_ids:
        # Checked up front: Django's foreign keys are DEFERRABLE on PostgreSQL, so
        # a dangling id would only fail at COMMIT. The model is reached through the
        # foreign key: this app does not import the interactions app.
        sessions = UsageLog._meta.get_field("ai_session").related_model
        assert sessions is not None and not isinstance(sessions, str)
        known = set(
            sessions._default_manager.filter(pk__in=session_ids).values_list("pk", flat=True)
        )
        for i, row in enumerate(rows):
            if row is not None and row["ai_session_id"] and row["ai_session_id"] not in known:
                errors[f"events.{i}.ai_session_id"] = ValidationError(
                    "No such AI session.", code="not_found"
                )
    if errors:
        raise ValidationError(errors)
    return rows  # type: ignore[return-value]


def _event_log(event: dict[str, Any]) -> UsageLog:
    """A validated event's unsaved, priced row (``usage_log_build``)."""
    return usage_log_build(
        service=event["service"],
        usage=TokenUsage(*event["usage"]),
        request_model=event["request_model"],
        response_model=event["response_model"],
        user_id=event["user_id"],
        ai_session_id=event["ai_session_id"],
        latency_ms=event["latency_ms"],
        status=event["status"],
        request_id=event["request_id"],
        metadata=event["metadata"],
        created_at=event["created_at"],
    )


@dataclass(frozen=True)
class EventsIngested:
    """What ``usage_events_ingest`` wrote: ``created`` rows, ``duplicates`` skipped
    (request_id already recorded or repeated in the batch), and the users of the
    written rows that are now over one of their budgets."""

    created: int
    duplicates: int
    budget_exceeded_user_ids: list[str]


def usage_events_ingest(*, events: list, now: datetime | None = None) -> EventsIngested:
    """Validate, price and write a batch of usage events, all or nothing.

    Validation as ``_events_validate`` (any bad event: ValidationError, nothing
    written). Within the batch the first event of a repeated ``request_id`` is the
    one written; one already recorded is skipped.

    PostgreSQL: ONE statement, atomic on its own (``_rows_write``): the rows
    travel as one JSON parameter (``json_to_recordset``) into ``INSERT … ON
    CONFLICT (request_id) DO NOTHING RETURNING …``; the rollup levels are summed
    from the rows it returns (``usage_rollups_statement_parts``) in the same
    statement; when a budget may apply to the batch's users, one more statement
    checks them and records alerts (``usage_budgets_check``). Elsewhere
    (SQLite): ``usage_logs_insert`` in one transaction (the insert, the rollup
    upserts, the budget check).
    """
    now = now or timezone.now()
    rows = _events_validate(events=events, now=now)
    seen: set[str] = set()
    unique = []
    for row in rows:  # a request_id repeated in the batch: the first one stands
        if row["request_id"] not in seen:
            seen.add(row["request_id"])
            unique.append(row)
    if connection.vendor == "postgresql":
        created, exceeded = _rows_write(events=unique, now=now)
        return EventsIngested(
            created=created, duplicates=len(rows) - created, budget_exceeded_user_ids=exceeded
        )
    written = usage_logs_insert(logs=[_event_log(row) for row in unique], now=now)
    return EventsIngested(
        created=len(written),
        duplicates=len(rows) - len(written),
        budget_exceeded_user_ids=sorted(
            {log.user_id for log in written if log.budget_exceeded and log.user_id}
        ),
    )


# The columns of the inserted rows that the rollups and the budget check read.
ROLLUP_SOURCE_COLUMNS = [
    "user_id",
    "service",
    "request_model",
    "response_model",
    "status",
    "price_unknown",
    "created_at",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_output_tokens",
    "total_tokens",
    "cost_usd",
]


def usage_written_statement_parts(*, source: str) -> tuple[list[str], str]:
    """PostgreSQL: what follows the insert of usage rows in one data-modifying
    ``WITH``, fed by the CTE ``source`` (``INSERT INTO usage_logs … RETURNING``
    at least ``ROLLUP_SOURCE_COLUMNS``): the rollup upserts of every level of
    ``LEVELS``, and an expression for the final ``SELECT`` that says whose
    budgets to check (``usage.services.budgets.usage_budgets_probe_sql``); pass
    its value to ``usage_written_done`` after the statement.

    Levels per user (a row per user and day or month) come before those over all
    users (a row per day and model that every call adds to), so that the most
    contended row locks are taken last and held for the shortest time before the
    commit. Every statement built here uses this order, so none waits crosswise.

    Returns: ``(parts, column)``; the parts have no parameters.
    """
    from usage.services.rollups import LEVELS

    levels = tuple((model, tuple(key)) for model, key in LEVELS)
    parts, probe = _written_statement_parts(source, levels, connection.vendor)
    return list(parts), probe


@lru_cache(maxsize=16)
def _written_statement_parts(
    source: str, levels: tuple[tuple[type, tuple[str, ...]], ...], vendor: str
) -> tuple[tuple[str, ...], str]:
    """``usage_written_statement_parts``' SQL, built once per source name and levels
    (it holds no values)."""
    from usage.services.budgets import usage_budgets_probe_sql
    from usage.services.rollups import usage_rollups_statement_parts

    parts = usage_rollups_statement_parts(
        source=source, levels=[(model, list(key)) for model, key in levels]
    )
    return tuple(parts), usage_budgets_probe_sql(source=source)


def usage_written_done(*, users: list[str] | None, now: datetime) -> set[str]:
    """After the statement of ``usage_written_statement_parts``: check the budgets of
    ``users`` (its probe's value; NULL: no budget applies, no statement) and record
    alerts (``usage_budgets_check``, one statement).

    Returns: the users now at or over a limit of one of their budgets.
    """
    from usage.services.budgets import usage_budgets_check

    return usage_budgets_check(user_ids=users, now=now)


def _rows_write(*, events: list[dict[str, Any]], now: datetime) -> tuple[int, list[str]]:
    """PostgreSQL: price and write ``events`` (``_events_validate``'s values,
    request_ids unique) with their rollups in ONE statement, atomic on its own;
    then, when a budget may apply to their users, the budget check (one more
    statement). Returns ``(rows written, users now over a budget)``. The rows are
    inserted in ``request_id`` order, so two batches sharing request_ids wait for
    each other in one direction only."""
    version = price_version()
    document = json.dumps(
        [_document_row(event, now=now, version=version) for event in events],
        separators=(",", ":"),
    )
    batch: dict[str, Any] = {
        "provider": BATCH_PROVIDER,
        "price_source": PRICE_SOURCE,
        "price_version": version,
        "created_at": now,
    }
    sql, constants = _batch_statement()
    with _ingest_slots(), connection.cursor() as cursor:
        cursor.execute(sql, [*(batch[name] for name in constants), document])
        created, users = cursor.fetchone()
    return created, sorted(usage_written_done(users=users, now=now))


def _document_row(event: dict[str, Any], *, now: datetime, version: str) -> dict[str, Any]:
    """A validated event, priced, as its object in ``_batch_statement``'s JSON
    document: JSON values only (``cost_usd`` as a decimal string), and only the
    keys whose column is not made in SQL: no ``id``, ``provider`` or
    ``price_source``; no key for a NULL; ``created_at`` only when it is not the
    batch's ``now``, ``price_version`` only when it is not the batch's; and
    ``usage_shape`` (not a column), which SQL merges under the event's own
    ``metadata``."""
    input_tokens, cached, output_tokens, reasoning, total, shape = event["usage"]
    created_at = event["created_at"]
    price = price_call(
        provider=BATCH_PROVIDER,
        model=event["response_model"] or event["request_model"],
        input_tokens=input_tokens,
        cached_input_tokens=cached,
        output_tokens=output_tokens,
        at=created_at,
    )
    row = {
        "request_id": event["request_id"],
        "service": event["service"],
        "input_tokens": input_tokens,
        "cached_input_tokens": cached,
        "output_tokens": output_tokens,
        "reasoning_output_tokens": reasoning,
        "total_tokens": total,
        "price_unknown": price.unknown,
        "status": event["status"],
        "usage_shape": shape,
    }
    if price.cost_usd is not None:
        row["cost_usd"] = str(price.cost_usd)
    if price.version != version:
        row["price_version"] = price.version
    for key in _DOCUMENT_OPTIONAL:
        value = event[key]
        if value is not None:
            row[key] = value
    if event["ai_session_id"] is not None:
        row["ai_session_id"] = str(event["ai_session_id"])
    if created_at is not now:
        row["created_at"] = created_at.isoformat()
    return row


# The batch endpoint's events carry no provider: every one is priced and stored as
# OpenAI's (the column's default).
BATCH_PROVIDER = "openai"
# Values of ``_document_row`` copied when not None (JSON-ready as validated).
_DOCUMENT_OPTIONAL = ("user_id", "request_model", "response_model", "latency_ms", "metadata")
# The columns ``_batch_statement`` does not read from the document as they are, and
# their SQL; ``%s``: the batch's value of the column (``_rows_write``), one parameter.
_BATCH_EXPRESSIONS = {
    "id": "gen_random_uuid()",
    "provider": "%s::{type}",
    "price_source": "%s::{type}",
    "price_version": "COALESCE(t.{name}, %s::{type})",
    "created_at": "COALESCE(t.{name}, %s::{type})",
    # The event's metadata over {"usage_shape": …}, as ``_log_values`` merges them.
    "metadata": "jsonb_build_object('usage_shape', t.usage_shape) || COALESCE(t.{name}, '{{}}')",
}


@lru_cache(maxsize=1)
def _batch_statement() -> tuple[str, list[str]]:
    """The batch's statement (PostgreSQL), built once: the rows of the JSON
    document (``json_to_recordset``) inserted into ``usage_logs`` in request_id
    order (``COLLATE "C"``: any order works if every batch uses the same one, and
    byte order is the cheapest), ``ON CONFLICT (request_id) DO NOTHING RETURNING``
    what the rollups read, then ``usage_written_statement_parts``; it selects the
    number of rows written and the budget probe.

    Returns: ``(sql, columns)``: the columns whose batch value is a parameter, in
    the order of the parameters before the document's.
    """
    quote = connection.ops.quote_name
    columns, selected, definitions, constants = [], [], [], []
    for field in _COLUMNS:
        name, db_type = field.attname, field.db_type(connection)
        columns.append(quote(str(field.column)))
        expression = _BATCH_EXPRESSIONS.get(name, "t.{name}")
        selected.append(expression.format(name=quote(name), type=db_type))
        if "%s" in expression:
            constants.append(name)
        if "t.{name}" in expression:
            definitions.append(f"{quote(name)} {db_type}")
    definitions.append(f"{quote('usage_shape')} text")
    returning = ", ".join(quote(name) for name in ROLLUP_SOURCE_COLUMNS)
    insert = (
        f"ins AS (INSERT INTO {quote(UsageLog._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} "
        f"FROM json_to_recordset(%s::json) AS t({', '.join(definitions)}) "
        f'ORDER BY t.{quote("request_id")} COLLATE "C" '
        f"ON CONFLICT ({quote('request_id')}) DO NOTHING RETURNING {returning})"
    )
    parts, probe = usage_written_statement_parts(source="ins")
    # Every value is a parameter; identifiers and types come from the model.
    sql = f"WITH {', '.join([insert, *parts])} SELECT (SELECT count(*) FROM ins), {probe}"  # noqa: S608
    return sql, constants


@lru_cache(maxsize=1)
def _ingest_slots() -> threading.BoundedSemaphore:
    """This process's gate for batch statements: at most
    ``USAGE_INGEST_CONCURRENCY`` run at once; the others wait here, before their
    statement, holding no transaction, snapshot or row lock. Batches of the same
    users serialise on the same rollup rows anyway (each upsert waits for the
    previous batch's commit); several waiting at once in the database made each
    one slower (woken together, retrying their conflicts, old snapshots keeping
    the rollup rows' dead versions), so they queue here instead."""
    return threading.BoundedSemaphore(max(1, settings.USAGE_INGEST_CONCURRENCY))
