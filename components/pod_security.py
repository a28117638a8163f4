"""Pod Security Admission and the agents: the level their pods need, and whether a namespace the
stack does not own admits them.

The agents add NET_ADMIN, IPC_LOCK and NET_RAW. The "baseline" level allows only the runtime's
default capabilities minus NET_RAW (Kubernetes "Pod Security Standards", Capabilities control),
so only "privileged" admits them. A namespace that enforces more rejects every agent pod at
creation: the ReplicaSet retries silently and `pulumi up` would learn of it only when the
rollout times out.
"""

from __future__ import annotations

from collections.abc import Mapping

ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
AGENT_LEVEL = "privileged"
KNOWN_LEVELS = ("privileged", "baseline", "restricted")


def namespace_labels() -> dict[str, str]:
    """Labels for a namespace the stack creates, so a cluster-wide default cannot reject the
    agents."""
    return {ENFORCE_LABEL: AGENT_LEVEL}


def enforced_level(labels: Mapping[str, str] | None) -> str | None:
    """The namespace's enforce level; None when unlabelled (the cluster-wide default applies, which
    no API object shows). Admission treats an unknown value as the strictest level."""
    value = (labels or {}).get(ENFORCE_LABEL)
    if value is None:
        return None
    return value if value in KNOWN_LEVELS else "restricted"


def admission_problem(namespace: str, labels: Mapping[str, str] | None) -> str | None:
    """Why the namespace rejects agent pods, in the settings error form; None when it admits them
    or cannot be known from its labels."""
    level = enforced_level(labels)
    if level is None or level == AGENT_LEVEL:
        return None
    found = (labels or {})[ENFORCE_LABEL]
    return (
        f"cyperf-k8s:namespace: namespace {namespace!r} enforces Pod Security level {found!r} "
        f"(label {ENFORCE_LABEL}), which rejects the agents' NET_ADMIN, IPC_LOCK and NET_RAW "
        f"capabilities; allowed: a namespace enforcing {AGENT_LEVEL!r}: run `kubectl label "
        f"--overwrite namespace {namespace} {ENFORCE_LABEL}={AGENT_LEVEL}`, or set "
        f"cyperf-k8s:createNamespace to true with a namespace the stack creates (got {found!r})"
    )
