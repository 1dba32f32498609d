"""Query-parameter parsing for list endpoints: a django-filter FilterSet (or a DRF
serializer) validates the parameters; the selector does the filtering."""

from datetime import datetime
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django_filters import FilterSet
from django_filters.fields import IsoDateTimeField
from django_filters.utils import translate_validation
from rest_framework.request import Request

from common.datetimes import datetime_storable_error


class StorableIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time the database can compare: UTC offset within ±15:59
    (PostgreSQL's limit) and a UTC instant within years 1 … 9999 (see
    ``common.datetimes``); anything else is a validation error."""

    def to_python(self, value: Any) -> datetime | None:
        parsed: datetime | None = super().to_python(value)
        if parsed is not None:
            error = datetime_storable_error(parsed)
            if error is not None:
                code, message = error
                raise ValidationError(message, code=code)
        return parsed


class StorableIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` taking only values the database can compare (else 400
    naming the parameter)."""

    field_class = StorableIsoDateTimeField


def query_params_parse(filterset_class: type[FilterSet], request: Request) -> dict[str, Any]:
    """The request's query parameters, validated by ``filterset_class``.

    Returns: the cleaned values of the parameters that were sent (absent or
    empty ones left out), ready to pass to a selector as keyword arguments.
    Raises: DRF ValidationError (400) naming each bad parameter.
    """
    filterset = filterset_class(data=request.query_params, request=request)
    if not filterset.is_valid():
        raise translate_validation(filterset.errors)
    return {
        name: value
        for name, value in filterset.form.cleaned_data.items()
        if value not in (None, "")
    }
