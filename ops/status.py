"""`status`: one table, one row per agent pod, of what the cluster and the controller say of it.

Columns: group, ready, restarts and the last reason the kubelet or the scheduler gave, node, pod
IP, the agent's id and hostname, its registration state (as `verify` judges it) and NTP. Without
controller credentials the pods are shown and registration is "-" (stderr says how to configure
it). `--json` prints one document with a `schemaVersion`; `--wait` polls until every pod is
ready and registered; `--watch` reprints until interrupted.

Exit codes: 0 every pod ready (and registered, when credentials are configured), 1 otherwise or
no agent pod at all; other failures as for every command (see `python -m ops --help`).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from time import monotonic, sleep
from typing import Any, TextIO

from ops.connect import (
    EXIT_FAILED,
    EXIT_OK,
    add_controller_options,
    credentials_configured,
    how_to_configure,
    open_controller,
)
from ops.pods import AgentPod
from ops.verify import ControllerAgent, Report

SCHEMA_VERSION = 1
NOT_CHECKED = "-"
COLUMNS = (
    ("group", "GROUP"),
    ("pod", "POD"),
    ("ready", "READY"),
    ("restarts", "RESTARTS"),
    ("last_reason", "LAST REASON"),
    ("node", "NODE"),
    ("ip", "IP"),
    ("agent_id", "AGENT"),
    ("hostname", "HOSTNAME"),
    ("registration", "REGISTRATION"),
    ("ntp", "NTP"),
)


@dataclass(frozen=True)
class Row:
    group: str
    pod: str
    ready: bool
    restarts: int
    last_reason: str | None
    node: str | None
    ip: str | None
    agent_id: str | None
    hostname: str | None
    registration: str
    ntp: str | None

    def as_json(self) -> dict[str, Any]:
        names = {"last_reason": "lastReason", "agent_id": "agentId"}
        return {names.get(k, k): v for k, v in asdict(self).items()}


def last_reason(raw: dict[str, Any]) -> str | None:
    """Why the pod is not (or was not) running, in the words of the kubelet or the scheduler:
    the pod's own reason (Evicted), a waiting container (ImagePullBackOff, CrashLoopBackOff), an
    unmet condition (Unschedulable), or how the previous container instance ended (OOMKilled)."""
    status = raw.get("status") or {}
    if status.get("reason"):
        return str(status["reason"])
    if (raw.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    containers = (status.get("initContainerStatuses") or []) + (
        status.get("containerStatuses") or []
    )
    for container in containers:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") and waiting["reason"] != "ContainerCreating":
            return str(waiting["reason"])
    for condition in status.get("conditions") or []:
        scheduled = condition.get("type") == "PodScheduled"
        if scheduled and condition.get("status") == "False" and condition.get("reason"):
            return str(condition["reason"])
    for container in containers:
        terminated = (container.get("lastState") or {}).get("terminated") or {}
        if terminated.get("reason"):
            return str(terminated["reason"])
    return None


def restarts(pod: AgentPod) -> int:
    return sum(c.restart_count for c in pod.containers)


def registrations(report: Report) -> dict[str, tuple[str, str | None]]:
    """{pod: (state, agent id)} from verify's report."""
    states: dict[str, tuple[str, str | None]] = {}
    for group in report.groups.values():
        for state in ("registered", "missing", "offline", "mistagged"):
            for entry in getattr(group, state):
                states[entry["pod"]] = (state, entry.get("agentId"))
    return states


def ntp_state(agent: ControllerAgent | None) -> str | None:
    # The controller's `ntpInfo` reaches ControllerAgent as `ntp` with the matching work on
    # ops/controller.py; agents read without it show "-".
    value = getattr(agent, "ntp", None)
    return None if value is None else str(value)


def rows(
    pods: Iterable[AgentPod], report: Report | None, agents: Sequence[ControllerAgent]
) -> list[Row]:
    states = registrations(report) if report else {}
    by_id = {a.id: a for a in agents}
    table = []
    for pod in pods:
        state, agent_id = states.get(pod.name, (NOT_CHECKED, None))
        agent = by_id.get(agent_id) if agent_id else None
        table.append(
            Row(
                group=pod.group,
                pod=pod.name,
                ready=pod.ready,
                restarts=restarts(pod),
                last_reason=last_reason(pod.raw),
                node=pod.node,
                ip=pod.ip,
                agent_id=agent_id,
                hostname=agent.hostname if agent else None,
                registration=state,
                ntp=ntp_state(agent),
            )
        )
    return table


def extras(report: Report | None) -> list[dict[str, Any]]:
    """Agents with a group's tags whose IP is no pod of the stack, once each."""
    seen: dict[str, dict[str, Any]] = {}
    for group in report.groups.values() if report else []:
        for extra in group.extras:
            seen.setdefault(extra["agentId"], extra)
    return [seen[k] for k in sorted(seen)]


def healthy(table: Sequence[Row], report: Report | None) -> bool:
    return bool(table) and all(r.ready for r in table) and (report is None or report.ok)


def render(table: Sequence[Row], extra: Sequence[dict[str, Any]]) -> list[str]:
    def cell(row: Row, key: str) -> str:
        value = getattr(row, key)
        if key == "ready":
            return "yes" if value else "no"
        return NOT_CHECKED if value is None or value == "" else str(value)

    cells = [[title for _, title in COLUMNS]] + [[cell(r, k) for k, _ in COLUMNS] for r in table]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    for agent in extra:
        state = "offline" if agent["offline"] else "online"
        lines.append(
            f"extra agent {agent['agentId']} at {agent['ip']} ({state}): no pod of the stack "
            "has its IP (`make prune` lists stale ones)"
        )
    return lines


def document(
    stack: Any, controller: str | None, table: Sequence[Row], report: Report | None
) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "stack": stack.name,
        "namespace": stack.namespace,
        "controller": controller,
        "registrationChecked": report is not None,
        "ok": healthy(table, report),
        "pods": [r.as_json() for r in table],
        "extras": extras(report),
    }


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    status = commands.add_parser(
        "status",
        parents=[common],
        help="one row per agent pod: readiness, restarts, node, IP, agent, registration",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_controller_options(status)
    mode = status.add_mutually_exclusive_group()
    mode.add_argument(
        "--wait",
        type=float,
        default=0,
        help="seconds to wait until every pod is ready and "
        "registered, then print once (default 0: print now)",
    )
    mode.add_argument("--watch", action="store_true", help="reprint every --interval until Ctrl-C")
    status.add_argument("--interval", type=float, default=10, help="seconds between checks (10)")
    status.set_defaults(run=run_status)


def run_status(args: argparse.Namespace, stdout: TextIO, progress: Callable[[str], None]) -> int:
    from ops.cli import _load
    from ops.errors import UsageError
    from ops.pods import list_agent_pods
    from ops.verify import match

    if args.wait < 0 or args.interval <= 0:
        raise UsageError(f"--wait >= 0 and --interval > 0 (got {args.wait}, {args.interval})")
    stack, core = _load(args, progress)
    controller = None
    if credentials_configured(os.environ, stack.ops_config):
        controller = open_controller(args, stack, progress)
    else:
        progress(
            f"registration not checked: no controller credentials; {how_to_configure()}; then "
            f"`make status STACK={stack.name}`"
        )
    deadline = monotonic() + args.wait
    while True:
        pods = list_agent_pods(core, stack.namespace, args.group)
        agents = controller.agents() if controller else []
        report = match(pods, agents, stack.agent_tags, args.group) if controller else None
        table = rows(pods, report, agents)
        ok = healthy(table, report)
        remaining = deadline - monotonic()
        if args.watch or ok or remaining <= 0:
            _print(args.json, stack, controller.url if controller else None, table, report, stdout)
        if not args.watch and (ok or remaining <= 0):
            break
        if not args.watch:
            waiting = sum(
                1 for r in table if not r.ready or r.registration not in ("registered", NOT_CHECKED)
            )
            progress(f"{waiting} of {len(table)} agent pods not ready or not registered yet")
        sleep(args.interval if args.watch else min(args.interval, remaining))
    if not table:
        progress(f"no agent pods in namespace {stack.namespace}")
    return EXIT_OK if ok else EXIT_FAILED


def _print(
    as_json: bool,
    stack: Any,
    controller: str | None,
    table: Sequence[Row],
    report: Report | None,
    stdout: TextIO,
) -> None:
    if as_json:
        # one document per line, so that --watch output is JSON Lines
        stdout.write(json.dumps(document(stack, controller, table, report)) + "\n")
    else:
        for line in render(table, extras(report)):
            print(line, file=stdout)
    stdout.flush()
