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


def _policy_answer(request, response):
    from common.middleware import CSPMiddleware

    middleware = CSPMiddleware(lambda _request: response)
    middleware.process_request(request)
    return middleware.process_response(request, response)


def test_the_policy_built_once_is_django_csps_own(client, rf):
    from csp.middleware import CSPMiddleware as LibraryMiddleware
    from django.http import HttpResponse

    request = rf.get("/session/restore")
    library = LibraryMiddleware(lambda _request: HttpResponse())
    library.process_request(request)
    expected = library.process_response(request, HttpResponse()).headers

    for path in ("/session/restore", "/healthz", "/admin/login/"):
        answer = client.get(path)
        assert answer.headers["Content-Security-Policy"] == expected["Content-Security-Policy"]
        assert "Content-Security-Policy-Report-Only" not in answer.headers


def test_a_view_that_changes_its_policy_gets_the_change(rf):
    from csp.decorators import csp_update
    from django.http import HttpResponse

    @csp_update({"img-src": ["https://images.example.com"]})
    def view(request):
        return HttpResponse()

    request = rf.get("/some/page")
    answer = _policy_answer(request, view(request))

    policy = answer.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://images.example.com" in policy
    assert "script-src 'self'" in policy


def test_a_page_that_used_its_nonce_gets_it_in_the_policy(rf):
    from csp.constants import NONCE, SELF
    from csp.exceptions import CSPNonceError
    from django.http import HttpResponse

    from common.middleware import CSPMiddleware

    middleware = CSPMiddleware(lambda _request: HttpResponse())
    policy = {"DIRECTIVES": {"script-src": [SELF, NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        used, unused = rf.get("/page"), rf.get("/page")
        middleware.process_request(used)
        middleware.process_request(unused)
        nonce = str(used.csp_nonce)
        with_nonce = middleware.process_response(used, HttpResponse()).headers
        without = middleware.process_response(unused, HttpResponse()).headers

    assert f"script-src 'self' 'nonce-{nonce}'" in with_nonce["Content-Security-Policy"]
    assert "nonce" not in without["Content-Security-Policy"]
    with pytest.raises(CSPNonceError):  # asked for after its header was written
        str(unused.csp_nonce)


def test_changed_settings_change_the_policy_and_excluded_paths_get_none(rf):
    from django.http import HttpResponse

    from common.middleware import CSPMiddleware

    middleware = CSPMiddleware(lambda _request: HttpResponse())

    def answer(path):
        request = rf.get(path)
        middleware.process_request(request)
        return middleware.process_response(request, HttpResponse()).headers

    before = answer("/api/v1/x")
    policy = {"EXCLUDE_URL_PREFIXES": ["/open/"], "DIRECTIVES": {"default-src": ["'none'"]}}
    report_only = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-reports/"}}
    with override_settings(
        CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only
    ):
        changed, excluded = answer("/api/v1/x"), answer("/open/page")
    after = answer("/api/v1/x")

    assert changed["Content-Security-Policy"] == "default-src 'none'"
    assert changed["Content-Security-Policy-Report-Only"] == (
        "default-src 'self'; report-uri /csp-reports/"
    )
    assert "Content-Security-Policy" not in excluded
    assert "Content-Security-Policy-Report-Only" in excluded
    assert before["Content-Security-Policy"] == after["Content-Security-Policy"]
    assert "script-src 'self'" in after["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in after
