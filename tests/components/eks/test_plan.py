"""The EKS decisions as pure functions, without Pulumi: settings in, plain values and SDK arguments
out."""

from __future__ import annotations

import ipaddress
import itertools
import json
from typing import Any

import pytest

from components.eks import plan
from components.settings.problems import render
from tests.support.eks import eks_of

CALICO = {"cni": {"type": "calico-vxlan"}}


# --- network -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "zones"), [("10.0.0.0/16", 2), ("10.20.0.0/16", 3), ("10.9.0.0/22", 2)]
)
def test_subnets_split_the_vpc_without_overlap(cidr: str, zones: int) -> None:
    network = eks_of({"network": {"vpcCidr": cidr, "availabilityZoneCount": zones}}).network
    subnets = plan.subnet_plan(network)
    assert [s.public for s in subnets] == [True] * zones + [False] * zones
    assert [s.zone_index for s in subnets] == list(range(zones)) * 2
    blocks = [ipaddress.IPv4Network(s.cidr) for s in subnets]
    vpc = ipaddress.IPv4Network(cidr)
    assert all(b.subnet_of(vpc) for b in blocks)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(blocks, 2))
    assert len({b.prefixlen for b in blocks}) == 1


def test_default_subnets() -> None:
    assert [s.cidr for s in plan.subnet_plan(eks_of().network)] == [
        "10.0.0.0/18",
        "10.0.64.0/18",
        "10.0.128.0/18",
        "10.0.192.0/18",
    ]


def test_subnet_tags_mark_load_balancer_subnets() -> None:
    assert plan.subnet_tags(True) == {"kubernetes.io/role/elb": "1"}
    assert plan.subnet_tags(False) == {"kubernetes.io/role/internal-elb": "1"}


@pytest.mark.parametrize(
    ("network", "nats", "routes"),
    [
        ({}, [0], [0, 0]),
        ({"natGateways": "onePerAz", "availabilityZoneCount": 3}, [0, 1, 2], [0, 1, 2]),
        ({"nodePlacement": "public"}, [], [None, None]),
        (
            {
                "vpcId": "vpc-0123456789abcdef0",
                "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
            },
            [],
            [None, None],
        ),
    ],
)
def test_nat_gateways(network: dict[str, Any], nats: list[int], routes: list[int | None]) -> None:
    settings = eks_of({"network": network}).network
    assert plan.nat_zone_indexes(settings) == nats
    assert [plan.private_route_nat(settings, z) for z in range(len(routes))] == routes


def test_existing_vpc_overlaps_are_named() -> None:
    eks = eks_of(
        {
            **CALICO,
            "network": {
                "vpcId": "vpc-0123456789abcdef0",
                "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
            },
        }
    )
    assert plan.vpc_overlap_problems(["172.31.0.0/16"], eks) == []
    problems = plan.vpc_overlap_problems(["172.31.0.0/16", "192.168.64.0/18"], eks)
    assert [render(p) for p in problems] == [
        "cyperf-k8s:eks.cni.podCidr: overlaps the CIDR '192.168.64.0/18' of VPC "
        "vpc-0123456789abcdef0; choose a block outside the VPC (got '192.168.0.0/16')"
    ]
    assert render(plan.vpc_overlap_problems(["10.100.0.0/16"], eks)[0]).startswith(
        "cyperf-k8s:eks.cluster.serviceCidr: overlaps the CIDR '10.100.0.0/16'"
    )


# --- cluster -----------------------------------------------------------------------------------


def test_vpc_cni_cluster_args() -> None:
    args = plan.cluster_args(eks_of({"cni": {"prefixDelegation": True, "mtu": 9001}}), "c1")
    assert args["name"] == "c1"
    assert args["version"] == "1.35"
    assert args["authentication_mode"] == "API"
    assert args["skip_default_node_group"] is True
    assert args["bootstrap_self_managed_addons"] is True
    assert "use_default_vpc_cni" not in args  # unset: the component makes the vpc-cni add-on
    # The SDK's defaults, written out (its TypedDicts default nothing).
    assert args["vpc_cni_options"] == {
        "resolve_conflicts_on_create": "OVERWRITE",
        "resolve_conflicts_on_update": "OVERWRITE",
        "enable_prefix_delegation": True,
        "eni_mtu": 9001,
    }
    assert args["coredns_addon_options"] == {
        "enabled": False,
        "resolve_conflicts_on_create": "OVERWRITE",
        "resolve_conflicts_on_update": "OVERWRITE",
    }
    assert args["kubernetes_service_ip_address_range"] == "10.100.0.0/16"
    assert args["endpoint_public_access"] is True and args["endpoint_private_access"] is True
    assert args["public_access_cidrs"] == ["0.0.0.0/0"]
    assert args["deletion_protection"] is False


def test_calico_cluster_args() -> None:
    args = plan.cluster_args(eks_of(CALICO), "c2")
    assert args["bootstrap_self_managed_addons"] is False
    assert args["use_default_vpc_cni"] is True
    assert "vpc_cni_options" not in args


def test_cluster_args_carry_tags_endpoint_and_admins() -> None:
    args = plan.cluster_args(
        eks_of(
            {
                "cluster": {
                    "endpointPublicAccess": False,
                    "deletionProtection": True,
                    "adminPrincipalArns": [
                        "arn:aws:iam::123456789012:role/Admin",
                        "arn:aws-us-gov:iam::123456789012:user/ops",
                    ],
                },
                "tags": {"owner": "qa"},
            }
        ),
        "c3",
    )
    assert args["endpoint_public_access"] is False and args["public_access_cidrs"] is None
    assert args["deletion_protection"] is True
    assert args["tags"] == {"owner": "qa"}
    assert args["access_entries"] == {
        # Keyed by the principal (a digest of the ARN), not by list position.
        "admin-1170598fd2ae": {
            "principal_arn": "arn:aws:iam::123456789012:role/Admin",
            "access_policies": {
                "cluster-admin": {
                    "policy_arn": "arn:aws:eks::aws:cluster-access-policy/"
                    "AmazonEKSClusterAdminPolicy",
                    "access_scope": {"type": "cluster"},
                }
            },
        },
        "admin-2059558c4572": {
            "principal_arn": "arn:aws-us-gov:iam::123456789012:user/ops",
            "access_policies": {
                "cluster-admin": {
                    "policy_arn": "arn:aws-us-gov:eks::aws:cluster-access-policy/"
                    "AmazonEKSClusterAdminPolicy",
                    "access_scope": {"type": "cluster"},
                }
            },
        },
    }


def test_cni_is_part_of_the_cluster_resource_name() -> None:
    assert plan.cluster_resource_name(eks_of().cni) == "eks-aws-vpc-cni"
    assert plan.cluster_resource_name(eks_of(CALICO).cni) == "eks-calico-vxlan"


def test_physical_name_changes_with_every_create_only_input() -> None:
    variants = [
        eks_of(),
        eks_of(CALICO),
        eks_of({"cluster": {"serviceCidr": "172.20.0.0/16"}}),
        eks_of({**CALICO, "cluster": {"serviceCidr": "172.20.0.0/16"}}),
    ]
    names = [plan.cluster_physical_name("dev", eks) for eks in variants]
    assert len(set(names)) == len(names), names
    assert names[0].startswith("cyperf-dev-vpccni-") and names[1].startswith("cyperf-dev-calico-")


def test_physical_name_ignores_in_place_changes_and_is_valid() -> None:
    base = plan.cluster_physical_name("dev", eks_of())
    # Updatable in place: version, endpoint, node groups, tags must not rename the cluster.
    same = eks_of(
        {
            "cluster": {"kubernetesVersion": "1.35", "endpointPrivateAccess": False},
            "nodeGroups": {"client": {"desiredSize": 2}},
            "tags": {"a": "b"},
            "cni": {"prefixDelegation": True},
        }
    )
    assert plan.cluster_physical_name("dev", same) == base
    odd = plan.cluster_physical_name("team.eu_west/" + "x" * 200, eks_of())
    assert len(odd) <= 100
    assert odd[0].isalnum() and all(c.isalnum() or c == "-" for c in odd)


# --- CNI ---------------------------------------------------------------------------------------


def test_calico_values_are_vxlan_without_bgp() -> None:
    values = plan.calico_values(eks_of({"cni": {"type": "calico-vxlan", "mtu": 8951}}).cni)
    installation = values["installation"]
    assert installation["kubernetesProvider"] == "EKS"
    assert installation["cni"] == {"type": "Calico"}
    network = installation["calicoNetwork"]
    assert network["bgp"] == "Disabled" and network["mtu"] == 8951
    assert network["ipPools"] == [
        {
            "name": "default-ipv4-ippool",
            "cidr": "192.168.0.0/16",
            "encapsulation": "VXLAN",
            "natOutgoing": "Enabled",
            "nodeSelector": "all()",
            "blockSize": 26,
        }
    ]


# --- node groups -------------------------------------------------------------------------------


def test_node_group_args_vpc_cni() -> None:
    eks = eks_of({"tags": {"owner": "qa"}})
    assert eks.node_groups.client is not None
    args = plan.node_group_args("client", eks.node_groups.client, eks)
    assert args == {
        "instance_types": ["c5.2xlarge"],
        "scaling_config": {"desired_size": 1, "min_size": 1, "max_size": 2},
        "capacity_type": "ON_DEMAND",
        "ami_type": "AL2023_x86_64_STANDARD",
        "disk_size": 50,
        "labels": {"agenttype": "client"},
        "taints": [],
        "enable_imd_sv2": True,
        "tags": {"owner": "qa", "cyperf-k8s/role": "client"},
    }


def test_node_group_args_calico_raise_max_pods_and_taint() -> None:
    eks = eks_of({**CALICO, "nodeGroups": {"server": {"dedicated": True, "labels": {"x": "y"}}}})
    assert eks.node_groups.server is not None
    args = plan.node_group_args("server", eks.node_groups.server, eks)
    assert args["labels"] == {"x": "y", "agenttype": "server"}
    assert args["taints"] == [{"key": "agenttype", "value": "server", "effect": "NO_SCHEDULE"}]
    [option] = args["nodeadm_extra_options"]
    assert option["content_type"] == "application/node.eks.aws"
    assert isinstance(option["content"], str)
    assert json.loads(option["content"]) == {
        "apiVersion": "node.eks.aws/v1alpha1",
        "kind": "NodeConfig",
        "spec": {"kubelet": {"config": {"maxPods": 110}}},
    }


@pytest.mark.parametrize(
    ("ami_type", "expected"),
    [
        (
            "BOTTLEROCKET_ARM_64",
            {"bottlerocket_settings": {"settings": {"kubernetes": {"max-pods": 64}}}},
        ),
    ],
)
def test_max_pods_per_node_os(ami_type: str, expected: dict[str, Any]) -> None:
    assert plan.max_pods_args(ami_type, 64) == expected
    assert plan.max_pods_args(ami_type, None) == {}


def test_tolerations_follow_dedicated_taints() -> None:
    assert plan.tolerations_by_role(eks_of()) == {}
    eks = eks_of({"nodeGroups": {"client": {"dedicated": True}}})
    assert plan.tolerations_by_role(eks) == {
        "client": [
            {"key": "agenttype", "operator": "Equal", "value": "client", "effect": "NoSchedule"}
        ]
    }


def test_node_role_policies_per_cni() -> None:
    assert plan.node_role_policies(eks_of().cni) == [
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEKS_CNI_Policy",
    ]
    assert "AmazonEKS_CNI_Policy" not in plan.node_role_policies(eks_of(CALICO).cni)
