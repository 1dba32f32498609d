"""The admin in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium).

No browser is downloaded. Where Chromium is not installed the tests are skipped with
that reason (CI installs it; its PostgreSQL run fails on any skip). Set
``ADMIN_SCREENSHOTS=1`` to write the README's screenshots into ``docs/screenshots/``.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.core.cache import cache

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser-test-pw"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def chromium_missing() -> str:
    """Why the browser tests cannot run here ("" when they can)."""
    if not (os.path.isfile(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (uv sync)"
    return ""


@pytest.fixture(scope="session")
def browser():
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls (creating data, reading it back) are ordinary blocking calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1400, "height": 1000}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Any 4xx/5xx of the page's resources (the favicon aside: the admin has none).
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.js_errors = errors
    yield page
    context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the admin's login form."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


def screenshot(page, name: str, tmp_path: Path) -> Path:
    """Full-page PNG into docs/screenshots/ when ADMIN_SCREENSHOTS=1, else tmp_path."""
    folder = SCREENSHOTS if os.environ.get("ADMIN_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The dashboard caches past days' figures: each test starts without them."""
    cache.clear()
    yield
    cache.clear()
