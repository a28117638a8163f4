"""The CyPerf controller's agent list through Keysight's own client (`cyperf` on PyPI).

Credentials come from the environment or the stack's secret config, never from the command line
(it shows up in `ps` and shell history):
  CYPERF_OFFLINE_TOKEN                       offline (refresh) token from the controller UI
  CYPERF_USERNAME + CYPERF_PASSWORD          a controller user
  cyperf-ops:controllerOfflineToken          the same, as secret stack config
  cyperf-ops:controllerUsername + cyperf-ops:controllerPassword (secret)
The client exchanges them for an access token at the controller's Keycloak
(`/auth/realms/keysight/protocol/openid-connect/token`, client `clt-wap`) and lists agents with
`GET /api/v2/agents`.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ops.errors import CredentialsError, OpsError, TlsError, UnreachableError, UsageError
from ops.stack import OPS, Secret
from ops.verify import ControllerAgent

PAGE = 100
TIMEOUT = 15.0


@dataclass(frozen=True)
class Credentials:
    offline_token: Secret | None = None
    username: str | None = None
    password: Secret | None = field(default=None)
    source: str = ""


def credentials(env: Mapping[str, str], ops_config: Mapping[str, Secret | str]) -> Credentials:
    if env.get("CYPERF_OFFLINE_TOKEN"):
        return Credentials(Secret(env["CYPERF_OFFLINE_TOKEN"]), source="CYPERF_OFFLINE_TOKEN")
    if env.get("CYPERF_USERNAME") or env.get("CYPERF_PASSWORD"):
        if not (env.get("CYPERF_USERNAME") and env.get("CYPERF_PASSWORD")):
            raise UsageError("CYPERF_USERNAME and CYPERF_PASSWORD: set both, or neither")
        return Credentials(
            username=env["CYPERF_USERNAME"],
            password=Secret(env["CYPERF_PASSWORD"]),
            source="CYPERF_USERNAME/CYPERF_PASSWORD",
        )
    for key in ("controllerOfflineToken", "controllerPassword"):
        if key in ops_config and not isinstance(ops_config[key], Secret):
            raise UsageError(
                f"{OPS}:{key}: must be stack secret config, set with "
                f"`pulumi config set --secret {OPS}:{key}` (got a plain value, hidden here)"
            )
    token = ops_config.get("controllerOfflineToken")
    if isinstance(token, Secret):
        return Credentials(token, source=f"{OPS}:controllerOfflineToken")
    username, password = ops_config.get("controllerUsername"), ops_config.get("controllerPassword")
    if username is not None or password is not None:
        if username is None or not isinstance(password, Secret):
            raise UsageError(
                f"{OPS}:controllerUsername and {OPS}:controllerPassword: set both, or neither"
            )
        return Credentials(
            username=str(username), password=password, source=f"{OPS}:controllerUsername"
        )
    raise UsageError(
        "no controller credentials: set CYPERF_OFFLINE_TOKEN (or CYPERF_USERNAME and "
        f"CYPERF_PASSWORD), or the secret stack config {OPS}:controllerOfflineToken"
    )


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


class Controller:
    def __init__(self, url: str, creds: Credentials, tls: Tls) -> None:
        from cyperf.api.agents_api import AgentsApi
        from cyperf.api_client import ApiClient
        from cyperf.configuration import Configuration

        self.url = url
        configuration = Configuration(
            host=url,
            refresh_token=creds.offline_token.value if creds.offline_token else None,
            username=creds.username,
            password=creds.password.value if creds.password else None,
            ssl_ca_cert=tls.ca_cert,
        )
        configuration.verify_ssl = tls.verify
        if not tls.verify:
            # we warned once on stderr; urllib3 would repeat it for every request
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._configuration = configuration
        self._agents_api = AgentsApi(ApiClient(configuration))

    def agents(self) -> list[ControllerAgent]:
        """Every agent the controller knows, online or not (paged)."""
        from cyperf.exceptions import ApiException, UnauthorizedException
        from urllib3.exceptions import HTTPError

        collected: list[Any] = []
        try:
            while True:
                # The client unwraps the oneOf answer: a list of agents (all of them, or one
                # page) or the paged `{data, totalCount}` model.
                page: Any = self._agents_api.get_agents(
                    take=PAGE, skip=len(collected), _request_timeout=TIMEOUT
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
        except UnauthorizedException:
            raise CredentialsError(
                f"controller {self.url}: login refused (401): check the credentials"
            ) from None
        except ApiException as err:
            raise OpsError(f"controller {self.url}: {err.status} {err.reason}") from None
        except HTTPError as err:
            raise OpsError(f"controller {self.url}: {type(err).__name__}") from None
        return [
            ControllerAgent(
                id=str(a.id or ""),
                ip=a.ip,
                tags=tuple(a.agent_tags or ()),
                offline=bool(a.offline),
                status=a.status,
                hostname=a.hostname,
            )
            for a in collected
        ]
