"""Running the program with conntrack plans: a client and a server group, the client's plan, and
the conntrack warnings among everything the program logs."""

from __future__ import annotations

import re
from typing import Any

from tests.support.program import StackRun, config_of, default_cluster_state, run_stack

DAEMONSET = "kubernetes:apps/v1:DaemonSet"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
COMPONENT = "cyperf-k8s:index:NodeTuning"
SERVICE_ENDPOINTS = {
    "cyperf-agent-service": {"subsets": [{"addresses": [{"ip": "10.244.1.5"}]}]},
}
TOLERATION = {"key": "dedicated", "operator": "Equal", "value": "cyperf", "effect": "NoSchedule"}
# 3000/s over 3 agents, one per node: 1000/s x 120 s + 20000 concurrent = 140000, x1.25.
HIGH_RATE = {"peakConnectionsPerSecond": 3000, "concurrentConnections": 60000}
# A warning about a group's conntrack keys, as components.warn logs it.
CONNTRACK_WARNING = re.compile(r"cyperf-k8s:agentGroups\[\d+\]\.conntrack\b")


def groups(client_plan: dict[str, Any] | None, **client: Any) -> list[dict[str, Any]]:
    first: dict[str, Any] = {"name": "client", "role": "client", "replicas": 3, **client}
    if client_plan is not None:
        first["conntrack"] = client_plan
    return [first, {"name": "server", "role": "server", "replicas": 2}]


def run(**settings: Any) -> StackRun:
    state = default_cluster_state(endpoints=SERVICE_ENDPOINTS)
    return run_stack(config_of(controllerAddress="10.0.0.9", **settings), state)


def conntrack_warnings(logged: list[str]) -> list[str]:
    return [w for w in logged if CONNTRACK_WARNING.match(w)]
