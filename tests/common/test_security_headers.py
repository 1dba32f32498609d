"""HTTP hardening: HSTS in production, a Content-Security-Policy that the admin and
the Swagger UI pass in a real browser, and API docs public or staff-only by setting."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 20 + "-production-like-secret-key-for-tests-only-0123456789",
    "ALLOWED_HOSTS": "testserver,localhost",
}


def run_production(script: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION_ENV, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PROBE = """
import json, django
django.setup()
from django.test import Client
c = Client()
health = c.get('/healthz', secure=True)
docs = c.get('/api/docs/', secure=True)
print(json.dumps({
    'hsts': health.headers.get('Strict-Transport-Security'),
    'csp': health.headers.get('Content-Security-Policy'),
    'docs_status': docs.status_code,
    'docs_location': docs.headers.get('Location', ''),
}))
"""


def test_production_sends_hsts_and_keeps_the_docs_for_staff():
    result = run_production(PROBE)
    probe = json.loads(result.stdout.strip().splitlines()[-1])

    assert probe["hsts"] == "max-age=31536000; includeSubDomains"
    assert "default-src 'self'" in probe["csp"]
    assert probe["docs_status"] == 302 and "/admin/login/" in probe["docs_location"]


def test_hsts_can_be_turned_off_and_docs_opened_by_settings():
    result = run_production(PROBE, SECURE_HSTS_SECONDS="0", API_DOCS_PUBLIC="true")
    probe = json.loads(result.stdout.strip().splitlines()[-1])

    assert probe["hsts"] is None
    assert probe["docs_status"] == 200


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@override_settings(API_DOCS_PUBLIC=False)
def test_staff_only_docs_refuse_anonymous_callers_and_serve_staff(staff_client):
    assert Client().get("/api/schema/").status_code == 302
    assert Client().get("/api/docs/").status_code == 302

    assert staff_client.get("/api/schema/").status_code == 200
    assert staff_client.get("/api/docs/").status_code == 200


@override_settings(API_DOCS_PUBLIC=True)
def test_public_docs_serve_anyone(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/session/restore"])
def test_every_answer_carries_the_policy(client, path):
    response = client.get(path)

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium")
@pytest.mark.django_db(transaction=True)
@override_settings(API_DOCS_PUBLIC=False)
def test_admin_and_swagger_ui_run_under_the_policy_in_a_browser(live_server, django_user_model):
    """Chromium reports every blocked script, style, image or request as a
    ``securitypolicyviolation`` event; the pages must raise none and still work."""
    from playwright.sync_api import sync_playwright

    django_user_model.objects.create_superuser("admin", "a@example.com", "pw-for-browser")
    violations: list[str] = []
    result: dict = {}

    def drive() -> None:
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = browser.new_page()
                page.expose_function("reportViolation", lambda text: violations.append(text))
                page.add_init_script(
                    "document.addEventListener('securitypolicyviolation', e => "
                    "window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));"
                )
                page.goto(f"{live_server.url}/admin/login/")
                page.fill("#id_username", "admin")
                page.fill("#id_password", "pw-for-browser")
                page.click("input[type=submit]")
                page.wait_for_selector("#site-name")
                page.goto(f"{live_server.url}/admin/sessions_app/customersession/")
                page.wait_for_selector("#changelist")
                page.goto(f"{live_server.url}/api/docs/")
                page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
                page.wait_for_selector(".opblock", timeout=20_000)  # the schema was fetched
                title = page.inner_text(".swagger-ui .info .title")
                browser.close()
            result["title"] = title
        except BaseException as exc:  # re-raised in the test's thread
            result["error"] = exc

    # Its own thread: the session-wide Playwright of the admin's browser tests owns
    # an event loop in this one, and a second sync Playwright refuses to start there.
    thread = threading.Thread(target=drive)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    title = result["title"]

    assert violations == []
    assert "Retail" in title
