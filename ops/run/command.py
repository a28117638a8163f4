"""`python -m ops run --stack <stack> --test <definition.yaml>`: check the agents registered,
create a session from the test's config, wire the stack's outputs into it, run, collect.

Exit codes (ops/errors.py): 0 every threshold passed; 1 a threshold failed; 2 bad test definition
or option; 8 the test ended in error on the controller; 9 could not run (agents not ready,
cool-down refused with --no-wait, session not created); 130 interrupted (the test was stopped).

Stale registrations of the stack (ops/prune.py) are listed before the agents are matched, and
removed only with `--prune`.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ops.errors import CannotRunError, OpsError, UsageError


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    from ops.cli import add_command
    from ops.connect import add_controller_options

    run = add_command(
        commands, "run", "run a CyPerf test against the stack (docs/running-tests.md)", common
    )
    run.add_argument("--test", type=Path, required=True, help="test definition (YAML)")
    add_controller_options(run)
    run.add_argument("--output-dir", type=Path, default=Path("runs"), help="default: ./runs")
    run.add_argument(
        "--keep-session", action="store_true", help="leave the session on the controller"
    )
    run.add_argument(
        "--destroy-after", action="store_true", help="`pulumi destroy` the stack at the end"
    )
    run.add_argument(
        "--no-wait", action="store_true", help="refuse instead of waiting out the cool-down"
    )
    run.add_argument("--state-file", type=Path, help="last runs per stack (default: XDG state dir)")
    run.add_argument(
        "--agents-wait", type=float, default=180, help="seconds for agents to register"
    )
    run.add_argument(
        "--prune",
        action="store_true",
        help="remove the stack's stale agent registrations before matching (default: list them)",
    )


def run_run(args: argparse.Namespace, stdout: TextIO, progress: Callable[..., None]) -> int:
    from ops.run import definition

    if args.group:
        raise UsageError("--group: not used by run (the test definition names its groups)")
    if args.destroy_after and args.stack is None:
        from ops.stack import selected_stack

        # named before anything can fail, so that --destroy-after knows what to destroy
        args.stack = selected_stack(args.project_dir.resolve())
    try:
        return _run(args, definition.load(args.test), stdout, progress)
    finally:
        if args.destroy_after:
            progress(f"destroying stack {args.stack} (--destroy-after)", force=True)
            destroy(args.stack, args.project_dir.resolve(), progress)


def destroy(stack: str, project_dir: Path, progress: Callable[..., None]) -> None:
    from pulumi.automation import select_stack
    from pulumi.automation.errors import CommandError

    from ops.stack import _cli_reason

    try:
        selected = select_stack(stack_name=stack, work_dir=str(project_dir))
        selected.destroy(on_output=lambda line: progress(line.rstrip()))
    except CommandError as err:
        reason = _cli_reason(err)
        raise OpsError(f"--destroy-after: `pulumi destroy` of {stack} failed: {reason}") from None


def _run(args: argparse.Namespace, test: Any, stdout: TextIO, progress: Callable[..., None]) -> int:
    from ops.cli import load
    from ops.connect import check_controller_options, connect
    from ops.run import cooldown, wiring
    from ops.run.definition import check_against_stack
    from ops.run.flow import execute
    from ops.stack import REDACTED

    check_controller_options(args)
    stack, core = load(args, progress)
    outputs = stack.outputs_redacted
    setup = outputs.get("controllerSetup")
    if not isinstance(setup, dict):
        state = "secret" if setup == REDACTED else "missing"
        raise CannotRunError(
            f"stack {args.stack}: the controllerSetup output is {state}", fix="run `pulumi up`"
        )
    roles = {g: a["role"] for g, a in setup.get("agentAssignment", {}).items()}
    modes = check_against_stack(test, str(args.test), roles, outputs.get("serverServices") or {})
    kinds = {segment: wiring.CONNTRACK_KIND[mode] for segment, mode in modes.items()}
    state_file = args.state_file or cooldown.default_state_file(os.environ)
    left, why = cooldown.wait_needed(state_file, stack.name, kinds, time.time())
    if left > 0:
        if args.no_wait:
            raise CannotRunError(f"cool-down: {why}; refused (--no-wait), {left:.0f}s left")
        progress(f"cool-down: {why}; waiting {left:.0f}s", force=True)
        time.sleep(left)
    # the deadline bounds the agent list and prune's deletes; the session's own requests have
    # their timeouts (ops/run/session.py)
    controller = connect(args, stack, args.agents_wait, progress)
    groups = sorted({s.group for s in test.segments})
    _await_registration(controller, core, stack, groups, args, progress)
    node_address = _node_address(core, test, modes)
    # Only a run that started traffic leaves conntrack entries behind.
    return execute(
        args,
        test,
        stack,
        controller,
        modes,
        node_address,
        stdout,
        progress,
        on_end=lambda: cooldown.remember(state_file, stack.name, kinds, time.time()),
    )


def _await_registration(
    controller: Any, core: Any, stack: Any, groups: list[str], args: Any, progress: Any
) -> None:
    """The one place `verify`'s matching is called: every pod of the test's groups registered
    (stale registrations of the stack listed first, removed with --prune)."""
    from ops.connect import poll

    _prune(controller, core, stack, groups, args.prune, progress)
    deadline = time.monotonic() + args.agents_wait
    while True:
        report = poll(core, controller, stack, groups)
        pods = [m.pod for m in report.pods]
        empty = [g for g in groups if not any(p.group == g for p in pods)]
        if report.ok and not empty:
            return
        if time.monotonic() > deadline:
            detail = (
                f"groups without pods: {', '.join(empty)}"
                if empty
                else (f"{report.waiting_for} agent pods not registered (see `make verify`)")
            )
            raise CannotRunError(f"agents not ready: {detail}")
        progress(f"waiting for agents: {report.waiting_for} not registered yet")
        time.sleep(min(10.0, max(deadline - time.monotonic(), 0.1)))


def _prune(
    controller: Any, core: Any, stack: Any, groups: list[str], remove: bool, progress: Any
) -> None:
    """ops/prune.py's plan for the test's groups: each stale registration listed, or removed
    when the user asked (--prune); never silently."""
    from ops.pods import list_agent_pods
    from ops.prune import plan, refuse_empty

    pods = list_agent_pods(core, stack.namespace)
    if remove:
        refuse_empty(stack, pods)
    found = plan(pods, controller.agents(), stack.name, groups)
    for agent in found.stale:
        where = f"stale registration {agent.id} at {agent.ip} ({agent.hostname})"
        if not remove:
            progress(f"{where}: --prune removes it", force=True)
        elif controller.delete_agent(agent.id):
            progress(f"{where}: removed (--prune)", force=True)
        else:
            progress(f"{where}: already gone", force=True)


def _node_address(core: Any, test: Any, modes: dict[str, str]) -> str | None:
    """A Ready node's InternalIP, for node-port destinations without `nodeAddress`."""
    needed = [
        s
        for s in test.segments
        if modes.get(s.name) == "node-port" and s.destination.node_address is None
    ]
    if not needed:
        return None
    for node in sorted(core.list_node().items, key=lambda n: n.metadata.name):
        ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
        internal = [a.address for a in node.status.addresses or [] if a.type == "InternalIP"]
        if ready and internal:
            return str(internal[0])
    raise CannotRunError("node-port destination: no Ready node with an InternalIP")
