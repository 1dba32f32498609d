"""The customer-session bodies' serializers build their fields once per thread:
validations that follow one another, or run at once in several threads, never see
each other's values or errors."""

from sessions_app.apis.customer_sessions import (
    SessionStartInputSerializer,
    SessionUpdateInputSerializer,
)
from tests.threads import run_in_threads


def start(i: int) -> tuple:
    bad = i % 2 == 1
    serializer = SessionStartInputSerializer(
        data={
            "phone": "not a phone" if bad else f"+91 90000 {i:05d}",
            "channel": "fax" if bad else "kiosk",
            "customer_id": f"c{i}",
        }
    )
    if serializer.is_valid():
        data = serializer.validated_data
        return ("valid", data["phone"], data["channel"], data["customer_id"])
    return ("invalid", sorted(serializer.errors))


def start_expected(i: int) -> tuple:
    if i % 2:
        return ("invalid", ["channel", "phone"])
    return ("valid", f"+9190000{i:05d}", "kiosk", f"c{i}")


def update(i: int) -> tuple:
    bad = i % 2 == 1
    serializer = SessionUpdateInputSerializer(data={"metadata": "x" if bad else {"step": i}})
    if serializer.is_valid():
        return ("valid", serializer.validated_data["metadata"])
    return ("invalid", sorted(serializer.errors))


def update_expected(i: int) -> tuple:
    return ("invalid", ["metadata"]) if i % 2 else ("valid", {"step": i})


def test_one_after_the_other_in_one_thread():
    assert [start(i) for i in range(6)] == [start_expected(i) for i in range(6)]
    assert [update(i) for i in range(6)] == [update_expected(i) for i in range(6)]


def test_at_once_in_many_threads():
    def both(i: int) -> list:
        return [(start(i + 16 * k), update(i + 16 * k)) for k in range(20)]

    results = run_in_threads(16, both)

    assert results == [
        [(start_expected(i + 16 * k), update_expected(i + 16 * k)) for k in range(20)]
        for i in range(16)
    ]
