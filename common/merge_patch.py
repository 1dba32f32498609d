"""JSON Merge Patch (RFC 7396) in Python: the reference that the database's merge
(``common.db_functions.JSONMergePatch``, used by ``POST /session/update``) is tested against."""

from typing import Any


def json_merge_patch(target: Any, patch: Any) -> Any:
    """Apply ``patch`` to ``target`` as RFC 7396 section 2 defines it.

    An object patch merges key by key, recursively; a ``null`` value deletes the
    key; any other patch (array, string, number, ...) replaces the target whole.
    Neither argument is modified.

    Returns: the patched document.
    """
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result
