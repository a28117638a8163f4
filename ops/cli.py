"""`python -m ops logs|verify --stack <stack>`: day-two commands for a deployed stack.

Results go to stdout (`--json`: one JSON document), progress and errors to stderr.

Exit codes:
  0  logs: bundle complete. verify: every agent pod's agent is registered, online and tagged
  1  verify: some agent is missing, offline or mistagged after waiting
  2  usage: bad option, unknown group, missing credentials or settings
  3  logs: bundle written, but some items could not be collected (listed in its index.json)
  4  the stack, the cluster or the controller could not be read
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from ops.errors import OpsError, UsageError
from ops.run import command as run_command

EXIT_OK, EXIT_NOT_REGISTERED, EXIT_USAGE, EXIT_PARTIAL, EXIT_UNREACHABLE = 0, 1, 2, 3, 4
ROOT = Path(__file__).resolve().parents[1]


class Progress:
    """Timestamped progress lines on stderr."""

    def __init__(self, min_interval: float = 0.0) -> None:
        self._start = time.monotonic()
        self._last = -1e9
        self._min_interval = min_interval

    def __call__(self, message: str, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= self._min_interval:
            self._last = now
            print(f"[{now - self._start:6.1f}s] {message}", file=sys.stderr, flush=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(message)


def parser() -> argparse.ArgumentParser:
    top = _Parser(
        prog="python -m ops",
        description="Day-two commands for a deployed cyperf-k8s stack.",
        epilog="Exit codes: 0 ok; 1 verify: agents missing, offline or mistagged; 2 usage; "
        "3 logs: bundle incomplete (see its index.json); 4 stack, cluster or controller "
        "unreachable.",
    )
    commands = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    common = _Parser(add_help=False)
    common.add_argument(
        "--stack", required=True, help="Pulumi stack name (stacks/Pulumi.<stack>.yaml)"
    )
    common.add_argument(
        "--project-dir",
        type=Path,
        default=ROOT,
        help="folder with Pulumi.yaml (default: this repository)",
    )
    common.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME",
        help="only this agent group (repeatable; default: all groups)",
    )
    common.add_argument("--json", action="store_true", help="print one JSON document on stdout")

    logs = commands.add_parser("logs", parents=[common], help="collect a log bundle (.tar.gz)")
    logs.add_argument("--since", help="only log lines newer than this, e.g. 30m, 2h, 1h30m")
    logs.add_argument("--output-dir", type=Path, default=Path.cwd(), help="default: current folder")
    logs.add_argument("--concurrency", type=int, default=4, help="logs fetched at once (1-16)")

    verify = commands.add_parser(
        "verify", parents=[common], help="check that every agent registered with the controller"
    )
    verify.add_argument(
        "--controller",
        help="controller address, host[:port] (default: the stack's controllerAddress)",
    )
    tls = verify.add_mutually_exclusive_group()
    tls.add_argument("--ca-cert", help="PEM file to trust for the controller's certificate")
    tls.add_argument(
        "--insecure-skip-tls-verify",
        action="store_true",
        help="do not verify the controller's certificate (self-signed controllers)",
    )
    verify.add_argument(
        "--wait", type=float, default=180, help="seconds to wait for agents still starting (180)"
    )
    verify.add_argument("--interval", type=float, default=10, help="seconds between checks (10)")
    run_command.add_parser(commands, common)
    return top


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout) -> int:
    progress = Progress()
    try:
        args = parser().parse_args(argv)
        if args.command == "logs":
            return run_logs(args, stdout, progress)
        if args.command == "run":
            return run_command.run_run(args, stdout, progress)
        return run_verify(args, stdout, progress)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except run_command.NotRun as err:
        print(f"error: {err}", file=sys.stderr)
        return run_command.EXIT_NOT_RUN
    except OpsError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except KeyboardInterrupt:
        return 130


def _load(args: argparse.Namespace, progress: Callable[[str], None]) -> tuple[Any, Any]:
    from ops.kube import core_api
    from ops.pods import check_groups
    from ops.stack import read_stack

    progress(f"reading stack {args.stack}")
    stack = read_stack(args.stack, args.project_dir.resolve())
    args.group = check_groups(args.group, stack.agent_tags)
    return stack, core_api(stack)


def run_logs(args: argparse.Namespace, stdout: TextIO, progress: Progress) -> int:
    from ops.bundle import collect, parse_since

    since = parse_since(args.since)
    stack, core = _load(args, progress)
    throttled = Progress(min_interval=1.0)
    result = collect(
        stack,
        core,
        groups=args.group,
        since_seconds=since,
        out_dir=args.output_dir,
        concurrency=args.concurrency,
        progress=throttled,
    )
    if args.json:
        json.dump(result.as_json(), stdout, indent=2)
        stdout.write("\n")
    else:
        print(
            f"{result.path} ({result.pods} pods, {result.logs} logs, {result.bytes} bytes, "
            f"{result.seconds:.1f}s)",
            file=stdout,
        )
        for failure in result.failed:
            print(f"  not collected: {failure['item']}: {failure['error']}", file=stdout)
    return EXIT_PARTIAL if result.failed else EXIT_OK


def run_verify(args: argparse.Namespace, stdout: TextIO, progress: Progress) -> int:
    from ops.controller import Controller, Tls, controller_url, credentials, preflight
    from ops.pods import list_agent_pods
    from ops.verify import match, summary_lines

    if args.wait < 0 or args.interval <= 0:
        raise UsageError(f"--wait >= 0 and --interval > 0 (got {args.wait}, {args.interval})")
    stack, core = _load(args, progress)
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
    preflight(url, tls)
    controller = Controller(url, creds, tls)
    progress(f"controller {url}, credentials from {creds.source}")
    started = time.monotonic()
    deadline = started + args.wait
    while True:
        pods = list_agent_pods(core, stack.namespace, args.group)
        report = match(pods, controller.agents(), stack.agent_tags, args.group)
        remaining = deadline - time.monotonic()
        if report.ok or remaining <= 0:
            break
        progress(
            f"{report.waiting_for} of {len(pods)} agent pods not registered yet; "
            f"checking again (up to {remaining:.0f}s more)"
        )
        time.sleep(min(args.interval, remaining))
    waited = time.monotonic() - started
    if args.json:
        document = {
            "stack": stack.name,
            "namespace": stack.namespace,
            "controller": url,
            "ok": report.ok,
            "waitedSeconds": round(waited, 1),
            "groups": {name: group.as_json() for name, group in report.groups.items()},
        }
        json.dump(document, stdout, indent=2)
        stdout.write("\n")
    else:
        for line in summary_lines(report):
            print(line, file=stdout)
        if not report.groups:
            print(f"no agent pods in namespace {stack.namespace}", file=stdout)
    return EXIT_OK if report.ok else EXIT_NOT_REGISTERED
