"""Supabase access tokens, verified with real signatures: HS256 with the legacy secret,
ES256/RS256 keys made here and served by a local JWKS endpoint."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from sessions_app.models import UserProfile
from sessions_app.supabase_tokens import jwks_client_for, reset_jwks_clients, supabase_jwks_url
from tests.tokens import (
    JWKS_PATH,
    TEST_JWT_SECRET,
    bearer_client,
    claims_for,
    hs256_token,
    make_signing_key,
)

pytestmark = pytest.mark.django_db

# Shared fixtures (this directory has no conftest of its own for them).

ME = "/api/v1/me/"


def assert_refused(response, description_part: str = ""):
    """401, a Bearer challenge with error="invalid_token", the JSON error body, no profile."""
    assert response.status_code == 401, response.content
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    assert 'error="invalid_token"' in challenge
    assert description_part in challenge
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "invalid_token"
    assert UserProfile.objects.count() == 0


def unsigned(claims: dict) -> str:
    """An ``alg: none`` token (no signature), as an attacker would write it."""

    def b64(part: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


@pytest.fixture
def es256(supabase, jwks_server):
    """Supabase on the local JWKS server with one ES256 signing key; HS256 off."""
    key = make_signing_key("ES256")
    jwks_server.keys.append(key)
    supabase.SUPABASE_URL = jwks_server.url
    supabase.SUPABASE_JWT_SECRET = ""
    reset_jwks_clients()
    return key


def es256_token(key, sub, jwks_url, /, **overrides) -> str:
    return key.sign(claims_for(sub, supabase_url=jwks_url, **overrides))


def me_status(token: str) -> int:
    """The status of ``GET /api/v1/me/`` with ``token`` (503s answered, not raised)."""
    return bearer_client(token, raise_request_exception=False).get(ME).status_code


# --- Accepted tokens --------------------------------------------------------------


def test_an_hs256_token_signs_the_user_in_and_creates_their_profile(supabase):
    sub = uuid.uuid4()
    token = hs256_token(
        sub, supabase_url=supabase.SUPABASE_URL, email="Ann@Example.com", phone="919876543210"
    )

    response = bearer_client(token).get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(sub)
    assert body["email"] == "ann@example.com"
    assert body["phone"] == "+919876543210"  # Supabase sends E.164 digits without "+"
    assert body["role"] == "user" and body["is_admin"] is False
    profile = UserProfile.objects.get()
    assert profile.pk == sub and profile.role == "user"


def test_an_es256_token_from_the_jwks_is_accepted(es256, jwks_server):
    sub = uuid.uuid4()

    response = bearer_client(es256_token(es256, sub, jwks_server.url)).get(ME)

    assert response.status_code == 200
    assert response.json()["id"] == str(sub)
    assert jwks_server.hits == 1


def test_an_rs256_token_from_the_jwks_is_accepted(es256, jwks_server):
    rsa_key = make_signing_key("RS256")
    jwks_server.keys.append(rsa_key)

    response = bearer_client(es256_token(rsa_key, uuid.uuid4(), jwks_server.url)).get(ME)

    assert response.status_code == 200


def test_a_token_expired_within_the_leeway_is_still_accepted(supabase):
    supabase.SUPABASE_JWT_LEEWAY_SECONDS = 30
    now = int(time.time())
    token = hs256_token(
        uuid.uuid4(), supabase_url=supabase.SUPABASE_URL, iat=now - 3600, exp=now - 10
    )

    assert bearer_client(token).get(ME).status_code == 200


def test_an_issuer_override_is_honoured(supabase):
    supabase.SUPABASE_JWT_ISSUER = "https://auth.example.com/auth/v1"
    token = hs256_token(
        uuid.uuid4(), supabase_url=supabase.SUPABASE_URL, iss="https://auth.example.com/auth/v1"
    )

    assert bearer_client(token).get(ME).status_code == 200


# --- Refused tokens, one failure at a time -----------------------------------------

NOW = int(time.time())
FAILURES = {
    "expired": ({"iat": NOW - 7200, "exp": NOW - 3600}, "expired"),
    "wrong audience": ({"aud": "anon"}, "aud"),
    "wrong issuer": ({"iss": "https://evil.example.com/auth/v1"}, "iss"),
    "missing sub": ({"sub": ...}, "sub"),
    "missing exp": ({"exp": ...}, "exp"),
    "missing iat": ({"iat": ...}, "iat"),
    "missing aud": ({"aud": ...}, "aud"),
    "sub not a user id": ({"sub": "service-account-1"}, "subject"),
    "issued in the future": ({"iat": NOW + 3600, "exp": NOW + 7200}, "not valid yet"),
    "service role token": ({"role": "service_role"}, "role"),
    "anon key token": ({"role": "anon"}, "role"),
    "anonymous sign-in": ({"is_anonymous": True}, "Anonymous"),
}


@pytest.mark.parametrize("overrides, why", FAILURES.values(), ids=FAILURES.keys())
def test_hs256_failures_are_401_with_a_bearer_challenge(supabase, overrides, why):
    token = hs256_token(uuid.uuid4(), supabase_url=supabase.SUPABASE_URL, **overrides)

    assert_refused(bearer_client(token).get(ME), why)


@pytest.mark.parametrize("overrides, why", FAILURES.values(), ids=FAILURES.keys())
def test_es256_failures_are_401_with_a_bearer_challenge(es256, jwks_server, overrides, why):
    token = es256_token(es256, uuid.uuid4(), jwks_server.url, **overrides)

    assert_refused(bearer_client(token).get(ME), why)


def test_a_token_without_a_signature_alg_none_is_refused(supabase):
    token = unsigned(claims_for(uuid.uuid4(), supabase_url=supabase.SUPABASE_URL))

    assert_refused(bearer_client(token).get(ME), "algorithm")


def test_an_hs256_token_signed_with_another_secret_is_refused(supabase):
    token = hs256_token(
        uuid.uuid4(), supabase_url=supabase.SUPABASE_URL, secret="another-secret-" + "x" * 32
    )

    assert_refused(bearer_client(token).get(ME), "signature")


def test_an_es256_token_signed_by_another_key_with_a_known_kid_is_refused(es256, jwks_server):
    impostor = make_signing_key("ES256", kid=es256.kid)  # same kid, different private key

    token = impostor.sign(claims_for(uuid.uuid4(), supabase_url=jwks_server.url))

    assert_refused(bearer_client(token).get(ME), "signature")


def test_an_es256_token_with_an_unknown_kid_is_refused(es256, jwks_server):
    stranger = make_signing_key("ES256")  # never published

    token = stranger.sign(claims_for(uuid.uuid4(), supabase_url=jwks_server.url))

    assert_refused(bearer_client(token).get(ME), "unknown key")


def test_hs256_is_refused_when_no_secret_is_configured(es256, jwks_server):
    token = hs256_token(uuid.uuid4(), supabase_url=jwks_server.url)

    assert_refused(bearer_client(token).get(ME), "algorithm")


def test_an_hs256_token_keyed_with_the_public_key_is_refused(es256, jwks_server):
    """Algorithm confusion: the JWKS public key used as an HMAC secret."""
    public_pem = es256.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = claims_for(uuid.uuid4(), supabase_url=jwks_server.url)

    # PyJWT itself refuses to HMAC with a PEM key, so sign by hand.
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": es256.kid}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    token = f"{head}.{body}.{b64(signature)}"

    assert_refused(bearer_client(token).get(ME), "algorithm")


def test_an_es256_token_is_refused_when_es256_is_not_configured(es256, jwks_server, supabase):
    supabase.SUPABASE_JWT_ALGORITHMS = ["RS256"]
    token = es256_token(es256, uuid.uuid4(), jwks_server.url)

    assert_refused(bearer_client(token).get(ME), "algorithm")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0",  # two parts
        "Bearer " + "A" * 9000,
        "Bearer",
        "Bearer one two",
        "Bearer \xe9t\xe9",
    ],
    ids=["words", "three dots", "two parts", "huge", "no token", "two tokens", "not ascii"],
)
def test_garbage_is_401_with_a_bearer_challenge(supabase, api_client, header):
    response = api_client.get(ME, HTTP_AUTHORIZATION=header)

    assert_refused(response)


def test_anonymous_sign_ins_are_accepted_when_configured(supabase):
    supabase.SUPABASE_ALLOW_ANONYMOUS = True
    token = hs256_token(uuid.uuid4(), supabase_url=supabase.SUPABASE_URL, is_anonymous=True)

    assert bearer_client(token).get(ME).status_code == 200


def test_tokens_are_refused_while_neither_url_nor_issuer_is_configured(supabase):
    token = hs256_token(uuid.uuid4(), supabase_url=supabase.SUPABASE_URL)
    supabase.SUPABASE_URL = ""
    supabase.SUPABASE_JWT_ISSUER = ""

    assert_refused(bearer_client(token).get(ME), "not configured")


def test_hs256_needs_no_supabase_url_when_the_issuer_is_set(supabase):
    """Legacy secret + explicit issuer is a complete HS256 set-up; only the JWKS
    (ES256/RS256) needs SUPABASE_URL."""
    supabase.SUPABASE_URL = ""
    supabase.SUPABASE_JWT_ISSUER = "https://auth.example.com/auth/v1"
    token = hs256_token(uuid.uuid4(), supabase_url="https://auth.example.com")

    assert bearer_client(token).get(ME).status_code == 200


def test_es256_is_refused_without_supabase_url_even_with_an_issuer(supabase):
    supabase.SUPABASE_URL = ""
    supabase.SUPABASE_JWT_ISSUER = "https://auth.example.com/auth/v1"
    key = make_signing_key("ES256")
    token = key.sign(claims_for(uuid.uuid4(), supabase_url="https://auth.example.com"))

    assert_refused(bearer_client(token).get(ME), "Signing keys are not configured")


def test_refused_tokens_are_never_logged(supabase, caplog):
    token = hs256_token(uuid.uuid4(), supabase_url=supabase.SUPABASE_URL, aud="anon")

    bearer_client(token).get(ME)

    assert "Bearer token refused" in caplog.text
    assert token not in caplog.text and token.split(".")[2] not in caplog.text


# --- No credentials -----------------------------------------------------------------


def test_no_credentials_on_a_user_endpoint_is_401_with_a_plain_bearer_challenge(
    supabase, api_client
):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["errors"][0]["code"] == "not_authenticated"


def test_another_authorization_scheme_is_not_ours_and_counts_as_no_credentials(
    supabase, api_client
):
    response = api_client.get(ME, HTTP_AUTHORIZATION="Basic YWxhZGRpbjpvcGVuc2VzYW1l")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_api_key_only_endpoints_still_answer_403_without_credentials(supabase, api_client):
    """Customer-session routes take no Bearer token: no challenge, 403 as before."""
    response = api_client.post(
        "/session/start", {"phone": "+919876543210", "channel": "chat", "customer_id": "1"}
    )

    assert response.status_code == 403
    assert "WWW-Authenticate" not in response


def test_a_bad_bearer_token_on_an_api_key_endpoint_is_still_401(supabase, api_client):
    response = api_client.post("/session/start", {}, HTTP_AUTHORIZATION="Bearer a.b.c")

    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


# --- The JWKS client ----------------------------------------------------------------


def test_the_key_set_is_fetched_once_and_cached_across_requests(es256, jwks_server):
    for _ in range(5):
        token = es256_token(es256, uuid.uuid4(), jwks_server.url)
        assert bearer_client(token).get(ME).status_code == 200

    assert jwks_server.hits == 1


def test_a_rotated_key_is_accepted_once_the_refetch_cooldown_has_passed(
    es256, jwks_server, supabase
):
    """PyJWT starts the cooldown at every successful fetch, so a new kid seen within
    SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS of one is refused; after it, one refetch."""
    supabase.SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS = 1
    reset_jwks_clients()
    first = es256_token(es256, uuid.uuid4(), jwks_server.url)
    assert bearer_client(first).get(ME).status_code == 200
    new_key = make_signing_key("ES256")
    jwks_server.keys.append(new_key)  # Supabase rotates: the new key appears in the JWKS
    rotated = es256_token(new_key, uuid.uuid4(), jwks_server.url)
    assert bearer_client(rotated).get(ME).status_code == 401  # within the cooldown
    time.sleep(1.1)

    response = bearer_client(rotated).get(ME)

    assert response.status_code == 200
    assert jwks_server.hits == 2


def test_unknown_kids_do_not_make_every_request_refetch(es256, jwks_server):
    """Within the refetch cooldown (default 30 s) random kids cost no extra fetches."""
    first = es256_token(es256, uuid.uuid4(), jwks_server.url)
    assert bearer_client(first).get(ME).status_code == 200

    for _ in range(10):
        claims = claims_for(uuid.uuid4(), supabase_url=jwks_server.url)
        token = make_signing_key("ES256").sign(claims)
        assert bearer_client(token).get(ME).status_code == 401

    assert jwks_server.hits == 1


def test_the_key_set_is_refetched_after_the_cache_lifetime(es256, jwks_server, supabase):
    supabase.SUPABASE_JWKS_CACHE_SECONDS = 1
    reset_jwks_clients()
    bearer_client(es256_token(es256, uuid.uuid4(), jwks_server.url)).get(ME)
    time.sleep(1.2)

    bearer_client(es256_token(es256, uuid.uuid4(), jwks_server.url)).get(ME)

    assert jwks_server.hits == 2


def test_one_jwks_client_per_url_until_reset(es256, jwks_server):
    url = supabase_jwks_url()
    assert url == f"{jwks_server.url}{JWKS_PATH}"

    assert jwks_client_for(url) is jwks_client_for(url)
    first = jwks_client_for(url)
    reset_jwks_clients()
    assert jwks_client_for(url) is not first


def test_an_unreachable_jwks_is_503_not_a_sign_out(es256, jwks_server, supabase):
    token = es256_token(es256, uuid.uuid4(), jwks_server.url)
    supabase.SUPABASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    supabase.SUPABASE_JWT_ISSUER = f"{jwks_server.url}/auth/v1"
    reset_jwks_clients()

    response = bearer_client(token, raise_request_exception=False).get(ME)

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "auth_unavailable"
    assert UserProfile.objects.count() == 0


# --- JWKS outages: the last good key set, and no fetch per request -------------------


def test_the_last_good_key_set_is_used_while_the_jwks_fails(es256, jwks_server, supabase):
    supabase.SUPABASE_JWKS_CACHE_SECONDS = 1
    supabase.SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS = 30
    reset_jwks_clients()
    assert me_status(es256_token(es256, uuid.uuid4(), jwks_server.url)) == 200
    jwks_server.status = 500  # outage, after one good fetch
    time.sleep(1.1)  # the cached key set expires

    statuses = [me_status(es256_token(es256, uuid.uuid4(), jwks_server.url)) for _ in range(5)]

    assert statuses == [200] * 5
    assert jwks_server.hits == 2  # one failed refresh, not one per request


def test_an_unknown_kid_during_a_jwks_outage_is_503_not_401(es256, jwks_server, supabase):
    """It may be a new key we cannot see: the app should retry, not sign the user out."""
    supabase.SUPABASE_JWKS_CACHE_SECONDS = 1
    reset_jwks_clients()
    assert me_status(es256_token(es256, uuid.uuid4(), jwks_server.url)) == 200
    jwks_server.status = 500
    time.sleep(1.1)
    assert me_status(es256_token(es256, uuid.uuid4(), jwks_server.url)) == 200
    stranger = make_signing_key("ES256")

    response = bearer_client(
        stranger.sign(claims_for(uuid.uuid4(), supabase_url=jwks_server.url)),
        raise_request_exception=False,
    ).get(ME)

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "auth_unavailable"
    assert jwks_server.hits == 2  # within the refetch cooldown: no new attempt


def test_the_last_good_key_set_is_not_used_beyond_the_max_stale_age(es256, jwks_server, supabase):
    supabase.SUPABASE_JWKS_CACHE_SECONDS = 1
    supabase.SUPABASE_JWKS_MAX_STALE_SECONDS = 0  # no stale keys at all
    reset_jwks_clients()
    assert me_status(es256_token(es256, uuid.uuid4(), jwks_server.url)) == 200
    jwks_server.status = 500
    time.sleep(1.1)

    response = bearer_client(
        es256_token(es256, uuid.uuid4(), jwks_server.url), raise_request_exception=False
    ).get(ME)

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "auth_unavailable"


def test_without_a_good_fetch_a_failure_is_remembered_for_the_cooldown(
    es256, jwks_server, supabase
):
    supabase.SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS = 1
    reset_jwks_clients()
    jwks_server.status = 500  # down from the start: nothing to fall back on
    token = es256_token(es256, uuid.uuid4(), jwks_server.url)
    client = bearer_client(token, raise_request_exception=False)

    statuses = [client.get(ME).status_code for _ in range(5)]
    jwks_server.status = 200  # back, but the failure is still remembered
    statuses.append(client.get(ME).status_code)

    assert statuses == [503] * 6
    assert jwks_server.hits == 1
    time.sleep(1.1)  # the cooldown has passed: one new attempt, which succeeds
    assert client.get(ME).status_code == 200
    assert jwks_server.hits == 2


@pytest.mark.parametrize(
    "raw", [b"<html>Bad gateway</html>", b'{"keys": []}', b"[1, 2]"], ids=["html", "empty", "list"]
)
def test_a_jwks_endpoint_serving_no_usable_keys_is_503(es256, jwks_server, raw):
    jwks_server.raw = raw
    token = es256_token(es256, uuid.uuid4(), jwks_server.url)

    response = bearer_client(token, raise_request_exception=False).get(ME)

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "auth_unavailable"
    assert UserProfile.objects.count() == 0


def test_pyjwt_would_verify_our_es256_tokens_against_the_published_jwk(es256, jwks_server):
    """The served JWK is the one the private key matches (guards the fixtures)."""
    token = es256_token(es256, uuid.uuid4(), jwks_server.url)
    key = jwt.PyJWK(es256.jwk)

    claims = jwt.decode(token, key, algorithms=["ES256"], audience="authenticated")

    assert claims["role"] == "authenticated"
    assert TEST_JWT_SECRET not in token


# --- SUPABASE_URL: the system check, and a 503 rather than "unknown key" ---------------

BAD_URLS = [
    "abc.supabase.co",
    "ftp://abc.supabase.co",
    "https://",
    "https://abc.supabase.co/auth/v1",
    "https://abc.supabase.co?x=1",
]


def supabase_url_errors() -> list:
    return [m for m in run_checks() if m.id == "sessions_app.E001"]


@pytest.mark.parametrize("url", BAD_URLS)
def test_the_system_check_refuses_an_unusable_supabase_url(settings, url):
    settings.SUPABASE_URL = url

    errors = supabase_url_errors()

    assert len(errors) == 1
    assert url in errors[0].msg


@pytest.mark.parametrize(
    "url", ["", "https://abc.supabase.co", "http://127.0.0.1:54321", "https://example.com/sb"]
)
def test_the_system_check_accepts_a_project_url_or_none(settings, url):
    settings.SUPABASE_URL = url

    assert supabase_url_errors() == []


def test_manage_py_check_fails_on_a_url_without_a_scheme(settings):
    settings.SUPABASE_URL = "abc.supabase.co"

    with pytest.raises(SystemCheckError, match=r"sessions_app\.E001"):
        call_command("check")


@pytest.mark.parametrize("alg", ["ES256", "HS256"])
def test_a_url_without_a_scheme_is_503_with_a_clear_log_line(supabase, caplog, alg):
    supabase.SUPABASE_URL = "abc.supabase.co"
    claims = claims_for(uuid.uuid4(), supabase_url="https://abc.supabase.co")
    if alg == "HS256":
        token = hs256_token(uuid.uuid4(), supabase_url="https://abc.supabase.co")
    else:
        token = make_signing_key("ES256").sign(claims)

    response = bearer_client(token, raise_request_exception=False).get(ME)

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "auth_unavailable"
    assert "SUPABASE_URL 'abc.supabase.co' is not an absolute http(s) URL" in caplog.text
