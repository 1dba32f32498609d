"""Production: DEBUG off, SECRET_KEY required, HTTPS hardening on by default."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
# Refuse the placeholders of .env.example and base.py, and short keys (Django's
# check security.W009 wants 50+ characters).
if SECRET_KEY in {"change-me", "django-insecure-local-only-change-me"} or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY is a placeholder or shorter than 50 characters; generate one with "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS (RFC 6797) on by default: one year, subdomains included. Set
# SECURE_HSTS_SECONDS=0 when a proxy in front already sends the header.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading is a commitment of the whole domain (hstspreload.org), so it is the
# domain owner's opt-in; `check --deploy` stays quiet about it until then.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
# The OpenAPI schema and Swagger UI: staff only unless API_DOCS_PUBLIC=true.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)
