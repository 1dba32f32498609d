"""Query-parameter parsing for list endpoints: a django-filter FilterSet (or a DRF
serializer) validates the parameters; the selector does the filtering."""

from typing import Any

from django_filters import FilterSet
from django_filters.utils import translate_validation
from rest_framework.request import Request


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
