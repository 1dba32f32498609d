"""Factories for signed-in users: profiles, user sessions, and real Supabase-style
access tokens (HS256 with a test secret; ES256/RS256 keys served from a local JWKS
endpoint). Fixtures here are imported by the test modules that use them."""

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import factory
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from rest_framework.test import APIClient

from sessions_app.authentication import reset_jwks_clients
from sessions_app.models import UserProfile, UserSession

TEST_JWT_SECRET = "test-only-hs256-secret-at-least-32-bytes-long!!"
JWKS_PATH = "/auth/v1/.well-known/jwks.json"


class UserProfileFactory(factory.django.DjangoModelFactory):
    """A regular user's profile (role ``user``)."""

    class Meta:
        model = UserProfile

    id = factory.LazyFunction(uuid.uuid4)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    role = UserProfile.Role.USER
    registration_source = "web"


class UserSessionFactory(factory.django.DjangoModelFactory):
    """An active web session that just started."""

    class Meta:
        model = UserSession

    user = factory.SubFactory(UserProfileFactory)
    session_id = factory.Sequence(lambda n: f"sess-{n:08d}")
    platform = UserSession.Platform.WEB
    status = UserSession.Status.ACTIVE
    device_info = factory.LazyFunction(dict)
    location_info = factory.LazyFunction(dict)


# --- Tokens ------------------------------------------------------------------------


def claims_for(sub, /, *, supabase_url: str, **overrides) -> dict:
    """Claims as Supabase Auth issues them for a signed-in user; ``overrides`` replace
    or (with value ``...``) remove a claim."""
    now = int(time.time())
    claims = {
        "iss": f"{supabase_url}/auth/v1",
        "aud": "authenticated",
        "sub": str(sub),
        "exp": now + 3600,
        "iat": now,
        "email": "",
        "phone": "",
        "role": "authenticated",
        "aal": "aal1",
        "session_id": str(uuid.uuid4()),
        "is_anonymous": False,
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {},
    }
    for name, value in overrides.items():
        if value is ...:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def hs256_token(sub, /, *, supabase_url: str, secret: str = TEST_JWT_SECRET, **overrides) -> str:
    """A token signed with the legacy shared secret."""
    return jwt.encode(claims_for(sub, supabase_url=supabase_url, **overrides), secret, "HS256")


@dataclass
class SigningKey:
    """An asymmetric key pair with its public JWK (as Supabase publishes it)."""

    alg: str
    kid: str
    private_key: object
    jwk: dict

    def sign(self, claims: dict, *, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private_key, self.alg, headers={"kid": kid or self.kid})


def make_signing_key(alg: str = "ES256", kid: str | None = None) -> SigningKey:
    """A fresh ES256 (P-256) or RS256 (2048-bit) key made with cryptography."""
    kid = kid or uuid.uuid4().hex
    if alg == "ES256":
        private_key = ec.generate_private_key(ec.SECP256R1())
        jwk = ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    else:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    jwk.update({"kid": kid, "alg": alg, "use": "sig", "key_ops": ["verify"]})
    return SigningKey(alg=alg, kid=kid, private_key=private_key, jwk=jwk)


@dataclass
class JWKSServer:
    """A local stand-in for ``{SUPABASE_URL}/auth/v1/.well-known/jwks.json``."""

    url: str
    keys: list = field(default_factory=list)
    hits: int = 0  # every request to the JWKS path, failed ones too
    raw: bytes | None = None  # served instead of the key set when set
    status: int = 200  # e.g. 500 to play an outage


class _JWKSHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        state = self.server.state
        if self.path != JWKS_PATH:
            self.send_error(404)
            return
        state.hits += 1
        body = (
            state.raw
            if state.raw is not None
            else json.dumps({"keys": [k.jwk for k in state.keys]}).encode()
        )
        self.send_response(state.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def jwks_server():
    """A JWKS endpoint on 127.0.0.1 (random port) in a thread; ``.keys`` is what it
    serves (mutable: add a key to simulate rotation), ``.hits`` counts fetches,
    ``.status`` is the HTTP status it answers with."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _JWKSHandler)
    httpd.state = JWKSServer(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield httpd.state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def supabase(settings):
    """Supabase auth configured with the HS256 test secret and a SUPABASE_URL whose
    JWKS nobody serves (asymmetric tests use ``jwks_server``). JWKS clients are
    reset before and after, so no key set leaks between tests."""
    settings.SUPABASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.SUPABASE_JWT_SECRET = TEST_JWT_SECRET
    settings.SUPABASE_JWT_ISSUER = ""
    settings.SUPABASE_JWT_ALGORITHMS = ["ES256", "RS256"]
    settings.SUPABASE_ALLOW_ANONYMOUS = False
    reset_jwks_clients()
    yield settings
    reset_jwks_clients()


def bearer_client(token: str, **client_options) -> APIClient:
    """An API client sending ``Authorization: Bearer <token>``."""
    client = APIClient(**client_options)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def user_client_for(supabase):
    """``user_client_for(sub_or_profile, **claims)`` → a client with a valid HS256 token."""

    def make(user=None, **overrides) -> APIClient:
        sub = getattr(user, "pk", user) or uuid.uuid4()
        return bearer_client(hs256_token(sub, supabase_url=supabase.SUPABASE_URL, **overrides))

    return make
