"""`logs`: one .tar.gz with what support asks for when agents misbehave.

Layout (all under `cyperf-logs-<stack>-<UTC time>/`):
  index.json                         what is where, what could not be collected
  stack/outputs.json                 the stack outputs, secret values replaced by "[secret]"
  events.json                        the namespace's events, oldest first
  nodes.json                         the agent nodes: labels, taints, conditions, capacity, versions
  pods/<pod>/pod.json                the pod object
  pods/<pod>/<container>.log         full log of the current container instance
  pods/<pod>/<container>.previous.log  log of the previous instance (restarted containers only)
Every file and log line is redacted by the program's secrecy rule (ops/redact.py): a value set
with `--secret` shows as "[secret]" in pod objects and logs as in the outputs.

Logs are streamed from the API server to a temporary file in chunks and then copied into the
archive, so a pod with an enormous log never sits in memory; at most `concurrency` logs are in
flight (and on disk) at a time. The archive is written as `<name>.tar.gz.part` and renamed when
complete.
"""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ops.errors import UsageError
from ops.pods import AgentPod, list_agent_pods
from ops.redact import Redactor
from ops.stack import StackInfo

CHUNK = 64 * 1024
MAX_CONCURRENCY = 16
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


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
class LogItem:
    pod: str
    container: str
    previous: bool

    @property
    def path(self) -> str:
        return f"pods/{self.pod}/{self.container}{'.previous' if self.previous else ''}.log"


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
) -> BundleResult:
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency: 1 to {MAX_CONCURRENCY} (got {concurrency})")
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
    index: dict[str, Any] = {
        "bundle": name,
        "stack": stack.name,
        "namespace": stack.namespace,
        "cluster": cluster,
        "createdAt": now.astimezone(UTC).isoformat(timespec="seconds"),
        "groups": selected or "all",
        "since": since_seconds and f"{since_seconds}s",
        "files": {
            "index.json": "this file",
            "stack/outputs.json": "stack outputs; secret values replaced by [secret]",
            "events.json": f"events of namespace {stack.namespace}, oldest first",
            "nodes.json": "agent nodes (running an agent pod, or matching an agent "
            "nodeSelector): labels, taints, conditions, capacity, kernel and runtime versions",
            "pods/<pod>/pod.json": "the pod object",
            "pods/<pod>/<container>.log": "full log of the current container",
            "pods/<pod>/<container>.previous.log": "log of the previous container instance",
        },
        "pods": [],
        "failed": failed,
        "notes": notes,
    }
    failed.extend(shortfalls(stack.replicas, pods, selected))
    redactor = Redactor.for_stack(stack)
    logs = 0
    try:
        with tarfile.open(partial, "w:gz") as tar:

            def add_json(path: str, data: Any) -> None:
                body = (
                    json.dumps(redactor.value(data), indent=2, sort_keys=True, default=str).encode()
                    + b"\n"
                )
                _add_bytes(tar, f"{name}/{path}", body, now)

            add_json("stack/outputs.json", stack.outputs_redacted)
            items: list[LogItem] = []
            for pod in pods:
                add_json(f"pods/{pod.name}/pod.json", pod.raw)
                index["pods"].append(_pod_index(pod))
                for container in pod.containers:
                    items.append(LogItem(pod.name, container.name, previous=False))
                    if container.has_previous:
                        items.append(LogItem(pod.name, container.name, previous=True))
            events = _events(core, stack.namespace, failed)
            if events is not None:
                add_json("events.json", events)
            progress(f"{len(events or [])} events")
            nodes = _nodes(core, pods, failed)
            if nodes is not None:
                add_json("nodes.json", nodes)
            progress(f"{len(nodes or [])} agent nodes")
            with tempfile.TemporaryDirectory(prefix="cyperf-logs-") as scratch:
                for item, spooled, error in _fetch_logs(
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
                        info = tarfile.TarInfo(f"{name}/{item.path}")
                        info.size = spooled.stat().st_size
                        info.mtime = int(now.timestamp())
                        info.mode = 0o644
                        with spooled.open("rb") as source:
                            tar.addfile(info, source)
                        spooled.unlink()
                        logs += 1
                    progress(f"logs {logs + len(failed) + len(notes)}/{len(items)}: {item.path}")
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


def shortfalls(
    replicas: dict[str, int], pods: list[AgentPod], groups: list[str]
) -> list[dict[str, str]]:
    """A failed item per group with fewer live pods than the stack deployed: an empty bundle of
    the wrong cluster is not a complete one."""
    failed = []
    for group, expected in sorted(replicas.items()):
        live = sum(1 for p in pods if p.group == group and not p.gone)
        if live < expected and (not groups or group in groups):
            failed.append(
                {
                    "item": f"pods of group {group}",
                    "error": f"{live} of the {expected} the stack deployed",
                }
            )
    return failed


def _add_bytes(tar: tarfile.TarFile, path: str, body: bytes, now: datetime) -> None:
    info = tarfile.TarInfo(path)
    info.size = len(body)
    info.mtime = int(now.timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(body))


def _pod_index(pod: AgentPod) -> dict[str, Any]:
    logs: dict[str, Any] = {}
    for container in pod.containers:
        entry: dict[str, Any] = {"current": LogItem(pod.name, container.name, False).path}
        if container.has_previous:
            entry["previous"] = LogItem(pod.name, container.name, True).path
        else:
            entry["previous"] = None
            entry["previousNote"] = "no previous instance (never restarted)"
        entry["restartCount"] = container.restart_count
        logs[container.name] = entry
    return {
        "name": pod.name,
        "group": pod.group,
        "phase": pod.phase,
        "ready": pod.ready,
        "podIP": pod.ip,
        "node": pod.node,
        "pod": f"pods/{pod.name}/pod.json",
        "logs": logs,
    }


def _fetch_logs(
    core: Any,
    namespace: str,
    items: list[LogItem],
    since_seconds: int | None,
    concurrency: int,
    scratch: Path,
    redactor: Redactor,
) -> Iterable[tuple[LogItem, Path | None, str | None]]:
    """Yield each log as a spooled file (or an error), at most `concurrency` in flight."""
    pending = iter(enumerate(items))
    running: dict[Future[tuple[Path | None, str | None]], LogItem] = {}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="logs") as pool:

        def submit_next() -> None:
            for number, item in pending:
                target = scratch / f"{number}.log"
                future = pool.submit(
                    _stream_log, core, namespace, item, since_seconds, target, redactor
                )
                running[future] = item
                return

        for _ in range(concurrency):
            submit_next()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                item = running.pop(future)
                spooled, error = future.result()
                yield item, spooled, error
                submit_next()


def _stream_log(
    core: Any,
    namespace: str,
    item: LogItem,
    since_seconds: int | None,
    target: Path,
    redactor: Redactor,
) -> tuple[Path | None, str | None]:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    kwargs: dict[str, Any] = {
        "container": item.container,
        "previous": item.previous,
        "_preload_content": False,
        "_request_timeout": (10, 300),
    }
    if since_seconds is not None:
        kwargs["since_seconds"] = since_seconds
    try:
        response = core.read_namespaced_pod_log(item.pod, namespace, **kwargs)
        try:
            with target.open("wb") as sink:
                _spool(response.stream(CHUNK), sink, redactor)
        finally:
            response.release_conn()
    except (ApiException, HTTPError, OSError) as err:
        return None, _failure(err)
    return target, None


def _spool(chunks: Iterable[bytes], sink: Any, redactor: Redactor) -> None:
    """Copy a log to `sink`, each line redacted when the stack has secrets (a line is held whole
    so that a secret split across two chunks is still found)."""
    if not redactor.scrubs_text:
        for chunk in chunks:
            sink.write(chunk)
        return
    pending = b""
    for chunk in chunks:
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            sink.write(_redact_line(line, redactor) + b"\n")
    if pending:
        sink.write(_redact_line(pending, redactor))


def _redact_line(line: bytes, redactor: Redactor) -> bytes:
    text = line.decode("utf-8", "surrogateescape")
    return redactor.text(text).encode("utf-8", "surrogateescape")


def _failure(err: Exception) -> str:
    """What went wrong, for the index: the API's own message with its status, or the error."""
    from kubernetes.client.exceptions import ApiException

    if not isinstance(err, ApiException):
        return f"{type(err).__name__}: {err}"
    try:
        message = json.loads(err.body or "{}").get("message")
    except (ValueError, AttributeError):
        message = None
    return f"{err.status} {message or err.reason}"


def _events(core: Any, namespace: str, failed: list[dict[str, str]]) -> list[Any] | None:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    serialize = core.api_client.sanitize_for_serialization
    events: list[Any] = []
    token = None
    try:
        while True:
            page = core.list_namespaced_event(
                namespace, limit=500, _continue=token, _request_timeout=30
            )
            events.extend(serialize(item) for item in page.items)
            token = page.metadata._continue
            if not token:
                break
    except (ApiException, HTTPError) as err:
        failed.append({"item": "events.json", "error": _failure(err)})
        return None
    for event in events:
        event.get("metadata", {}).pop("managedFields", None)
    return sorted(events, key=_event_time)


def _event_time(event: dict[str, Any]) -> str:
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or event.get("metadata", {}).get("creationTimestamp")
        or ""
    )


def _nodes(core: Any, pods: list[AgentPod], failed: list[dict[str, str]]) -> list[Any] | None:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    serialize = core.api_client.sanitize_for_serialization
    try:
        listed = core.list_node(_request_timeout=30)
    except (ApiException, HTTPError) as err:
        failed.append({"item": "nodes.json", "error": _failure(err)})
        return None
    hosting = {pod.node for pod in pods if pod.node}
    selectors = [pod.node_selector for pod in pods if pod.node_selector]
    summaries = []
    for node in (serialize(item) for item in listed.items):
        labels = node.get("metadata", {}).get("labels") or {}
        name = node["metadata"]["name"]
        eligible = any(all(labels.get(k) == v for k, v in s.items()) for s in selectors)
        if name in hosting or eligible:
            summaries.append(node_summary(node, sorted(p.name for p in pods if p.node == name)))
    return sorted(summaries, key=lambda n: str(n["name"]))


def node_summary(node: dict[str, Any], agent_pods: list[str]) -> dict[str, Any]:
    spec = node.get("spec") or {}
    status = node.get("status") or {}
    info = status.get("nodeInfo") or {}
    return {
        "name": node["metadata"]["name"],
        "agentPods": agent_pods,
        "labels": node["metadata"].get("labels") or {},
        "taints": spec.get("taints") or [],
        "unschedulable": bool(spec.get("unschedulable")),
        "conditions": [
            {k: c.get(k) for k in ("type", "status", "reason", "message", "lastTransitionTime")}
            for c in status.get("conditions") or []
        ],
        "capacity": status.get("capacity") or {},
        "allocatable": status.get("allocatable") or {},
        "addresses": status.get("addresses") or [],
        "kernelVersion": info.get("kernelVersion"),
        "containerRuntimeVersion": info.get("containerRuntimeVersion"),
        "kubeletVersion": info.get("kubeletVersion"),
        "osImage": info.get("osImage"),
        "architecture": info.get("architecture"),
    }
