"""The `eks` section as a whole: the checks between its parts."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings.eks.cluster import cluster_dns_ip
from tests.support.eks import NO_AGENTS, eks_config, eks_of, eks_settings, parse_eks
from tests.support.program import one_problem, refused


def test_camel_case_keys_reach_the_model() -> None:
    eks = parse_eks(
        eks_config(
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
                },
                "cluster": {
                    "kubernetesVersion": "1.33",
                    "adminPrincipalArns": ["arn:aws:iam::123456789012:role/Admin"],
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["198.51.100.0/24"],
                    "deletionProtection": True,
                    "serviceCidr": "172.20.0.0/16",
                },
                "cni": {"type": "aws-vpc-cni", "prefixDelegation": True, "mtu": 9001},
                "nodeGroups": {
                    "server": {
                        "instanceTypes": ["m7g.2xlarge"],
                        "amiType": "AL2023_ARM_64_STANDARD",
                        "capacityType": "SPOT",
                        "diskSize": 100,
                        "dedicated": True,
                        "labels": {"tier": "dut"},
                    }
                },
                "controllerSecurityGroupId": "sg-0123456789abcdef0",
                "tags": {"owner": "qa team", "cost-center": "42"},
            },
            agentGroups=[
                {"name": "client", "role": "client"},
                {"name": "server", "role": "server", "architecture": "arm64"},
            ],
        )
    ).eks
    assert eks is not None
    assert eks.network.vpc_id == "vpc-0123456789abcdef0" and not eks.network.creates_vpc
    assert (
        cluster_dns_ip(eks.cluster.service_cidr) == "172.20.0.10"
        and eks.cluster.deletion_protection
    )
    server = eks.node_groups.server
    assert server is not None and server.architecture == "arm64" and server.dedicated
    assert eks.controller_ingress_source == "nodeSecurityGroup"


@pytest.mark.parametrize(
    ("eks", "key", "fragment"),
    [
        (
            {"cluster": {"serviceCidr": "10.0.128.0/20"}},
            "eks.cluster.serviceCidr",
            "overlaps the VPC CIDR",
        ),
        (
            {"cni": {"type": "calico-vxlan", "podCidr": "10.0.0.0/16"}},
            "eks.cni.podCidr",
            "overlaps network.vpcCidr",
        ),
        (
            {"cni": {"type": "calico-vxlan", "podCidr": "10.100.0.0/20"}},
            "eks.cni.podCidr",
            "overlaps cluster.serviceCidr",
        ),
        (
            {"nodeGroups": {"client": {"dedicated": True}, "server": {"dedicated": True}}},
            "eks.nodeGroups.server.dedicated",
            "CoreDNS",
        ),
        (
            {"network": {"nodePlacement": "public"}, "controllerSecurityGroupId": "sg-01234567"},
            "eks.controllerSecurityGroupId",
            "changing public IPs",
        ),
        ({"clusterr": {}}, "eks.clusterr", "not a known setting"),
        (
            {"cni": {"maxPods": 110}},
            "eks.cni.maxPods",
            "at most 58 with the VPC CNI without prefixDelegation: the ENIs of ['c5.2xlarge'] "
            "hold {'c5.2xlarge': 58} pod addresses",
        ),
        (
            {"network": {"vpcCidr": "10.0.0.0/24"}},
            "eks.network.vpcCidr",
            "gives /26 subnets: with the VPC CNI up to 2 node(s) per subnet (maxSize over 2 "
            "zones) hold about 30 VPC addresses each",
        ),
        (
            {
                "cni": {"type": "calico-vxlan"},
                "nodeGroups": {"client": {"amiReleaseVersion": "1.35.0-20260120"}},
            },
            "eks.nodeGroups.client.amiReleaseVersion",
            "pulumi-eks drops releaseVersion); pin amiId instead",
        ),
        (
            {"nodeGroups": {"server": {"amiId": "ami-0123456789abcdef0"}}},
            "eks.nodeGroups.server.amiId",
            "(here EKS picks the AMI); pin amiReleaseVersion instead",
        ),
        (
            {
                "cni": {"type": "calico-vxlan"},
                "nodeGroups": {
                    "client": {"desiredSize": 0, "minSize": 0},
                    "server": {"desiredSize": 0, "minSize": 0},
                },
            },
            "eks.nodeGroups.server.desiredSize",
            "CoreDNS add-on is created after the node groups and needs a node",
        ),
        (
            {
                "nodeGroups": {
                    "client": {"dedicated": True},
                    "server": {"desiredSize": 0, "minSize": 0},
                },
            },
            "eks.nodeGroups.server.desiredSize",
            "every untainted node group is at 0 nodes while a dedicated (tainted) group has nodes",
        ),
        (
            {
                "cni": {"type": "calico-vxlan"},
                "nodeGroups": {
                    "client": {"desiredSize": 0, "minSize": 0},
                    "server": {"dedicated": True, "desiredSize": 2, "maxSize": 2},
                },
            },
            "eks.nodeGroups.client.desiredSize",
            "CoreDNS does not tolerate the agenttype taint",
        ),
        (
            {
                "nodeGroups": {
                    "client": {"desiredSize": 0, "minSize": 0},
                    "server": {"dedicated": True},
                },
            },
            "eks.nodeGroups.client.desiredSize",
            "give an undedicated group at least one node",
        ),
    ],
)
def test_bad_cross_section_settings_are_rejected_naming_the_key(
    eks: dict[str, Any], key: str, fragment: str
) -> None:
    refused(eks_settings(eks, agentGroups=NO_AGENTS), key, fragment)


def test_calico_mtu_limit_and_nodes_at_zero_are_fine_otherwise() -> None:
    assert parse_eks(eks_config({"cni": {"type": "calico-vxlan", "mtu": 8951}})).eks.cni.mtu == 8951
    # The VPC CNI has no VXLAN header, and its CoreDNS is EKS's own (no add-on to wait for).
    assert parse_eks(eks_config({"cni": {"mtu": 9001}})).eks.cni.mtu == 9001
    zero = {"desiredSize": 0, "minSize": 0}
    one_up = {"cni": {"type": "calico-vxlan"}, "nodeGroups": {"client": zero}}
    no_agents = [{"name": "c", "role": "client", "replicas": 0}]
    assert (
        parse_eks(eks_config(one_up, agentGroups=no_agents))
        .eks.node_groups.by_role()["client"]
        .desired_size
        == 0
    )
    vpc_cni = {"nodeGroups": {"client": zero, "server": zero}}
    assert parse_eks(eks_config(vpc_cni, agentGroups=no_agents)).eks.cni.type == "aws-vpc-cni"


def test_pod_capacity_within_limits_is_accepted() -> None:
    assert parse_eks(eks_config({"cni": {"maxPods": 58}})).eks.cni.max_pods == 58
    prefixes = {"cni": {"maxPods": 110, "prefixDelegation": True}}
    assert parse_eks(eks_config(prefixes)).eks.cni.max_pods == 110
    # Calico pods take overlay addresses; a /23 VPC gives /25 subnets, room for 2 nodes each.
    small = {"network": {"vpcCidr": "10.0.0.0/24"}}
    assert parse_eks(eks_config({**small, "cni": {"type": "calico-vxlan"}}))
    assert parse_eks(eks_config({"network": {"vpcCidr": "10.0.0.0/23"}}))
    assert parse_eks(eks_config({**small, "cni": {"prefixDelegation": True}}))


def test_node_groups_need_at_least_one_role() -> None:
    problem = one_problem(eks_config({"nodeGroups": {"client": None, "server": None}}))
    assert problem.startswith("cyperf-k8s:eks.nodeGroups: at least one")


def test_controller_ingress_source() -> None:
    assert eks_of().controller_ingress_source is None
    assert eks_of({"controllerSecurityGroupId": "sg-01234567"}).controller_ingress_source == (
        "natGateways"
    )
    existing = eks_of(
        {
            "controllerSecurityGroupId": "sg-01234567",
            "network": {
                "vpcId": "vpc-0123456789abcdef0",
                "nodePlacement": "public",
                "publicSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
            },
        }
    )
    assert existing.controller_ingress_source == "nodeSecurityGroup"


def test_in_cluster_ranges_are_the_service_and_calico_pod_cidrs() -> None:
    assert eks_of().in_cluster_ranges == {("cluster", "serviceCidr"): "10.100.0.0/16"}
    calico = eks_of({"cni": {"type": "calico-vxlan"}, "cluster": {"serviceCidr": "172.20.0.0/16"}})
    assert calico.in_cluster_ranges == {
        ("cluster", "serviceCidr"): "172.20.0.0/16",
        ("cni", "podCidr"): "192.168.0.0/16",
    }


def test_a_dedicated_group_beside_an_untainted_group_with_nodes_is_fine() -> None:
    """CoreDNS needs one untainted node: a dedicated group with nodes is fine beside it, and a
    dedicated group at 0 leaves nothing to refuse."""
    zero = {"desiredSize": 0, "minSize": 0}
    for groups in (
        {"client": {"dedicated": True}, "server": {}},
        {"client": {"dedicated": True, **zero}, "server": zero},
    ):
        config = eks_config({"nodeGroups": groups}, agentGroups=NO_AGENTS)
        assert parse_eks(config).eks.node_groups.by_role()["client"].dedicated
