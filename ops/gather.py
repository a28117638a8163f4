"""What `logs` reads besides the agent pods' logs: the namespace's objects, events, agent nodes,
the node-tuning pods, the kube-proxy and CNI pods on the agent nodes, versions, and the stack
config (secret values replaced). Failures are recorded in the bundle's index, never raised."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from components.conntrack.daemonset import NAME_LABEL, NAME_VALUE
from ops.pods import AgentPod
from ops.stack import REDACTED

SYSTEM_NAMESPACE = "kube-system"
# Names (or label values) of the node network's pods: kube-proxy and the common CNI plugins.
NETWORK_MARKERS = (
    "kube-proxy",
    "aws-node",
    "calico",
    "canal",
    "cilium",
    "flannel",
    "kindnet",
    "weave",
    "antrea",
    "kube-router",
    "ovnkube",
    "multus",
)
TUNING_SELECTOR = f"{NAME_LABEL}={NAME_VALUE}"
Failed = list[dict[str, str]]


def failure(err: Exception) -> str:
    """What went wrong, for the index: the API's own message with its status, or the error."""
    import json

    from kubernetes.client.exceptions import ApiException

    if not isinstance(err, ApiException):
        return f"{type(err).__name__}: {err}"
    try:
        message = json.loads(err.body or "{}").get("message")
    except (ValueError, AttributeError):
        message = None
    return f"{err.status} {message or err.reason}"


def _read(item: str, failed: Failed, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        return call(*args, _request_timeout=30, **kwargs)
    except (ApiException, HTTPError) as err:
        failed.append({"item": item, "error": failure(err)})
        return None


def plain(core: Any, obj: Any) -> dict[str, Any]:
    """The API object as JSON, without managedFields."""
    data: dict[str, Any] = core.api_client.sanitize_for_serialization(obj)
    (data.get("metadata") or {}).pop("managedFields", None)
    return data


def namespace_objects(core: Any, namespace: str, failed: Failed) -> dict[str, Any]:
    """{bundle path: JSON} of the namespace and its workload objects."""
    from kubernetes import client

    apps = client.AppsV1Api(core.api_client)
    lists: dict[str, Callable[..., Any]] = {
        "deployments": apps.list_namespaced_deployment,
        "replicasets": apps.list_namespaced_replica_set,
        "daemonsets": apps.list_namespaced_daemon_set,
        "services": core.list_namespaced_service,
        "endpoints": core.list_namespaced_endpoints,
        "resourcequotas": core.list_namespaced_resource_quota,
        "limitranges": core.list_namespaced_limit_range,
    }
    found: dict[str, Any] = {}
    path = "namespace/namespace.json"
    read = _read(path, failed, core.read_namespace, namespace)
    if read is not None:
        found[path] = plain(core, read)
    for kind, call in lists.items():
        path = f"namespace/{kind}.json"
        listed = _read(path, failed, call, namespace)
        if listed is not None:
            found[path] = [plain(core, item) for item in listed.items]
    return found


def events(core: Any, namespace: str, failed: Failed) -> list[dict[str, Any]] | None:
    collected: list[dict[str, Any]] = []
    token = None
    while True:
        page = _read(
            "events.json", failed, core.list_namespaced_event, namespace, limit=500, _continue=token
        )
        if page is None:
            return None
        collected.extend(plain(core, item) for item in page.items)
        token = page.metadata._continue
        if not token:
            return sorted(collected, key=event_time)


def event_time(event: dict[str, Any]) -> str:
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or event.get("metadata", {}).get("creationTimestamp")
        or ""
    )


def nodes(core: Any, pods: list[AgentPod], failed: Failed) -> list[dict[str, Any]] | None:
    """Agent nodes: running an agent pod, or matching an agent nodeSelector."""
    listed = _read("nodes.json", failed, core.list_node)
    if listed is None:
        return None
    hosting = {pod.node for pod in pods if pod.node}
    selectors = [pod.node_selector for pod in pods if pod.node_selector]
    summaries = []
    for node in (plain(core, item) for item in listed.items):
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


def is_network_pod(pod: dict[str, Any]) -> bool:
    metadata = pod.get("metadata") or {}
    words = [metadata.get("name") or "", *(metadata.get("labels") or {}).values()]
    return any(marker in str(word) for word in words for marker in NETWORK_MARKERS)


def network_pods(core: Any, agent_nodes: set[str], failed: Failed) -> list[dict[str, Any]]:
    """kube-proxy and CNI pods on the agent nodes (kube-system)."""
    listed = _read("kube-system/pods.json", failed, core.list_namespaced_pod, SYSTEM_NAMESPACE)
    pods = [plain(core, item) for item in listed.items] if listed is not None else []
    return sorted(
        (
            p
            for p in pods
            if is_network_pod(p) and (p.get("spec") or {}).get("nodeName") in agent_nodes
        ),
        key=lambda p: str(p["metadata"]["name"]),
    )


def tuning_pods(core: Any, namespace: str, failed: Failed) -> list[dict[str, Any]]:
    listed = _read(
        "node-tuning", failed, core.list_namespaced_pod, namespace, label_selector=TUNING_SELECTOR
    )
    return [plain(core, item) for item in listed.items] if listed is not None else []


def versions(pod: dict[str, Any]) -> dict[str, Any]:
    """A pod's images, as the spec asks and as the runtime resolved them."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return {
        "name": pod["metadata"]["name"],
        "node": (pod.get("spec") or {}).get("nodeName"),
        "images": {
            c["name"]: c.get("image") for c in (pod.get("spec") or {}).get("containers") or []
        },
        "imageIDs": {s["name"]: s.get("imageID") for s in statuses},
        "phase": (pod.get("status") or {}).get("phase"),
    }


def kubernetes_version(core: Any) -> str | None:
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        return str(client.VersionApi(core.api_client).get_code(_request_timeout=30).git_version)
    except (ApiException, HTTPError, ValueError):
        return None


def project_commit(root: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def stack_config(stack_name: str, project_dir: Path) -> dict[str, Any] | str:
    """The stack's config with secret values replaced (the rest of the bundle is redacted by the
    stack's secret values, ops/redact.py); or why it could not be read."""
    from pulumi.automation import LocalWorkspace
    from pulumi.automation.errors import CommandError

    try:
        config = LocalWorkspace(work_dir=str(project_dir)).get_all_config(stack_name)
    except (FileNotFoundError, CommandError) as err:
        return f"cannot read the stack config: {type(err).__name__}"
    return {k: REDACTED if v.secret else v.value for k, v in sorted(config.items())}
