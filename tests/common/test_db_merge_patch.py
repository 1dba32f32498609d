"""The database's JSON Merge Patch (PostgreSQL's jsonb_merge_patch, SQLite's
json_patch) gives what RFC 7396 and the Python reference give."""

import pytest
from django.db.models import F, JSONField, Value

from common.db_functions import JSONMergePatch
from common.merge_patch import json_merge_patch
from sessions_app.models import CustomerSession
from tests.common.test_merge_patch import RFC_7396_APPENDIX_A
from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db

# The column holds JSON objects, and /session/update only sends object patches.
OBJECT_CASES = [
    (target, patch, expected)
    for target, patch, expected in RFC_7396_APPENDIX_A
    if isinstance(target, dict) and isinstance(patch, dict)
] + [
    ({"cart": {"items": [1, 2], "total": 10}}, {"cart": {"total": None, "n": 2}}, None),
    ({"a": {"b": {"c": 1, "d": 2}}}, {"a": {"b": {"c": None, "e": {"f": None}}}}, None),
    ({"text": "ünïcödé ✓", "n": 1.5}, {"n": None, "deep": [{"x": None}]}, None),
]


@pytest.mark.parametrize(("target", "patch", "expected"), OBJECT_CASES)
def test_the_database_merges_as_rfc_7396_says(target, patch, expected):
    session = CustomerSessionFactory(metadata=target)

    CustomerSession.objects.filter(pk=session.pk).update(
        metadata=JSONMergePatch(F("metadata"), Value(patch, output_field=JSONField()))
    )

    session.refresh_from_db()
    reference = json_merge_patch(target, patch)
    assert session.metadata == reference
    assert expected is None or reference == expected
