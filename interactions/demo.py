"""Demo AI sessions from the seeds' scenarios, for ``manage.py bootstrap_local``.

Two conversations: the retail kiosk assistant (seed 002's flow: the frontend's
session id is created first, then interactions are logged against it) and the
document Q&A assistant (seed 003: questions answered with file search over an
uploaded handbook), plus one call on a model without a known price so the
admin's "unknown price" filter has something to show. Ids and request ids are
fixed, so running it again writes nothing new.
"""

import uuid

from interactions.models import AIInteraction
from interactions.services import ai_interaction_log, ai_session_get_or_create
from usage.models import UsageLog
from usage.services import usage_log_create

_NS = uuid.UUID("6f1c9a52-3d7e-4f0a-9b1e-2c4d5e6f7a8b")


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(_NS, name)


KIOSK_SESSION = _id("kiosk-chat")
DOCS_SESSION = _id("document-qa")

_KIOSK_TURNS = [
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
_DOC_TURNS = [
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


def load_demo_data() -> int:
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
