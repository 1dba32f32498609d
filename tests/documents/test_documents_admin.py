"""The documents admin: list, filters, search, grants inline, refresh and delete
actions (never a hard delete), the sync runs; staff only; bounded queries."""

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from documents.models import Document, DocumentSyncRun
from tests.documents.conftest import client_for, upload
from tests.documents.factories import DocumentAccessFactory, DocumentFactory

pytestmark = pytest.mark.django_db

DOCUMENTS = "/admin/documents/document/"
RUNS = "/admin/documents/documentsyncrun/"


def shown(response) -> list:
    return list(response.context["cl"].result_list)


def test_the_list_shows_owner_status_size_ids_and_error(staff_client, owner):
    DocumentFactory(
        owner=owner,
        title="Price list",
        status="failed",
        openai_file_id="file-abc123",
        last_error="invalid_file: Bad PDF.",
    )

    html = staff_client.get(DOCUMENTS).content.decode()

    for text in ("Price list", owner.email, "Failed", "1024", "file-abc123", "vs_test", "Bad PDF"):
        assert text in html


def test_filters_by_status_and_owner(staff_client, owner, other):
    failed = DocumentFactory(owner=owner, status="failed")
    ready = DocumentFactory(owner=other)

    assert shown(staff_client.get(DOCUMENTS, {"status__exact": "failed"})) == [failed]
    assert shown(staff_client.get(DOCUMENTS, {"owner__id__exact": str(other.pk)})) == [ready]


def test_search_by_title_filename_and_file_id(staff_client):
    a = DocumentFactory(title="Returns policy", filename="returns.pdf", openai_file_id="file-AAA1")
    b = DocumentFactory(title="Menu", filename="menu-2026.md", openai_file_id="file-BBB2")

    assert shown(staff_client.get(DOCUMENTS, {"q": "returns policy"})) == [a]
    assert shown(staff_client.get(DOCUMENTS, {"q": "menu-2026"})) == [b]
    assert shown(staff_client.get(DOCUMENTS, {"q": "file-BBB"})) == [b]


def test_the_list_is_a_constant_number_of_queries(staff_client, django_assert_max_num_queries):
    DocumentFactory.create_batch(2)
    with django_assert_max_num_queries(20) as few:
        staff_client.get(DOCUMENTS)
    DocumentFactory.create_batch(60)

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff_client.get(DOCUMENTS).status_code == 200


def test_the_change_page_lists_the_grants(staff_client, owner, other):
    document = DocumentFactory(owner=owner)
    DocumentAccessFactory(document=document, user=other, permission="manage")

    response = staff_client.get(f"{DOCUMENTS}{document.pk}/change/")

    assert response.status_code == 200
    grants = response.context["inline_admin_formsets"][0].formset.queryset
    assert [(g.user_id, g.permission) for g in grants] == [(other.pk, "manage")]


def test_refresh_status_asks_openai(staff_client, fake_openai, owner):
    document_id = upload(client_for(owner)).json()["id"]
    document = Document.objects.get(pk=document_id)
    fake_openai.file_status_set(document.openai_file_id, "completed")

    response = staff_client.post(
        DOCUMENTS, {"action": "refresh_status", "_selected_action": [document_id]}, follow=True
    )

    document.refresh_from_db()
    assert document.status == "ready"
    assert "1 checked, 1 changed status." in response.content.decode()


def test_delete_from_openai_keeps_the_record(staff_client, fake_openai, owner):
    document_id = upload(client_for(owner)).json()["id"]

    staff_client.post(
        DOCUMENTS, {"action": "delete_from_openai", "_selected_action": [document_id]}
    )

    document = Document.objects.get(pk=document_id)
    assert document.status == "deleted" and fake_openai.files == {}


def test_a_failed_openai_delete_is_reported_and_changes_nothing(staff_client, fake_openai, owner):
    document_id = upload(client_for(owner)).json()["id"]
    fake_openai.fail("DELETE", "/files/.*", 500)

    response = staff_client.post(
        DOCUMENTS,
        {"action": "delete_from_openai", "_selected_action": [document_id]},
        follow=True,
    )

    assert "OpenAI answered 500" in response.content.decode()
    assert Document.objects.get(pk=document_id).status == "processing"


def test_documents_are_never_hard_deleted_or_added_here(staff_client):
    document = DocumentFactory()

    assert staff_client.get(f"{DOCUMENTS}{document.pk}/delete/").status_code == 403
    assert staff_client.get(f"{DOCUMENTS}add/").status_code == 403
    actions = staff_client.get(DOCUMENTS).context["action_form"].fields["action"].choices
    assert "delete_selected" not in [name for name, _ in actions]


def test_deleting_from_openai_needs_the_delete_permission(client, django_user_model):
    DocumentFactory()
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_document", "change_document"])
    )
    client.force_login(clerk)

    actions = client.get(DOCUMENTS).context["action_form"].fields["action"].choices

    assert [name for name, _ in actions if name] == ["refresh_status", "export_csv"]


def test_the_sync_runs_are_listed_read_only(staff_client):
    run = DocumentSyncRun.objects.create(
        started_at=timezone.now(),
        finished_at=timezone.now(),
        outcome="succeeded",
        known=3,
        new=1,
        missing=2,
        refreshed=4,
    )

    response = staff_client.get(RUNS)

    assert shown(response) == [run] and "Succeeded" in response.content.decode()
    assert staff_client.get(f"{RUNS}add/").status_code == 403


def test_the_documents_admin_is_staff_only(client):
    assert client.get(DOCUMENTS).status_code == 302
    assert client.get(RUNS).status_code == 302
