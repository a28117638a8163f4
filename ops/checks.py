"""`doctor`'s checks of the stack, the cluster and the agent pods (pure: objects in, verdicts out).

Each check is PASS, WARN, FAIL or SKIP (could not be judged: says why) with one line of detail
and, unless it passed, the fix. The agent pods' phase, scheduling and container reasons are the
kubelet's and the scheduler's own words.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from components.pod_security import AGENT_LEVEL, ENFORCE_LABEL, enforced_level
from ops.pods import AgentPod

Level = Literal["PASS", "WARN", "FAIL", "SKIP"]
# Waiting reasons the kubelet gives for an image it cannot pull.
PULL_REASONS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")
CRASH_REASONS = ("CrashLoopBackOff", "CreateContainerConfigError", "RunContainerError")
CONNTRACK_LINE = re.compile(r"nf_conntrack_count=(\d+) nf_conntrack_max=(\d+)")
CONNTRACK_WARN = 0.8


@dataclass(frozen=True)
class Check:
    name: str
    level: Level
    detail: str
    fix: str = ""

    def as_json(self) -> dict[str, str]:
        return {"check": self.name, "level": self.level, "detail": self.detail, "fix": self.fix}


def pulumi_cli(which: Callable[[str], str | None] | None = None) -> Check:
    path = (which or shutil.which)("pulumi")
    if path:
        return Check("pulumi CLI", "PASS", f"pulumi at {path}")
    return Check(
        "pulumi CLI",
        "FAIL",
        "`pulumi` is not on PATH",
        "install the Pulumi CLI (docs/development.md) or add its folder to PATH",
    )


def stack_read(stack: str, error: str | None) -> Check:
    """The stack read through the Automation API; `error` is the CLI's reason when it failed."""
    if error is None:
        return Check("stack", "PASS", f"stack {stack} read (backend, passphrase and outputs)")
    lowered = error.lower()
    if "passphrase" in lowered:
        fix = "export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) as at `make up`"
    elif "login" in lowered or "backend" in lowered or "credentials" in lowered:
        fix = "`pulumi login <backend>` with the backend the stack was created in"
    else:
        fix = f"`pulumi stack ls` lists the stacks; deploy this one with `make up STACK={stack}`"
    return Check("stack", "FAIL", error, fix)


def cluster(server: str, context: str | None, pinned: bool) -> Check:
    where = f"API server {server}" + (f", context {context}" if context else "")
    if pinned:
        return Check("cluster", "PASS", f"{where} (the stack's own kubeconfig or kubeContext)")
    return Check(
        "cluster",
        "WARN",
        f"{where}: the stack sets neither kubeconfig nor kubeContext, so this is whatever "
        "context is current now, not necessarily the cluster `make up` used",
        "pin it: `pulumi config set cyperf-k8s:kubeContext <context>`",
    )


def namespace(name: str, labels: Mapping[str, str] | None, exists: bool) -> Check:
    if not exists:
        return Check(
            "namespace", "FAIL", f"namespace {name} does not exist", "deploy with `make up`"
        )
    level = enforced_level(labels)
    label_fix = f"kubectl label --overwrite namespace {name} {ENFORCE_LABEL}={AGENT_LEVEL}"
    if level is None:
        return Check(
            "namespace",
            "WARN",
            f"namespace {name} has no {ENFORCE_LABEL} label: the cluster's default Pod Security "
            "level applies, and 'baseline' or 'restricted' rejects the agents",
            label_fix,
        )
    if level != AGENT_LEVEL:
        return Check(
            "namespace",
            "FAIL",
            f"namespace {name} enforces Pod Security {level!r}, which rejects the agents' "
            "NET_ADMIN, IPC_LOCK and NET_RAW",
            label_fix,
        )
    return Check("namespace", "PASS", f"namespace {name} enforces {AGENT_LEVEL!r}")


def memory_request(pod: AgentPod) -> int:
    from kubernetes.utils import parse_quantity

    total = 0
    for container in (pod.raw.get("spec") or {}).get("containers") or []:
        requested = ((container.get("resources") or {}).get("requests") or {}).get("memory")
        total += int(parse_quantity(requested)) if requested else 0
    return total


def agent_nodes(group: str, pods: Sequence[AgentPod], nodes: Iterable[dict[str, Any]]) -> Check:
    """The nodes the group's nodeSelector picks: some exist, are Ready and have room for one
    agent's memory request."""
    from kubernetes.utils import parse_quantity

    name = f"nodes of {group}"
    if not pods:
        return Check(name, "SKIP", f"no {group} pod to read its nodeSelector from")
    selector = pods[0].node_selector
    label = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
    chosen = [
        n
        for n in nodes
        if all((n["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
    ]
    if not chosen:
        return Check(
            name,
            "FAIL",
            f"no node is labelled {label}",
            f"kubectl label node <node> {label} (docs/configuration.md: nodeSelector)",
        )
    ready = [n for n in chosen if _condition(n, "Ready") == "True"]
    need = memory_request(pods[0])
    roomy = [
        n
        for n in ready
        if int(parse_quantity((n.get("status") or {}).get("allocatable", {}).get("memory", "0")))
        >= need
    ]
    names = sorted(n["metadata"]["name"] for n in chosen)
    if not ready:
        return Check(name, "FAIL", f"none of {names} is Ready", "kubectl describe node <node>")
    if not roomy:
        return Check(
            name,
            "FAIL",
            f"no Ready node labelled {label} has {need} bytes of allocatable memory",
            "lower the group's memory request or use larger nodes",
        )
    return Check(name, "PASS", f"{len(roomy)} of {len(chosen)} nodes labelled {label} fit")


def _condition(obj: dict[str, Any], kind: str) -> str | None:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            return str(condition.get("status"))
    return None


def scheduling(pods: Sequence[AgentPod]) -> Check:
    if not pods:
        return Check(
            "pods scheduled", "FAIL", "no agent pods", "deploy with `make up`; `make status`"
        )
    waiting = []
    for pod in pods:
        for condition in (pod.raw.get("status") or {}).get("conditions") or []:
            if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
                waiting.append(f"{pod.name}: {condition.get('message') or condition.get('reason')}")
    if waiting:
        return Check(
            "pods scheduled",
            "FAIL",
            "; ".join(waiting),
            "free or add nodes matching the group's nodeSelector and tolerations",
        )
    return Check("pods scheduled", "PASS", f"{len(pods)} agent pods on nodes")


def containers(pods: Sequence[AgentPod]) -> list[Check]:
    """Image pulled and not crash-looping, from each container's waiting reason."""
    pulls, crashes = [], []
    for pod in pods:
        status = pod.raw.get("status") or {}
        for container in status.get("containerStatuses") or []:
            waiting = (container.get("state") or {}).get("waiting") or {}
            reason = waiting.get("reason")
            text = f"{pod.name}: {reason} ({waiting.get('message') or container.get('image')})"
            if reason in PULL_REASONS:
                pulls.append(text)
            elif reason in CRASH_REASONS:
                crashes.append(text)
    return [
        Check(
            "image pulled",
            "FAIL",
            "; ".join(pulls),
            "check the image name and the nodes' access to its registry (agentRelease, "
            "imagePullSecrets)",
        )
        if pulls
        else Check("image pulled", "PASS", "no container waits for its image"),
        Check(
            "containers running",
            "FAIL",
            "; ".join(crashes),
            "`make logs STACK=<stack>` and read the previous container logs",
        )
        if crashes
        else Check("containers running", "PASS", "no container crash-looping"),
    ]


def conntrack(logs: Mapping[str, str], unreadable: str | None = None) -> Check:
    """Headroom of the conntrack table from the node-tuning pods' last count/max line."""
    if unreadable:
        return Check(
            "conntrack",
            "WARN",
            f"cannot read the node-tuning pods' logs: {unreadable}",
            "doctor needs list of pods and get of pods/log in the namespace",
        )
    if not logs:
        return Check("conntrack", "SKIP", "no node-tuning pods (conntrack tuning is off)")
    fullest: tuple[float, str, int, int] | None = None
    for pod, text in sorted(logs.items()):
        found = CONNTRACK_LINE.findall(text)
        if found:
            count, maximum = (int(v) for v in found[-1])
            share = count / maximum if maximum else 1.0
            if fullest is None or share > fullest[0]:
                fullest = (share, pod, count, maximum)
    if fullest is None:
        return Check("conntrack", "SKIP", "the node-tuning pods logged no count/max line yet")
    share, pod, count, maximum = fullest
    detail = f"fullest table {count}/{maximum} ({share:.0%}) on {pod}"
    if share >= CONNTRACK_WARN:
        return Check(
            "conntrack",
            "WARN",
            detail,
            "raise the conntrack plan (docs/conntrack.md) or spread the agents",
        )
    return Check("conntrack", "PASS", detail)
