"""/api/v1/documents/{id}/access/: grants read/manage by owner, manager or admin."""

import uuid

import pytest

from documents.models import DocumentAccess
from tests.documents.conftest import client_for
from tests.documents.factories import DocumentAccessFactory, DocumentFactory
from tests.sessions_app.factories import UserProfileFactory
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


def access_url(document, user_id=None) -> str:
    base = f"/api/v1/documents/{document.pk}/access/"
    return f"{base}{user_id}/" if user_id else base


def test_the_owner_grants_changes_lists_and_revokes(owner, other):
    document = DocumentFactory(owner=owner)
    client = client_for(owner)

    created = client.post(access_url(document), {"user_id": str(other.pk), "permission": "read"})
    changed = client.post(access_url(document), {"user_id": str(other.pk), "permission": "manage"})
    listed = client.get(access_url(document))
    revoked = client.delete(access_url(document, other.pk))

    assert created.status_code == 201
    assert created.json()["user_id"] == str(other.pk)
    assert created.json()["granted_by"] == str(owner.pk)
    assert changed.status_code == 200 and changed.json()["permission"] == "manage"
    assert [(g["user_id"], g["permission"]) for g in listed.json()] == [(str(other.pk), "manage")]
    assert revoked.status_code == 204 and not DocumentAccess.objects.exists()


def test_a_grant_opens_the_document_to_its_user(owner, other):
    document = DocumentFactory(owner=owner)
    client_for(owner).post(access_url(document), {"user_id": str(other.pk), "permission": "read"})

    assert client_for(other).get(f"/api/v1/documents/{document.pk}/").status_code == 200


def test_a_manage_grantee_and_an_admin_may_grant(owner, other, admin_user):
    document = DocumentFactory(owner=owner)
    DocumentAccessFactory(document=document, user=other, permission="manage")
    third, fourth = UserProfileFactory(), UserProfileFactory()

    by_manager = client_for(other).post(
        access_url(document), {"user_id": str(third.pk), "permission": "read"}
    )
    by_admin = client_for(admin_user).post(
        access_url(document), {"user_id": str(fourth.pk), "permission": "read"}
    )

    assert by_manager.status_code == 201 and by_admin.status_code == 201


def test_a_read_grantee_may_list_but_not_grant_or_revoke(owner, other):
    document = DocumentFactory(owner=owner)
    DocumentAccessFactory(document=document, user=other, permission="read")
    third = UserProfileFactory()
    client = client_for(other)

    assert client.get(access_url(document)).status_code == 200
    grant = client.post(access_url(document), {"user_id": str(third.pk), "permission": "read"})
    assert grant.status_code == 403
    assert client.delete(access_url(document, other.pk)).status_code == 403
    assert DocumentAccess.objects.count() == 1


def test_a_stranger_gets_404_everywhere(owner, other):
    document = DocumentFactory(owner=owner)
    client = client_for(other)

    assert client.get(access_url(document)).status_code == 404
    grant = client.post(access_url(document), {"user_id": str(other.pk), "permission": "read"})
    assert grant.status_code == 404
    assert client.delete(access_url(document, owner.pk)).status_code == 404
    assert not DocumentAccess.objects.exists()


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"user_id": str(uuid.uuid4()), "permission": "read"}, "user_id"),  # never signed in
        ({"user_id": "not-a-uuid", "permission": "read"}, "user_id"),
        ({"permission": "read"}, "user_id"),
        ({"user_id": "OWNER", "permission": "read"}, "user_id"),
        ({"user_id": "OTHER", "permission": "write"}, "permission"),
    ],
)
def test_bad_grants_are_400_naming_the_field(owner, other, body, attr):
    document = DocumentFactory(owner=owner)
    body = {k: {"OWNER": str(owner.pk), "OTHER": str(other.pk)}.get(v, v) for k, v in body.items()}

    response = client_for(owner).post(access_url(document), body)

    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == attr
    assert not DocumentAccess.objects.exists()


def test_a_deleted_document_takes_no_new_grants(owner, other):
    document = DocumentFactory(owner=owner, status="deleted")

    response = client_for(owner).post(
        access_url(document), {"user_id": str(other.pk), "permission": "read"}
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "document_deleted"


def test_revoking_a_grant_that_does_not_exist_is_204(owner, other):
    document = DocumentFactory(owner=owner)

    assert client_for(owner).delete(access_url(document, other.pk)).status_code == 204


@pytest.mark.django_db(transaction=True)
def test_concurrent_grants_for_one_user_end_on_one_row(owner, other):
    document = DocumentFactory(owner=owner)

    responses = run_in_threads(
        4,
        lambda i: client_for(owner).post(
            access_url(document),
            {"user_id": str(other.pk), "permission": "read" if i % 2 else "manage"},
        ),
    )

    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert DocumentAccess.objects.filter(document=document, user=other).count() == 1
