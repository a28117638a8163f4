"""From the stack settings to plans: groups sharing nodes, the vCPUs of EKS nodes, the plans the
stack refuses, the warnings at their group's key, and the controllerSetup output shape."""

from __future__ import annotations

from typing import Any

import pytest

from components.conntrack import plans as conntrack_plans
from components.conntrack.kernel import KUBE_PROXY_MIN
from components.conntrack.planner import RoleTraffic, plan
from components.conntrack.plans import plan_output
from components.settings.loading import parse_settings
from tests.components.conntrack.support import HIGH_RATE, groups
from tests.support.eks import eks_config, parse_eks
from tests.support.program import client, config_of, refused, server


def test_the_output_shape_is_stable() -> None:
    result = plan(RoleTraffic(name="c", agents=2, peak_connections_per_second=2400, node_vcpus=8))
    output = plan_output(result)
    assert output == {
        "requiredEntriesPerNode": 144_000,
        "headroom": 1.25,
        "requiredWithHeadroom": 180_000,
        "kubeProxyDefault": 262_144,
        "configuredMax": 262_144,
        "timeWaitSeconds": 120,
        "connectionsPerSecondPerNode": 1200,
        "concurrentConnectionsPerNode": 0,
        "warnings": [],
    }


def test_aws_plans_warn_about_security_group_tracking_and_unknown_types() -> None:
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
    warnings = [str(w) for w in conntrack_plans.warnings(settings, plans)]
    assert any("EC2 security groups track these connections" in w for w in warnings)
    assert any("instance types ['t3.large'] are not in the stack's table" in w for w in warnings)
    assert conntrack_plans.node_vcpus(settings, settings.agent_groups[0]) is None
    assert plans["client"].kube_proxy_default == KUBE_PROXY_MIN


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


def test_plan_warnings_are_at_the_groups_conntrack_key() -> None:
    settings = parse_settings(
        config_of(agentGroups=[server(service=None), client(replicas=3, conntrack=HIGH_RATE)])
    )
    warnings = conntrack_plans.warnings(settings, conntrack_plans.plans(settings))
    assert warnings and {w.path for w in warnings} == {("agentGroups", 1, "conntrack")}
    assert str(warnings[-1]) == (
        "cyperf-k8s:agentGroups[1].conntrack: client: set conntrack.nodeTuning: true to raise "
        "the table on the group's nodes to 175000 entries"
    )


def test_with_tuning_on_the_warning_is_the_gap_after_a_kube_proxy_restart() -> None:
    settings = parse_settings(
        config_of(conntrack={"nodeTuning": True}, agentGroups=groups(HIGH_RATE))
    )
    warnings = [str(w) for w in conntrack_plans.warnings(settings, conntrack_plans.plans(settings))]
    assert (
        "cyperf-k8s:agentGroups[0].conntrack: client: after a kube-proxy restart a node has "
        "kube-proxy's 131072 entries for up to 30 s until node tuning raises it again"
    ) in warnings
    assert not any("set conntrack.nodeTuning" in w for w in warnings)


def test_a_rate_beyond_the_widest_port_range_warns_at_the_rate() -> None:
    too_fast = {"peakConnectionsPerSecond": 2000}
    settings = parse_settings(config_of(agentGroups=[client(replicas=1, conntrack=too_fast)]))
    [port_warning] = [
        w
        for w in conntrack_plans.warnings(settings, conntrack_plans.plans(settings))
        if "local ports" in w.message
    ]
    assert port_warning.path == ("agentGroups", 0, "conntrack", "peakConnectionsPerSecond")
    assert port_warning.message.startswith(
        "client: about 120000 local ports per agent are needed at this rate, more than "
        "1024-65535 holds"
    )
    explicit = config_of(agentGroups=[client(conntrack=too_fast, localPortRange="2000-60000")])
    settings = parse_settings(explicit)
    warnings = conntrack_plans.warnings(settings, conntrack_plans.plans(settings))
    assert not any("local ports" in w.message for w in warnings)


REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "plan beyond the kernel",
        {"agentGroups": [client(conntrack={"peakConnectionsPerSecond": 20_000_000})]},
        "agentGroups[0].conntrack",
        "exceed the kernel's limit",
    ),
    (
        "tuning every node",
        {
            "conntrack": {"nodeTuning": True},
            "agentGroups": [client(nodeSelector={}, conntrack={"concurrentConnections": 10**6})],
        },
        "agentGroups[0].nodeSelector",
        "would tune every node",
    ),
]


@pytest.mark.parametrize(
    ("settings", "key", "allowed"), [pytest.param(s, k, a, id=case) for case, s, k, a in REFUSED]
)
def test_plans_the_stack_cannot_apply_are_rejected_before_any_resource(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    refused(settings, key, allowed)
