"""django-filter filter sets of the AI session list (each backed by an index)."""

import django_filters

from interactions.models import AISession


class AISessionFilter(django_filters.FilterSet):
    """``GET /api/v1/ai-sessions/`` query parameters.

    ``user_id``, ``channel``: exact match. ``created_after``/``created_before``
    (``created_at``) and ``active_after``/``active_before`` (``updated_at``, the
    last activity): ISO 8601 date-times, inclusive.
    """

    user_id = django_filters.CharFilter(field_name="user_id", max_length=100)
    channel = django_filters.CharFilter(field_name="channel", max_length=32)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    active_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    active_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lte")

    class Meta:
        model = AISession
        fields = ["user_id", "channel"]
