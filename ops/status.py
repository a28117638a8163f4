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

from ops.connect import FINAL_CHECK, add_controller_options
from ops.controller import Deadline
from ops.credentials import HOW_TO_CONFIGURE, credentials_configured
from ops.errors import EXIT_CHECK_FAILED, EXIT_OK
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


def registrations(report: Report) -> dict[str, tuple[str, ControllerAgent | None]]:
    """{pod: (state, its agent)} as verify judges it (blocked and gone pods included)."""
    return {m.pod.name: (m.state, m.agent) for m in report.pods}


def rows(pods: Iterable[AgentPod], report: Report | None) -> list[Row]:
    states = registrations(report) if report else {}
    table = []
    for pod in pods:
        state, agent = states.get(pod.name, (NOT_CHECKED, None))
        table.append(
            Row(
                group=pod.group,
                pod=pod.name,
                ready=pod.ready,
                restarts=restarts(pod),
                last_reason=last_reason(pod.raw),
                node=pod.node,
                ip=pod.ip,
                agent_id=agent.id if agent else None,
                hostname=agent.hostname if agent else None,
                registration=state,
                ntp=agent.ntp_status if agent else None,
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


def healthy(table: Sequence[Row], report: Report | None, short: Sequence[dict[str, str]]) -> bool:
    """Every pod ready (and registered when checked), and no group short of the pods the stack
    deployed: an empty or half-empty namespace (the wrong cluster?) is never green."""
    ok = report is None or report.ok
    return bool(table) and all(r.ready for r in table) and ok and not short


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


@dataclass(frozen=True)
class Poll:
    table: list[Row]
    report: Report | None
    short: list[dict[str, str]]  # ops/pods.py `shortfalls`: groups with fewer pods

    @property
    def ok(self) -> bool:
        return healthy(self.table, self.report, self.short)


def document(stack: Any, cluster: str, controller: str | None, found: Poll) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "stack": stack.name,
        "cluster": cluster,
        "namespace": stack.namespace,
        "controller": controller,
        "registrationChecked": found.report is not None,
        "ok": found.ok,
        "pods": [r.as_json() for r in found.table],
        "short": found.short,
        "extras": extras(found.report),
    }


def add_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    from ops.cli import add_command

    status = add_command(
        commands,
        "status",
        "one row per agent pod: readiness, restarts, node, IP, agent, registration",
        common,
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


def run_status(args: argparse.Namespace, stdout: TextIO, progress: Callable[[str], None]) -> int:
    from ops.cli import load
    from ops.connect import check_controller_options, connect
    from ops.errors import UsageError

    if args.wait < 0 or args.interval <= 0:
        raise UsageError(f"--wait >= 0 and --interval > 0 (got {args.wait}, {args.interval})")
    check_controller_options(args)
    stack, core = load(args, progress)
    controller = None
    if credentials_configured(os.environ, stack.ops_config):
        controller = connect(args, stack, args.interval if args.watch else args.wait, progress)
    else:
        progress(
            f"registration not checked: no controller credentials; {HOW_TO_CONFIGURE}; then "
            f"`make status STACK={stack.name}`"
        )
    end = monotonic() + args.wait
    while True:
        if controller is not None and args.watch:
            # each reprint gets its own bound; --watch itself runs until Ctrl-C
            controller.deadline = Deadline(args.interval + FINAL_CHECK)
        found = check(core, controller, stack, args.group)
        remaining = end - monotonic()
        if args.watch or found.ok or remaining <= 0:
            url = controller.url if controller else None
            _print(args.json, stack, args.cluster, url, found, stdout)
        if not args.watch and (found.ok or remaining <= 0):
            break
        if not args.watch:
            waiting = sum(
                1
                for r in found.table
                if not r.ready or r.registration not in ("registered", NOT_CHECKED)
            )
            progress(f"{waiting} of {len(found.table)} agent pods not ready or not registered yet")
        sleep(args.interval if args.watch else min(args.interval, remaining))
    if not found.table:
        progress(f"no agent pods in namespace {stack.namespace}")
    return EXIT_OK if found.ok else EXIT_CHECK_FAILED


def check(core: Any, controller: Any, stack: Any, groups: list[str]) -> Poll:
    """One look at the pods (and, with a controller, their agents, ops/connect.py `poll`)."""
    from ops.connect import poll
    from ops.pods import list_agent_pods, shortfalls

    if controller is not None:
        report = poll(core, controller, stack, groups)
        pods = [m.pod for m in report.pods]
    else:
        report, pods = None, list_agent_pods(core, stack.namespace, groups)
    return Poll(rows(pods, report), report, shortfalls(stack.replicas, pods, groups))


def _print(
    as_json: bool,
    stack: Any,
    cluster: str,
    controller: str | None,
    found: Poll,
    stdout: TextIO,
) -> None:
    if as_json:
        # one document per line, so that --watch output is JSON Lines
        stdout.write(json.dumps(document(stack, cluster, controller, found)) + "\n")
    else:
        print(f"cluster {cluster}, namespace {stack.namespace}", file=stdout)
        for line in render(found.table, extras(found.report)):
            print(line, file=stdout)
        for short in found.short:
            print(
                f"short {short['item']}: {short['error']} (wrong cluster or context? see above)",
                file=stdout,
            )
    stdout.flush()
