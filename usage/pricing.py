"""The cost of a model call in USD, from the genai-prices package (offline price data).

genai-prices (https://github.com/pydantic/genai-prices) ships a maintained price
table as Python data and returns Decimals. Its token conventions are the
OpenTelemetry GenAI ones this app stores: ``input_tokens`` *includes* the cached
ones (``cache_read_tokens``, billed at the cache-read rate), and reasoning tokens
are part of ``output_tokens`` (billed at the output rate, so they are not passed
separately). A model or provider it does not know is reported as unknown, never
guessed.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

import genai_prices
from genai_prices import Usage, calc_price, data_snapshot
from genai_prices.types import PriceCalculation, TieredPrices

PRICE_SOURCE = "genai-prices"
# Costs are stored with 12 decimal places (DecimalField(20, 12)): a single
# token of the cheapest model is still representable exactly.
COST_QUANTUM = Decimal("0.000000000001")


@dataclass(frozen=True)
class Price:
    """The outcome of pricing one call.

    ``cost_usd`` is None exactly when ``unknown`` is True. ``source``/``version``
    name the price data used (``genai-prices`` and its package version, plus the
    snapshot time when prices were auto-updated). ``model_id`` is the model the
    price table matched (``gpt-4o-2024-08-06`` → ``gpt-4o``), or None.
    """

    cost_usd: Decimal | None
    unknown: bool
    source: str
    version: str
    model_id: str | None = None


def price_version() -> str:
    """The version of the price data in use, e.g. ``0.2.3`` (the package's bundled data)."""
    snapshot = data_snapshot.get_snapshot()
    if snapshot.from_auto_update:
        return f"{genai_prices.__version__}+{snapshot.timestamp:%Y%m%dT%H%M%S}"
    return genai_prices.__version__


MILLION = 1_000_000


@dataclass(frozen=True)
class _Rates:
    """USD per token of one model on one day: uncached input, cached input, output."""

    uncached: Decimal
    cached: Decimal
    output: Decimal
    model_id: str


def _calc(provider: str, model: str, at: datetime, i: int, c: int, o: int) -> PriceCalculation:
    usage = Usage(input_tokens=i, cache_read_tokens=c, output_tokens=o)
    return calc_price(usage, model, provider_id=provider, genai_request_timestamp=at)


@lru_cache(maxsize=1024)
def _linear_rates(provider: str, model: str, day: date, version: str) -> _Rates | None:
    """The model's per-token rates on ``day``, when its price is linear in the three
    token kinds (no tiers by context length, no fee per request); None otherwise
    (then every call is priced by ``calc_price`` itself). Raises LookupError for a
    model genai-prices does not know. ``version`` keys the cache to the price data."""
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    base = _calc(provider, model, at, 0, 0, 0)
    prices = base.model_price.__dict__.values()
    if base.total_price != 0 or any(isinstance(v, TieredPrices) for v in prices):
        return None
    uncached = _calc(provider, model, at, MILLION, 0, 0).total_price / MILLION
    cached = _calc(provider, model, at, MILLION, MILLION, 0).total_price / MILLION
    output = _calc(provider, model, at, 0, 0, MILLION).total_price / MILLION
    return _Rates(uncached, cached, output, base.model.id)


def price_call(
    *,
    provider: str,
    model: str | None,
    input_tokens: int,
    cached_input_tokens: int,
    output_tokens: int,
    at: datetime | None = None,
) -> Price:
    """Price one call with genai-prices' ``calc_price``.

    Args:
        provider: genai-prices provider id (``openai``, ``anthropic``, …).
        model: the model name as the API reported it (a dated snapshot name is fine).
        input_tokens: all input tokens, cached ones included.
        cached_input_tokens: the cached part of ``input_tokens``.
        output_tokens: all output tokens, reasoning ones included.
        at: when the call was made (prices change over time); None = now.

    Returns: a Price; ``unknown=True`` with ``cost_usd=None`` when the provider or
    the model is not in the price data (genai-prices raises LookupError).

    For speed (a batch of 1,000 calls), a model whose price is linear in input,
    cached input and output tokens is priced from its per-token rates of that UTC
    day, which genai-prices' ``calc_price`` gives for a million tokens of each kind
    (cached once per model and day); the result is the same Decimal ``calc_price``
    gives (tested). Tiered models go through ``calc_price`` every time.
    """
    version = price_version()
    if not model:
        return Price(None, True, PRICE_SOURCE, version)
    day = (at or datetime.now(UTC)).astimezone(UTC).date()
    try:
        rates = _linear_rates(provider, model, day, version)
    except LookupError:
        return Price(None, True, PRICE_SOURCE, version)
    if rates is not None:
        cost = (
            (input_tokens - cached_input_tokens) * rates.uncached
            + cached_input_tokens * rates.cached
            + output_tokens * rates.output
        )
        return Price(cost.quantize(COST_QUANTUM), False, PRICE_SOURCE, version, rates.model_id)
    usage = Usage(
        input_tokens=input_tokens,
        cache_read_tokens=cached_input_tokens,
        output_tokens=output_tokens,
    )
    try:
        result = calc_price(usage, model, provider_id=provider, genai_request_timestamp=at)
    except LookupError:
        return Price(None, True, PRICE_SOURCE, version)
    return Price(
        result.total_price.quantize(COST_QUANTUM), False, PRICE_SOURCE, version, result.model.id
    )
