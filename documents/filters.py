"""django-filter filter set of the document list (each filter backed by an index)."""

import django_filters

from documents.models import Document


class DocumentFilter(django_filters.FilterSet):
    """``GET /api/v1/documents/`` query parameters.

    ``status``: one status (deleted documents are listed only with
    ``status=deleted``); ``owner_id``: one owner's documents (a user id). A bad
    value is a 400 naming the parameter.
    """

    status = django_filters.ChoiceFilter(choices=Document.Status.choices)
    owner_id = django_filters.UUIDFilter(field_name="owner_id")

    class Meta:
        model = Document
        fields = ["status", "owner_id"]
