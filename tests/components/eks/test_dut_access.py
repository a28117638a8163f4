"""Rules on the node security group from the DUT to the server agents' ports."""

from __future__ import annotations

from typing import Any

from components.eks.dut_access import dut_ports
from tests.support.eks import (
    EXISTING_NETWORK,
    INGRESS,
    NODE_SECURITY_GROUP,
    eks_config,
    eks_settings,
    parse_eks,
    run_provision,
)
from tests.support.program import client, refused, server

CALICO = {"cni": {"type": "calico-vxlan"}}
GROUPS = [
    client(),
    server(
        service={
            "name": "edge",
            "type": "NodePort",
            "ports": [
                {"port": 80, "targetPort": 80, "nodePort": 30080},
                {"name": "https", "port": 443, "targetPort": 443},
            ],
        }
    ),
    server(
        name="inside",
        replicas=0,
        service={
            "name": "inside",
            "ports": [{"port": 8080, "targetPort": 8080, "protocol": "UDP"}],
        },
    ),
]


def _ports(eks: dict[str, Any]) -> list[tuple[str, int, int]]:
    settings = parse_eks(eks_config(eks, agentGroups=GROUPS))
    return [(p.protocol, p.from_port, p.to_port) for p in dut_ports(settings, settings.eks)]


def test_ports_with_the_vpc_cni_include_the_pod_ports() -> None:
    assert _ports({}) == [
        ("tcp", 80, 80),  # pod port
        ("tcp", 443, 443),
        ("tcp", 30000, 32767),  # https has no fixed node port: Kubernetes picks one
        ("tcp", 30080, 30080),
        ("udp", 8080, 8080),  # a ClusterIP Service: its pods only
    ]


def test_ports_with_calico_are_node_ports_only() -> None:
    """Calico pod IPs are an overlay the VPC cannot route to."""
    assert _ports(CALICO) == [("tcp", 30000, 32767), ("tcp", 30080, 30080)]


def test_the_dut_source_opens_the_server_ports_on_the_node_security_group() -> None:
    run = run_provision(
        eks_config(
            {
                **CALICO,
                "network": {
                    # A group of the VPC the nodes are in (the only kind a rule may reference
                    # without peering).
                    **EXISTING_NETWORK,
                    "dutSourceCidrs": ["10.20.0.0/24"],
                    "dutSourceSecurityGroupId": "sg-0d0d0d0d0d0d0d0d0",
                },
                "tags": {"owner": "qa"},
            },
            agentGroups=GROUPS,
        )
    )
    rules = [r for r in run.of_type(INGRESS) if r.name.startswith("eks-dut-access-")]
    assert len(rules) == 4
    assert sorted(
        (
            r.inputs.get("cidrIpv4") or r.inputs["referencedSecurityGroupId"],
            r.inputs["fromPort"],
            r.inputs["toPort"],
        )
        for r in rules
    ) == [
        ("10.20.0.0/24", 30000.0, 32767.0),
        ("10.20.0.0/24", 30080.0, 30080.0),
        ("sg-0d0d0d0d0d0d0d0d0", 30000.0, 32767.0),
        ("sg-0d0d0d0d0d0d0d0d0", 30080.0, 30080.0),
    ]
    for rule in rules:
        assert rule.inputs["securityGroupId"] == NODE_SECURITY_GROUP
        assert rule.inputs["ipProtocol"] == "tcp"
        assert rule.inputs["tags"] == {"owner": "qa"}


def test_no_dut_rules_without_a_dut_source() -> None:
    run = run_provision(eks_config(CALICO, agentGroups=GROUPS))
    assert [r.name for r in run.of_type(INGRESS) if r.name.startswith("eks-dut-access-")] == []


def test_a_dut_source_without_server_ports_warns(logged_warnings: list[str]) -> None:
    run_provision(
        eks_config(
            {**CALICO, "network": {"dutSourceCidrs": ["10.20.0.0/24"]}},
            agentGroups=[client(), server(name="inside", replicas=0, service={"name": "inside"})],
        )
    )
    assert [w for w in logged_warnings if "dutSourceCidrs" in w] == [
        "cyperf-k8s:eks.network.dutSourceCidrs: no server group has a Service whose ports the "
        "DUT could reach (with Calico only node ports: type NodePort or LoadBalancer): no rule "
        "is added"
    ]


def test_a_bad_dut_source_is_refused() -> None:
    refused(
        eks_settings({"network": {"dutSourceSecurityGroupId": "dut"}}),
        "eks.network.dutSourceSecurityGroupId",
        "sg-",
    )
