"""What every command that talks to the controller shares: its options, the connection (address,
credentials, TLS, one deadline) and one poll of pods and agents matched (verify, status, the
registration watch, prune and run use these)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ops.controller import Controller, Deadline, Tls, controller_url, load_client, preflight
from ops.credentials import credentials
from ops.errors import UsageError
from ops.pods import list_agent_pods
from ops.stack import StackInfo
from ops.verify import Report, match

# seconds after --wait for the last check's requests
FINAL_CHECK = 30.0


def add_controller_options(parser: argparse.ArgumentParser) -> None:
    """--controller, --ca-cert, --insecure-skip-tls-verify."""
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


def check_controller_options(args: argparse.Namespace) -> None:
    """Before anything is read: a --ca-cert file that does not exist is a usage error."""
    if args.ca_cert is not None and not Path(args.ca_cert).is_file():
        raise UsageError(f"--ca-cert: no such file {args.ca_cert!r}")


def connect(
    args: argparse.Namespace,
    stack: StackInfo,
    seconds: float,
    progress: Callable[[str], None],
) -> Controller:
    """The stack's controller (or --controller), logged in; every request of the returned
    Controller ends within `seconds` (+ FINAL_CHECK) from now, and any failure is an OpsError
    with its exit code."""
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
    url = controller_url(address)
    creds = credentials(os.environ, stack.ops_config)
    tls = Tls(verify=not args.insecure_skip_tls_verify, ca_cert=args.ca_cert)
    if not tls.verify:
        progress(f"warning: not verifying the TLS certificate of {url}")
    load_client()
    # From the first request to the controller on: reading the stack and importing the client
    # (seconds on a busy machine) come before.
    deadline = Deadline(seconds + FINAL_CHECK)
    preflight(url, tls, timeout=deadline.timeout(url))
    controller = Controller(url, creds, tls, deadline)
    controller.login()
    progress(f"controller {url}, credentials from {creds.source}")
    return controller


def poll(core: Any, controller: Controller, stack: StackInfo, groups: Iterable[str]) -> Report:
    """The stack's agent pods and the controller's agents, matched (ops/verify.py)."""
    groups = list(groups)
    pods = list_agent_pods(core, stack.namespace, groups)
    return match(
        pods,
        controller.agents(),
        stack.agent_tags,
        groups,
        stack=stack.name,
        replicas=stack.replicas,
    )
