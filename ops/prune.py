"""`prune`: remove stale agent registrations of the stack from the controller.

A registration is stale when the agent carries the stack's own tag (`cyperf-k8s=<stack>.<group>`,
so no other stack's agent ever qualifies), is offline, and neither its IP nor its hostname is
one of the stack's agent pods: what is left on the controller when a pod was deleted or
rescheduled. An online agent with the tag but no pod is kept and listed: a running agent is
never removed behind the user's back. Without `--yes` nothing is deleted (dry run).

Deletion uses the controller's own call, `DELETE /api/v2/agents/{agentId}` (ops/controller.py
`Controller.delete_agent`); an agent already gone (404) counts as removed. `run --prune` uses the
same plan before it matches agents.

Exit codes: 0 dry run, or every stale registration removed; 1 some removal failed; other
failures as for every command (see `python -m ops --help`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from ops.connect import add_controller_options
from ops.errors import EXIT_CHECK_FAILED, EXIT_OK, OpsError, StackUnreadableError
from ops.pods import AgentPod
from ops.verify import ControllerAgent, stack_tag


@dataclass
class Plan:
    stale: list[ControllerAgent] = field(default_factory=list)
    kept: list[tuple[ControllerAgent, str]] = field(default_factory=list)


def plan(
    pods: Iterable[AgentPod],
    agents: Iterable[ControllerAgent],
    stack: str,
    groups: Iterable[str],
) -> Plan:
    """Which of the stack's tagged agents are stale (see the module's docstring)."""
    pods = list(pods)
    tags = {stack_tag(stack, g) for g in groups}
    pod_ips = {ip for p in pods for ip in p.ips}
    pod_names = {p.name for p in pods}
    result = Plan()
    for agent in agents:
        if not tags & set(agent.tags):
            continue
        # any of its IPs (management interface included), as verify matches them
        if pod_ips & set(agent.ips) or agent.hostname in pod_names:
            continue
        if agent.offline:
            result.stale.append(agent)
        else:
            result.kept.append((agent, "online: a running agent, not removed"))
    result.stale.sort(key=lambda a: a.id)
    result.kept.sort(key=lambda k: k[0].id)
    return result


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    from ops.cli import add_command

    prune = add_command(
        commands,
        "prune",
        "remove the stack's stale agent registrations (dry run unless --yes)",
        common,
    )
    add_controller_options(prune)
    prune.add_argument("--yes", action="store_true", help="delete them (default: only list them)")


def run_prune(args: argparse.Namespace, stdout: TextIO, progress: Callable[[str], None]) -> int:
    from ops.cli import load
    from ops.connect import check_controller_options, connect
    from ops.pods import list_agent_pods

    check_controller_options(args)
    stack, core = load(args, progress)
    groups = args.group or sorted(stack.agent_tags)
    # every agent pod of the namespace, not only the selected groups: none of them is stale
    pods = list_agent_pods(core, stack.namespace)
    refuse_empty(stack, pods)
    controller = connect(args, stack, 0, progress)
    found = plan(pods, controller.agents(), stack.name, groups)
    removed: list[str] = []
    failed: list[dict[str, str]] = []
    if args.yes:
        for agent in found.stale:
            try:
                controller.delete_agent(agent.id)
                removed.append(agent.id)
            except OpsError as err:
                why = err.cause.removeprefix(f"controller {controller.url}: ")
                failed.append({"agentId": agent.id, "error": why})
    report(args.json, args.yes, found, removed, failed, stdout)
    return EXIT_CHECK_FAILED if failed else EXIT_OK


def refuse_empty(stack: Any, pods: Sequence[AgentPod]) -> None:
    """No agent pod at all: every registration would look stale (the wrong cluster?)."""
    if not pods:
        raise StackUnreadableError(
            f"no agent pods in namespace {stack.namespace}: refusing to prune, since every "
            "registration would look stale",
            fix="check that the kubeconfig points at the stack's cluster (the line above)",
        )


def report(
    as_json: bool,
    deleting: bool,
    found: Plan,
    removed: Sequence[str],
    failed: Sequence[dict[str, str]],
    stdout: TextIO,
) -> None:
    if as_json:
        document = {
            "dryRun": not deleting,
            "stale": [a.as_json() for a in found.stale],
            "kept": [{**a.as_json(), "reason": why} for a, why in found.kept],
            "removed": list(removed),
            "failed": list(failed),
        }
        json.dump(document, stdout, indent=2)
        stdout.write("\n")
        return
    verb = "removing" if deleting else "would remove (dry run; --yes removes)"
    print(f"{len(found.stale)} stale registrations; {verb}", file=stdout)
    errors = {f["agentId"]: f["error"] for f in failed}
    for agent in found.stale:
        outcome = ""
        if deleting:
            outcome = f": failed, {errors[agent.id]}" if agent.id in errors else ": removed"
        print(f"  {agent.id} at {agent.ip} ({agent.hostname}){outcome}", file=stdout)
    for agent, why in found.kept:
        print(f"  kept {agent.id} at {agent.ip} ({agent.hostname}): {why}", file=stdout)
