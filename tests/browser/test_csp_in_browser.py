"""The Content-Security-Policy in a real browser: the admin and the Swagger UI load and
work without one blocked script, style, image or request."""

import pytest
from django.test import override_settings

from tests.browser.conftest import PASSWORD, log_in

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(API_DOCS_PUBLIC=False)
def test_admin_and_swagger_ui_run_under_the_policy_in_a_browser(page, django_user_model):
    """Chromium reports every blocked script, style, image or request as a
    ``securitypolicyviolation`` event; the pages must raise none and still work."""
    django_user_model.objects.create_superuser("admin", "a@example.com", PASSWORD)
    violations: list[str] = []
    page.expose_function("reportViolation", lambda text: violations.append(text))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));"
    )
    log_in(page, "admin")
    page.wait_for_selector("#site-name")
    page.goto("/admin/sessions_app/customersession/")
    page.wait_for_selector("#changelist")
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    page.wait_for_selector(".opblock", timeout=20_000)  # the schema was fetched
    title = page.inner_text(".swagger-ui .info .title")

    assert violations == []
    assert "Retail" in title
