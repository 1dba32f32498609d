"""Demo signed-in users and their platform sessions (seed 004's platforms)."""

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from sessions_app.models import UserProfile, UserSession

# Fixed ids so a second run finds the first run's rows.
_NAMESPACE = uuid.UUID("6f0b7c36-0d1e-4c55-9a43-3b2d2f3f9a10")
ANNA = uuid.uuid5(_NAMESPACE, "anna@example.com")
RAVI = uuid.uuid5(_NAMESPACE, "ravi@example.com")

Platform, Status = UserSession.Platform, UserSession.Status


@transaction.atomic
def load_demo_data() -> int:
    """Create two demo profiles (an admin who signed up on the web, a user from the iOS
    app) and five sessions on web, iOS, the iOS widget and macOS: active, idle,
    ended and timed out. Idempotent: rows already there are left alone.

    Returns: the number of rows created (0 on a second run).
    """
    now = timezone.now()
    profiles = [
        UserProfile(
            id=ANNA,
            email="anna@example.com",
            role=UserProfile.Role.ADMIN,
            registration_source="web",
            last_seen_at=now - timedelta(minutes=2),
        ),
        UserProfile(
            id=RAVI,
            email="ravi@example.com",
            phone="+919876543210",
            registration_source="ios-external",
            last_seen_at=now - timedelta(hours=3),
        ),
    ]

    def session(user, session_id, platform, status, started, last, **extra):
        return UserSession(
            user_id=user,
            session_id=session_id,
            platform=platform,
            status=status,
            started_at=now - started,
            last_activity_at=now - last,
            last_heartbeat_at=now - last,
            device_info=extra.pop("device_info", {}),
            location_info={"country": "IN", "timezone": "Asia/Kolkata"},
            **extra,
        )

    ended = {"ended_at": now - timedelta(days=2, hours=1)}
    sessions = [
        session(
            ANNA,
            "demo-anna-web-1",
            Platform.WEB,
            Status.ACTIVE,
            timedelta(minutes=25),
            timedelta(minutes=1),
            activity_count=14,
            user_agent="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            ip_address="203.0.113.0",
            device_info={"source": "user-agent", "browser": {"family": "Safari"}},
        ),
        session(
            ANNA,
            "demo-anna-macos-1",
            Platform.MACOS_INTERNAL,
            Status.IDLE,
            timedelta(hours=1),
            timedelta(minutes=20),
            activity_count=5,
            device_info={"platform": "macOS", "app_version": "2.3.0", "model": "MacBookPro18,3"},
        ),
        session(
            RAVI,
            "demo-ravi-ios-1",
            Platform.IOS_EXTERNAL,
            Status.ENDED,
            timedelta(days=2, hours=2),
            timedelta(days=2, hours=1),
            end_reason=UserSession.EndReason.LOGOUT,
            total_duration_seconds=3600,
            activity_count=40,
            device_info={"platform": "iOS", "app_version": "2.3.0", "model": "iPhone15,2"},
            **ended,
        ),
        session(
            RAVI,
            "demo-ravi-widget-1",
            Platform.IOS_WIDGET,
            Status.TIMEOUT,
            timedelta(hours=5),
            timedelta(hours=4),
            end_reason=UserSession.EndReason.TIMEOUT,
            ended_at=now - timedelta(hours=4),
            total_duration_seconds=3600,
            activity_count=2,
        ),
        session(
            RAVI,
            "demo-ravi-ios-2",
            Platform.IOS_EXTERNAL,
            Status.ACTIVE,
            timedelta(minutes=8),
            timedelta(seconds=30),
            activity_count=3,
            device_info={"platform": "iOS", "app_version": "2.3.1", "model": "iPhone15,2"},
        ),
    ]
    before = UserProfile.objects.count() + UserSession.objects.count()
    UserProfile.objects.bulk_create(profiles, ignore_conflicts=True)
    UserSession.objects.bulk_create(sessions, ignore_conflicts=True)
    return UserProfile.objects.count() + UserSession.objects.count() - before
