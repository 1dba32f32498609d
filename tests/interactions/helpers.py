"""Helpers shared by the AI-session tests."""

ALICE = "8d0c1f0e-0000-4000-8000-00000000a11c"
BOB = "8d0c1f0e-0000-4000-8000-000000000b0b"

GPT4O_CHAT_USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
}
