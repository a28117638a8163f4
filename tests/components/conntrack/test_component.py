"""The NodeTuning component as the program registers it: one DaemonSet per tuned group, a child
of the component, on the agents' provider, after what the agents wait for, with exactly their
node selector and tolerations."""

from __future__ import annotations

from tests.components.conntrack.support import (
    COMPONENT,
    DAEMONSET,
    DEPLOYMENT,
    HIGH_RATE,
    TOLERATION,
    groups,
    run,
)
from tests.support.eks import eks_config, run_eks_stack


def test_tuning_on_registers_one_daemonset_where_the_agents_run() -> None:
    stack = run(
        conntrack={"nodeTuning": True, "intervalSeconds": 15},
        agentGroups=groups(HIGH_RATE, tolerations=[TOLERATION]),
    )
    [daemonset] = stack.of_type(DAEMONSET)
    agents = stack.one(DEPLOYMENT, "agents-client")
    pod = daemonset.inputs["spec"]["template"]["spec"]
    agent_pod = agents.inputs["spec"]["template"]["spec"]
    assert daemonset.inputs["metadata"]["name"] == "cyperf-node-tuning-client"
    assert daemonset.inputs["metadata"]["namespace"] == "cyperf"
    assert daemonset.inputs["metadata"]["annotations"] == {"pulumi.com/timeoutSeconds": "300"}
    assert pod["nodeSelector"] == agent_pod["nodeSelector"] == {"agenttype": "client"}
    assert pod["tolerations"] == agent_pod["tolerations"] == [TOLERATION]
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    assert env["CONNTRACK_MAX"] == str(175_000)
    assert env["TIME_WAIT_SECONDS"] == ""  # not set: the kernel keeps its 120 s
    assert env["INTERVAL_SECONDS"] == "15"
    # A child of its component, on the agents' provider, after the agents' namespace.
    [component] = [r for r in stack.resources if r.typ == COMPONENT]
    assert daemonset.parent == component.urn
    assert daemonset.provider == agents.provider
    namespace = stack.one("kubernetes:core/v1:Namespace", "agents-namespace")
    assert namespace.urn in daemonset.dependencies
    outputs = stack.component_outputs[component.urn]
    assert outputs == {"daemonsets": {"client": "cyperf-node-tuning-client"}}


def test_tuning_on_the_eks_path_carries_the_dedicated_taint_toleration() -> None:
    config = eks_config(
        {
            "nodeGroups": {
                "client": {"dedicated": True, "desiredSize": 3, "maxSize": 3},
                "server": {"desiredSize": 2},
            }
        },
        conntrack={"nodeTuning": True},
        # 2000/s x 120 s + 20000 per node = 260000, x1.25: above c5.2xlarge's 262144.
        agentGroups=groups({"peakConnectionsPerSecond": 6000, "concurrentConnections": 60000}),
    )
    stack = run_eks_stack(config)
    [daemonset] = stack.of_type(DAEMONSET)
    agents = stack.one(DEPLOYMENT, "agents-client")
    pod = daemonset.inputs["spec"]["template"]["spec"]
    tolerations = agents.inputs["spec"]["template"]["spec"]["tolerations"]
    assert pod["tolerations"] == tolerations
    assert [t["key"] for t in tolerations] == ["agenttype"]
    # The node groups are among what the DaemonSet waits for, as the agents do.
    node_groups = {r.urn for r in stack.resources if r.typ == "eks:index:ManagedNodeGroup"}
    assert node_groups and node_groups <= set(daemonset.dependencies)
    assert node_groups <= set(agents.dependencies)
    # c5.2xlarge (the default type) has 8 vCPUs: kube-proxy gives it 262144 entries.
    setup = stack.exports["controllerSetup"]["conntrack"]["client"]
    assert setup["nodeVcpus"] == 8
    assert setup["kubeProxyDefault"] == 262_144
    assert setup["configuredMax"] == 325_000
    assert setup["nodeTuningDaemonSet"] == "cyperf-node-tuning-client"
    assert any("EC2 security groups" in w for w in setup["warnings"])
