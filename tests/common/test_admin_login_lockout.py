"""Repeated failed admin logins for one username from one IP are locked out
(django-axes); the lockout is visible, and liftable, in the admin."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("ops", password="right-pw", is_staff=True)


def attempt(password: str, *, ip: str = "203.0.113.7", username: str = "ops"):
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": username, "password": password})


def test_the_limit_of_failures_locks_out_that_user_from_that_ip(staff_user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt("guess").status_code == 200  # the form again, with an error

    assert attempt("guess").status_code == 429
    # Locked out: even the right password is refused, before it is checked.
    assert attempt("right-pw").status_code == 429
    # Another IP, or another username from this IP, is not locked out.
    assert attempt("right-pw", ip="198.51.100.2").status_code == 302
    assert attempt("guess", username="someone-else").status_code == 200


def test_a_successful_login_clears_the_count(staff_user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt("guess")

    assert attempt("right-pw").status_code == 302
    assert attempt("guess").status_code == 200  # counting starts again


def test_lockouts_are_listed_in_the_admin_and_deleting_one_lifts_it(staff_user, staff_client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("guess")

    page = staff_client.get("/admin/axes/accessattempt/")

    assert page.status_code == 200
    assert "203.0.113.7" in page.content.decode()
    AccessAttempt.objects.filter(username="ops").delete()
    assert attempt("right-pw").status_code == 302


def test_the_password_tried_is_never_stored(staff_user):
    attempt("my-secret-guess")

    stored = AccessAttempt.objects.get(username="ops")
    assert "my-secret-guess" not in stored.post_data
