"""`prune`: remove stale agent registrations of the stack from the controller.

A registration is stale when the agent carries the stack's own tag (`cyperf-k8s=<stack>.<group>`,
so no other stack's agent ever qualifies), is offline, and neither its IP nor its hostname is
one of the stack's agent pods: what is left on the controller when a pod was deleted or
rescheduled. An online agent with the tag but no pod is kept and listed: a running agent is
never removed behind the user's back. Without `--yes` nothing is deleted (dry run).

Deletion uses the controller's own call, `DELETE /api/v2/agents/{agentId}` (`delete_agent` in
Keysight's `cyperf` client, the version pinned in requirements-ops.txt); an agent already gone
(404) counts as removed.

Exit codes: 0 dry run, or every stale registration removed; 1 some removal failed; other
failures as for every command (see `python -m ops --help`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from ops.connect import EXIT_FAILED, EXIT_OK, add_controller_options, open_controller, stack_tag
from ops.errors import OpsError
from ops.pods import AgentPod
from ops.verify import ControllerAgent, normalize_ip

DELETE_TIMEOUT = 15.0


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
    pod_ips = {p.ip for p in pods if p.ip}
    pod_names = {p.name for p in pods}
    result = Plan()
    for agent in agents:
        if not tags & set(agent.tags):
            continue
        if normalize_ip(agent.ip) in pod_ips or agent.hostname in pod_names:
            continue
        if agent.offline:
            result.stale.append(agent)
        else:
            result.kept.append((agent, "online: a running agent, not removed"))
    result.stale.sort(key=lambda a: a.id)
    result.kept.sort(key=lambda k: k[0].id)
    return result


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    prune = commands.add_parser(
        "prune",
        parents=[common],
        help="remove the stack's stale agent registrations (dry run unless --yes)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_controller_options(prune)
    prune.add_argument("--yes", action="store_true", help="delete them (default: only list them)")
    prune.set_defaults(run=run_prune)


def run_prune(args: argparse.Namespace, stdout: TextIO, progress: Callable[[str], None]) -> int:
    from ops.cli import _load
    from ops.pods import list_agent_pods

    stack, core = _load(args, progress)
    groups = args.group or sorted(stack.agent_tags)
    # every agent pod of the namespace, not only the selected groups: none of them is stale
    pods = list_agent_pods(core, stack.namespace)
    if not pods:
        raise OpsError(
            f"no agent pods in namespace {stack.namespace}: refusing to prune, since every "
            "registration would look stale (is the kubeconfig pointing at the stack's cluster?)"
        )
    controller = open_controller(args, stack, progress)
    found = plan(pods, controller.agents(), stack.name, groups)
    removed: list[str] = []
    failed: list[dict[str, str]] = []
    if args.yes:
        for agent in found.stale:
            error = delete(controller, agent.id)
            if error is None:
                removed.append(agent.id)
            else:
                failed.append({"agentId": agent.id, "error": error})
    report(args.json, args.yes, found, removed, failed, stdout)
    return EXIT_FAILED if failed else EXIT_OK


def delete(controller: Any, agent_id: str) -> str | None:
    """Delete one registration; None when done or already gone, else why not."""
    from cyperf.exceptions import ApiException, NotFoundException
    from urllib3.exceptions import HTTPError

    try:
        # ops/controller.py's client; it has no delete of its own yet
        controller._agents_api.delete_agent(agent_id, _request_timeout=DELETE_TIMEOUT)
    except NotFoundException:
        return None
    except ApiException as err:
        return f"{err.status} {err.reason}"
    except HTTPError as err:
        return type(err).__name__
    return None


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
