"""A stand-in CyPerf controller for tests: HTTPS on 127.0.0.1 with a throwaway certificate.

It serves exactly what `ops verify` uses through Keysight's `cyperf` client, in the shapes of
that client's models (tests/ops/test_fake_controller.py checks them against the models):
  POST /auth/realms/keysight/protocol/openid-connect/token   form client_id=clt-wap and
       grant_type=password (username, password) or grant_type=refresh_token (refresh_token)
       -> Authenticate200Response {access_token, expires_in, refresh_expires_in, refresh_token}
  GET  /api/v2/agents?take=&skip=   Bearer token required
       -> GetAgents200Response: `{"data": [Agent...], "totalCount": n}` (paged) or `[Agent...]`
It is not a CyPerf controller: agent field values are illustrative, and nothing else exists.
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
    agent_id: str, ip: str, tags: list[str], offline: bool = False, hostname: str | None = None
) -> dict[str, Any]:
    """One agent as `GET /api/v2/agents` lists it (fields of cyperf.models.Agent, by alias)."""
    return {
        "id": agent_id,
        "IP": ip,
        "AgentTags": tags,
        "Status": "OFFLINE" if offline else "IDLE",
        "offline": offline,
        "hostname": hostname or agent_id,
    }


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
    # More endpoints (tests/ops/fake_sessions.py): `handle(handler, method, path) -> bool`.
    routes: Any = None
    _access_tokens: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def token_response(self, form: dict[str, list[str]]) -> tuple[int, Any]:
        def one(key: str) -> str | None:
            return form.get(key, [None])[0]

        if one("client_id") != "clt-wap":
            return 401, {"error": "unauthorized_client"}
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
            self._access_tokens.add(token)
        return 200, {
            "access_token": token,
            "expires_in": 300,
            "refresh_expires_in": 0,
            "refresh_token": self.offline_token if grant == "refresh_token" else "refresh",
        }

    def agents_response(self, authorization: str | None, query: dict[str, list[str]]) -> Any:
        with self._lock:
            known = authorization is not None and authorization.removeprefix("Bearer ") in (
                self._access_tokens
            )
            agents = list(self.agents)
        if not known:
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

        def do_DELETE(self) -> None:
            if not self.routed("DELETE"):
                self.reply_json(404, {"error": "not found"})

        def do_POST(self) -> None:
            if self.routed("POST"):
                return
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = parse_qs(self.rfile.read(length).decode())
            fake.requests.append(("POST", parts.path, form))
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
            if parts.path != AGENTS_PATH:
                self.reply_json(404, {"error": "not found"})
                return
            self.reply_json(*fake.agents_response(self.headers.get("Authorization"), query))

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
        server.shutdown()
        server.server_close()
