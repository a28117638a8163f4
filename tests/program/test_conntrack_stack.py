"""Issue 12 wired: what the program registers, warns and outputs for a conntrack plan, under mocks
(preview=False, every output resolved), and what the policy pack says about those inputs."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from components import conntrack, conntrack_plans, ec2_instances, node_tuning
from components.settings.loading import parse_settings
from policy.pack import POLICIES
from tests.policy.support import Res, run_resource
from tests.policy.support import run_stack as run_stack_policy
from tests.support.eks import eks_config, parse_eks, run_eks_stack
from tests.support.program import StackRun, config_of, default_cluster_state, run_stack

DAEMONSET = "kubernetes:apps/v1:DaemonSet"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
COMPONENT = "cyperf-k8s:index:NodeTuning"
SERVICE_ENDPOINTS = {
    "cyperf-agent-service": {"subsets": [{"addresses": [{"ip": "10.244.1.5"}]}]},
}
TOLERATION = {"key": "dedicated", "operator": "Equal", "value": "cyperf", "effect": "NoSchedule"}


def groups(client_plan: dict[str, Any] | None, **client: Any) -> list[dict[str, Any]]:
    first: dict[str, Any] = {"name": "client", "role": "client", "replicas": 3, **client}
    if client_plan is not None:
        first["conntrack"] = client_plan
    return [first, {"name": "server", "role": "server", "replicas": 2}]


def run(monkeypatch: pytest.MonkeyPatch, **settings: Any) -> tuple[StackRun, list[str]]:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda message, *a, **k: warnings.append(message))
    state = default_cluster_state(endpoints=SERVICE_ENDPOINTS)
    return run_stack(config_of(controllerAddress="10.0.0.9", **settings), state), warnings


# 3000/s over 3 agents, one per node: 1000/s x 120 s + 20000 concurrent = 140000, x1.25.
HIGH_RATE = {"peakConnectionsPerSecond": 3000, "concurrentConnections": 60000}


def test_tuning_on_registers_one_daemonset_where_the_agents_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack, _ = run(
        monkeypatch,
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


def test_tuning_off_registers_nothing_and_says_how_to_turn_it_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack, warnings = run(monkeypatch, agentGroups=groups(HIGH_RATE))
    assert stack.of_type(DAEMONSET) == []
    assert not [r for r in stack.resources if r.typ == COMPONENT]
    conntrack_warnings = [w for w in warnings if w.startswith("conntrack:")]
    assert any("needs 175000 conntrack entries per node" in w for w in conntrack_warnings)
    assert (
        "conntrack: client: set conntrack.nodeTuning: true to raise the table on the group's "
        "nodes to 175000 entries" in conntrack_warnings
    )
    assert not any("security groups" in w for w in conntrack_warnings)  # not on AWS
    setup = stack.exports["controllerSetup"]["conntrack"]
    assert set(setup) == {"client"}
    assert setup["client"]["nodeTuningDaemonSet"] is None
    assert setup["client"]["configuredMax"] == 175_000
    assert setup["client"]["requiredEntriesPerNode"] == 140_000
    assert setup["client"]["requiredWithHeadroom"] == 175_000
    assert setup["client"]["headroom"] == 1.25


def test_a_plan_below_kube_proxys_default_needs_no_daemonset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stack, warnings = run(
        monkeypatch,
        conntrack={"nodeTuning": True},
        agentGroups=groups({"concurrentConnections": 3000}),
    )
    assert stack.of_type(DAEMONSET) == []
    assert [w for w in warnings if w.startswith("conntrack:")] == []
    assert stack.exports["controllerSetup"]["conntrack"]["client"]["nodeTuningDaemonSet"] is None


def test_time_wait_alone_makes_a_daemonset_that_writes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    stack, _ = run(
        monkeypatch,
        conntrack={"nodeTuning": True, "timeWaitSeconds": 60},
        agentGroups=groups({"concurrentConnections": 3000}),
    )
    [daemonset] = stack.of_type(DAEMONSET)
    env = {
        e["name"]: e["value"]
        for e in daemonset.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["TIME_WAIT_SECONDS"] == "60"
    assert env["CONNTRACK_MAX"] == str(conntrack.KUBE_PROXY_MIN)


def test_client_agents_get_the_local_port_range_sysctl(monkeypatch: pytest.MonkeyPatch) -> None:
    stack, _ = run(monkeypatch, agentGroups=groups(HIGH_RATE))
    pod = stack.one(DEPLOYMENT, "agents-client").inputs["spec"]["template"]["spec"]
    # Beside the pod's seccomp profile, not instead of it.
    assert pod["securityContext"] == {
        "seccompProfile": {"type": "RuntimeDefault"},
        "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}],
    }
    server_pod = stack.one(DEPLOYMENT, "agents-server").inputs["spec"]["template"]["spec"]
    assert server_pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    assert stack.exports["controllerSetup"]["conntrack"]["client"]["localPortRange"] == (
        "1024 65535"
    )


def test_no_plan_leaves_outputs_and_pods_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    stack, warnings = run(monkeypatch, conntrack={"nodeTuning": True}, agentGroups=groups(None))
    assert "conntrack" not in stack.exports["controllerSetup"]
    assert stack.of_type(DAEMONSET) == []
    assert not any(w.startswith("conntrack:") for w in warnings)
    pod = stack.one(DEPLOYMENT, "agents-client").inputs["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}


def test_every_policy_accepts_what_the_program_registers(monkeypatch: pytest.MonkeyPatch) -> None:
    stack, _ = run(
        monkeypatch,
        conntrack={"nodeTuning": True, "timeWaitSeconds": 90},
        agentGroups=groups(HIGH_RATE),
    )
    workloads = stack.of_type(DAEMONSET) + stack.of_type(DEPLOYMENT)
    assert [r.typ for r in workloads].count(DAEMONSET) == 1
    checked = 0
    for policy in POLICIES:
        if isinstance(policy, ResourceValidationPolicy):
            for resource in workloads:
                assert run_resource(policy.validate, resource.typ, resource.inputs) == [], (
                    policy.name,
                    resource.name,
                )
                checked += 1
    assert checked == 5 * len(workloads)
    stack_resources = [
        Res(r.typ, r.name, r.inputs)
        for r in stack.resources
        if r.read_id is None and r.typ.startswith("kubernetes:")
    ]
    stack_policies = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]
    for policy in stack_policies:
        assert run_stack_policy(policy.validate, stack_resources).violations == [], policy.name
    # The host-access rule does read the DaemonSet: renamed, the same inputs are refused.
    [daemonset] = stack.of_type(DAEMONSET)
    renamed = {**daemonset.inputs, "metadata": {**daemonset.inputs["metadata"], "name": "x"}}
    [host_access] = [p for p in POLICIES if p.name == "host-access-only-node-tuning"]
    assert isinstance(host_access, ResourceValidationPolicy)
    assert run_resource(host_access.validate, DAEMONSET, renamed) != []


def test_aws_plans_warn_about_security_group_tracking_and_unknown_types(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = parse_eks(
        eks_config(
            {
                "nodeGroups": {
                    "client": {
                        "instanceTypes": ["c5.2xlarge", "t3.large"],
                        "desiredSize": 3,
                        "maxSize": 3,
                    },
                    "server": {"desiredSize": 2},
                }
            },
            agentGroups=groups(HIGH_RATE),
        )
    )
    plans = conntrack_plans.plans(settings)
    warnings = conntrack_plans.warnings(settings, plans)
    assert any("EC2 security groups track these connections" in w for w in warnings)
    assert any("instance types ['t3.large'] are not in the stack's table" in w for w in warnings)
    assert conntrack_plans.node_vcpus(settings, settings.agent_groups[0]) is None
    assert plans["client"].kube_proxy_default == conntrack.KUBE_PROXY_MIN


@pytest.mark.parametrize(
    ("instance_type", "vcpus"),
    [
        ("c5.large", 2),
        ("c5.xlarge", 4),
        ("c5.2xlarge", 8),
        ("c5.9xlarge", 36),
        ("m7g.16xlarge", 64),
        ("c5.metal", None),
        ("t3.large", None),
        ("c6g.medium", None),
        ("p4d.24xlarge", None),
    ],
)
def test_instance_vcpus_table(instance_type: str, vcpus: int | None) -> None:
    assert ec2_instances.instance_vcpus(instance_type) == vcpus


def test_groups_sharing_nodes_are_planned_together() -> None:
    settings = parse_settings(
        config_of(
            agentGroups=[
                {
                    "name": "a",
                    "role": "client",
                    "replicas": 2,
                    "oneAgentPerNode": False,
                    "conntrack": {"concurrentConnections": 100_000},
                },
                {
                    "name": "b",
                    "role": "client",
                    "replicas": 1,
                    "oneAgentPerNode": False,
                    "conntrack": {"concurrentConnections": 50_000},
                },
                {
                    "name": "c",
                    "role": "client",
                    "replicas": 4,
                    "conntrack": {"concurrentConnections": 40_000},
                },
            ]
        )
    )
    plans = conntrack_plans.plans(settings)
    # a and b may all land on one node; c is one agent per node, alone there.
    assert plans["a"].concurrent_connections_per_node == 150_000
    assert plans["b"].concurrent_connections_per_node == 150_000
    assert plans["c"].concurrent_connections_per_node == 10_000


def test_the_daemonset_name_fits_the_longest_group_name() -> None:
    assert len(node_tuning.daemonset_name("g" * 40)) <= 63
