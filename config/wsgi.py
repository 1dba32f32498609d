"""WSGI entry point (gunicorn config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()
# Import the URL conf and every view now rather than on the first request (Django
# does it lazily): with gunicorn's preload_app it is done once, in the master.
get_resolver().url_patterns  # noqa: B018
