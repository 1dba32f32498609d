"""Rate limits per caller: 429 with Retry-After and the JSON error body once a
key, a token, a user or an IP has spent its rate; each caller has its own
bucket; a check costs one cache round trip."""

import os
import uuid

import pytest
from django.core.cache import caches
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework_api_key.models import APIKey

from common.throttling import CallerRateThrottle, counter_hit, rate_parse
from tests.sessions_app.factories import CustomerSessionFactory, UserProfileFactory

pytestmark = pytest.mark.django_db

AI_SESSIONS = "/api/v1/ai-sessions/"
RESTORE = "/session/restore"
ME = "/api/v1/me/"
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def rates(settings):
    """Small rates for every caller kind (the suite runs without limits)."""
    settings.THROTTLE_RATE_API_KEY = "3/min"
    settings.THROTTLE_RATE_CUSTOMER = "3/min"
    settings.THROTTLE_RATE_USER = "3/min"
    settings.THROTTLE_RATE_ANON = "3/min"
    return settings


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.content
    assert 0 < int(response["Retry-After"]) <= 60
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "throttled"


def key_client(api_client_factory):
    _row, key = APIKey.objects.create_key(name=f"kiosk-{uuid.uuid4().hex[:6]}")
    client = api_client_factory()
    client.credentials(HTTP_X_API_KEY=key)
    return client


@pytest.fixture
def new_client():
    from rest_framework.test import APIClient

    return APIClient


def test_an_api_key_gets_429_after_its_rate_and_another_key_does_not(rates, new_client):
    kiosk, gateway = key_client(new_client), key_client(new_client)

    answers = [kiosk.get(AI_SESSIONS).status_code for _ in range(3)]
    throttled = kiosk.get(AI_SESSIONS)

    assert answers == [200, 200, 200]
    assert_throttled(throttled)
    assert gateway.get(AI_SESSIONS).status_code == 200


def test_a_customer_token_gets_429_after_its_rate_and_another_token_does_not(rates, new_client):
    alice, bob = new_client(), new_client()
    alice.credentials(HTTP_X_SESSION_TOKEN=CustomerSessionFactory().session_token)
    bob.credentials(HTTP_X_SESSION_TOKEN=CustomerSessionFactory().session_token)

    answers = [alice.get(RESTORE).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert_throttled(alice.get(RESTORE))
    assert bob.get(RESTORE).status_code == 200


def test_a_signed_in_user_gets_429_after_the_rate_and_another_user_does_not(rates, user_client_for):
    alice = user_client_for(UserProfileFactory())
    bob = user_client_for(UserProfileFactory())

    answers = [alice.get(ME).status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert_throttled(alice.get(ME))
    assert bob.get(ME).status_code == 200


def test_calls_without_credentials_are_limited_per_ip(rates, new_client):
    """Refused calls (401 without credentials) count too: guessing from one IP is throttled."""
    here, elsewhere = new_client(REMOTE_ADDR="203.0.113.7"), new_client(REMOTE_ADDR="198.51.100.9")

    answers = [here.get(AI_SESSIONS).status_code for _ in range(3)]

    assert answers == [401, 401, 401]
    assert_throttled(here.get(AI_SESSIONS))
    assert here.get(AI_SESSIONS, HTTP_X_API_KEY="guess.guess").status_code == 429
    assert elsewhere.get(AI_SESSIONS).status_code == 401


def test_a_refused_bearer_token_counts_against_its_ip(rates, new_client):
    client = new_client(REMOTE_ADDR="203.0.113.8")
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    answers = [client.get(ME).status_code for _ in range(3)]

    assert answers == [401, 401, 401]
    assert_throttled(client.get(ME))


def test_health_probes_are_never_throttled(rates, new_client):
    client = new_client()

    answers = {client.get("/healthz").status_code for _ in range(10)}

    assert answers == {200}


def test_an_empty_rate_means_no_limit(rates, new_client):
    rates.THROTTLE_RATE_API_KEY = ""
    kiosk = key_client(new_client)

    assert {kiosk.get(AI_SESSIONS).status_code for _ in range(6)} == {200}


@pytest.mark.parametrize(
    "rate, parsed",
    [("600/min", (600, 60)), ("10/s", (10, 1)), ("5/hour", (5, 3600)), ("1/day", (1, 86400))],
)
def test_rates_use_drfs_syntax(rate, parsed):
    assert rate_parse(rate) == parsed


@pytest.mark.parametrize("rate", ["fast", "10/fortnight", "-1/min", "/min"])
def test_a_bad_rate_is_refused(rate):
    with pytest.raises(ValueError):
        rate_parse(rate)


def _api_key_request(settings) -> Request:
    _row, key = APIKey.objects.create_key(name="kiosk")
    from common.authentication import ApiKeyAuthentication

    request = Request(
        RequestFactory().get(AI_SESSIONS, HTTP_X_API_KEY=key),
        authenticators=[ApiKeyAuthentication()],
    )
    request.user  # noqa: B018 (authenticates, as DRF does before throttles)
    return request


def test_a_check_on_the_database_cache_is_one_statement(rates, django_assert_num_queries, settings):
    request = _api_key_request(settings)
    throttle = CallerRateThrottle()

    with django_assert_num_queries(1):
        first = throttle.allow_request(request, None)
    for _ in range(2):
        throttle.allow_request(request, None)
    with django_assert_num_queries(1):
        fourth = throttle.allow_request(request, None)

    assert first is True and fourth is False
    assert 58 <= throttle.wait() <= 60


def test_a_new_window_starts_when_the_stored_one_has_ended():
    cache = caches["throttle"]

    assert counter_hit(cache, "window-test", 1)[0] == 1
    assert counter_hit(cache, "window-test", 1)[0] == 2
    from common.models import CacheEntry

    CacheEntry.objects.filter(cache_key__endswith="window-test").update(
        expires="2000-01-01T00:00:00Z"
    )

    count, remaining = counter_hit(cache, "window-test", 60)
    assert count == 1 and 59 <= remaining <= 60


@pytest.fixture
def redis_throttle_cache(settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}",
        },
    }
    yield caches["throttle"]
    caches["throttle"].clear()


def test_a_check_on_redis_is_one_round_trip(rates, redis_throttle_cache, monkeypatch, settings):
    """Counted at the client: one command (the counting script) per check, nothing else."""
    import redis

    sent = []
    real_execute = redis.client.Pipeline.execute
    real_command = redis.Redis.execute_command
    monkeypatch.setattr(
        redis.client.Pipeline,
        "execute",
        lambda self, *a, **k: sent.append("pipeline") or real_execute(self, *a, **k),
    )
    monkeypatch.setattr(
        redis.Redis,
        "execute_command",
        lambda self, *a, **k: sent.append(a[0]) or real_command(self, *a, **k),
    )
    request = _api_key_request(settings)
    throttle = CallerRateThrottle()

    results = [throttle.allow_request(request, None) for _ in range(4)]

    assert results == [True, True, True, False]
    assert sent == ["EVAL"] * 4
    assert 58 <= throttle.wait() <= 60


def test_a_redis_counter_without_an_expiry_gets_the_window(redis_throttle_cache):
    """A counter someone wrote without an expiry must not count forever."""
    full_key = redis_throttle_cache.make_and_validate_key("no-expiry")
    client = redis_throttle_cache._cache.get_client(full_key, write=True)
    client.set(full_key, 5)

    count, remaining = counter_hit(redis_throttle_cache, "no-expiry", 60)

    assert count == 6 and 59 <= remaining <= 60
    assert 59_000 <= client.pttl(full_key) <= 60_000


def test_redis_buckets_are_per_key(rates, redis_throttle_cache, settings):
    first, second = _api_key_request(settings), _api_key_request(settings)
    throttle = CallerRateThrottle()

    for _ in range(3):
        throttle.allow_request(first, None)

    assert throttle.allow_request(first, None) is False
    assert throttle.allow_request(second, None) is True


def test_a_dead_redis_serves_requests_unthrottled(rates, settings, new_client):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing answers
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    kiosk = key_client(new_client)

    assert {kiosk.get(AI_SESSIONS).status_code for _ in range(5)} == {200}
