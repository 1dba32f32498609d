"""Demo customer sessions drawn from the scenarios of seeds 000 and 001."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from sessions_app.models import CustomerSession

Status = CustomerSession.Status


@transaction.atomic
def load_demo_data() -> int:
    """Create the demo customer sessions once (rows carry ``metadata.demo = true``).

    Seed 001: customers 103 and 104 on two phones, 103 logged out once before;
    seed 000: a kiosk cart, a session left 8 days without activity (expired).

    Returns: the number of sessions created (0 when they already exist).
    """
    if CustomerSession.objects.filter(metadata__demo=True).exists():
        return 0
    now = timezone.now()
    ttl = timedelta(days=7)

    def row(customer_id, phone, channel, status, idle, age, metadata):
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
            Status.LOGGED_OUT,
            timedelta(days=3),
            timedelta(days=4),
            {"chat": [{"role": "user", "text": "Do you have running shoes?"}]},
        ),
        row(
            "103",
            "+919876543210",
            "kiosk",
            Status.ACTIVE,
            timedelta(minutes=20),
            timedelta(days=1),
            {"chat": [{"role": "user", "text": "Show me size 9"}], "cart": {"SKU-RUN-9": 1}},
        ),
        row(
            "104",
            "+919987654321",
            "kiosk",
            Status.ACTIVE,
            timedelta(hours=5),
            timedelta(days=2),
            {"cart": {"SKU-TEE-M": 2}, "loyalty_tier": "silver"},
        ),
        row(
            "105",
            "+919812345678",
            "whatsapp",
            Status.EXPIRED,
            timedelta(days=8),
            timedelta(days=10),
            {"chat": [{"role": "user", "text": "Order status?"}]},
        ),
        row(
            "106",
            "+14155552671",
            "website",
            Status.ACTIVE,
            timedelta(minutes=2),
            timedelta(minutes=30),
            {"lang": "en", "page": "/offers"},
        ),
    ]
    CustomerSession.objects.bulk_create(rows)
    return len(rows)
