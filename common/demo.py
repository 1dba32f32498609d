"""Demo data for ``manage.py bootstrap_local``: what a fresh local database needs
to show every screen of the admin and every list of the API.

- customer sessions across channels (active, logged out, expired);
- two signed-in users and their sessions on web, iOS, the iOS widget and macOS;
- AI sessions: a retail kiosk chat (the frontend's session id is created first,
  then interactions are logged against it) and a document Q&A over an uploaded
  handbook, with their usage rows, plus one call on a model without a known
  price so the admin's "unknown price" filter has something to show.

Every loader is idempotent (fixed ids, request ids and a ``metadata.demo`` mark):
a second run writes nothing. ``LOADERS`` is the list ``bootstrap_local`` runs.
"""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from interactions.models import AIInteraction
from interactions.services import ai_interaction_log, ai_session_get_or_create
from sessions_app.models import CustomerSession, UserProfile, UserSession
from usage.models import UsageLog
from usage.services import usage_log_create

CustomerStatus = CustomerSession.Status
UserPlatform, UserStatus = UserSession.Platform, UserSession.Status

# --- Customer sessions -------------------------------------------------------------


@transaction.atomic
def customer_sessions_load() -> int:
    """Create the demo customer sessions once (rows carry ``metadata.demo = true``).

    Customers 103 and 104 on two phones, 103 logged out once before; a kiosk
    cart; a session left 8 days without activity (expired).

    Returns: the number of sessions created (0 when they already exist).
    """
    if CustomerSession.objects.filter(metadata__demo=True).exists():
        return 0
    now = timezone.now()
    ttl = timedelta(days=7)

    def row(
        customer_id: str,
        phone: str,
        channel: str,
        status: str,
        idle: timedelta,
        age: timedelta,
        metadata: dict[str, Any],
    ) -> CustomerSession:
        last = now - idle
        return CustomerSession(
            customer_id=customer_id,
            phone=phone,
            channel=channel,
            status=status,
            created_at=now - age,
            last_activity=last,
            expires_at=last + ttl,
            metadata={"demo": True, **metadata},
        )

    rows = [
        row(
            "103",
            "+919876543210",
            "chat",
            CustomerStatus.LOGGED_OUT,
            timedelta(days=3),
            timedelta(days=4),
            {"chat": [{"role": "user", "text": "Do you have running shoes?"}]},
        ),
        row(
            "103",
            "+919876543210",
            "kiosk",
            CustomerStatus.ACTIVE,
            timedelta(minutes=20),
            timedelta(days=1),
            {"chat": [{"role": "user", "text": "Show me size 9"}], "cart": {"SKU-RUN-9": 1}},
        ),
        row(
            "104",
            "+919987654321",
            "kiosk",
            CustomerStatus.ACTIVE,
            timedelta(hours=5),
            timedelta(days=2),
            {"cart": {"SKU-TEE-M": 2}, "loyalty_tier": "silver"},
        ),
        row(
            "105",
            "+919812345678",
            "whatsapp",
            CustomerStatus.EXPIRED,
            timedelta(days=8),
            timedelta(days=10),
            {"chat": [{"role": "user", "text": "Order status?"}]},
        ),
        row(
            "106",
            "+14155552671",
            "website",
            CustomerStatus.ACTIVE,
            timedelta(minutes=2),
            timedelta(minutes=30),
            {"lang": "en", "page": "/offers"},
        ),
    ]
    CustomerSession.objects.bulk_create(rows)
    return len(rows)


# --- Signed-in users ---------------------------------------------------------------

# Fixed ids so a second run finds the first run's rows.
_NAMESPACE = uuid.UUID("6f0b7c36-0d1e-4c55-9a43-3b2d2f3f9a10")
ANNA = uuid.uuid5(_NAMESPACE, "anna@example.com")
RAVI = uuid.uuid5(_NAMESPACE, "ravi@example.com")


@transaction.atomic
def signed_in_users_load() -> int:
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

    def session(
        user: uuid.UUID,
        session_id: str,
        platform: str,
        status: str,
        started: timedelta,
        last: timedelta,
        **extra: Any,
    ) -> UserSession:
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
            UserPlatform.WEB,
            UserStatus.ACTIVE,
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
            UserPlatform.MACOS_INTERNAL,
            UserStatus.IDLE,
            timedelta(hours=1),
            timedelta(minutes=20),
            activity_count=5,
            device_info={"platform": "macOS", "app_version": "2.3.0", "model": "MacBookPro18,3"},
        ),
        session(
            RAVI,
            "demo-ravi-ios-1",
            UserPlatform.IOS_EXTERNAL,
            UserStatus.ENDED,
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
            UserPlatform.IOS_WIDGET,
            UserStatus.TIMEOUT,
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
            UserPlatform.IOS_EXTERNAL,
            UserStatus.ACTIVE,
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


# --- AI sessions, interactions and usage -------------------------------------------

_NS = uuid.UUID("6f1c9a52-3d7e-4f0a-9b1e-2c4d5e6f7a8b")


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(_NS, name)


KIOSK_SESSION = _id("kiosk-chat")
DOCS_SESSION = _id("document-qa")

_KIOSK_TURNS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "Do you have these running shoes in size 9?",
        "Yes: the AirStride 2 in size 9 is in stock in blue and black, aisle 4.",
        {"prompt_tokens": 412, "completion_tokens": 38, "total_tokens": 450},
    ),
    (
        "Add the blue pair to my cart and tell me the total.",
        "Added AirStride 2 (blue, size 9). Your cart total is ₹6,499.",
        {
            "prompt_tokens": 530,
            "completion_tokens": 29,
            "total_tokens": 559,
            "prompt_tokens_details": {"cached_tokens": 384},
        },
    ),
]
_DOC_TURNS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "What is the return window in the staff handbook?",
        "Returns are accepted within 30 days with a receipt (Handbook §4.2).",
        {
            "input_tokens": 2210,
            "output_tokens": 64,
            "total_tokens": 2274,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    ),
    (
        "Does that apply to sale items?",
        "Sale items can be exchanged within 14 days but not refunded (Handbook §4.3).",
        {
            "input_tokens": 2350,
            "output_tokens": 71,
            "total_tokens": 2421,
            "input_tokens_details": {"cached_tokens": 2048},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    ),
]


def ai_sessions_load() -> int:
    """Create the demo sessions, interactions and usage rows; idempotent.

    Returns: the number of rows created by this call (0 when they already exist).
    """
    created = 0
    before = AIInteraction.objects.count() + UsageLog.objects.count()
    _session, new = ai_session_get_or_create(
        session_id=KIOSK_SESSION, user_id="kiosk-demo-103", channel="kiosk", title="Kiosk: shoes"
    )
    created += int(new)
    _session, new = ai_session_get_or_create(
        session_id=DOCS_SESSION,
        user_id="demo-user-supabase",
        channel="web",
        title="Handbook questions",
    )
    created += int(new)
    for turn, (prompt, response, usage) in enumerate(_KIOSK_TURNS):
        ai_interaction_log(
            session_id=KIOSK_SESSION,
            prompt=prompt,
            response=response,
            model_used="gpt-4o-mini",
            response_model="gpt-4o-mini-2024-07-18",
            usage=usage,
            latency_ms=820 + 40 * turn,
            finish_reason="stop",
            openai_response_id=f"chatcmpl-demo-kiosk-{turn}",
        )
    for turn, (prompt, response, usage) in enumerate(_DOC_TURNS):
        ai_interaction_log(
            session_id=DOCS_SESSION,
            prompt=prompt,
            response=response,
            model_used="gpt-4o",
            usage=usage,
            latency_ms=2400 + 100 * turn,
            finish_reason="completed",
            openai_response_id=f"resp_demo_docs_{turn}",
            metadata={"file_ids": ["file-demo-handbook"]},
        )
    # The handbook's embedding, and a call on a model with no published price.
    usage_log_create(
        service=UsageLog.Service.EMBEDDINGS,
        usage={"prompt_tokens": 18_500, "total_tokens": 18_500},
        request_model="text-embedding-3-small",
        user_id="demo-user-supabase",
        ai_session_id=DOCS_SESSION,
        request_id="demo-embed-handbook",
    )
    usage_log_create(
        service=UsageLog.Service.CHAT,
        usage={"prompt_tokens": 120, "completion_tokens": 40},
        request_model="ft:demo-internal-model",
        user_id="kiosk-demo-103",
        ai_session_id=KIOSK_SESSION,
        request_id="demo-unpriced-model",
    )
    return created + AIInteraction.objects.count() + UsageLog.objects.count() - before


LOADERS: list[tuple[str, Callable[[], int]]] = [
    ("customer sessions", customer_sessions_load),
    ("signed-in users", signed_in_users_load),
    ("AI sessions", ai_sessions_load),
]
