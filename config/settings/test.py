"""Settings for pytest: fast password hashing, DEBUG off like production."""

import re

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True  # no collectstatic before tests

# The suite creates, migrates and drops whole databases, which a loaded machine may
# take longer than production's statement timeout to do; the timeout's own tests
# start processes with DATABASE_STATEMENT_TIMEOUT set explicitly.
if "DATABASE_STATEMENT_TIMEOUT" not in env.ENVIRON and "options" in DATABASES["default"]["OPTIONS"]:  # noqa: F405
    DATABASES["default"]["OPTIONS"]["options"] = re.sub(  # noqa: F405
        r"statement_timeout=\d+",
        "statement_timeout=0",
        DATABASES["default"]["OPTIONS"]["options"],  # noqa: F405
    )
# No rate limits in the suite (a test's requests are not a caller's traffic, and
# query-count assertions count the application's statements); the throttle tests
# set rates themselves.
THROTTLE_RATE_API_KEY = THROTTLE_RATE_USER = THROTTLE_RATE_CUSTOMER = THROTTLE_RATE_ANON = ""
