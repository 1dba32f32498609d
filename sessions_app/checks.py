"""Django system checks for the Supabase auth settings (run by ``manage.py check``,
``runserver``, ``migrate``; registered in ``SessionsAppConfig.ready``).

Kept free of DRF and model imports so ``authentication`` can reuse
``supabase_url_problem`` and the checks load before anything else.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

SUPABASE_URL_INVALID = "sessions_app.E001"


def supabase_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be ``SUPABASE_URL``, or None when it can (or is empty).

    Args:
        url: the setting's value (``config.settings`` strips a trailing ``/``).

    Returns: a sentence for an operator, or None. The JWKS URL
    (``{SUPABASE_URL}/auth/v1/.well-known/jwks.json``) and the default issuer
    (``{SUPABASE_URL}/auth/v1``) are built by appending to it, so it must be an
    absolute http(s) URL with a host and no query or fragment (PyJWKClient
    refuses any other scheme), and it must not already end in ``/auth/v1``.
    """
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return (
            f"SUPABASE_URL {url!r} is not an absolute http(s) URL; "
            "write it as https://PROJECT.supabase.co."
        )
    if parts.query or parts.fragment:
        return f"SUPABASE_URL {url!r} has a query or fragment; use the bare project URL."
    if parts.path.rstrip("/").endswith("/auth/v1"):
        return f"SUPABASE_URL {url!r} ends in /auth/v1; use the project URL without it."
    return None


def check_supabase_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``sessions_app.E001`` when ``SUPABASE_URL`` is set but unusable.

    Without this, such a URL made every ES256/RS256 token look like it was signed
    with an unknown key (a misleading 401); at run time it is now a 503
    ``auth_unavailable`` with the same sentence in the log.
    """
    problem = supabase_url_problem(settings.SUPABASE_URL)
    if problem is None:
        return []
    return [
        checks.Error(
            problem,
            hint="Project Settings → API → Project URL in the Supabase dashboard.",
            obj="settings.SUPABASE_URL",
            id=SUPABASE_URL_INVALID,
        )
    ]
