"""Writes of usage rows, and the reading of OpenAI's usage objects (``usage_logs``).

The usage issue builds analytics and budgets on these functions:

- ``usage_normalize(raw)`` reads the ``usage`` object of either OpenAI API shape
  into OpenTelemetry GenAI token counts (or raises a 400 naming the field);
- ``usage_log_build(...)`` prices a call with genai-prices (``usage.pricing``);
- ``usage_log_insert(log=...)`` writes it race-safely on ``request_id``;
- ``usage_log_create(...)`` does all three in one transaction.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.db import INTEGER_MAX, insert_or_read, insert_sql
from usage.models import UsageLog
from usage.pricing import price_call

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


def _count(errors: dict, container: dict, key: str, attr: str, *, required: bool) -> int:
    """A non-negative integer token count from ``container[key]``; records an error in
    ``errors[attr]`` (and returns 0) when it is missing, not an integer or negative."""
    value = container.get(key)
    if value is None:
        if required:
            errors[attr] = ValidationError("This field is required.", code="required")
        return 0
    # JSON true/false are ints in Python; 1.0 and "12" are not token counts either.
    if isinstance(value, bool) or not isinstance(value, int):
        errors[attr] = ValidationError("A token count must be an integer.", code="invalid")
        return 0
    if value < 0 or value > MAX_TOKENS:
        errors[attr] = ValidationError(
            f"A token count must be between 0 and {MAX_TOKENS}.", code="out_of_range"
        )
        return 0
    return value


def _details(errors: dict, raw: dict, key: str, attr: str) -> dict:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors[attr] = ValidationError("Expected a JSON object.", code="invalid")
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
    input_tokens = _count(errors, raw, in_key, f"{field}.{in_key}", required=True)
    output_tokens = _count(errors, raw, out_key, f"{field}.{out_key}", required=out_required)
    in_details = _details(errors, raw, in_details_key, f"{field}.{in_details_key}")
    out_details = _details(errors, raw, out_details_key, f"{field}.{out_details_key}")
    cached_attr = f"{field}.{in_details_key}.cached_tokens"
    reasoning_attr = f"{field}.{out_details_key}.reasoning_tokens"
    cached = _count(errors, in_details, "cached_tokens", cached_attr, required=False)
    reasoning = _count(errors, out_details, "reasoning_tokens", reasoning_attr, required=False)
    total_attr = f"{field}.total_tokens"
    total = _count(errors, raw, "total_tokens", total_attr, required=False)
    if not errors:
        if cached > input_tokens:
            errors[cached_attr] = ValidationError(
                f"cached_tokens ({cached}) cannot exceed {in_key} ({input_tokens}).",
                code="invalid",
            )
        if reasoning > output_tokens:
            errors[reasoning_attr] = ValidationError(
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
            errors[total_attr] = ValidationError(
                f"total_tokens ({total}) cannot be less than {in_key} + {out_key} ({both}).",
                code="invalid",
            )
    if errors:
        raise ValidationError(errors)
    return TokenUsage(
        input_tokens=input_tokens,
        cached_input_tokens=cached,
        output_tokens=output_tokens,
        reasoning_output_tokens=reasoning,
        total_tokens=total,
        shape=shape,
    )


def usage_log_build(
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
) -> UsageLog:
    """An unsaved UsageLog for one call, priced with genai-prices.

    The price is looked up for ``response_model`` (the dated snapshot the API
    answered with) when given, else ``request_model``, at ``created_at`` (default
    now). An unknown provider or model gives ``cost_usd=None`` and
    ``price_unknown=True`` (never a guessed price). Costs are USD Decimals; the
    caller's own figure goes to ``reported_cost_usd`` and is never used as the cost.
    """
    created_at = created_at or timezone.now()
    price = price_call(
        provider=provider,
        model=response_model or request_model,
        input_tokens=usage.input_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        output_tokens=usage.output_tokens,
        at=created_at,
    )
    return UsageLog(
        user_id=user_id,
        ai_session_id=ai_session_id,
        interaction_id=interaction_id,
        service=service,
        operation=operation,
        provider=provider,
        request_model=request_model,
        response_model=response_model,
        input_tokens=usage.input_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        output_tokens=usage.output_tokens,
        reasoning_output_tokens=usage.reasoning_output_tokens,
        total_tokens=usage.total_tokens,
        cost_usd=price.cost_usd,
        reported_cost_usd=reported_cost_usd,
        price_source=price.source,
        price_version=price.version,
        price_unknown=price.unknown,
        latency_ms=latency_ms,
        status=status,
        request_id=request_id or None,
        created_at=created_at,
        metadata={"usage_shape": usage.shape, **(metadata or {})},
    )


def usage_log_insert(*, log: UsageLog) -> tuple[UsageLog, bool]:
    """Insert ``log`` unless its ``request_id`` is already recorded.

    ``common.db.insert_or_read`` on the unique ``request_id``: a concurrent insert
    of the same request_id waits for the other transaction and then reads its
    row, so exactly one row per request_id ever exists. A row without a
    request_id is always inserted.

    Returns: ``(row, created)``; for a recorded request_id, the first row
    (unchanged) and False.
    Raises: IntegrityError for a row that breaks another constraint (token
    counts, cost); nothing is written.
    """
    return insert_or_read(log, conflict="request_id")


def usage_log_statement_parts(log: UsageLog, *, name: str) -> list[tuple[str, list[Any]]]:
    """``log``'s row as parts of a data-modifying ``WITH`` statement (PostgreSQL),
    for a caller that writes it together with other rows in one statement
    (``interactions.services.ai_interaction_log``).

    The first part is ``<name> AS (INSERT INTO usage_logs … RETURNING *)``, a plain
    INSERT: a recorded ``request_id`` fails the whole statement (IntegrityError),
    so nothing of it is written. Whatever must be written with every usage row
    belongs in the parts that follow, reading the new row from ``<name>``.

    Returns: ``[(sql, params), …]`` in order.
    """
    sql, params = insert_sql(log)
    return [(f"{name} AS ({sql} RETURNING *)", params)]


def usage_log_create(*, usage: TokenUsage | dict, **fields: Any) -> tuple[UsageLog, bool]:
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
    with transaction.atomic():
        return usage_log_insert(log=log)
