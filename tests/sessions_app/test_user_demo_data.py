"""Demo signed-in users for `bootstrap_local` (common.demo)."""

import pytest

from common.demo import signed_in_users_load as load_demo_data
from sessions_app.models import UserProfile, UserSession

pytestmark = pytest.mark.django_db


def test_demo_users_cover_several_platforms_and_statuses_and_load_once():
    created = load_demo_data()
    again = load_demo_data()

    assert (created, again) == (7, 0)
    assert UserProfile.objects.count() == 2
    assert set(UserProfile.objects.values_list("role", flat=True)) == {"user", "admin"}
    assert set(UserSession.objects.values_list("platform", flat=True)) == {
        "web",
        "macos-internal",
        "ios-external",
        "ios-widget",
    }
    assert set(UserSession.objects.values_list("status", flat=True)) == {
        "active",
        "idle",
        "ended",
        "timeout",
    }
