"""The interaction body's serializer builds its fields once per thread: validations
that follow one another, or run at once in several threads, never see each other's
values or errors."""

import uuid

from interactions.apis import InteractionCreateInputSerializer
from tests.interactions.helpers import GPT4O_CHAT_USAGE
from tests.threads import run_in_threads


def body(i: int, *, bad: bool) -> dict:
    return {
        "session_id": "not-a-uuid" if bad else str(uuid.UUID(int=i)),
        "prompt": f"prompt {i}",
        "response": f"response {i}",
        "model_used": "gpt-4o",
        "usage": GPT4O_CHAT_USAGE,
        "latency_ms": "slow" if bad else i,
    }


def validate(i: int) -> tuple:
    serializer = InteractionCreateInputSerializer(data=body(i, bad=i % 2 == 1))
    if serializer.is_valid():
        data = serializer.validated_data
        return ("valid", data["prompt"], data["latency_ms"], str(data["session_id"]))
    return ("invalid", sorted(serializer.errors))


def expected(i: int) -> tuple:
    if i % 2:
        return ("invalid", ["latency_ms", "session_id"])
    return ("valid", f"prompt {i}", i, str(uuid.UUID(int=i)))


def test_one_after_the_other_in_one_thread():
    assert [validate(i) for i in range(6)] == [expected(i) for i in range(6)]


def test_at_once_in_many_threads():
    results = run_in_threads(16, lambda i: [validate(i + 16 * k) for k in range(20)])

    assert results == [[expected(i + 16 * k) for k in range(20)] for i in range(16)]
