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
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_CONTENT_TYPE_NOSNIFF = True
