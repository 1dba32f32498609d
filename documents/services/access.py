"""Writes of access grants: who else may read or manage a document."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from common.exceptions import ConflictError
from documents import selectors
from documents.exceptions import DocumentPermissionDenied
from documents.models import Document, DocumentAccess
from sessions_app.models import UserProfile


def _check_may_manage(document: Document, user: UserProfile) -> None:
    if not selectors.document_may_manage(document=document, user=user):
        raise DocumentPermissionDenied(
            "Only the owner or a manager may change who can read this document."
        )


@dataclass(frozen=True)
class GrantResult:
    """What ``document_access_grant`` did: the grant and whether it is new."""

    grant: DocumentAccess
    created: bool


def document_access_grant(
    *, document: Document, user: UserProfile, grantee_id: Any, permission: str
) -> GrantResult:
    """Let ``grantee_id`` read (``read``) or manage (``manage``) the document; an
    existing grant of that user is changed to ``permission``.

    Args:
        document: a document ``user`` may read.
        user: the caller: the owner, a ``manage`` grantee or an admin.
        grantee_id: the Supabase user id of a user who has signed in here before.
        permission: ``read`` or ``manage``.

    Raises: DocumentPermissionDenied (403) for a ``read`` grantee; ValidationError
    (400) naming ``user_id`` for an unknown user or the owner, ``permission`` for
    another value; ConflictError (409, ``document_deleted``) for a deleted
    document. Concurrent grants for one user end on one row (unique index).
    """
    _check_may_manage(document, user)
    if permission not in DocumentAccess.Permission.values:
        raise ValidationError(
            {"permission": ValidationError("Choose read or manage.", code="invalid_choice")}
        )
    if document.status == Document.Status.DELETED:
        raise ConflictError("The document is deleted.", code="document_deleted")
    grantee = UserProfile.objects.filter(pk=grantee_id).first()
    if grantee is None:
        raise ValidationError(
            {"user_id": ValidationError("No user with this id has signed in.", code="unknown")}
        )
    if document.owner_id is not None and grantee.pk == document.owner_id:
        raise ValidationError(
            {"user_id": ValidationError("The owner needs no grant.", code="owner")}
        )
    grant, created = DocumentAccess.objects.update_or_create(
        document=document,
        user=grantee,
        defaults={"permission": permission, "granted_by": user},
    )
    return GrantResult(grant=grant, created=created)


def document_access_revoke(*, document: Document, user: UserProfile, grantee_id: Any) -> None:
    """Remove ``grantee_id``'s grant on the document (nothing to remove is not an
    error: the user cannot read it either way).

    Raises: DocumentPermissionDenied (403) unless ``user`` may manage the document.
    """
    _check_may_manage(document, user)
    DocumentAccess.objects.filter(document=document, user_id=grantee_id).delete()
