"""Where the controller credentials come from: the environment or the stack's secret config,
never the command line (it shows up in `ps` and shell history). Every command's --help says so
(CREDENTIALS_HELP).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ops.errors import CredentialsError
from ops.stack import OPS, Secret

CREDENTIALS_HELP = f"""controller credentials (the first found; never on the command line):
  CYPERF_OFFLINE_TOKEN               an offline token (controller: Gear Menu > Administration >
                                     Offline Tokens)
  CYPERF_USERNAME, CYPERF_PASSWORD   a controller user
  {OPS}:controllerOfflineToken  stack config set with `pulumi config set --secret`
  {OPS}:controllerUsername and {OPS}:controllerPassword (secret)
cluster credentials: the stack's kubeconfig (cyperf-k8s:kubeconfig, or the EKS stack's
  output), else KUBECONFIG or ~/.kube/config; each command prints the API server it read"""


HOW_TO_CONFIGURE = (
    "set CYPERF_OFFLINE_TOKEN (or CYPERF_USERNAME and CYPERF_PASSWORD), or the secret stack "
    f"config `pulumi config set --secret {OPS}:controllerOfflineToken <token>`"
)
CREDENTIAL_ENV = ("CYPERF_OFFLINE_TOKEN", "CYPERF_USERNAME", "CYPERF_PASSWORD")
CREDENTIAL_KEYS = ("controllerOfflineToken", "controllerUsername", "controllerPassword")


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
            raise CredentialsError("CYPERF_USERNAME and CYPERF_PASSWORD: set both, or neither")
        return Credentials(
            username=env["CYPERF_USERNAME"],
            password=Secret(env["CYPERF_PASSWORD"]),
            source="CYPERF_USERNAME/CYPERF_PASSWORD",
        )
    for key in ("controllerOfflineToken", "controllerPassword"):
        if key in ops_config and not isinstance(ops_config[key], Secret):
            raise CredentialsError(
                f"{OPS}:{key}: must be stack secret config, set with "
                f"`pulumi config set --secret {OPS}:{key}` (got a plain value, hidden here)"
            )
    token = ops_config.get("controllerOfflineToken")
    if isinstance(token, Secret):
        return Credentials(token, source=f"{OPS}:controllerOfflineToken")
    username, password = ops_config.get("controllerUsername"), ops_config.get("controllerPassword")
    if username is not None or password is not None:
        if username is None or not isinstance(password, Secret):
            raise CredentialsError(
                f"{OPS}:controllerUsername and {OPS}:controllerPassword: set both, or neither"
            )
        return Credentials(
            username=str(username), password=password, source=f"{OPS}:controllerUsername"
        )
    raise CredentialsError(f"no controller credentials: {HOW_TO_CONFIGURE}")


def credentials_configured(env: Mapping[str, str], ops_config: Mapping[str, Secret | str]) -> bool:
    """Whether any controller credential is set: status and doctor then check registration (a
    half-set pair is refused by `credentials`, by name)."""
    return any(env.get(k) for k in CREDENTIAL_ENV) or any(k in ops_config for k in CREDENTIAL_KEYS)
