"""create_api_key and bootstrap_local."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from sessions_app.models import CustomerSession

pytestmark = pytest.mark.django_db


def test_create_api_key_prints_a_working_key_as_its_last_line():
    out = StringIO()

    call_command("create_api_key", "kiosk-store-12", stdout=out, stderr=StringIO())

    key = out.getvalue().strip().splitlines()[-1]
    assert APIKey.objects.get_from_key(key).name == "kiosk-store-12"
    client = APIClient()
    response = client.post(
        "/session/start",
        {"phone": "+919876543210", "channel": "kiosk", "customer_id": "1"},
        format="json",
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 201


def test_create_api_key_stores_only_a_hash():
    out = StringIO()
    call_command("create_api_key", "gateway", stdout=out, stderr=StringIO())
    key = out.getvalue().strip()

    stored = APIKey.objects.get(name="gateway")

    assert key.split(".")[1] not in stored.hashed_key


def test_create_api_key_rejects_an_empty_name():
    with pytest.raises(CommandError):
        call_command("create_api_key", "  ", stdout=StringIO(), stderr=StringIO())


def test_bootstrap_local_is_idempotent(settings, tmp_path):
    settings.DEBUG = True
    settings.BASE_DIR = tmp_path
    first, second = StringIO(), StringIO()

    call_command("bootstrap_local", stdout=first)
    call_command("bootstrap_local", stdout=second)

    assert "Demo channel API key (shown once" in first.getvalue()
    assert "shown once" not in second.getvalue()
    assert get_user_model().objects.filter(username="admin", is_superuser=True).count() == 1
    assert APIKey.objects.filter(name="demo-channel").count() == 1
    assert CustomerSession.objects.filter(metadata__demo=True).count() == 5
    assert CustomerSession.objects.filter(phone="+919876543210", status="active").count() == 1


def test_bootstrap_local_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("bootstrap_local", stdout=StringIO())
