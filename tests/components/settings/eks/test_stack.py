"""The stack settings of `cluster: eks`: the EKS section's defaults and the checks between it and
the rest of the stack settings (agent groups, controller address, existing-cluster keys)."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.eks.cluster import cluster_dns_ip
from components.settings.eks.stack import EksStackSettings, controller_reached_through_nat
from components.settings.eks.versions import DEFAULT_KUBERNETES_VERSION
from components.settings.loading import parse_settings
from components.settings.stack import StackSettings
from tests.support.eks import eks_config, parse_eks
from tests.support.program import config_of, one_problem, rejected


def test_cluster_eks_without_an_eks_object_gets_the_defaults() -> None:
    settings = parse_settings(config_of(cluster="eks"))
    assert isinstance(settings, EksStackSettings)
    eks = settings.eks
    assert eks is not None
    assert eks.network.creates_vpc and eks.network.vpc_cidr == "10.0.0.0/16"
    assert eks.network.zone_count == 2 and eks.network.node_placement == "private"
    assert eks.cluster.kubernetes_version == DEFAULT_KUBERNETES_VERSION == "1.35"
    assert (
        eks.cluster.service_cidr == "10.100.0.0/16"
        and cluster_dns_ip(eks.cluster.service_cidr) == "10.100.0.10"
    )
    assert eks.cni.type == "aws-vpc-cni" and eks.cni.effective_pod_cidr is None
    assert eks.cni.effective_max_pods is None
    groups = eks.node_groups.by_role()
    assert sorted(groups) == ["client", "server"]
    for group in groups.values():
        assert group.instance_types == ["c5.2xlarge"]
        assert (group.min_size, group.desired_size, group.max_size) == (1, 1, 2)
        assert group.capacity_type == "ON_DEMAND" and group.architecture == "amd64"
        assert not group.dedicated
    assert eks.controller_security_group_id is None and eks.tags == {}


def test_existing_cluster_has_no_eks_section() -> None:
    settings = parse_settings({})
    assert type(settings) is StackSettings
    assert not hasattr(settings, "eks")


@pytest.mark.parametrize(
    ("eks", "address", "key"),
    [
        ({"cni": {"type": "calico-vxlan"}}, "192.168.1.10", "eks.cni.podCidr"),
        ({}, "10.100.3.4", "eks.cluster.serviceCidr"),
        ({"cni": {"type": "calico-vxlan"}}, "10.100.0.1", "eks.cluster.serviceCidr"),
    ],
)
def test_controller_address_outside_pod_and_service_cidrs(
    eks: dict[str, Any], address: str, key: str
) -> None:
    problem = one_problem(eks_config(eks, controllerAddress=address))
    assert problem.startswith(
        f"cyperf-k8s:{key}: contains controllerAddress {address}: agents would never reach the "
        "controller; choose a block without it (got "
    ), problem
    # The VPC CNI's pods take VPC addresses: a controller in 192.168.0.0/16 is fine there, and
    # a DNS name cannot be judged.
    assert parse_eks(eks_config({}, controllerAddress="192.168.1.10"))
    assert parse_eks(eks_config(eks, controllerAddress="controller.example.com"))


EXISTING_WITH_RULES = {
    "network": {
        "vpcId": "vpc-0123456789abcdef0",
        "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    },
    "controllerSecurityGroupId": "sg-0123456789abcdef0",
}


def test_existing_vpc_rules_accept_a_public_controller() -> None:
    # Handled by the NAT lookup before any resource (tests/components/eks/
    # test_controller_access.py).
    for address in ("203.0.113.10", "172.31.200.9", "controller.example.com"):
        settings = parse_eks(eks_config(EXISTING_WITH_RULES, controllerAddress=address))
        assert settings.controller_address == address
    assert controller_reached_through_nat(
        parse_eks(eks_config(EXISTING_WITH_RULES, controllerAddress="203.0.113.10"))
    )
    # Private (RFC 1918, shared 100.64/10) and DNS addresses keep the node security group rule;
    # a created VPC always uses its own NAT addresses.
    for address in ("172.31.200.9", "100.64.1.1", "controller.example.com"):
        assert not controller_reached_through_nat(
            parse_eks(eks_config(EXISTING_WITH_RULES, controllerAddress=address))
        )
    created = {"controllerSecurityGroupId": "sg-0123456789abcdef0"}
    assert not controller_reached_through_nat(
        parse_eks(eks_config(created, controllerAddress="203.0.113.10"))
    )


def test_eks_section_needs_cluster_eks() -> None:
    problem = one_problem(config_of(eks={"cni": {"type": "calico-vxlan"}}))
    assert problem.startswith("cyperf-k8s:eks: applies only with cluster 'eks'")
    assert "calico-vxlan" in problem


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("kubeContext", "kind-dev"),
        ("nodeLabels", {"node-1": "client"}),
        ("kubeconfig", "apiVersion: v1\nkind: Config\n"),
    ],
)
def test_existing_cluster_keys_are_refused_with_cluster_eks(key: str, value: Any) -> None:
    problem = one_problem(eks_config(None, **{key: value}))
    assert problem.startswith(
        f"cyperf-k8s:{key}: applies only with cluster 'existing' (cluster is 'eks': the stack "
        "builds the kubeconfig"
    )
    if key == "kubeconfig":
        assert "apiVersion" not in problem  # a secret is never echoed
        assert problem.endswith("(value hidden: it is a secret)"), problem


def test_agent_architecture_must_match_its_node_group() -> None:
    problem = one_problem(
        eks_config(
            None,
            agentGroups=[
                {"name": "client", "role": "client"},
                {"name": "server", "role": "server", "architecture": "arm64"},
            ],
        )
    )
    assert problem.startswith("cyperf-k8s:agentGroups[1].architecture: group 'server' runs arm64")
    assert "AL2023_x86_64_STANDARD" in problem and "(got 'arm64')" in problem


def test_arm64_groups_on_an_arm64_node_group_pass() -> None:
    settings = parse_settings(
        eks_config(
            {
                "nodeGroups": {
                    "server": {
                        "amiType": "BOTTLEROCKET_ARM_64",
                        "instanceTypes": ["c7g.2xlarge", "c6gn.2xlarge"],
                    }
                }
            },
            agentGroups=[
                {"name": "client", "role": "client"},
                {"name": "server", "role": "server", "architecture": "arm64"},
            ],
        )
    )
    assert settings.agent_groups[1].architecture == "arm64"


def test_one_agent_per_node_needs_enough_nodes() -> None:
    problem = one_problem(
        eks_config(
            {"nodeGroups": {"server": {"desiredSize": 2, "maxSize": 4}}},
            agentGroups=[
                {"name": "client", "role": "client"},
                {"name": "web", "role": "server", "replicas": 2},
                {"name": "dns", "role": "server", "replicas": 1, "service": None},
            ],
        )
    )
    assert problem.startswith("cyperf-k8s:eks.nodeGroups.server.desiredSize: 2 node(s) cannot")
    assert "['web', 'dns']" in problem and "at least 3" in problem and "(got 2)" in problem


def test_one_agent_per_node_off_lifts_the_node_count_check() -> None:
    settings = parse_settings(
        eks_config(
            None,
            agentGroups=[
                {"name": "client", "role": "client", "replicas": 4, "oneAgentPerNode": False},
                {"name": "server", "role": "server"},
            ],
        )
    )
    assert settings.agent_groups[0].replicas == 4


def test_agent_group_must_select_an_existing_node_group() -> None:
    problems = rejected(
        eks_config(
            {"nodeGroups": {"client": None}},
            agentGroups=[
                {"name": "client", "role": "client"},
                {"name": "server", "role": "server", "nodeSelector": {"tier": "dut"}},
            ],
        )
    )
    assert len(problems) == 2, problems
    assert problems[0].startswith("cyperf-k8s:agentGroups[0].role: group 'client' selects nodes")
    assert "(got 'client')" in problems[0]
    assert problems[1].startswith("cyperf-k8s:agentGroups[1].nodeSelector:")


def test_custom_node_selector_matches_node_group_labels() -> None:
    settings = parse_settings(
        eks_config(
            {"nodeGroups": {"server": {"labels": {"tier": "dut"}}}},
            agentGroups=[
                {"name": "client", "role": "client"},
                {"name": "server", "role": "server", "nodeSelector": {"tier": "dut"}},
            ],
        )
    )
    assert settings.agent_groups[1].node_selector == {"tier": "dut"}
