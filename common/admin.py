"""Admin building blocks shared by every app: read-only admins and CSV export.

- ``ReadOnlyAdminMixin``: the rows are written by the system (API, services,
  commands); staff can list, search, filter and open them, nobody adds, edits or
  deletes them by hand. Actions that do change rows state their own permission.
- ``CsvExportMixin``: an "Export selected rows as CSV" action on the changelist,
  with the columns of ``list_display`` (or ``csv_fields``): stored values (a choice
  by its value, a date in ISO 8601) and the admin's display methods (token hints),
  streamed, for anyone who may view the model.
"""

import csv
import re
from collections.abc import Iterator
from datetime import UTC
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.db.models import Model, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import capfirst

CSV_CHUNK_SIZE = 2000
# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV
# injection"): such cells get a leading apostrophe. A plain signed number (a phone
# in E.164, "-3") is left alone.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"^[+-][0-9][0-9 .]*$")
EXPORT_CSV_DESCRIPTION = "Export selected rows as CSV"

# The mixins extend ModelAdmin; type checkers see that base, Python sees object.
if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class ReadOnlyAdminMixin(_AdminBase):
    """No add, change or delete from the admin; view (and export) only."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def csv_cell(value: Any) -> str:
    """One CSV cell: ``None`` → empty, datetimes in ISO 8601 (UTC), HTML stripped,
    formula-looking text neutralised (see ``_FORMULA_START``)."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        if getattr(value, "tzinfo", None) is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    text = strip_tags(str(value))
    if text.startswith(_FORMULA_START) and not _SIGNED_NUMBER.match(text):
        return "'" + text
    return text


class _Echo:
    """A write-only file for ``csv.writer`` that hands each line back."""

    def write(self, value: str) -> str:
        return value


class CsvExportMixin(_AdminBase):
    """Adds the ``export_csv`` action: the selected rows as a streamed CSV file.

    Columns: ``csv_fields`` when set, else ``list_display`` (without the checkbox),
    each as the changelist shows it (admin display methods included). Needs the
    view permission, so an analyst may export.
    """

    csv_fields: list[str] | None = None

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if self.has_view_permission(request):
            action: Any = type(self).export_csv
            actions["export_csv"] = (action, "export_csv", EXPORT_CSV_DESCRIPTION)
        return actions

    def get_csv_fields(self, request: HttpRequest) -> list[str]:
        if self.csv_fields is not None:
            return list(self.csv_fields)
        display = self.get_list_display(request)
        return [name for name in display if isinstance(name, str) and name != "action_checkbox"]

    @admin.action(description=EXPORT_CSV_DESCRIPTION, permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> StreamingHttpResponse:
        """``text/csv`` attachment named ``<model>-<UTC time>.csv``; one header row."""
        fields = self.get_csv_fields(request)
        model = queryset.model
        opts = model._meta

        def rows() -> Iterator[str]:
            writer = csv.writer(_Echo())
            yield writer.writerow(
                [capfirst(str(label_for_field(name, model, model_admin=self))) for name in fields]
            )
            for obj in queryset.iterator(chunk_size=CSV_CHUNK_SIZE):
                values = []
                for name in fields:
                    _field, _attr, value = lookup_field(name, obj, self)
                    values.append(csv_cell(value))
                yield writer.writerow(values)

        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{opts.model_name}-{stamp}.csv"'
        return response
