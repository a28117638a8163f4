"""The CyPerf controller's agent list through Keysight's own client (`cyperf` on PyPI).

The credentials (ops/credentials.py) are exchanged for an access token at the controller's
Keycloak (`/auth/realms/keysight/protocol/openid-connect/token`, client `clt-wap`); agents are
listed with `GET /api/v2/agents`.
"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ops.credentials import Credentials
from ops.errors import (
    CredentialsError,
    MalformedAnswerError,
    TlsError,
    UnreachableError,
    UsageError,
    first_line,
)
from ops.verify import ControllerAgent

PAGE = 100
# seconds: one request (token or agent page), and the pause before trying one again
TIMEOUT = 15.0
RETRY_PAUSE = 2.0
ATTEMPTS = 3


def controller_url(address: str) -> str:
    """`https://host[:port]` from a host, host:port or https URL."""
    url = address if "://" in address else f"https://{address}"
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
        raise UsageError(
            f"--controller: a host, host:port or https://host[:port] (got {address!r})"
        )
    return f"https://{parts.netloc}"


@dataclass(frozen=True)
class Tls:
    verify: bool = True
    ca_cert: str | None = None

    def context(self) -> ssl.SSLContext:
        if not self.verify:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        return ssl.create_default_context(cafile=self.ca_cert)


def preflight(url: str, tls: Tls, timeout: float = TIMEOUT) -> None:
    """Connect and complete the TLS handshake once, so that an unreachable controller or an
    untrusted certificate is one clear error at once (the client retries such errors for ~20 s)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            tls.context().wrap_socket(raw, server_hostname=host),
        ):
            pass
    except ssl.SSLCertVerificationError as err:
        raise TlsError(
            f"controller {url}: TLS certificate not trusted ({err.verify_message}); pass "
            "--ca-cert <file> with the controller's certificate, or "
            "--insecure-skip-tls-verify for a self-signed one you accept unchecked"
        ) from None
    except ssl.SSLError as err:
        raise TlsError(f"controller {url}: TLS handshake failed ({err})") from None
    except OSError as err:
        raise UnreachableError(
            f"controller {url}: cannot connect ({type(err).__name__}: {err})"
        ) from None


def load_client() -> None:
    """Import Keysight's client (its hundreds of models take seconds on a busy machine) before
    the run's deadline starts: the deadline bounds waiting for the controller, not our start-up."""
    import cyperf.api.agents_api
    import cyperf.api.authorization_api
    import cyperf.api_client  # noqa: F401


class Deadline:
    """One deadline for a whole run: every request's timeout is cut to what is left of it."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def timeout(self, url: str, cap: float = TIMEOUT) -> float:
        left = self.remaining()
        if left <= 0:
            raise UnreachableError(
                f"controller {url}: no answer within the run's deadline",
                fix="check the controller's load and network path, or give a longer --wait",
            )
        return min(cap, left)


class Controller:
    """The agent list, with the token request and every request bounded by `deadline`.

    The client would fetch the access token itself without a timeout, and retry each call 4 times
    with 5 s pauses on top of urllib3's own retries (cyperf 26.1.2, `ApiClient.__retry` and
    `Configuration._get_access_token`): here the token is requested explicitly with a timeout and
    renewed once on a 401, urllib3 does not retry, and each call is tried at most `ATTEMPTS`
    times within the deadline.
    """

    def __init__(self, url: str, creds: Credentials, tls: Tls, deadline: Deadline) -> None:
        from cyperf.api_client import ApiClient
        from cyperf.configuration import Configuration

        self.url = url
        self._creds = creds
        self.deadline = deadline
        # No credentials in the client's configuration: it would log in by itself, unbounded.
        configuration = Configuration(host=url, ssl_ca_cert=tls.ca_cert, retries=False)
        configuration.verify_ssl = tls.verify
        if not tls.verify:
            # we warned once on stderr; urllib3 would repeat it for every request
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._configuration = configuration

        class OneTry(ApiClient):
            def call_api(self, *args: Any, **kwargs: Any) -> Any:
                return self._ApiClient__call_api(*args, **kwargs)  # type: ignore[attr-defined]

        self._client = OneTry(configuration)

    @property
    def api_client(self) -> Any:
        """The client's ApiClient (one try per call, no credentials of its own): build other
        `cyperf.api` objects on it and send their calls through `call`; `login()` first."""
        return self._client

    def login(self) -> None:
        from cyperf.api.authorization_api import AuthorizationApi

        creds = self._creds
        grant = "refresh_token" if creds.offline_token else "password"
        self._configuration.access_token = None
        answer = self.call(
            lambda timeout: AuthorizationApi(self._client).authenticate(
                client_id="clt-wap",
                grant_type=grant,
                refresh_token=creds.offline_token.value if creds.offline_token else None,
                username=creds.username,
                password=creds.password.value if creds.password else None,
                _request_timeout=timeout,
            ),
            login=True,
        )
        token = getattr(answer, "access_token", None)
        if not isinstance(token, str) or not token:
            raise MalformedAnswerError(
                f"controller {self.url}: the token answer has no access_token",
                fix="check that the address is a CyPerf controller (not the Controller Proxy)",
            )
        self._configuration.access_token = token

    def agents(self) -> list[ControllerAgent]:
        """Every agent the controller knows, online or not (paged)."""
        from cyperf.api.agents_api import AgentsApi

        if self._configuration.access_token is None:
            self.login()
        api = AgentsApi(self._client)
        collected: list[Any] = []
        while True:
            # The client unwraps the oneOf answer: a list of agents (all of them, or one
            # page) or the paged `{data, totalCount}` model.
            page: Any = self.call(
                lambda timeout: api.get_agents(
                    take=PAGE, skip=len(collected), _request_timeout=timeout
                )
            )
            if hasattr(page, "total_count"):
                batch = list(page.data or [])
                collected.extend(batch)
                if not batch or len(collected) >= (page.total_count or 0):
                    break
            else:
                # A controller that ignores take/skip answers everything every time.
                seen = {getattr(a, "id", None) for a in collected}
                batch = [a for a in page or [] if getattr(a, "id", None) not in seen]
                collected.extend(batch)
                if len(batch) < PAGE:
                    break
        # The client wraps models that have links in a "dynamic" model whose unset fields are
        # fetched on access, by an unbounded request: only the plain model's fields are read.
        return [self._agent(getattr(a, "base_model", a)) for a in collected]

    def delete_agent(self, agent_id: str) -> bool:
        """`DELETE /api/v2/agents/{agentId}` (pinned client); False when it is gone (404)."""
        from cyperf.api.agents_api import AgentsApi
        from cyperf.exceptions import NotFoundException

        def request(timeout: float) -> bool:
            try:
                AgentsApi(self._client).delete_agent(agent_id, _request_timeout=timeout)
            except NotFoundException:
                return False
            return True

        if self._configuration.access_token is None:
            self.login()
        return bool(self.call(request))

    def call(self, request: Callable[[float], Any], login: bool = False) -> Any:
        """`request(timeout)` through the client, bounded by the deadline, tried at most
        ATTEMPTS times, the access token renewed once on a 401; every failure an OpsError."""
        from cyperf.exceptions import (
            ApiException,
            ForbiddenException,
            ServiceException,
            UnauthorizedException,
        )
        from pydantic import ValidationError
        from urllib3.exceptions import HTTPError, SSLError

        renewed = login
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return request(self.deadline.timeout(self.url))
            except UnauthorizedException as err:
                if renewed:
                    raise self._refused(err) from None
                # the access token expired during a long --wait: one renewal
                renewed = True
                self.login()
            except ForbiddenException:
                raise CredentialsError(
                    f"controller {self.url}: 403, the user may not list agents",
                    fix="use a user with access to Agents, or that user's offline token",
                ) from None
            except ApiException as err:
                if login and err.status == 400:
                    raise self._refused(err) from None
                if not isinstance(err, ServiceException) or attempt == ATTEMPTS:
                    raise UnreachableError(
                        f"controller {self.url}: {err.status} {err.reason}",
                        fix="check that the address is the CyPerf controller and it is up",
                    ) from None
            except SSLError as err:
                raise TlsError(f"controller {self.url}: TLS failed ({err})") from None
            except HTTPError as err:
                if attempt == ATTEMPTS or self.deadline.remaining() <= 0:
                    raise UnreachableError(
                        f"controller {self.url}: {type(err).__name__} after {attempt} attempt(s)",
                        fix="check the controller's load and the network path to it",
                    ) from None
            except (ValidationError, ValueError, TypeError) as err:
                raise MalformedAnswerError(
                    f"controller {self.url}: malformed answer ({first_line(err)})",
                    fix="check the controller's version against the pinned client (cyperf "
                    "26.1.2) and report it",
                ) from None
            time.sleep(min(RETRY_PAUSE, max(0.0, self.deadline.remaining())))
        raise AssertionError("unreachable")

    def _refused(self, err: Any) -> CredentialsError:
        """Keycloak's own reason (`error`, `error_description`); it never holds the token."""
        try:
            body = json.loads(err.body or "{}")
        except ValueError:
            body = {}
        code = body.get("error") if isinstance(body, dict) else None
        detail = body.get("error_description") if isinstance(body, dict) else None
        reason = f"{err.status} {code or err.reason}" + (f": {detail}" if detail else "")
        if self._creds.offline_token:
            fix = (
                "the offline token is wrong, expired or revoked: create one in the controller "
                "(Gear Menu > Administration > Offline Tokens) and set it again"
            )
        else:
            fix = "check the username and password (CYPERF_USERNAME/CYPERF_PASSWORD)"
        return CredentialsError(
            f"controller {self.url}: login refused ({reason}; credentials from "
            f"{self._creds.source or 'the caller'})",
            fix=fix,
        )

    def _agent(self, a: Any) -> ControllerAgent:
        if not isinstance(getattr(a, "id", None), str) or not a.id:
            raise MalformedAnswerError(
                f"controller {self.url}: an agent without an id in the agent list",
                fix="report it with the controller's version",
            )
        mgmt = a.mgmt_interface
        ntp = a.ntp_info
        return ControllerAgent(
            id=a.id,
            ip=a.ip,
            tags=tuple(a.agent_tags or ()),
            offline=bool(a.offline),
            status=a.status,
            hostname=a.hostname,
            mgmt_ips=tuple(m.ip for m in (mgmt.ip or []) if m.ip) if mgmt else (),
            ntp_status=ntp.status if ntp else None,
            requires_updating=a.requires_updating,
            configured_proxy=a.configured_proxy,
            session=a.session_name or None,
        )
