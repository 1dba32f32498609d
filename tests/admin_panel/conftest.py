"""Known data for the admin dashboard and the staff users who look at it."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone

from admin_panel.services import ANALYST_GROUP, analyst_group_grant_view_permissions
from sessions_app.models import UserProfile
from tests.interactions.factories import AIInteractionFactory, AISessionFactory
from tests.sessions_app.factories import (
    CustomerSessionFactory,
    UserProfileFactory,
    UserSessionFactory,
)
from tests.usage.factories import RecordedUsageLogFactory


@dataclass
class KnownData:
    """What ``known_data`` created: two users with cost today, one week back."""

    ann: UserProfile
    bob: UserProfile


def make_known_data() -> KnownData:
    """Customer sessions: kiosk 3 and WhatsApp 2 active (plus an ended one and one past
    its expiry); user sessions: web 2 and iOS (external) 1 active (plus an ended one);
    AI sessions: 2 today, 1 ten days ago; interactions today: gpt-4o 4, gpt-4o-mini 1;
    usage today: ann $1.00 (gpt-4o), bob $0.50 (gpt-4o-mini), one unpriced call;
    seven days ago: $0.75 (gpt-4o, ann)."""
    now = timezone.now()
    CustomerSessionFactory.create_batch(3, channel="kiosk")
    CustomerSessionFactory.create_batch(2, channel="whatsapp")
    CustomerSessionFactory(channel="website", status="logged_out")
    CustomerSessionFactory(channel="chat", expires_at=now - timedelta(minutes=1))
    ann = UserProfileFactory(email="ann@example.com")
    bob = UserProfileFactory(email="bob@example.com")
    UserSessionFactory.create_batch(2, user=ann, platform="web")
    UserSessionFactory(user=bob, platform="ios-external")
    UserSessionFactory(user=bob, platform="web", status="ended", ended_at=now)
    today_sessions = [AISessionFactory(user_id=str(ann.pk)), AISessionFactory(user_id=str(bob.pk))]
    AISessionFactory(created_at=now - timedelta(days=10))
    AIInteractionFactory.create_batch(4, session=today_sessions[0], model_used="gpt-4o")
    AIInteractionFactory(session=today_sessions[1], model_used="gpt-4o-mini")
    RecordedUsageLogFactory(user_id=str(ann.pk), request_model="gpt-4o", cost_usd=Decimal("1.00"))
    RecordedUsageLogFactory(
        user_id=str(bob.pk), request_model="gpt-4o-mini", cost_usd=Decimal("0.50")
    )
    RecordedUsageLogFactory(
        user_id=str(bob.pk), request_model="ft:custom", cost_usd=None, price_unknown=True
    )
    RecordedUsageLogFactory(
        user_id=str(ann.pk),
        request_model="gpt-4o",
        cost_usd=Decimal("0.75"),
        created_at=now - timedelta(days=7),
    )
    return KnownData(ann=ann, bob=bob)


@pytest.fixture
def known_data(db) -> KnownData:
    return make_known_data()


@pytest.fixture
def analyst_user(db, django_user_model):
    """A staff user in the analyst group (and nothing else)."""
    group, _ = Group.objects.get_or_create(name=ANALYST_GROUP)
    analyst_group_grant_view_permissions()
    user = django_user_model.objects.create_user("analyst", "analyst@example.com", "pw")
    user.is_staff = True
    user.save()
    user.groups.add(group)
    return user


@pytest.fixture
def analyst_client(client, analyst_user):
    client.force_login(analyst_user)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The dashboard caches past days' figures: each test starts without them."""
    cache.clear()
    yield
    cache.clear()
