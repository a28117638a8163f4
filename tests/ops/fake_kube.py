"""A minimal Kubernetes API on 127.0.0.1 for unit tests of `ops logs` and `ops verify`.

It serves the read calls the official client makes (pods by label selector, pod logs with
container/previous/sinceSeconds, events, nodes) as plain JSON, so the code under test runs the
real `kubernetes` client end to end. Logs are generated on the fly in chunks, so a test can serve
a log far larger than what it lets the collector hold in memory.

For `doctor` it also reads namespaces and single pods, and creates and deletes pods (the
reachability probe): `on_create` lets a test play the kubelet on a created pod.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.ops.json_handler import JsonHandler

# produces one log's chunks; FakeKube.logs maps (pod, container, previous) to one
LogSource = Callable[[], Iterator[bytes]]


def pod_json(
    name: str,
    group: str,
    ip: str | None,
    node: str | None,
    *,
    namespace: str = "cyperf",
    containers: tuple[str, ...] = ("cyperf-agent-client",),
    restarts: int = 0,
    tags: str = "K8s-Group=CyPerf-Agent-Client,node-owner=User",
    ready: bool = True,
    node_selector: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": "cyperf-agent", "cyperf-k8s/agent-group": group},
            "managedFields": [{"manager": "kube-controller-manager"}],
        },
        "spec": {
            "nodeName": node,
            "nodeSelector": node_selector or {"agenttype": "client"},
            "containers": [
                {"name": c, "image": "agent", "env": [{"name": "AGENT_TAGS", "value": tags}]}
                for c in containers
            ],
        },
        "status": {
            "phase": "Running" if ip else "Pending",
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {
                    "name": c,
                    "restartCount": restarts,
                    "ready": ready,
                    "image": "agent",
                    "imageID": "",
                    "lastState": {"terminated": {"exitCode": 1}} if restarts else {},
                }
                for c in containers
            ],
        },
    }


def node_json(name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"taints": [{"key": "agenttype", "value": "client", "effect": "NoSchedule"}]},
        "status": {
            "capacity": {"cpu": "8", "memory": "16Gi"},
            "allocatable": {"cpu": "8", "memory": "15Gi"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "nodeInfo": {
                "kernelVersion": "6.1.0-test",
                "containerRuntimeVersion": "containerd://2.0.0",
                "kubeletVersion": "v1.34.0",
                "osImage": "Test OS",
                "architecture": "amd64",
                "operatingSystem": "linux",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
                "kubeProxyVersion": "",
            },
        },
    }


def _matches(labels: dict[str, str], selector: str) -> bool:
    # the two forms the collector sends: `k=v` and `k in (a,b)`
    for term in filter(None, _split(selector)):
        if " in " in term:
            key, _, values = term.partition(" in ")
            if labels.get(key.strip()) not in values.strip("() ").split(","):
                return False
        else:
            key, _, value = term.partition("=")
            if labels.get(key) != value:
                return False
    return True


def _split(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    return [*terms, current]


VERSION = {
    "major": "1",
    "minor": "34",
    "gitVersion": "v1.34.0",
    "gitCommit": "0000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.24",
    "compiler": "gc",
    "platform": "linux/amd64",
}
LISTED = {
    "apps": ("deployments", "replicasets", "daemonsets"),
    "core": ("services", "endpoints", "resourcequotas", "limitranges"),
}


def _namespaced_list(segments: list[str]) -> tuple[str, str] | None:
    """(namespace, kind) of a list the bundle reads beyond pods, events and nodes."""
    if segments[:3] == ["apis", "apps", "v1"] and len(segments) == 6:
        namespace, kind = segments[4], segments[5]
        return (namespace, kind) if kind in LISTED["apps"] else None
    if segments[:3] == ["api", "v1", "namespaces"] and len(segments) == 5:
        return (segments[3], segments[4]) if segments[4] in LISTED["core"] else None
    return None


@dataclass
class FakeKube:
    pods: list[dict[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[tuple[str, str, bool], LogSource] = field(default_factory=dict)
    log_delay: float = 0.0
    url: str = ""
    log_queries: list[dict[str, list[str]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    # name -> labels; the stack's namespace as the program creates it
    namespaces: dict[str, dict[str, str]] = field(
        default_factory=lambda: {"cyperf": {"pod-security.kubernetes.io/enforce": "privileged"}}
    )
    # plural kind (deployments, services, ...) -> objects, each with metadata.namespace
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    on_create: Callable[[dict[str, Any]], None] | None = None
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def find_pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        return next(
            (
                p
                for p in self.pods
                if p["metadata"]["namespace"] == namespace and p["metadata"]["name"] == name
            ),
            None,
        )


def _handler(fake: FakeKube) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            segments = parts.path.strip("/").split("/")
            listed_kind = _namespaced_list(segments)
            if segments == ["version"]:
                self.reply_json(200, VERSION)
            elif listed_kind:
                namespace, kind = listed_kind
                items = [
                    o for o in fake.objects.get(kind, []) if o["metadata"]["namespace"] == namespace
                ]
                self.reply_json(200, {"kind": "List", "metadata": {}, "items": items})
            elif segments == ["api", "v1", "nodes"]:
                self.reply_json(200, {"kind": "NodeList", "metadata": {}, "items": fake.nodes})
            elif segments[:3] == ["api", "v1", "namespaces"] and segments[4:] == ["events"]:
                items = [e for e in fake.events if e["metadata"]["namespace"] == segments[3]]
                self.reply_json(200, {"kind": "EventList", "metadata": {}, "items": items})
            elif segments[:3] == ["api", "v1", "namespaces"] and segments[4:] == ["pods"]:
                selector = query.get("labelSelector", [""])[0]
                items = [
                    p
                    for p in fake.pods
                    if p["metadata"]["namespace"] == segments[3]
                    and _matches(p["metadata"]["labels"], selector)
                ]
                self.reply_json(200, {"kind": "PodList", "metadata": {}, "items": items})
            elif segments[:3] == ["api", "v1", "namespaces"] and segments[6:] == ["log"]:
                self._log(segments[5], query)
            elif segments[:3] == ["api", "v1", "namespaces"] and len(segments) == 4:
                if segments[3] not in fake.namespaces:
                    self._not_found()
                    return
                labels = fake.namespaces[segments[3]]
                metadata = {"name": segments[3], "labels": labels}
                self.reply_json(200, {"kind": "Namespace", "metadata": metadata})
            elif segments[:3] == ["api", "v1", "namespaces"] and segments[4:5] == ["pods"]:
                pod = fake.find_pod(segments[3], segments[5])
                self.reply_json(200, pod) if pod else self._not_found()
            else:
                self._not_found()

        def _not_found(self) -> None:
            self.reply_json(404, {"kind": "Status", "message": "not found", "code": 404})

        def do_POST(self) -> None:
            segments = urlsplit(self.path).path.strip("/").split("/")
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            if segments[:3] != ["api", "v1", "namespaces"] or segments[4:] != ["pods"]:
                self._not_found()
                return
            body["metadata"]["namespace"] = segments[3]
            body.setdefault("status", {"phase": "Pending"})
            with fake._lock:
                fake.pods.append(body)
                fake.created.append(body["metadata"]["name"])
            if fake.on_create:
                fake.on_create(body)
            self.reply_json(201, body)

        def do_DELETE(self) -> None:
            segments = urlsplit(self.path).path.strip("/").split("/")
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            pod = fake.find_pod(segments[3], segments[5]) if len(segments) == 6 else None
            if pod is None:
                self._not_found()
                return
            with fake._lock:
                fake.pods.remove(pod)
                fake.deleted.append(segments[5])
            self.reply_json(200, pod)

        def _log(self, pod: str, query: dict[str, list[str]]) -> None:
            container = query.get("container", [""])[0]
            # the client sends Python booleans ("True"); the API server parses them like Go strconv
            previous = query.get("previous", ["false"])[0].lower() == "true"
            source = fake.logs.get((pod, container, previous))
            with fake._lock:
                fake.log_queries.append(query)
                fake.in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            try:
                time.sleep(fake.log_delay)
                if source is None:
                    self.reply_json(
                        400,
                        {
                            "kind": "Status",
                            "code": 400,
                            "message": f'previous terminated container "{container}" in pod '
                            f'"{pod}" not found'
                            if previous
                            else f"container {container} is not valid for pod {pod}",
                        },
                    )
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in source():
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            finally:
                with fake._lock:
                    fake.in_flight -= 1

    return Handler


@contextmanager
def serve(fake: FakeKube) -> Iterator[FakeKube]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def kubeconfig(url: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": url}}],
        "users": [{"name": "fake", "user": {"token": "kube-token-for-tests"}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
        "current-context": "fake",
    }
