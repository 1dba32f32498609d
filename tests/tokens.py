"""Real Supabase-style access tokens for tests: HS256 with a test secret, ES256 /
RS256 keys served from a local JWKS endpoint (``jwks_server`` fixture)."""

import json
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from rest_framework.test import APIClient

TEST_JWT_SECRET = "test-only-hs256-secret-at-least-32-bytes-long!!"
JWKS_PATH = "/auth/v1/.well-known/jwks.json"


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


def bearer_client(token: str, **client_options) -> APIClient:
    """An API client sending ``Authorization: Bearer <token>``."""
    client = APIClient(**client_options)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client
