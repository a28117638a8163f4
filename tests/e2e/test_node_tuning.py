"""Node tuning through the real `pulumi up` / `preview` / `destroy` on the local rig.

A stack with `conntrack.nodeTuning: true` and a client plan above kube-proxy's default: the
program's DaemonSet lands on exactly the client agents' nodes (a tainted one only through the
agents' own toleration), the plan is in the outputs, a second preview is empty, turning tuning off
removes it, and destroy leaves nothing. The rig runs no containers, so what the pods write to the
kernel is not proven on the rig (docs/conntrack.md gives the manual check on a real cluster).
"""

from __future__ import annotations

from typing import Any

import pytest

from components.conntrack.daemonset import daemonset_name
from tests.e2e.conftest import CLIENT_NODES, NAMESPACE, Rig, stack_of
from tests.e2e.test_stacks import example_config, nothing_of_the_stack_left

pytestmark = pytest.mark.e2e

TAINT = "agenttype=client:NoSchedule"
TOLERATION = {"key": "agenttype", "operator": "Equal", "value": "client", "effect": "NoSchedule"}
TUNING_PODS = "app.kubernetes.io/name=cyperf-node-tuning"
DAEMONSET = daemonset_name("client")
# 3000/s over 3 agents, one per node: 1000/s x 120 s + 20000 = 140000 entries, x1.25 = 175000,
# above kube-proxy's floor of 131072 (the rig's nodes declare no vCPUs to the stack).
PLAN = {"peakConnectionsPerSecond": 3000, "concurrentConnections": 60000}


def live(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def nodes_of(pods: list[dict[str, Any]]) -> list[str]:
    return sorted(p["spec"].get("nodeName", "") for p in pods)


def tuning_env(daemonset: dict[str, Any]) -> dict[str, str]:
    # The API server drops an empty value (TIME_WAIT_SECONDS when the kernel's timeout stays).
    env = daemonset["spec"]["template"]["spec"]["containers"][0]["env"]
    return {e["name"]: e.get("value", "") for e in env}


def running_on(rig: Rig, selector: str, nodes: set[str]) -> bool:
    pods = live(rig.pods(selector))
    return nodes_of(pods) == sorted(nodes) and all(
        p["status"].get("phase") == "Running" for p in pods
    )


def test_node_tuning_lands_on_exactly_the_agent_nodes_and_goes_away(rig: Rig) -> None:
    config = example_config("east-west")
    client = config["cyperf-k8s:agentGroups"][0]
    client.update(replicas=len(CLIENT_NODES), tolerations=[TOLERATION], conntrack=PLAN)
    config["cyperf-k8s:conntrack"] = {"nodeTuning": True}
    tainted = sorted(CLIENT_NODES)[0]
    rig.run("kubectl", "taint", "nodes", tainted, TAINT)
    try:
        with stack_of(rig, "node-tuning", config) as stack:
            rig.up(stack)
            rig.wait_for(
                lambda: running_on(rig, TUNING_PODS, CLIENT_NODES), f"tuning pods on {CLIENT_NODES}"
            )
            # Exactly where the client agents run: every client node, the tainted one included.
            clients = live(rig.pods("run=cyperf-agent-client"))
            tuning = live(rig.pods(TUNING_PODS))
            assert nodes_of(clients) == nodes_of(tuning) == sorted(CLIENT_NODES)
            everywhere = live(rig.kubectl_json("get", "pods", "-A", "-l", TUNING_PODS)["items"])
            assert {p["metadata"]["namespace"] for p in everywhere} == {NAMESPACE}
            assert nodes_of(everywhere) == sorted(CLIENT_NODES)  # no server or plain node
            daemonset = rig.kubectl_json("get", "daemonset", "-n", NAMESPACE, DAEMONSET)
            pod = daemonset["spec"]["template"]["spec"]
            assert tuning_env(daemonset)["CONNTRACK_MAX"] == "175000"
            assert pod["hostNetwork"] is True
            sysctls = [s for p in clients for s in p["spec"]["securityContext"]["sysctls"]]
            assert {s["value"] for s in sysctls} == {"1024 65535"}

            plan = rig.outputs(stack)["controllerSetup"]["conntrack"]["client"]
            assert plan["nodeTuningDaemonSet"] == DAEMONSET
            assert plan["configuredMax"] == 175_000
            assert plan["requiredEntriesPerNode"] == 140_000
            assert plan["kubeProxyDefault"] == 131_072
            rig.pulumi("preview", "--expect-no-changes", stack=stack)

            # Day two: a larger plan updates the DaemonSet in place; the agents are not touched.
            agent_uids = {p["metadata"]["uid"] for p in clients}
            rig.pulumi(
                "config",
                "set",
                "--path",
                "agentGroups[0].conntrack.peakConnectionsPerSecond",
                "6000",
                stack=stack,
            )
            rig.up(stack)
            daemonset = rig.kubectl_json("get", "daemonset", "-n", NAMESPACE, DAEMONSET)
            env = tuning_env(daemonset)
            assert env["CONNTRACK_MAX"] == "325000"  # (2000/s x 120 s + 20000) x 1.25
            rig.wait_for(
                lambda: running_on(rig, TUNING_PODS, CLIENT_NODES), "updated tuning pods running"
            )
            assert {p["metadata"]["uid"] for p in live(rig.pods("run=cyperf-agent-client"))} == (
                agent_uids
            )
            client_plan = rig.outputs(stack)["controllerSetup"]["conntrack"]["client"]
            assert client_plan["configuredMax"] == 325_000
            rig.pulumi("preview", "--expect-no-changes", stack=stack)

            # Tuning off removes the DaemonSet and its pods; the agents stay.
            rig.pulumi("config", "set", "--path", "conntrack.nodeTuning", "false", stack=stack)
            rig.up(stack)
            rig.wait_for(lambda: rig.pods(TUNING_PODS) == [], "no tuning pod left")
            assert rig.kubectl_json("get", "daemonsets", "-n", NAMESPACE)["items"] == []
            assert nodes_of(live(rig.pods("run=cyperf-agent-client"))) == sorted(CLIENT_NODES)
            assert (
                rig.outputs(stack)["controllerSetup"]["conntrack"]["client"]["nodeTuningDaemonSet"]
                is None
            )
            rig.pulumi("preview", "--expect-no-changes", stack=stack)

            # On again, then destroy: nothing of it is left anywhere.
            rig.pulumi("config", "set", "--path", "conntrack.nodeTuning", "true", stack=stack)
            rig.up(stack)
            rig.wait_for(lambda: running_on(rig, TUNING_PODS, CLIENT_NODES), "tuning pods back on")
            rig.remove_stack(stack)
            nothing_of_the_stack_left(rig)
            leftovers = rig.kubectl_json("get", "daemonsets,pods", "-A", "-l", TUNING_PODS)
            assert leftovers["items"] == []
    finally:
        rig.run("kubectl", "taint", "nodes", tainted, f"{TAINT}-", check=False)
