"""Query parameters of the AI session list (django-filter), each backed by an index.

The FilterSet parses and validates; ``interactions.selectors.ai_session_list``
filters."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from interactions.models import AISession


class UTCRangeIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time that also exists in UTC (years 1 … 9999).

    ``9999-12-31T23:59:59-12:00`` or ``0001-01-01T00:00:00+12:00`` parse, but their
    UTC instant is outside Python's range: SQLite's adapter converts to UTC and
    raised OverflowError (a 500). Refused here on every database.
    """

    default_error_messages = {
        "out_of_range": "Enter a date-time whose UTC time is between years 1 and 9999.",
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise ValidationError(
                    self.error_messages["out_of_range"], code="out_of_range"
                ) from None
        return value


class UTCRangeIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` whose values must exist in UTC (else 400 naming it)."""

    field_class = UTCRangeIsoDateTimeField


class AISessionFilter(django_filters.FilterSet):
    """``GET /api/v1/ai-sessions/`` query parameters.

    ``user_id``, ``channel``: exact match. ``created_after``/``created_before``
    (``created_at``) and ``active_after``/``active_before`` (``updated_at``, the
    last activity): ISO 8601 date-times, inclusive; a value that is not one, or
    whose UTC time falls outside years 1 … 9999, is a 400 naming the parameter.
    """

    user_id = django_filters.CharFilter(field_name="user_id", max_length=100)
    channel = django_filters.CharFilter(field_name="channel", max_length=32)
    created_after = UTCRangeIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCRangeIsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    active_after = UTCRangeIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    active_before = UTCRangeIsoDateTimeFilter(field_name="updated_at", lookup_expr="lte")

    class Meta:
        model = AISession
        fields = ["user_id", "channel"]
