"""Serializer helpers shared by the apps."""

import threading
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


class FieldsBoundOncePerThread:
    """A mixin for an input serializer on a hot route (first in the bases).

    DRF deep-copies and binds every declared field for each serializer it builds
    (measured: a sixth of the CPU of ``POST /api/v1/interactions/``). Here each
    thread builds and binds them once, with its first serializer, and later
    serializers of the class in that thread validate with those fields.

    Sound for input validation whose fields read nothing from their serializer
    (no context, no instance, no partial updates): DRF's fields keep no state
    between two validations, and one copy per thread means concurrent requests
    never share one. Not for output serializers (see ``representer``).
    """

    _per_thread = threading.local()

    @property
    def fields(self) -> Any:
        """The class's fields as built and bound by this thread's first instance."""
        built = self._per_thread.__dict__.setdefault("by_class", {})
        fields = built.get(type(self))
        if fields is None:
            fields = built[type(self)] = super().fields  # type: ignore[misc]
        return fields
