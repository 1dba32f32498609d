"""The orjson renderer writes what DRF's JSON renderer writes."""

import datetime
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from common.renderers import ORJSONRenderer

PAYLOAD = {
    "session_id": uuid.UUID("8d0c1f0e-0000-4000-8000-00000000a11c"),
    "utc": datetime.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.UTC),
    "whole_second": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    "kolkata": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=ZoneInfo("Asia/Kolkata")),
    "day": datetime.date(2026, 1, 2),
    "cost": Decimal("0.001234500000"),
    "lazy": gettext_lazy("Not found."),
    "duration": datetime.timedelta(seconds=90),
    "text": "ünïcödé ✓ line\u2028separator",
    "nested": {"list": [1, 2.5, None, True], 7: "integer key"},
    "big": 2**70,
}


def test_same_bytes_as_drf():
    for data in (PAYLOAD, {k: v for k, v in PAYLOAD.items() if k != "big"}, [], {}, "x"):
        assert ORJSONRenderer().render(data) == JSONRenderer().render(data)


def test_indent_asked_for_is_drf_pretty_print():
    media_type = "application/json; indent=2"

    assert ORJSONRenderer().render({"a": 1}, media_type) == JSONRenderer().render(
        {"a": 1}, media_type
    )


def test_none_is_an_empty_body():
    assert ORJSONRenderer().render(None) == b""
