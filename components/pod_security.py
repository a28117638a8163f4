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

from components.settings.problems import KeyWarning, Problem, config_key

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


def admission_problem(namespace: str, labels: Mapping[str, str] | None) -> Problem | None:
    """Why the namespace rejects agent pods, at the `namespace` key; None when it admits them or
    cannot be known from its labels."""
    level = enforced_level(labels)
    if level is None or level == AGENT_LEVEL:
        return None
    found = (labels or {})[ENFORCE_LABEL]
    return Problem(
        ("namespace",),
        f"namespace {namespace!r} enforces Pod Security level {found!r} (label {ENFORCE_LABEL}), "
        "which rejects the agents' NET_ADMIN, IPC_LOCK and NET_RAW capabilities; allowed: a "
        f"namespace enforcing {AGENT_LEVEL!r}: run `kubectl label --overwrite namespace "
        f"{namespace} {ENFORCE_LABEL}={AGENT_LEVEL}`, or set {config_key(('createNamespace',))} "
        "to true with a namespace the stack creates",
        found,
    )


def unlabelled_warning(namespace: str, labels: Mapping[str, str] | None) -> KeyWarning | None:
    """Said of a namespace without an enforce label: its level cannot be known from the API."""
    if enforced_level(labels) is not None:
        return None
    return KeyWarning(
        ("namespace",),
        f"namespace {namespace!r} has no {ENFORCE_LABEL} label: the cluster's default Pod "
        "Security level applies, which no API object shows. If it is 'baseline' or 'restricted', "
        f"agent pods are rejected; label the namespace {ENFORCE_LABEL}={AGENT_LEVEL}.",
    )
