"""Supabase access tokens, verified with real signatures: HS256 with the legacy secret,
ES256/RS256 keys made here and served by a local JWKS endpoint (issue 4)."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from sessions_app.authentication import jwks_client_for, reset_jwks_clients, supabase_jwks_url
from sessions_app.models import UserProfile
from tests.sessions_app import user_factories
from tests.sessions_app.user_factories import (
    JWKS_PATH,
    TEST_JWT_SECRET,
    bearer_client,
    claims_for,
    hs256_token,
    make_signing_key,
)

pytestmark = pytest.mark.django_db

# Shared fixtures (this directory has no conftest of its own for them).
supabase = user_factories.supabase
jwks_server = user_factories.jwks_server

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


def test_tokens_are_refused_while_supabase_is_not_configured(supabase):
    token = hs256_token(uuid.uuid4(), supabase_url=supabase.SUPABASE_URL)
    supabase.SUPABASE_URL = ""

    assert_refused(bearer_client(token).get(ME), "not configured")


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


def test_a_rotated_key_is_picked_up_by_refetching_on_an_unknown_kid(es256, jwks_server, supabase):
    supabase.SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS = 0
    reset_jwks_clients()
    first = es256_token(es256, uuid.uuid4(), jwks_server.url)
    assert bearer_client(first).get(ME).status_code == 200
    new_key = make_signing_key("ES256")
    jwks_server.keys.append(new_key)  # Supabase rotates: the new key appears in the JWKS

    response = bearer_client(es256_token(new_key, uuid.uuid4(), jwks_server.url)).get(ME)

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
