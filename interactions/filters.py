"""Query parameters of the AI session list (django-filter), each backed by an index.

The FilterSet parses and validates; ``interactions.selectors.ai_session_list``
filters."""

import django_filters

from common.filters import StorableIsoDateTimeFilter
from interactions.models import AISession


class AISessionFilter(django_filters.FilterSet):
    """``GET /api/v1/ai-sessions/`` query parameters.

    ``user_id``, ``channel``: exact match. ``created_after``/``created_before``
    (``created_at``) and ``active_after``/``active_before`` (``updated_at``, the
    last activity): ISO 8601 date-times, inclusive; a value that is not one, whose
    UTC offset is ±16:00 or more, or whose UTC time falls outside years 1 … 9999,
    is a 400 naming the parameter.
    """

    user_id = django_filters.CharFilter(field_name="user_id", max_length=100)
    channel = django_filters.CharFilter(field_name="channel", max_length=32)
    created_after = StorableIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StorableIsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    active_after = StorableIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    active_before = StorableIsoDateTimeFilter(field_name="updated_at", lookup_expr="lte")

    class Meta:
        model = AISession
        fields = ["user_id", "channel"]
