"""Staff who may only view are offered no admin action that changes data (only the
CSV export, which reads), and a forged action request changes nothing."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from sessions_app.models import CustomerSession, UserProfile, UserSession
from tests.sessions_app.factories import (
    CustomerSessionFactory,
    UserProfileFactory,
    UserSessionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(django_user_model):
    """A staff account holding every "view" permission and nothing else."""
    user = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return django_user_model.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


def test_a_view_only_account_is_offered_no_action_anywhere(viewer):
    request = RequestFactory().get("/admin/")
    request.user = viewer

    offered = {
        f"{model._meta.label}.{name}"
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_view_permission(request)
        for name in model_admin.get_actions(request)
        if name != "export_csv"  # reads only: needs the view permission
    }

    assert offered == set()


def test_a_superuser_is_offered_the_actions(rf, django_user_model):
    request = rf.get("/admin/")
    request.user = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")

    def actions(model):
        return set(admin.site._registry[model].get_actions(request))

    assert {"end_sessions", "expire_sessions"} <= actions(CustomerSession)
    assert {"make_admin", "make_user"} <= actions(UserProfile)
    assert "end_selected" in actions(UserSession)


def test_view_only_pages_show_no_action_menu(viewer_client):
    CustomerSessionFactory()

    html = viewer_client.get("/admin/sessions_app/customersession/").content.decode()

    # The one action offered is the CSV export, which changes nothing.
    assert re.findall(r'<option value="([^"]+)"', html) == ["export_csv"]
    assert "Expire selected" not in html


@pytest.mark.parametrize(
    ("url", "action", "make", "state"),
    [
        (
            "/admin/sessions_app/customersession/",
            "expire_sessions",
            CustomerSessionFactory,
            lambda obj: obj.status,
        ),
        (
            "/admin/sessions_app/customersession/",
            "end_sessions",
            CustomerSessionFactory,
            lambda obj: obj.status,
        ),
        (
            "/admin/sessions_app/userprofile/",
            "make_admin",
            UserProfileFactory,
            lambda obj: obj.role,
        ),
        (
            "/admin/sessions_app/usersession/",
            "end_selected",
            UserSessionFactory,
            lambda obj: (obj.status, obj.ended_at),
        ),
    ],
)
def test_a_forged_action_post_changes_nothing(viewer_client, url, action, make, state):
    obj = make()
    before = state(obj)

    response = viewer_client.post(url, {"action": action, "_selected_action": [str(obj.pk)]})

    assert response.status_code in (200, 302, 403)
    obj.refresh_from_db()
    assert state(obj) == before
