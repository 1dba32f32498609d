"""Helpers shared by the AI-session tests."""

from dataclasses import dataclass

from rest_framework.test import APIClient

ALICE = "8d0c1f0e-0000-4000-8000-00000000a11c"
BOB = "8d0c1f0e-0000-4000-8000-000000000b0b"

GPT4O_CHAT_USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
}


@dataclass
class SignedInUser:
    """Stands in for what the Supabase bearer authentication puts on
    ``request.user`` (``pk`` = the token's ``sub``); see common.permissions."""

    pk: str
    is_authenticated: bool = True


def signed_in_client(user_id: str) -> APIClient:
    """A client whose requests are those of the signed-in user ``user_id``."""
    client = APIClient()
    client.force_authenticate(user=SignedInUser(user_id))
    return client
