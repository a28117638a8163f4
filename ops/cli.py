"""`python -m ops logs|verify|status|doctor|prune --stack <stack>`: day-two commands.

Results go to stdout (`--json`: one JSON document), progress and errors to stderr.

Exit codes: ops/errors.py (one per failure kind; listed in every command's --help).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from ops import doctor, prune, status
from ops.bundle import add_options as add_bundle_options
from ops.connect import FINAL_CHECK, add_controller_options
from ops.credentials import CREDENTIALS_HELP
from ops.errors import (
    EXIT_BUNDLE_INCOMPLETE,
    EXIT_CHECK_FAILED,
    EXIT_CODES_HELP,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    OpsError,
    UsageError,
    first_line,
)
from ops.run import command as run_command

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


class Parser(argparse.ArgumentParser):
    """Every parser of `python -m ops`: a bad option is a UsageError (exit code 2)."""

    def error(self, message: str) -> Any:
        raise UsageError(message)


# The end of every command's --help: where credentials come from, and the exit codes.
EPILOG = f"{CREDENTIALS_HELP}\n\n{EXIT_CODES_HELP}"


def add_command(
    commands: Any, name: str, help: str, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    """A subcommand with the common options (--stack, --project-dir, --group, --json) and the
    common --help epilog; other modules' commands register through it."""
    return commands.add_parser(  # type: ignore[no-any-return]
        name,
        parents=[common],
        help=help,
        description=help,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def parser() -> argparse.ArgumentParser:
    top = Parser(
        prog="python -m ops",
        description="Day-two commands for a deployed cyperf-k8s stack.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = top.add_subparsers(dest="command", required=True, parser_class=Parser)
    common = Parser(add_help=False)
    common.add_argument(
        "--stack",
        help="Pulumi stack name (stacks/Pulumi.<stack>.yaml); default: the selected stack "
        "(`pulumi stack select`)",
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

    logs = add_command(commands, "logs", "collect a log bundle (.tar.gz)", common)
    logs.add_argument("--since", help="only log lines newer than this, e.g. 30m, 2h, 1h30m")
    logs.add_argument("--output-dir", type=Path, default=Path.cwd(), help="default: current folder")
    logs.add_argument("--concurrency", type=int, default=4, help="logs fetched at once (1-16)")
    add_bundle_options(logs)

    verify = add_command(
        commands, "verify", "check that every agent registered with the controller", common
    )
    add_controller_options(verify)
    verify.add_argument(
        "--wait",
        type=float,
        default=180,
        help="seconds to wait for agents still starting (180); the whole run ends within "
        f"--wait + {FINAL_CHECK:.0f} s",
    )
    verify.add_argument("--interval", type=float, default=10, help="seconds between checks (10)")
    status.add_parser(commands, common)
    doctor.add_parser(commands, common)
    prune.add_parser(commands, common)
    run_command.add_parser(commands, common)
    return top


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout) -> int:
    progress = Progress()
    try:
        args = parser().parse_args(argv)
        runners: dict[str, Callable[[argparse.Namespace, TextIO, Progress], int]] = {
            "logs": run_logs,
            "verify": run_verify,
            "status": status.run_status,
            "doctor": doctor.run_doctor,
            "prune": prune.run_prune,
            "run": run_command.run_run,
        }
        return runners[args.command](args, stdout, progress)
    except OpsError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as err:
        print(
            f"error: internal error ({type(err).__name__}: {first_line(err)}); fix: a bug or "
            "an answer nobody expected; report it with the command line and this line",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def load(args: argparse.Namespace, progress: Callable[[str], None]) -> tuple[Any, Any]:
    """(StackInfo, CoreV1Api) of `--stack` (default: the selected stack); sets `args.stack`,
    checks `args.group` and says which cluster it read (also in `args.cluster`)."""
    from ops.kube import cluster_target, core_api
    from ops.pods import check_groups
    from ops.stack import read_stack, selected_stack

    if args.stack is None:
        args.stack = selected_stack(args.project_dir.resolve())
        progress(f"reading stack {args.stack} (the selected stack)")
    else:
        progress(f"reading stack {args.stack}")
    stack = read_stack(args.stack, args.project_dir.resolve())
    args.group = check_groups(args.group, stack.agent_tags)
    core = core_api(stack)
    args.cluster = cluster_target(stack, core)
    progress(f"cluster {args.cluster}, namespace {stack.namespace}")
    return stack, core


def run_logs(args: argparse.Namespace, stdout: TextIO, progress: Progress) -> int:
    from ops.bundle import collect, extras_from, parse_since

    since = parse_since(args.since)
    stack, core = load(args, progress)
    throttled = Progress(min_interval=1.0)
    result = collect(
        stack,
        core,
        groups=args.group,
        since_seconds=since,
        out_dir=args.output_dir,
        concurrency=args.concurrency,
        progress=throttled,
        cluster=args.cluster,
        extras=extras_from(args, stack, progress),
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
    return EXIT_BUNDLE_INCOMPLETE if result.failed else EXIT_OK


def run_verify(args: argparse.Namespace, stdout: TextIO, progress: Progress) -> int:
    from ops.connect import check_controller_options, connect, poll
    from ops.verify import summary_lines

    if args.wait < 0 or args.interval <= 0:
        raise UsageError(f"--wait >= 0 and --interval > 0 (got {args.wait}, {args.interval})")
    check_controller_options(args)
    stack, core = load(args, progress)
    controller = connect(args, stack, args.wait, progress)
    deadline = controller.deadline
    started = time.monotonic()
    while True:
        report = poll(core, controller, stack, args.group)
        remaining = deadline.remaining() - FINAL_CHECK
        if report.ok or report.waiting_for == 0 or remaining <= 0:
            break
        progress(
            f"{report.waiting_for} of {len(report.pods)} agent pods not registered yet; "
            f"checking again (up to {remaining:.0f}s more)"
        )
        time.sleep(min(args.interval, remaining))
    waited = time.monotonic() - started
    if args.json:
        document = {
            "stack": stack.name,
            "namespace": stack.namespace,
            "cluster": args.cluster,
            "controller": controller.url,
            "ok": report.ok,
            "waitedSeconds": round(waited, 1),
            "groups": {name: group.as_json() for name, group in report.groups.items()},
        }
        json.dump(document, stdout, indent=2)
        stdout.write("\n")
    else:
        print(f"cluster {args.cluster}, namespace {stack.namespace}", file=stdout)
        for line in summary_lines(report):
            print(line, file=stdout)
        if not report.groups:
            print(f"no agent pods in namespace {stack.namespace}", file=stdout)
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED
