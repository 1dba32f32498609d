"""The OpenAI stand-in speaks the API as the real SDK expects it (other apps' tests
rely on it too): objects, cursor pages, deletes and error bodies."""

import openai
import pytest

from tests.fake_openai import API_KEY


@pytest.fixture
def client(fake_openai) -> openai.OpenAI:
    return openai.OpenAI(api_key=API_KEY, base_url=fake_openai.base_url, max_retries=0)


def test_files_and_vector_store_files_round_trip(client, fake_openai):
    created = client.files.create(file=("a.txt", b"hello", "text/plain"), purpose="assistants")
    attached = client.vector_stores.files.create(
        vector_store_id="vs_test", file_id=created.id, attributes={"document_id": "d1"}
    )
    store = client.vector_stores.retrieve("vs_test")

    assert client.files.retrieve(created.id).filename == "a.txt" and created.bytes == 5
    assert attached.status == "in_progress" and attached.attributes == {"document_id": "d1"}
    assert store.file_counts.in_progress == 1 and store.file_counts.total == 1
    assert client.vector_stores.files.delete(created.id, vector_store_id="vs_test").deleted
    assert client.files.delete(created.id).deleted
    assert fake_openai.files == {}


def test_listings_are_cursor_pages_the_sdk_follows(client, fake_openai):
    ids = [fake_openai.file_add(vector_store_id="vs_test") for _ in range(25)]

    listed = [f.id for f in client.vector_stores.files.list("vs_test", limit=10)]
    oldest_first = [f.id for f in client.files.list(limit=7, order="asc")]
    failed_only = list(client.vector_stores.files.list("vs_test", filter="failed"))

    assert listed == list(reversed(ids)) and oldest_first == ids
    # Pages of 10, 10 and 5, then the filtered listing.
    assert fake_openai.count("GET", "/vector_stores/vs_test/files") == 4
    assert failed_only == []


def test_errors_come_back_as_the_sdks_exceptions(client, fake_openai):
    fake_openai.fail("POST", "/files", 429, message="Rate limit reached")

    with pytest.raises(openai.NotFoundError):
        client.files.retrieve("file-nope")
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve("vs_nope")
    with pytest.raises(openai.RateLimitError, match="Rate limit reached"):
        client.files.create(file=("a.txt", b"x"), purpose="assistants")
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(api_key="sk-wrong", base_url=fake_openai.base_url).files.list()
