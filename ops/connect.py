"""What `status`, `doctor` and `prune` share: the controller options, the controller client from
them, and the stack-unique agent tag they match agents by.

`verify` builds its controller the same way (ops/cli.py); credentials come only from the
environment or the stack's secret config (ops/controller.py).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ops.errors import UsageError
from ops.stack import OPS, Secret, StackInfo

if TYPE_CHECKING:
    from ops.controller import Controller

# The exit codes these commands return themselves (the others come from the errors the CLI maps;
# ops/errors.py is where the full table lives once the exit-code work lands).
EXIT_OK = 0
EXIT_FAILED = 1
# The tag every agent carries on top of the group's own: `cyperf-k8s=<stack>.<group>`.
STACK_TAG_KEY = "cyperf-k8s"
CREDENTIAL_KEYS = ("controllerOfflineToken", "controllerUsername", "controllerPassword")
CREDENTIAL_ENV = ("CYPERF_OFFLINE_TOKEN", "CYPERF_USERNAME", "CYPERF_PASSWORD")


def stack_tag(stack: str, group: str) -> str:
    return f"{STACK_TAG_KEY}={stack}.{group}"


def add_controller_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--controller",
        help="controller address, host[:port] (default: the stack's controllerAddress)",
    )
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--ca-cert", help="PEM file to trust for the controller's certificate")
    tls.add_argument(
        "--insecure-skip-tls-verify",
        action="store_true",
        help="do not verify the controller's certificate (self-signed controllers)",
    )


def credentials_configured(env: Mapping[str, str], ops_config: Mapping[str, Secret | str]) -> bool:
    """Whether any controller credential is set (a half-set pair is refused later, by name)."""
    return any(env.get(k) for k in CREDENTIAL_ENV) or any(k in ops_config for k in CREDENTIAL_KEYS)


def controller_address(args: argparse.Namespace, stack: StackInfo) -> str:
    from ops.controller import controller_url

    if args.controller is None and stack.controller_is_proxy:
        raise UsageError(
            "--controller: the stack's controllerAddress is a Controller Proxy; give the "
            "controller's own address"
        )
    address = args.controller or stack.controller_address
    if not address:
        raise UsageError(
            "--controller: the stack sets no cyperf-k8s:controllerAddress; give the address"
        )
    return controller_url(address)


def open_controller(
    args: argparse.Namespace, stack: StackInfo, progress: Callable[[str], None]
) -> Controller:
    """The controller client, after one TLS handshake that turns an unreachable controller or an
    untrusted certificate into one clear error."""
    from ops.controller import Controller, Tls, credentials, preflight

    url = controller_address(args, stack)
    creds = credentials(os.environ, stack.ops_config)
    tls = Tls(verify=not args.insecure_skip_tls_verify, ca_cert=args.ca_cert)
    if not tls.verify:
        progress(f"warning: not verifying the TLS certificate of {url}")
    preflight(url, tls)
    progress(f"controller {url}, credentials from {creds.source}")
    return Controller(url, creds, tls)


def how_to_configure() -> str:
    return (
        "set CYPERF_OFFLINE_TOKEN (or CYPERF_USERNAME and CYPERF_PASSWORD), or "
        f"`pulumi config set --secret {OPS}:controllerOfflineToken <token>`"
    )
