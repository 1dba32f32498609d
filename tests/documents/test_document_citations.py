"""Citations seen from the documents: counts on the document, the answers that
cited it, the analytics, the registry sync linking earlier citations, the admin."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from documents.models import Document
from interactions.models import InteractionCitation
from tests.documents.conftest import client_for
from tests.documents.factories import DocumentAccessFactory, DocumentFactory
from tests.interactions.factories import (
    AIInteractionFactory,
    AISessionFactory,
    InteractionCitationFactory,
)

pytestmark = pytest.mark.django_db

DOCUMENTS = "/api/v1/documents/"
ANALYTICS = "/api/v1/documents/analytics/"


def detail(document) -> str:
    return f"{DOCUMENTS}{document.pk}/"


def citations_of(document) -> str:
    return f"{DOCUMENTS}{document.pk}/citations/"


def answer(when=None, user_id=None, prompt="Which shoes for trail running?"):
    """An interaction at ``when`` in a session of ``user_id``."""
    when = when or timezone.now()
    session = AISessionFactory(user_id=user_id, created_at=when)
    return AIInteractionFactory(session=session, prompt=prompt, created_at=when)


def cite(document, interaction, times=1, kind="cited"):
    for _ in range(times):
        InteractionCitationFactory(document=document, interaction=interaction, kind=kind)


# --- counts on the document ---------------------------------------------------------


def test_the_document_counts_the_answers_that_cited_it(owner):
    document = DocumentFactory(owner=owner)
    earlier, latest = answer(timezone.now() - timedelta(days=2)), answer()
    cite(document, earlier, times=3)  # three annotations, one answer
    cite(document, latest)
    cite(document, answer(), kind="retrieved")  # found by the search, not cited

    body = client_for(owner).get(detail(document)).json()

    assert body["citation_count"] == 2
    assert datetime.fromisoformat(body["last_cited_at"]) == latest.created_at


def test_a_document_never_cited_shows_zero_and_null(owner):
    body = client_for(owner).get(detail(DocumentFactory(owner=owner))).json()

    assert (body["citation_count"], body["last_cited_at"]) == (0, None)


def test_the_list_shows_the_counts_in_a_constant_number_of_queries(
    owner, django_assert_max_num_queries
):
    cited = DocumentFactory(owner=owner)
    cite(cited, answer())
    client = client_for(owner)
    with django_assert_max_num_queries(10) as few:
        client.get(DOCUMENTS)
    for document in DocumentFactory.create_batch(30, owner=owner):
        cite(document, answer(), times=2)

    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = client.get(DOCUMENTS).json()["results"]

    assert len(rows) == 31 and {row["citation_count"] for row in rows} == {1}


# --- the answers that cited a document ----------------------------------------------


def test_the_owner_sees_the_answers_newest_first_with_their_own_prompts_only(owner, other):
    document = DocumentFactory(owner=owner)
    now = timezone.now()
    mine = answer(now - timedelta(hours=2), user_id=str(owner.pk), prompt="my question")
    theirs = answer(now - timedelta(hours=1), user_id=str(other.pk), prompt="their question")
    cite(document, mine, times=2)
    cite(document, theirs)
    cite(document, answer(now), kind="retrieved")

    response = client_for(owner).get(citations_of(document))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["interaction_id"] for r in rows] == [str(theirs.pk), str(mine.pk)]
    assert [r["annotations"] for r in rows] == [1, 2]
    assert (rows[0]["prompt"], rows[0]["response"], rows[0]["session_id"]) == (None, None, None)
    assert rows[1]["prompt"] == "my question"
    assert rows[1]["session_id"] == str(mine.session_id)
    assert rows[1]["model_used"] == "gpt-4o"


def test_a_manager_sees_the_answers_and_admins_see_the_prompts(owner, other, admin_user):
    document = DocumentFactory(owner=owner)
    DocumentAccessFactory(document=document, user=other, permission="manage")
    cite(document, answer(user_id=str(owner.pk), prompt="owner's question"))

    as_manager = client_for(other).get(citations_of(document)).json()["results"]
    as_admin = client_for(admin_user).get(citations_of(document)).json()["results"]

    assert len(as_manager) == 1 and as_manager[0]["prompt"] is None
    assert as_admin[0]["prompt"] == "owner's question"


def test_a_reader_gets_403_and_a_stranger_404(owner, other):
    document = DocumentFactory(owner=owner)
    reader = DocumentAccessFactory(document=document, permission="read").user

    assert client_for(reader).get(citations_of(document)).status_code == 403
    response = client_for(other).get(citations_of(document))
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "document_not_found"


def test_the_answers_are_cursor_paginated(owner, django_assert_max_num_queries):
    document = DocumentFactory(owner=owner)
    start = timezone.now() - timedelta(days=1)
    interactions = [answer(start + timedelta(minutes=i)) for i in range(5)]
    for interaction in interactions:
        cite(document, interaction, times=2)
    client = client_for(owner)

    seen, url = [], citations_of(document) + "?page_size=2"
    while url:
        with django_assert_max_num_queries(4):  # profile, document, page, its interactions
            page = client.get(url).json()
        seen += [row["interaction_id"] for row in page["results"]]
        url = page["next"]

    assert seen == [str(i.pk) for i in reversed(interactions)]


# --- analytics ----------------------------------------------------------------------


def _day(days_ago: int) -> datetime:
    today = timezone.now().astimezone(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


def test_admins_get_the_most_cited_documents_and_the_never_cited(admin_user):
    popular, useful, old_news = DocumentFactory.create_batch(3)
    idle = DocumentFactory(title="Never asked about")
    DocumentFactory(status=Document.Status.DELETED)  # not listed
    for days_ago in (1, 2, 3):
        cite(popular, answer(_day(days_ago)), times=2)
    cite(useful, answer(_day(5)))
    cite(old_news, answer(_day(45)))  # before the default 30 days
    cite(None, answer(_day(1)))  # a file unknown here is not ranked
    InteractionCitationFactory(document=idle, interaction=answer(), kind="retrieved")

    body = client_for(admin_user).get(ANALYTICS).json()

    today = timezone.now().astimezone(UTC).date()
    assert (body["from"], body["to"]) == (str(today - timedelta(days=29)), str(today))
    assert [(r["document_id"], r["citation_count"]) for r in body["most_cited"]] == [
        (str(popular.pk), 3),
        (str(useful.pk), 1),
    ]
    assert body["most_cited"][0]["title"] == popular.title
    never = body["never_cited"]
    assert never["count"] == 1
    assert [d["document_id"] for d in never["documents"]] == [str(idle.pk)]


def test_the_period_is_inclusive_utc_dates(admin_user):
    document = DocumentFactory()
    cite(document, answer(_day(10).replace(hour=0, minute=0)))
    cite(document, answer(_day(8).replace(hour=23, minute=59)))
    cite(document, answer(_day(7).replace(hour=0, minute=0)))
    start, end = _day(10).date(), _day(8).date()

    body = client_for(admin_user).get(ANALYTICS, {"from": start, "to": end}).json()

    assert body["most_cited"][0]["citation_count"] == 2


def test_limit_bounds_both_lists(admin_user):
    for document in DocumentFactory.create_batch(3):
        cite(document, answer())
    DocumentFactory.create_batch(3)

    body = client_for(admin_user).get(ANALYTICS, {"limit": 2}).json()

    assert len(body["most_cited"]) == 2
    assert body["never_cited"]["count"] == 3 and len(body["never_cited"]["documents"]) == 2


@pytest.mark.parametrize(
    ("query", "attr"),
    [
        ({"from": "2026-05-02", "to": "2026-05-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"limit": 0}, "limit"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(admin_user, query, attr):
    response = client_for(admin_user).get(ANALYTICS, query)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr


def test_only_admins_and_staff_see_the_analytics(owner, api_client_with_key, staff_client):
    assert client_for(owner).get(ANALYTICS).status_code == 403
    assert api_client_with_key.get(ANALYTICS).status_code in (401, 403)
    assert staff_client.get(ANALYTICS).status_code == 200


# --- registry sync ------------------------------------------------------------------


def test_citations_of_an_unknown_file_are_linked_when_the_sync_records_it(
    fake_openai, api_client_with_key
):
    file_id = fake_openai.file_add(filename="catalogue.pdf", vector_store_id="vs_test")
    body = {
        "session_id": "5f0c1f0e-0000-4000-8000-0000000000c1",
        "prompt": "Is the catalogue online?",
        "response": "Yes [1].",
        "citations": [
            {"type": "file_citation", "file_id": file_id, "filename": "catalogue.pdf", "index": 4}
        ],
        "retrieved": [{"file_id": "file-never-seen", "filename": "x.pdf", "score": 0.2}],
    }
    written = api_client_with_key.post("/api/v1/interactions/", body, format="json").json()
    assert written["citations"][0]["document_id"] is None

    call_command("sync_openai_files", stdout=io.StringIO())

    document = Document.objects.get(openai_file_id=file_id)
    cited = InteractionCitation.objects.get(openai_file_id=file_id)
    assert cited.document_id == document.pk
    assert InteractionCitation.objects.get(openai_file_id="file-never-seen").document_id is None


def test_a_citation_that_raced_the_sync_is_linked_by_the_next_run(fake_openai):
    """A citation committed while the sync was recording its file missed that
    run's UPDATE; the next run links it (the UPDATE covers every unlinked one)."""
    file_id = fake_openai.file_add(filename="menu.md", vector_store_id="vs_test")
    call_command("sync_openai_files", stdout=io.StringIO())
    late = InteractionCitationFactory(openai_file_id=file_id, filename="menu.md")

    call_command("sync_openai_files", stdout=io.StringIO())

    late.refresh_from_db()
    assert late.document_id == Document.objects.get(openai_file_id=file_id).pk


# --- admin --------------------------------------------------------------------------


def test_the_interaction_page_lists_its_citations(staff_client):
    document = DocumentFactory(title="Trail guide")
    interaction = answer()
    cite(document, interaction)
    InteractionCitationFactory(interaction=interaction, openai_file_id="file-zzz", filename="z.md")

    response = staff_client.get(f"/admin/interactions/aiinteraction/{interaction.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Trail guide" in html and "file-zzz" in html and "z.md" in html


def test_the_document_page_lists_its_latest_citations(staff_client):
    document = DocumentFactory()
    interactions = [answer(timezone.now() - timedelta(minutes=i)) for i in range(25)]
    for interaction in interactions:
        cite(document, interaction)

    response = staff_client.get(f"/admin/documents/document/{document.pk}/change/")

    assert response.status_code == 200
    shown = [form.instance for form in response.context["inline_admin_formsets"][1].formset]
    assert [c.interaction_id for c in shown] == [i.pk for i in interactions[:20]]
    assert str(interactions[0].pk) in response.content.decode()


def test_the_never_cited_filter(staff_client):
    cited, idle = DocumentFactory.create_batch(2)
    cite(cited, answer())

    never = staff_client.get("/admin/documents/document/", {"cited": "never"})
    ever = staff_client.get("/admin/documents/document/", {"cited": "yes"})

    assert list(never.context["cl"].result_list) == [idle]
    assert list(ever.context["cl"].result_list) == [cited]


def test_the_citation_blocks_are_a_constant_number_of_queries(
    staff_client, django_assert_max_num_queries
):
    document, interaction = DocumentFactory(), answer()
    cite(document, interaction)
    pages = [
        f"/admin/interactions/aiinteraction/{interaction.pk}/change/",
        f"/admin/documents/document/{document.pk}/change/",
    ]
    counts = []
    for page in pages:
        with django_assert_max_num_queries(30) as few:
            staff_client.get(page)
        counts.append(len(few.captured_queries))
    for other in DocumentFactory.create_batch(15):
        cite(other, interaction)
        cite(document, answer())

    for page, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert staff_client.get(page).status_code == 200
