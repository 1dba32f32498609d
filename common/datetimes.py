"""Date-times every supported database can store and compare.

PostgreSQL refuses a time-zone displacement of 16 hours or more ("time zone
displacement out of range"; its limit is ±15:59:59, ``MAX_TZDISP_HOUR`` in its
sources), although ISO 8601 and Python accept offsets up to ±23:59. SQLite's
adapter converts to UTC first, which overflows for an instant outside years
1 … 9999 in UTC (``9999-12-31T23:59:59-12:00``). Values from callers (query
parameters, cursor positions) are checked here before they reach a query.
"""

from datetime import UTC, datetime, timedelta

# Offsets strictly below 16 hours, as PostgreSQL accepts them.
MAX_UTC_OFFSET = timedelta(hours=16) - timedelta(seconds=1)

OFFSET_OUT_OF_RANGE = "Use a UTC offset between -15:59 and +15:59."
UTC_OUT_OF_RANGE = "Enter a date-time whose UTC time is between years 1 and 9999."


def datetime_storable_error(value: datetime) -> tuple[str, str] | None:
    """``(code, message)`` when a database would refuse ``value``, else None.

    Codes: ``offset_out_of_range`` (an offset of ±16:00 or more),
    ``out_of_range`` (the UTC instant lies outside years 1 … 9999).
    """
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return "offset_out_of_range", OFFSET_OUT_OF_RANGE
    try:
        value.astimezone(UTC)
    except OverflowError:
        return "out_of_range", UTC_OUT_OF_RANGE
    return None
