"""`logs`: one .tar.gz with what support asks for when agents misbehave.

Layout (all under `cyperf-logs-<stack>-<UTC time>/`), like `oc adm must-gather`'s: FILES below,
also written to index.json. The stack, namespace, pods, nodes, node-tuning, kube-proxy and CNI
pods, events, versions, and (opt-in) the controller's agent records.

Log lines carry RFC 3339 timestamps. Every part (JSON, log line, summary, agent records) is
redacted by the program's secrecy rule (ops/redact.py): a `--secret` value shows as "[secret]".
A group short of the pods the stack deployed is a failed item (exit code 3: wrong cluster?).
`--max-bytes` caps the logs' total size: logs past the cap are listed in the index, not stored.

Logs are streamed to temporary files a few at a time (ops/podlogs.py) and copied into the
archive. The archive is written as `<name>.tar.gz.part` and renamed when complete.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ops import gather
from ops.connect import add_controller_options
from ops.errors import UsageError
from ops.podlogs import LogItem, fetch_logs, log_items, pod_index
from ops.pods import agent_pod, list_agent_pods, shortfalls
from ops.redact import Redactor
from ops.stack import StackInfo
from ops.summary import summary_text

ROOT = Path(__file__).resolve().parents[1]
FILES = {
    "index.json": "this file",
    "collector.json": "project commit, argv, start/end times, Kubernetes version",
    "summary.txt": "the agent pods as `kubectl get pods -o wide` shows them; Warning events",
    "stack/outputs.json": "stack outputs; secret values replaced by [secret]",
    "stack/config.json": "stack config; secret values replaced by [secret]",
    "events.json": "events of the namespace, oldest first",
    "nodes.json": "agent nodes (running an agent pod, or matching an agent nodeSelector): "
    "labels, taints, conditions, capacity, kernel and runtime versions",
    "namespace/<kind>.json": "the Namespace and its Deployments, ReplicaSets, DaemonSets, "
    "Services, Endpoints, ResourceQuotas, LimitRanges",
    "pods/<pod>/pod.json": "the pod object",
    "pods/<pod>/<container>.log": "full log of the current container, timestamped",
    "pods/<pod>/<container>.previous.log": "log of the previous container instance",
    "node-tuning/<pod>/": "the node-tuning pods and logs (conntrack count/max lines)",
    "kube-system/pods.json": "kube-proxy and CNI pods on the agent nodes: images, versions",
    "kube-system/<pod>/<container>.log": "their logs",
    "controller/agents.json": "the controller's agent records (--controller-agents only)",
}
MAX_CONCURRENCY = 16
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def add_options(logs: argparse.ArgumentParser) -> None:
    logs.add_argument(
        "--max-bytes",
        type=int,
        help="cap on the logs' total size; logs past it are listed in index.json, not stored",
    )
    logs.add_argument(
        "--controller-agents",
        action="store_true",
        help="also store the controller's agent records (needs controller credentials)",
    )
    add_controller_options(logs)


def extras_from(
    args: argparse.Namespace, stack: StackInfo, progress: Callable[[str], None]
) -> Extras:
    from ops.connect import check_controller_options, connect

    agents = None
    if args.controller_agents:
        check_controller_options(args)
        agents = [a.as_json() for a in connect(args, stack, 0, progress).agents()]
    return Extras(
        argv=tuple(sys.argv),
        project_dir=args.project_dir.resolve(),
        max_bytes=args.max_bytes,
        controller_agents=agents,
    )


def parse_since(text: str | None) -> int | None:
    """`--since` as seconds: 30s, 15m, 2h, 1h30m (kubectl's form)."""
    if text is None:
        return None
    match = _DURATION.match(text)
    seconds = 0
    if match and text:
        hours, minutes, secs = (int(g or 0) for g in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    if seconds <= 0:
        raise UsageError(
            f"--since: a positive duration such as 30s, 15m, 2h or 1h30m (got {text!r})"
        )
    return seconds


def bundle_name(stack: str, now: datetime) -> str:
    return f"cyperf-logs-{stack}-{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


@dataclass(frozen=True)
class Extras:
    """What `logs` collects beyond the cluster: given by the command line."""

    argv: tuple[str, ...] = ()
    project_dir: Path | None = None
    max_bytes: int | None = None
    controller_agents: list[dict[str, Any]] | None = None


@dataclass
class BundleResult:
    path: Path
    pods: int
    logs: int
    failed: list[dict[str, str]] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "bundle": str(self.path),
            "bytes": self.bytes,
            "pods": self.pods,
            "logs": self.logs,
            "failed": self.failed,
            "seconds": round(self.seconds, 2),
        }


def collect(
    stack: StackInfo,
    core: Any,
    *,
    groups: Iterable[str] = (),
    since_seconds: int | None = None,
    out_dir: Path,
    concurrency: int = 4,
    progress: Callable[[str], None] = lambda _: None,
    now: datetime | None = None,
    cluster: str | None = None,
    extras: Extras = Extras(),
) -> BundleResult:
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency: 1 to {MAX_CONCURRENCY} (got {concurrency})")
    if extras.max_bytes is not None and extras.max_bytes <= 0:
        raise UsageError(f"--max-bytes: a positive number of bytes (got {extras.max_bytes})")
    started = time.monotonic()
    now = now or datetime.now(UTC)
    name = bundle_name(stack.name, now)
    selected = sorted(set(groups))
    pods = list_agent_pods(core, stack.namespace, selected)
    progress(f"{len(pods)} agent pods in namespace {stack.namespace}")
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{name}.tar.gz"
    partial = out_dir / f"{name}.tar.gz.part"
    failed: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []
    redactor = Redactor.for_stack(stack)
    config = gather.stack_config(stack.name, extras.project_dir) if extras.project_dir else None
    if isinstance(config, str):
        notes.append({"item": "stack/config.json", "note": config})
    index: dict[str, Any] = {
        "bundle": name,
        "stack": stack.name,
        "namespace": stack.namespace,
        "cluster": cluster,
        "createdAt": now.astimezone(UTC).isoformat(timespec="seconds"),
        "groups": selected or "all",
        "since": since_seconds and f"{since_seconds}s",
        "maxBytes": extras.max_bytes,
        "files": FILES,
        "pods": [],
        "failed": failed,
        "notes": notes,
    }
    failed.extend(shortfalls(stack.replicas, pods, selected))
    logs = 0
    stored = 0
    try:
        with tarfile.open(partial, "w:gz") as tar:

            def add_json(path: str, data: Any) -> None:
                clean = redactor.value(data)
                body = json.dumps(clean, indent=2, sort_keys=True, default=str).encode() + b"\n"
                _add_bytes(tar, f"{name}/{path}", body, now)

            add_json("stack/outputs.json", stack.outputs_redacted)
            if isinstance(config, dict):
                add_json("stack/config.json", config)
            items: list[LogItem] = []
            for pod in pods:
                add_json(f"pods/{pod.name}/pod.json", pod.raw)
                index["pods"].append(pod_index(pod))
                items += log_items(pod, "pods", None)
            for path, data in gather.namespace_objects(core, stack.namespace, failed).items():
                add_json(path, data)
            events = gather.events(core, stack.namespace, failed)
            if events is not None:
                add_json("events.json", events)
            progress(f"{len(events or [])} events")
            nodes = gather.nodes(core, pods, failed)
            if nodes is not None:
                add_json("nodes.json", nodes)
            progress(f"{len(nodes or [])} agent nodes")
            for raw in gather.tuning_pods(core, stack.namespace, failed):
                tuning = agent_pod(raw)
                add_json(f"node-tuning/{tuning.name}/pod.json", tuning.raw)
                items += log_items(tuning, "node-tuning", None)
            agent_nodes = {n["name"] for n in nodes or []}
            network = gather.network_pods(core, agent_nodes, failed)
            add_json("kube-system/pods.json", [gather.versions(p) for p in network])
            for raw in network:
                items += log_items(agent_pod(raw), "kube-system", gather.SYSTEM_NAMESPACE)
            if extras.controller_agents is not None:
                records = redactor.record(extras.controller_agents)
                add_json("controller/agents.json", records)
            with tempfile.TemporaryDirectory(prefix="cyperf-logs-") as scratch:
                for item, spooled, error in fetch_logs(
                    core,
                    stack.namespace,
                    items,
                    since_seconds,
                    concurrency,
                    Path(scratch),
                    redactor,
                ):
                    if error is not None and item.previous and error.startswith("400 "):
                        # The kubelet keeps only the last terminated instance and drops it with
                        # the container: a missing previous log is a fact, not a failure.
                        notes.append({"item": item.path, "note": error})
                    elif error is not None:
                        failed.append({"item": item.path, "error": error})
                    else:
                        assert spooled is not None
                        size = spooled.stat().st_size
                        if extras.max_bytes is not None and stored + size > extras.max_bytes:
                            notes.append(
                                {
                                    "item": item.path,
                                    "note": f"not stored: {size} bytes past "
                                    f"--max-bytes {extras.max_bytes}",
                                }
                            )
                        else:
                            info = tarfile.TarInfo(f"{name}/{item.path}")
                            info.size = size
                            info.mtime = int(now.timestamp())
                            info.mode = 0o644
                            with spooled.open("rb") as source:
                                tar.addfile(info, source)
                            stored += size
                            logs += 1
                        spooled.unlink()
                    progress(f"logs {logs + len(failed) + len(notes)}/{len(items)}: {item.path}")
            title = (
                f"stack {stack.name}, namespace {stack.namespace}, collected {index['createdAt']}"
            )
            summary = summary_text(title, [p.raw for p in pods], events or [], now)
            _add_bytes(tar, f"{name}/summary.txt", redactor.text(summary).encode(), now)
            add_json(
                "collector.json",
                {
                    "projectCommit": gather.project_commit(extras.project_dir or ROOT),
                    "argv": list(extras.argv),
                    "startedAt": now.astimezone(UTC).isoformat(timespec="seconds"),
                    "finishedAt": datetime.now(UTC).isoformat(timespec="seconds"),
                    "kubernetesVersion": gather.kubernetes_version(core),
                    "controllerAgents": extras.controller_agents is not None,
                },
            )
            add_json("index.json", index)
    except BaseException:
        # no half-written bundle is left behind (error, Ctrl-C)
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, final)
    return BundleResult(
        path=final,
        pods=len(pods),
        logs=logs,
        failed=failed,
        bytes=final.stat().st_size,
        seconds=time.monotonic() - started,
    )


def _add_bytes(tar: tarfile.TarFile, path: str, body: bytes, now: datetime) -> None:
    info = tarfile.TarInfo(path)
    info.size = len(body)
    info.mtime = int(now.timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(body))
