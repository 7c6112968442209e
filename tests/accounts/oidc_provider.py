"""A small but real OpenID Connect provider for the single sign-on tests, served on 127.0.0.1:
discovery, the authorization endpoint (code flow; records state, nonce and the PKCE challenge),
the token endpoint (client secret, single-use code, PKCE S256 verifier checked), userinfo and
the JWKS. ID tokens are RS256-signed; knobs let a test send a tampered or foreign token."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "brm-test-client"
CLIENT_SECRET = "brm-test-secret"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    """State of the provider; `claims` is who signs in next. Knobs: `id_token_filter` rewrites
    the signed ID token string, `claims_override` changes its claims before signing,
    `signing_key` signs with another key than the published one."""

    def __init__(self) -> None:
        self.key = new_key()
        self.kid = "k1"
        self.signing_key: rsa.RSAPrivateKey | None = None
        self.claims: dict[str, Any] = {}
        self.claims_override: dict[str, Any] = {}
        self.id_token_filter: Callable[[str], str] | None = None
        self.codes: dict[str, dict[str, Any]] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.discovery_hits = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Provider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **grant["claims"],
            **self.claims_override,
        }
        key = self.signing_key or self.key
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})
        return self.id_token_filter(token) if self.id_token_filter else token

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: dict[str, Any], status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    provider.discovery_hits += 1
                    self._json(provider.discovery())
                elif url.path == "/jwks":
                    self._json(provider.jwks())
                elif url.path == "/authorize":
                    provider.authorize_requests.append(query)
                    if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                        self._json({"error": "unauthorized_client"}, 400)
                        return
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = {
                        "nonce": query.get("nonce"),
                        "challenge": query.get("code_challenge"),
                        "method": query.get("code_challenge_method"),
                        "redirect_uri": query["redirect_uri"],
                        "claims": dict(provider.claims),
                    }
                    answer = {"code": code, "state": query.get("state", "")}
                    back = f"{query['redirect_uri']}?{urlencode(answer)}"
                    self.send_response(302)
                    self.send_header("Location", back)
                    self.end_headers()
                elif url.path == "/userinfo":
                    auth = self.headers.get("Authorization", "")
                    grant = provider.codes.get(auth.removeprefix("Bearer ").strip())
                    if grant is None:
                        self._json({"error": "invalid_token"}, 401)
                    else:
                        self._json({**grant["claims"]})
                else:
                    self._json({"error": "not_found"}, 404)

            def do_POST(self) -> None:  # noqa: N802
                if urlsplit(self.path).path != "/token":
                    self._json({"error": "not_found"}, 404)
                    return
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                client_id, secret = form.get("client_id"), form.get("client_secret")
                basic = self.headers.get("Authorization", "")
                if basic.startswith("Basic "):
                    client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
                    self._json({"error": "invalid_client"}, 401)
                    return
                grant = provider.codes.pop(form.get("code", ""), None)
                if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                    self._json({"error": "invalid_grant"}, 400)
                    return
                verifier = form.get("code_verifier", "")
                digest = hashlib.sha256(verifier.encode()).digest()
                expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if grant["method"] != "S256" or grant["challenge"] != expected:
                    self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
                    return
                access = secrets.token_urlsafe(16)
                provider.codes[access] = grant  # userinfo looks the grant up by access token
                self._json(
                    {
                        "access_token": access,
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(grant),
                    }
                )

        return Handler
