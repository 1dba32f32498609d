"""Serializer helpers shared by the apps."""

from collections.abc import Callable
from typing import Any

from rest_framework.serializers import Serializer


def representer(serializer_class: type[Serializer]) -> Callable[[Any], Any]:
    """``serializer_class(instance).data`` without building a serializer per object.

    DRF builds a serializer's fields anew for every instance (a deep copy of each
    declared field, and every model field mapped again), which on a small object
    costs more than reading and rendering it. This builds one instance and its
    fields now and returns its ``to_representation``; sharing it between requests
    and threads is safe because rendering only reads the fields. For output
    serializers without request context (no hyperlinks, no ``context`` reads).

    Returns: a function ``object → dict`` giving what ``.data`` gives.
    """
    serializer = serializer_class()
    serializer.fields  # noqa: B018 (builds and binds the fields once, here)
    return serializer.to_representation
