"""Health on the dashboard: OpenAI probe off the request path, 5xx errors recorded."""

import threading

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from admin_panel import services
from admin_panel.models import CommandRun, ServerError
from admin_panel.selectors import openai_status as status_module
from admin_panel.selectors.openai_status import openai_probe, openai_status
from tests.admin_panel.openai_stub import stub_openai

pytestmark = pytest.mark.django_db

INDEX = "/admin/"


def boom(request):
    raise RuntimeError("secret value that must not be stored")


def unavailable(request):
    return HttpResponse("down", status=503)


urlpatterns = [
    path("boom", boom),
    path("unavailable", unavailable),
    path("", include("config.urls")),
]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def openai_server(settings):
    with stub_openai() as stub:
        settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
        settings.OPENAI_BASE_URL = stub.base_url
        settings.OPENAI_HEALTH_TIMEOUT_SECONDS = 2
        yield stub


def wait_for_probe() -> None:
    for thread in threading.enumerate():
        if thread.name == "openai-health-probe":
            thread.join(timeout=10)


def test_probe_reaches_openai_and_the_page_shows_it(staff_client, openai_server):
    result = openai_probe()

    assert result.state == "reachable" and openai_server.requests == ["/v1/models"]
    html = staff_client.get(INDEX).content.decode()
    assert "reachable ·" in html


def test_a_refused_key_is_unreachable_with_its_status(openai_server):
    openai_server.status = 401

    result = openai_probe()

    assert result.state == "unreachable" and "HTTP 401" in result.error
    assert "sk-test" not in result.error


def test_a_hanging_openai_never_holds_the_page(staff_client, openai_server):
    openai_server.hold.clear()  # OpenAI accepts the connection and never answers

    response = staff_client.get(INDEX)

    # The page was rendered while the probe was still waiting on OpenAI.
    assert response.status_code == 200 and "checking…" in response.content.decode()
    assert not openai_server.hold.is_set()
    wait_for_probe()  # times out after OPENAI_HEALTH_TIMEOUT_SECONDS
    assert openai_status().state == "unreachable"
    assert openai_status().error == "APITimeoutError"


def test_one_probe_at_a_time(openai_server):
    openai_server.hold.clear()

    for _ in range(5):
        assert openai_status().state == "checking"
    openai_server.hold.set()
    wait_for_probe()

    assert len(openai_server.requests) == 1
    assert not status_module._probe_running.is_set()


def test_openai_not_configured_makes_no_call(settings):
    settings.OPENAI_API_KEY = ""
    assert openai_status().state == "not_configured"


@pytest.mark.urls(__name__)
def test_a_500_is_recorded_without_its_message(staff_client):
    client = Client(raise_request_exception=False)

    response = client.get("/boom?token=abc", HTTP_X_REQUEST_ID="req-123")

    assert response.status_code == 500
    error = ServerError.objects.get()
    assert (error.method, error.path, error.status_code) == ("GET", "/boom", 500)
    assert (error.error_class, error.request_id) == ("RuntimeError", "req-123")
    html = staff_client.get(INDEX).content.decode()
    assert "RuntimeError" in html and "req-123" in html
    assert staff_client.get(INDEX).context["server_errors"].count_24h == 1
    assert "secret value" not in str(ServerError.objects.values_list())


@pytest.mark.urls(__name__)
def test_a_503_answer_is_recorded_too(client):
    assert client.get("/unavailable").status_code == 503
    assert ServerError.objects.get().status_code == 503


def test_the_error_table_stays_bounded(monkeypatch):
    monkeypatch.setattr(services, "SERVER_ERRORS_KEPT", 5)

    for n in range(12):
        services.server_error_record(method="GET", path=f"/p{n}", status_code=500)

    assert ServerError.objects.count() == 5
    assert ServerError.objects.order_by("id").first().path == "/p7"


def test_command_runs_stay_bounded_per_command(monkeypatch):
    monkeypatch.setattr(services, "COMMAND_RUNS_KEPT_PER_COMMAND", 3)
    other = services.command_run_finish(run=services.command_run_start(command="other"))

    for _ in range(6):
        services.command_run_finish(run=services.command_run_start(command="expire_sessions"))

    assert CommandRun.objects.filter(command="expire_sessions").count() == 3
    assert CommandRun.objects.filter(pk=other.pk).exists()


def test_a_failed_command_is_recorded_as_failed():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("mark_idle_sessions", "--idle-minutes", "0")

    run = CommandRun.objects.get()
    assert run.status == "failed" and run.error.startswith("CommandError: --idle-minutes")
    assert run.finished_at is not None and run.duration_ms is not None
