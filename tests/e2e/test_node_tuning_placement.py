"""The node-tuning DaemonSet spec on a real API server, DaemonSet controller and scheduler.

The spec is applied with kubectl (the stack does not register it yet): its pods land on exactly
the nodes the agents' selector and tolerations allow, and deleting it leaves no pod. The rig runs
no containers, so what the pods write to the kernel is not proven here (see
components/node_tuning.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.node_tuning import node_tuning_daemonset
from tests.e2e.conftest import CLIENT_NODES, Rig

pytestmark = pytest.mark.e2e

TAINT = "agenttype=client:NoSchedule"
TOLERATION = {"key": "agenttype", "operator": "Equal", "value": "client", "effect": "NoSchedule"}
SELECTOR = "cyperf-k8s/node-tuning=client"
# Its own namespace, deleted at the end: the stack tests that follow create `cyperf` themselves.
NAMESPACE = "node-tuning-e2e"


def apply(rig: Rig, daemonset: dict[str, Any]) -> None:
    manifest = rig.project / "node-tuning.json"
    manifest.write_text(json.dumps(daemonset))
    rig.run("kubectl", "apply", "--server-side", "-f", str(manifest))


def tuning_pods(rig: Rig) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = rig.kubectl_json("get", "pods", "-n", NAMESPACE, "-l", SELECTOR)[
        "items"
    ]
    return items


def tuning_nodes(rig: Rig) -> list[str]:
    return sorted(p["spec"].get("nodeName", "") for p in tuning_pods(rig))


def settle_on(rig: Rig, nodes: set[str]) -> None:
    rig.wait_for(
        lambda: (
            tuning_nodes(rig) == sorted(nodes)
            and all(p["status"].get("phase") == "Running" for p in tuning_pods(rig))
        ),
        f"node-tuning pods on exactly {sorted(nodes)}",
    )


def spec(tolerations: list[dict[str, str]]) -> dict[str, Any]:
    return node_tuning_daemonset(
        instance="client",
        namespace=NAMESPACE,
        node_selector={"agenttype": "client"},
        tolerations=tolerations,
        conntrack_max=450_000,
        time_wait_seconds=60,
    )


def test_the_daemonset_lands_on_exactly_the_agent_nodes_and_leaves_no_pod(rig: Rig) -> None:
    rig.run("kubectl", "create", "namespace", NAMESPACE)
    tainted = sorted(CLIENT_NODES)[0]
    rig.run("kubectl", "taint", "nodes", tainted, TAINT)
    try:
        apply(rig, spec(tolerations=[]))
        settle_on(rig, CLIENT_NODES - {tainted})  # no toleration: the tainted node is skipped
        apply(rig, spec(tolerations=[TOLERATION]))
        settle_on(rig, CLIENT_NODES)  # the agents' toleration: every client node, nothing else
        assert all(p["spec"]["hostNetwork"] is True for p in tuning_pods(rig))
        rig.run("kubectl", "delete", "daemonset", "-n", NAMESPACE, "cyperf-node-tuning-client")
        rig.wait_for(lambda: tuning_pods(rig) == [], "no node-tuning pod left")
    finally:
        rig.run("kubectl", "taint", "nodes", tainted, f"{TAINT}-", check=False)
        rig.run("kubectl", "delete", "namespace", NAMESPACE, "--wait=true", check=False)
