"""The stack's agent pods as the cluster reports them (labels from components/specs.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ops.errors import StackUnreadableError, UsageError

AGENT_SELECTOR = "app=cyperf-agent"
GROUP_LABEL = "cyperf-k8s/agent-group"
TAGS_ENV = "AGENT_TAGS"


@dataclass(frozen=True)
class Container:
    name: str
    init: bool
    restart_count: int
    # the kubelet keeps the log of the previous instance of a restarted container
    has_previous: bool


@dataclass(frozen=True)
class AgentPod:
    name: str
    group: str
    ip: str | None
    phase: str
    ready: bool
    node: str | None
    node_selector: dict[str, str]
    containers: tuple[Container, ...]
    tags_env: str | None  # AGENT_TAGS of the agent container, as deployed
    raw: dict[str, Any]  # the pod object (JSON form, managedFields dropped)
    ips: tuple[str, ...] = ()  # status.podIPs (dual stack: both), podIP first
    # Why the pod's agent will not come while the pod stays as it is (unschedulable, image pull,
    # crash loop), in the scheduler's or kubelet's words: nothing to wait for.
    blocked: str | None = None
    # Why the pod is no longer one of the group's agents (evicted, failed, terminating): its
    # ReplicaSet replaces it, so it is reported but not expected.
    gone: str | None = None

    @property
    def restarts(self) -> int:
        return sum(c.restart_count for c in self.containers)


def list_agent_pods(core: Any, namespace: str, groups: Iterable[str] = ()) -> list[AgentPod]:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    selector = AGENT_SELECTOR
    wanted = sorted(set(groups))
    if wanted:
        selector += f",{GROUP_LABEL} in ({','.join(wanted)})"
    try:
        listed = core.list_namespaced_pod(namespace, label_selector=selector, _request_timeout=30)
    except ApiException as err:
        raise StackUnreadableError(
            f"cannot list pods in namespace {namespace!r}: {err.status} {err.reason}",
            fix=f"the kubeconfig's user needs to list pods there (`kubectl auth can-i list pods "
            f"-n {namespace}`) in the cluster named above",
        ) from None
    except HTTPError as err:
        raise StackUnreadableError(
            f"cannot reach the cluster's API server: {type(err).__name__}",
            fix="check that the cluster named above is up and reachable (network, VPN, the "
            "kubeconfig context)",
        ) from None
    serialize = core.api_client.sanitize_for_serialization
    pods = [agent_pod(serialize(item)) for item in listed.items]
    return sorted(pods, key=lambda p: (p.group, p.name))


def agent_pod(raw: dict[str, Any]) -> AgentPod:
    """AgentPod from a pod object in its JSON form (as the API serves it)."""
    raw = dict(raw)
    metadata = dict(raw.get("metadata") or {})
    metadata.pop("managedFields", None)
    raw["metadata"] = metadata
    spec = raw.get("spec") or {}
    status = raw.get("status") or {}
    statuses = {
        s["name"]: s
        for key in ("initContainerStatuses", "containerStatuses")
        for s in status.get(key) or []
    }
    containers = []
    tags_env = None
    for init, key in ((True, "initContainers"), (False, "containers")):
        for container in spec.get(key) or []:
            state = statuses.get(container["name"], {})
            restarts = int(state.get("restartCount") or 0)
            terminated_before = bool((state.get("lastState") or {}).get("terminated"))
            containers.append(
                Container(container["name"], init, restarts, restarts > 0 or terminated_before)
            )
            for env in container.get("env") or []:
                if not init and env.get("name") == TAGS_ENV and tags_env is None:
                    tags_env = env.get("value")
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    ip = status.get("podIP")
    listed = [str(entry.get("ip")) for entry in status.get("podIPs") or [] if entry.get("ip")]
    return AgentPod(
        name=metadata["name"],
        group=(metadata.get("labels") or {}).get(GROUP_LABEL, ""),
        ip=status.get("podIP"),
        phase=status.get("phase") or "Unknown",
        ready=conditions.get("Ready") == "True",
        node=spec.get("nodeName"),
        node_selector=dict(spec.get("nodeSelector") or {}),
        containers=tuple(containers),
        tags_env=tags_env,
        raw=raw,
        ips=tuple(dict.fromkeys([ip, *listed] if ip else listed)),
        blocked=blocked_reason(status),
        gone=gone_reason(metadata, status),
    )


# Waiting reasons of the kubelet after which the container does not start without a change
# (a new image, a fixed config); ContainerCreating and PodInitializing are normal start-up.
STUCK_WAITING = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)


def blocked_reason(status: dict[str, Any]) -> str | None:
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            reason = condition.get("reason") or "not scheduled"
            return f"{reason}: {condition.get('message') or 'no node fits'}"
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in status.get(key) or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in STUCK_WAITING:
                message = waiting.get("message")
                detail = f": {message.splitlines()[0]}" if message else ""
                return f"{container.get('name')} {waiting['reason']}{detail}"
    return None


def gone_reason(metadata: dict[str, Any], status: dict[str, Any]) -> str | None:
    if metadata.get("deletionTimestamp"):
        return f"terminating since {metadata['deletionTimestamp']}"
    if status.get("phase") in ("Failed", "Succeeded"):
        reason = status.get("reason") or status["phase"]
        message = status.get("message")
        return f"{reason}: {message}" if message else str(reason)
    return None


def check_groups(requested: Iterable[str], known: Iterable[str]) -> list[str]:
    """The requested groups, refused when the stack has no such group."""
    known_set = set(known)
    requested_list = sorted(set(requested))
    unknown = [g for g in requested_list if known_set and g not in known_set]
    if unknown:
        raise UsageError(
            f"--group: one of the stack's agent groups {sorted(known_set)} (got {unknown})"
        )
    return requested_list


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
