"""Request body parsing with a size limit and strict UTF-8/JSON."""

import json
import math
import re
from typing import Any, NoReturn

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

# Deeper documents are refused before they reach a serializer or the database
# driver (both recurse, and CPython's recursion limit turns into a 500).
JSON_MAX_DEPTH = 64
# PostgreSQL text and jsonb cannot hold U+0000, and UTF-8 cannot encode a lone
# surrogate (RFC 8259 section 8.2 calls such strings unpredictable).
_UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


class RequestBodyTooLarge(APIException):
    """413: the body is larger than ``REQUEST_BODY_MAX_BYTES``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "request_too_large"


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:32]} is out of range")
    return value


def json_check_storable(document: Any, *, strings: bool = True) -> None:
    """Raise ValueError when ``document`` nests deeper than JSON_MAX_DEPTH or holds
    a string (key or value) with U+0000 or a lone surrogate. Iterative, so the
    check itself cannot exhaust the stack.

    ``strings=False`` checks the depth only: for a document parsed from JSON text
    without a ``\\u`` escape, whose strings cannot hold either character (the
    text was decoded as UTF-8, and JSON refuses raw control characters).
    """
    if not strings:
        _check_depth(document)
        return
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if strings and _UNSTORABLE_CHARACTERS.search(value):
                raise ValueError("strings may not contain U+0000 or unpaired surrogates")
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > JSON_MAX_DEPTH:
            raise ValueError(f"nested deeper than {JSON_MAX_DEPTH} levels")
        if isinstance(value, dict):
            if strings:
                stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        else:
            stack.extend((item, depth + 1) for item in value)


def _check_depth(document: Any) -> None:
    """``json_check_storable(document, strings=False)``: raise ValueError when a list
    or object sits deeper than JSON_MAX_DEPTH (the document itself is level 1).
    Level by level, looking only at containers: a batch of a thousand events is
    ≈ 15,000 values, and the scalars among them need no look."""
    level = [document] if isinstance(document, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > JSON_MAX_DEPTH:
            raise ValueError(f"nested deeper than {JSON_MAX_DEPTH} levels")
        below: list = []
        for value in level:
            items = value.values() if isinstance(value, dict) else value
            below += [item for item in items if isinstance(item, (dict, list))]
        level = below


class LimitedJSONParser(JSONParser):
    """JSON parser that reads at most ``REQUEST_BODY_MAX_BYTES`` (default 1 MiB).

    Raises RequestBodyTooLarge (413) for a larger body, ParseError (400) for a
    body that is not UTF-8 (RFC 8259 section 8.1) or not JSON, including the
    non-standard NaN/Infinity literals and numbers beyond float range (1e400),
    for nesting deeper than JSON_MAX_DEPTH and for strings the database cannot
    store (U+0000, unpaired surrogates such as ``"\\ud800"``).
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = settings.REQUEST_BODY_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestBodyTooLarge(f"Request body is larger than {limit} bytes.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("Request body is not valid UTF-8.") from exc
        try:
            document = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
        except RecursionError as exc:
            raise ParseError(
                f"JSON parse error: nested deeper than {JSON_MAX_DEPTH} levels"
            ) from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error: {exc}") from exc
        try:
            # Only a \u escape can put U+0000 or a lone surrogate into a string.
            json_check_storable(document, strings="\\u" in text)
        except ValueError as exc:
            raise ParseError(f"JSON parse error: {exc}") from exc
        return document
