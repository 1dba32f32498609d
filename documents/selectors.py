"""Reads of documents: who may read which, lists, grants and the search scope.

Who may read a document: its owner, a user holding a ``read`` or ``manage``
grant, and admins (``UserProfile.is_admin``). Who may manage it (delete, grant,
revoke): its owner, a ``manage`` grantee and admins. A caller who may not read
a document gets "not found", never "forbidden", so its existence stays hidden.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from common.exceptions import NotFoundError
from documents.models import Document, DocumentAccess
from sessions_app.models import UserProfile

# Values per ``in`` comparison of a search filter; longer lists are split into
# several ``in`` filters joined by ``or``.
FILTER_IN_CHUNK = 100
# The document_id attribute of no document (ids are UUIDs): the filter of an
# empty scope, so a caller that searches anyway finds nothing.
NO_DOCUMENT = "none"


# Below this many own + shared documents, a user's list is read from the set of
# their document ids (index lookups, then a sort of that small set); above it,
# from the newest documents down (the created_at index), which finds a page
# quickly when the user's documents are many.
SMALL_SET = 2000


def _readable_q(user: UserProfile) -> Q:
    return document_readable_q(user_id=user.pk)


def document_readable_q(*, user_id: Any, via: str = "") -> Q:
    """The condition "user ``user_id`` owns the document or holds a grant on it",
    for a queryset of documents (``via=""``) or of rows pointing at one
    (``via="document__"``: the relation's path). Admins need no condition."""
    document_pk = f"{via}pk" if via else "pk"
    shared = DocumentAccess.objects.filter(document=OuterRef(document_pk), user_id=user_id)
    return Q(**{f"{via}owner_id": user_id}) | Q(Exists(shared))


def _readable_ids(user_id: Any) -> QuerySet:
    """Ids of the documents ``user_id`` owns or holds a grant on (duplicates
    possible), as a subquery: two index lookups."""
    own = Document.objects.filter(owner_id=user_id).order_by().values("pk")
    shared = DocumentAccess.objects.filter(user_id=user_id).order_by().values("document_id")
    return own.union(shared, all=True)


def _readable_list_q(user: UserProfile) -> Q:
    """The list's filter for ``user``, in the form that is fast for the number of
    documents they may read (one capped count query decides; see SMALL_SET)."""
    ids = _readable_ids(user.pk)
    if ids[: SMALL_SET + 1].count() <= SMALL_SET:
        return Q(pk__in=ids)
    return _readable_q(user)


def user_documents_list(
    *, user: UserProfile, status: str | None = None, owner_id: uuid.UUID | None = None
) -> QuerySet[Document]:
    """The documents ``user`` may read, newest first.

    Args:
        user: the caller. A regular user gets their own and those shared with
            them (never others'); an admin gets every document.
        status: only this status. None: every status except ``deleted`` (deleted
            documents are listed only when asked for).
        owner_id: only this owner's documents (a Supabase user id).

    Two queries for a regular user (a capped count of what they may read picks
    the faster form of the page query; see SMALL_SET), one for an admin. Served
    by the ``(user_id, status, created_at)``, ``(status, created_at)`` and
    ``(created_at)`` indexes and ``document_access``'s ``(user_id, document_id)``.
    """
    qs = Document.objects.all()
    if not user.is_admin:
        qs = qs.filter(_readable_list_q(user))
    qs = qs.exclude(status=Document.Status.DELETED) if status is None else qs.filter(status=status)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs.order_by("-created_at")


def document_get(*, document_id: Any, user: UserProfile) -> Document:
    """One document ``user`` may read (deleted ones included).

    Raises: NotFoundError (404, ``document_not_found``) when it does not exist or
    the user may not read it.
    """
    qs = Document.objects.filter(pk=document_id)
    if not user.is_admin:
        qs = qs.filter(_readable_q(user))
    document = qs.first()
    if document is None:
        raise NotFoundError("No such document.", code="document_not_found")
    return document


def document_role(*, document: Document, user: UserProfile) -> str | None:
    """What ``user`` is to ``document``: ``"admin"``, ``"owner"``, ``"manage"`` or
    ``"read"`` (a grant), or None (a stranger)."""
    if user.is_admin:
        return "admin"
    if document.owner_id is not None and str(document.owner_id) == str(user.pk):
        return "owner"
    grant = DocumentAccess.objects.filter(document=document, user=user).first()
    return grant.permission if grant else None


def document_may_manage(*, document: Document, user: UserProfile) -> bool:
    """True for the owner, a ``manage`` grantee or an admin."""
    return document_role(document=document, user=user) in ("admin", "owner", "manage")


def document_access_list(*, document: Document) -> QuerySet[DocumentAccess]:
    """The document's grants, oldest first (one query)."""
    return DocumentAccess.objects.filter(document=document).order_by("granted_at", "pk")


@dataclass(frozen=True)
class SearchScope:
    """What a ``file_search`` may look at for one user.

    ``vector_store_ids``: the stores holding those documents (empty: nothing to
    search). ``filters``: the tool's ``filters`` object on the ``document_id``
    attribute (``eq`` for one document, ``in`` for more, ``or`` of ``in`` filters
    beyond FILTER_IN_CHUNK ids; for no document an ``eq`` that matches nothing).
    ``document_ids``: the documents, newest first.
    """

    vector_store_ids: list[str]
    filters: dict
    document_ids: list[str] = field(default_factory=list)


def search_filter_for(document_ids: list[str]) -> dict:
    """The ``file_search`` ``filters`` object that matches exactly ``document_ids``
    (OpenAI's ComparisonFilter / CompoundFilter shapes)."""
    if not document_ids:
        return {"type": "eq", "key": "document_id", "value": NO_DOCUMENT}
    if len(document_ids) == 1:
        return {"type": "eq", "key": "document_id", "value": document_ids[0]}
    chunks = [
        {"type": "in", "key": "document_id", "value": document_ids[i : i + FILTER_IN_CHUNK]}
        for i in range(0, len(document_ids), FILTER_IN_CHUNK)
    ]
    return chunks[0] if len(chunks) == 1 else {"type": "or", "filters": chunks}


def document_search_scope(*, user_id: Any) -> SearchScope:
    """The scope of a ``file_search`` for the user ``user_id``: their own ``ready``
    documents and the ``ready`` documents shared with them (``read`` or
    ``manage``). Admins get the same: reading every document is an
    administrative power, not what their own questions should search.

    A document becomes searchable the moment its status is ``ready``, so new
    uploads are found without any registry refresh. One query.
    An unknown user id is a user with no documents (an empty scope).
    """
    rows = (
        Document.objects.filter(status=Document.Status.READY, pk__in=_readable_ids(user_id))
        .order_by("-created_at")
        .values_list("id", "vector_store_id")
    )
    document_ids, stores = [], []
    for document_id, store in rows:
        document_ids.append(str(document_id))
        if store and store not in stores:
            stores.append(store)
    return SearchScope(
        vector_store_ids=stores,
        filters=search_filter_for(document_ids),
        document_ids=document_ids,
    )
