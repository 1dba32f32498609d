"""The admin as staff use it, in Chromium: log in, read the dashboard, filter, act,
export; analysts and non-staff change nothing."""

import csv
import io

import pytest
from django.contrib.auth.models import Group

from admin_panel.services import ANALYST_GROUP, analyst_group_grant_view_permissions
from sessions_app.models import CustomerSession
from tests.admin_panel.conftest import make_known_data
from tests.browser.conftest import PASSWORD, log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

# Counts the canvas pixels that are not fully transparent: Chart.js drew something.
DRAWN_PIXELS = """(id) => {
  const canvas = document.getElementById(id);
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) drawn++; }
  return drawn;
}"""


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.com", PASSWORD)


@pytest.fixture
def analyst(django_user_model):
    group, _ = Group.objects.get_or_create(name=ANALYST_GROUP)
    analyst_group_grant_view_permissions()
    user = django_user_model.objects.create_user("ana", "ana@example.com", PASSWORD, is_staff=True)
    user.groups.add(group)
    return user


def test_dashboard_figures_and_charts_are_drawn(page, superuser, tmp_path):
    make_known_data()

    log_in(page, "boss")
    page.wait_for_selector("#dashboard[data-charts-drawn=true]")

    assert page.inner_text("#figure-customer-sessions .dash-figure") == "5"
    assert page.inner_text("#figure-customer-sessions tr[data-channel=kiosk] td") == "3"
    assert page.inner_text("#figure-user-sessions .dash-figure") == "3"
    assert page.inner_text("#interactions-today") == "5"
    assert page.inner_text("[data-period=today] .dash-figure") == "$1.5000"
    assert page.inner_text("#figure-unpriced .dash-figure") == "1"
    assert "ann@example.com" in page.inner_text("#top-users")
    for canvas in ["chart-interactions", "chart-cost", "chart-sessions", "chart-top-users"]:
        assert page.evaluate(DRAWN_PIXELS, canvas) > 500, canvas
    assert page.js_errors == []
    screenshot(page, "dashboard", tmp_path)

    page.click("#top-users a:text('ann@example.com')")
    page.wait_for_selector("#user-activity")
    assert page.inner_text("#user-ai-sessions") == "1"
    screenshot(page, "user-page", tmp_path)


def test_filter_a_changelist_and_run_an_action(page, superuser, tmp_path):
    make_known_data()
    log_in(page, "boss")

    page.goto("/admin/sessions_app/customersession/")
    page.click("#changelist-filter a:text('WhatsApp')")
    page.wait_for_url("**channel__exact=whatsapp**")
    assert page.locator("#result_list tbody tr").count() == 2
    screenshot(page, "changelist", tmp_path)

    page.locator("#result_list tbody tr input.action-select").first.check()
    page.select_option("select[name=action]", "end_sessions")
    page.click("button[name=index]")

    assert "Logged out 1 active session(s)." in page.inner_text("ul.messagelist")
    assert CustomerSession.objects.filter(channel="whatsapp", status="logged_out").count() == 1


def test_export_selected_rows_as_csv(page, superuser):
    make_known_data()
    log_in(page, "boss")

    page.goto("/admin/sessions_app/customersession/?channel__exact=kiosk")
    page.check("#action-toggle")
    page.select_option("select[name=action]", "export_csv")
    with page.expect_download() as download:
        page.click("button[name=index]")

    rows = list(csv.reader(io.StringIO(open(download.value.path()).read())))  # noqa: SIM115
    assert rows[0][:3] == ["Phone", "Customer id", "Channel"]
    assert [row[2] for row in rows[1:]] == ["kiosk"] * 3


def test_an_analyst_can_look_but_not_change(page, analyst):
    make_known_data()
    session = CustomerSession.objects.filter(status="active").first()

    log_in(page, "ana")
    page.wait_for_selector("#dashboard")
    page.goto("/admin/sessions_app/customersession/")
    options = page.locator("select[name=action] option").evaluate_all(
        "options => options.map(o => o.value).filter(Boolean)"
    )
    assert options == ["export_csv"]
    page.goto(f"/admin/sessions_app/customersession/{session.pk}/change/")
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator("a.deletelink").count() == 0

    session.refresh_from_db()
    assert session.status == "active"


def test_a_non_staff_user_cannot_enter(page, django_user_model):
    django_user_model.objects.create_user("shopper", "shopper@example.com", PASSWORD)

    log_in(page, "shopper")

    assert "/admin/login/" in page.url
    assert "staff account" in page.inner_text(".errornote")
    page.goto("/admin/usage/usagelog/")
    assert "/admin/login/" in page.url


STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def test_the_dashboard_works_under_a_strict_content_security_policy(page, superuser):
    """No inline script, nothing from another origin: the page draws its charts with
    a policy that allows only this site's own files."""
    make_known_data()
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    def with_csp(route):
        response = route.fetch()
        route.fulfill(
            response=response,
            headers={**response.headers, "content-security-policy": STRICT_CSP},
        )

    log_in(page, "boss")
    page.route("**/admin/", with_csp)
    page.goto("/admin/")
    page.wait_for_selector("#dashboard[data-charts-drawn=true]")

    assert page.evaluate(DRAWN_PIXELS, "chart-cost") > 500
    assert violations == []
