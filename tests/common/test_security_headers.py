"""HTTP hardening: HSTS in production, a Content-Security-Policy on every answer (the
admin and the Swagger UI pass it in a real browser: tests/browser/test_csp_in_browser.py),
and API docs public or staff-only by setting."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 20 + "-production-like-secret-key-for-tests-only-0123456789",
    "ALLOWED_HOSTS": "testserver,localhost",
    # The probe runs outside the test database: no rate-limit counter to keep.
    "THROTTLE_RATE_ANON": "",
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
