"""Pod logs streamed from the API server to files, a few at a time (for `logs`).

Each log is streamed in chunks to a temporary file, so a pod with an enormous log never sits in
memory; at most `concurrency` logs are in flight (and on disk) at a time. Lines carry the API
server's RFC 3339 timestamps (`kubectl logs --timestamps`) and are redacted line by line
(ops/redact.py `Redactor.text`).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.gather import failure
from ops.pods import AgentPod
from ops.redact import Redactor

CHUNK = 64 * 1024


@dataclass(frozen=True)
class LogItem:
    pod: str
    container: str
    previous: bool
    folder: str = "pods"
    namespace: str | None = None  # None: the stack's

    @property
    def path(self) -> str:
        return (
            f"{self.folder}/{self.pod}/{self.container}{'.previous' if self.previous else ''}.log"
        )


def log_items(pod: AgentPod, folder: str, namespace: str | None) -> list[LogItem]:
    items = []
    for container in pod.containers:
        items.append(LogItem(pod.name, container.name, False, folder, namespace))
        if container.has_previous:
            items.append(LogItem(pod.name, container.name, True, folder, namespace))
    return items


def fetch_logs(
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
                where = item.namespace or namespace
                future = pool.submit(stream_log, core, where, item, since_seconds, target, redactor)
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


def stream_log(
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
        "timestamps": True,
        "_preload_content": False,
        "_request_timeout": (10, 300),
    }
    if since_seconds is not None:
        kwargs["since_seconds"] = since_seconds
    try:
        response = core.read_namespaced_pod_log(item.pod, namespace, **kwargs)
        try:
            with target.open("wb") as sink:
                spool(response.stream(CHUNK), sink, redactor)
        finally:
            response.release_conn()
    except (ApiException, HTTPError, OSError) as err:
        return None, failure(err)
    return target, None


def spool(chunks: Iterable[bytes], sink: Any, redactor: Redactor) -> None:
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


def pod_index(pod: AgentPod) -> dict[str, Any]:
    """The index entry of an agent pod: where its object and logs are in the bundle."""
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
