"""A stand-in CyPerf controller for tests: HTTPS on 127.0.0.1 with a throwaway certificate.

It serves exactly what `ops verify` uses through Keysight's `cyperf` client, in the shapes of
that client's models (tests/ops/test_fake_controller.py checks them against the models):
  POST /auth/realms/keysight/protocol/openid-connect/token   form client_id=clt-wap and
       grant_type=password (username, password) or grant_type=refresh_token (refresh_token)
       -> Authenticate200Response {access_token, expires_in, refresh_expires_in, refresh_token}
  GET  /api/v2/agents?take=&skip=   Bearer token required
       -> GetAgents200Response: `{"data": [Agent...], "totalCount": n}` (paged) or `[Agent...]`
  DELETE /api/v2/agents/<id>        Bearer token required -> 204, or 404 for an unknown id
It is not a CyPerf controller: agent field values are illustrative, and nothing else exists.
Failures on demand: `token_error` (Keycloak's answer to every token request, e.g. 400
invalid_grant for an expired or revoked offline token), `expire_after` (an access token serves
that many agent requests, then gets 401 as an expired one does), `stall` (seconds a path waits
before answering: a hung Keycloak or a slow page) and `malformed_agent()`.
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.ops.json_handler import JsonHandler

TOKEN_PATH = "/auth/realms/keysight/protocol/openid-connect/token"
AGENTS_PATH = "/api/v2/agents"


def agent_json(
    agent_id: str,
    ip: str,
    tags: list[str],
    offline: bool = False,
    hostname: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One agent as `GET /api/v2/agents` lists it (fields of cyperf.models.Agent, by alias);
    `extra` adds fields by alias, e.g. mgmtInterface, ntpInfo, requiresUpdating, SessionName."""
    return {
        "id": agent_id,
        "IP": ip,
        "AgentTags": tags,
        "Status": "OFFLINE" if offline else "IDLE",
        "offline": offline,
        "hostname": hostname or agent_id,
        **extra,
    }


def malformed_agent() -> dict[str, Any]:
    """An agent the client's model refuses: `IP` must be a string."""
    return {"id": "broken", "IP": 17, "AgentTags": "not-a-list"}


INVALID_GRANT = (
    400,
    {"error": "invalid_grant", "error_description": "Offline user session not found"},
)


def write_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost, valid one day; (cert, key) PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-cyperf-controller")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "controller.crt", folder / "controller.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class FakeController:
    offline_token: str = "offline-token-for-tests"
    username: str = "tester"
    password: str = "password-for-tests"
    agents: list[dict[str, Any]] = field(default_factory=list)
    paged: bool = True
    url: str = ""
    cert_file: Path | None = None
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    token_error: tuple[int, dict[str, str]] | None = None
    expire_after: int | None = None
    stall: dict[str, float] = field(default_factory=dict)  # path -> seconds before answering
    # set when the server stops, so a stalled answer does not hold up the test's end
    stopping: threading.Event = field(default_factory=threading.Event)
    _access_tokens: dict[str, int] = field(default_factory=dict)  # token -> requests served
    # More endpoints (tests/ops/fake_sessions.py): `handle(handler, method, path) -> bool`.
    routes: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token_response(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        def one(key: str) -> str | None:
            return form.get(key, [None])[0]

        if one("client_id") != "clt-wap":
            return 401, {"error": "unauthorized_client"}
        if self.token_error is not None:
            return self.token_error
        grant = one("grant_type")
        if grant == "refresh_token":
            accepted = one("refresh_token") == self.offline_token
        elif grant == "password":
            accepted = (one("username"), one("password")) == (self.username, self.password)
        else:
            return 400, {"error": "unsupported_grant_type"}
        if not accepted:
            return 401, {"error": "invalid_grant", "error_description": "Invalid credentials"}
        token = secrets.token_urlsafe(16)
        with self._lock:
            self._access_tokens[token] = 0
        return 200, {
            "access_token": token,
            "expires_in": 300,
            "refresh_expires_in": 0,
            "refresh_token": self.offline_token if grant == "refresh_token" else "refresh",
        }

    def delete_response(self, authorization: str | None, agent_id: str) -> tuple[int, Any]:
        with self._lock:
            if authorization is None or (
                authorization.removeprefix("Bearer ") not in self._access_tokens
            ):
                return 401, {"error": "not authenticated"}
            kept = [a for a in self.agents if a["id"] != agent_id]
            if len(kept) == len(self.agents):
                return 404, {"message": f"agent {agent_id} not found"}
            self.agents = kept
        return 204, None

    def agents_response(self, authorization: str | None, query: dict[str, list[str]]) -> Any:
        token = (authorization or "").removeprefix("Bearer ")
        with self._lock:
            served = self._access_tokens.get(token)
            limit = self.expire_after
            expired = served is not None and limit is not None and served >= limit
            if served is not None:
                self._access_tokens[token] = served + 1
            agents = list(self.agents)
        if served is None or expired:
            return 401, {"error": "not authenticated"}
        if not self.paged:
            return 200, agents
        skip = int(query.get("skip", ["0"])[0])
        take = int(query.get("take", [str(len(agents))])[0])
        return 200, {"data": agents[skip : skip + take], "totalCount": len(agents)}


def _handler(fake: FakeController) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        def routed(self, method: str) -> bool:
            return fake.routes is not None and fake.routes.handle(self, method, self.path)

        def do_PATCH(self) -> None:
            if not self.routed("PATCH"):
                self.reply_json(404, {"error": "not found"})

        def do_POST(self) -> None:
            if self.routed("POST"):
                return
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            fake.requests.append(("POST", parts.path, form))
            fake.stopping.wait(fake.stall.get(parts.path, 0))
            if parts.path != TOKEN_PATH:
                self.reply_json(404, {"error": "not found"})
                return
            self.reply_json(*fake.token_response(form))

        def do_GET(self) -> None:
            if self.routed("GET"):
                return
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            fake.requests.append(("GET", parts.path, query))
            fake.stopping.wait(fake.stall.get(parts.path, 0))
            if parts.path != AGENTS_PATH:
                self.reply_json(404, {"error": "not found"})
                return
            self.reply_json(*fake.agents_response(self.headers.get("Authorization"), query))

        def do_DELETE(self) -> None:
            if self.routed("DELETE"):
                return
            parts = urlsplit(self.path)
            fake.requests.append(("DELETE", parts.path, {}))
            prefix = f"{AGENTS_PATH}/"
            if not parts.path.startswith(prefix):
                self.reply_json(404, {"error": "not found"})
                return
            status, body = fake.delete_response(
                self.headers.get("Authorization"), parts.path.removeprefix(prefix)
            )
            if body is None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.reply_json(status, body)

    return Handler


@contextmanager
def serve(folder: Path, fake: FakeController | None = None) -> Iterator[FakeController]:
    """Run a fake controller on 127.0.0.1 (a free port) until the block ends."""
    fake = fake or FakeController()
    cert_file, key_file = write_certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"https://127.0.0.1:{server.server_address[1]}"
    fake.cert_file = cert_file
    try:
        yield fake
    finally:
        fake.stopping.set()
        server.shutdown()
        server.server_close()
