"""factory_boy factories for sessions_app models."""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from sessions_app.models import CustomerSession, UserProfile, UserSession


class CustomerSessionFactory(factory.django.DjangoModelFactory):
    """An active customer session with a live 7-day window."""

    class Meta:
        model = CustomerSession

    customer_id = factory.Sequence(lambda n: str(100 + n))
    phone = factory.Sequence(lambda n: f"+9198765{n:05d}")
    channel = CustomerSession.Channel.KIOSK
    status = CustomerSession.Status.ACTIVE
    created_at = factory.LazyFunction(timezone.now)
    last_activity = factory.LazyAttribute(lambda o: o.created_at)
    expires_at = factory.LazyAttribute(lambda o: o.last_activity + timedelta(days=7))
    metadata = factory.LazyFunction(dict)


class UserProfileFactory(factory.django.DjangoModelFactory):
    """A regular user's profile (role ``user``)."""

    class Meta:
        model = UserProfile

    id = factory.LazyFunction(uuid.uuid4)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    role = UserProfile.Role.USER
    registration_source = "web"


class UserSessionFactory(factory.django.DjangoModelFactory):
    """An active web session that just started."""

    class Meta:
        model = UserSession

    user = factory.SubFactory(UserProfileFactory)
    session_id = factory.Sequence(lambda n: f"sess-{n:08d}")
    platform = UserSession.Platform.WEB
    status = UserSession.Status.ACTIVE
    device_info = factory.LazyFunction(dict)
    location_info = factory.LazyFunction(dict)
