"""Request body parsing with a size limit and strict UTF-8/JSON."""

import json

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class RequestBodyTooLarge(APIException):
    """413: the body is larger than ``REQUEST_BODY_MAX_BYTES``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "request_too_large"


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class LimitedJSONParser(JSONParser):
    """JSON parser that reads at most ``REQUEST_BODY_MAX_BYTES`` (default 1 MiB).

    Raises RequestBodyTooLarge (413) for a larger body, ParseError (400) for a
    body that is not UTF-8 (RFC 8259 section 8.1) or not JSON, including the
    non-standard NaN/Infinity literals.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.REQUEST_BODY_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestBodyTooLarge(f"Request body is larger than {limit} bytes.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("Request body is not valid UTF-8.") from exc
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error: {exc}") from exc
