"""The `eks` settings section: defaults, and every rejection naming the key, the value and what is
allowed (as `cyperf-k8s:eks.<path>: <message> (got <value>)`)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from components import ec2_instances as instances
from components.settings.eks import versions
from components.settings.eks.cluster import cluster_dns_ip
from components.settings.eks.fields import instance_architecture
from components.settings.eks.stack import EksStackSettings, controller_reached_through_nat
from components.settings.eks.versions import DEFAULT_CALICO_VERSION, DEFAULT_KUBERNETES_VERSION
from components.settings.loading import parse_settings
from components.settings.problems import Problems
from components.settings.stack import StackSettings
from tests.support.eks import eks_config, parse_eks
from tests.support.program import config_of


def rejected(config: dict[str, str]) -> list[str]:
    with pytest.raises(Problems) as caught:
        parse_settings(config)
    return caught.value.lines


def one_problem(config: dict[str, str]) -> str:
    problems = rejected(config)
    assert len(problems) == 1, problems
    return problems[0]


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


def test_calico_defaults() -> None:
    eks = parse_eks(eks_config({"cni": {"type": "calico-vxlan"}})).eks
    assert eks.cni.effective_pod_cidr == "192.168.0.0/16"
    assert eks.cni.effective_max_pods == 110
    assert eks.cni.calico_version == DEFAULT_CALICO_VERSION


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
        ({"network": {"vpcId": "vpc-0123456789abcdef0\n"}}, "eks.network.vpcId", "vpc-"),
        (
            {"nodeGroups": {"server": {"amiId": "ami-0123456789abcdef0\n"}}},
            "eks.nodeGroups.server.amiId",
            "an AMI id such as",
        ),
        (
            {"nodeGroups": {"server": {"instanceTypes": ["c5.2xlarge\n"]}}},
            "eks.nodeGroups.server.instanceTypes[0]",
            "",
        ),
        (
            {"network": {"availabilityZoneIds": ["use1-az\u0661", "use1-az2"]}},
            "eks.network.availabilityZoneIds[0]",
            "",
        ),
        ({"cni": {"calicoVersion": "v3.32.1\n"}}, "eks.cni.calicoVersion", ""),
        ({"tags": {"owner\n": "qa"}}, "eks.tags", "tag key"),
        ({"tags": {"owner": "q\ta"}}, "eks.tags", "tag 'owner' value"),
    ],
)
def test_eks_patterns_match_whole_ascii_values(
    eks: dict[str, Any], key: str, fragment: str
) -> None:
    """A trailing newline, a tab or another script's digit never passes (fullmatch, re.ASCII)."""
    problem = one_problem(eks_config(eks))
    assert problem.startswith(f"cyperf-k8s:{key}: "), problem
    assert fragment in problem, problem


def test_tags_may_use_letters_of_any_script() -> None:
    assert parse_eks(eks_config({"tags": {"Eigentümer": "Qualitätssicherung"}})).eks.tags == {
        "Eigentümer": "Qualitätssicherung"
    }


@pytest.mark.parametrize(
    ("eks", "key", "fragment"),
    [
        # network
        ({"network": {"vpcCidr": "10.0.0.1/16"}}, "eks.network.vpcCidr", "'10.0.0.0/16'"),
        ({"network": {"vpcCidr": "8.8.0.0/16"}}, "eks.network.vpcCidr", "private range"),
        ({"network": {"vpcCidr": "10.0.0.0/26"}}, "eks.network.vpcCidr", "/16 to /24"),
        (
            {"network": {"vpcCidr": "10.0.0.0/24", "availabilityZoneCount": 3}},
            "eks.network.vpcCidr",
            "too small",
        ),
        ({"network": {"availabilityZoneCount": 1}}, "eks.network.availabilityZoneCount", "2"),
        (
            {"network": {"availabilityZones": ["us-east-1a"]}},
            "eks.network.availabilityZones",
            "at least two",
        ),
        (
            {"network": {"availabilityZones": ["us-east-1a", "nowhere"]}},
            "eks.network.availabilityZones[1]",
            "us-east-1a",
        ),
        (
            {
                "network": {
                    "availabilityZones": ["us-east-1a", "us-east-1b"],
                    "availabilityZoneCount": 2,
                }
            },
            "eks.network.availabilityZoneCount",
            "give only one of availabilityZones, availabilityZoneIds and availabilityZoneCount",
        ),
        (
            {
                "network": {
                    "availabilityZones": ["us-east-1a", "us-east-1b"],
                    "availabilityZoneIds": ["use1-az1", "use1-az2"],
                }
            },
            "eks.network.availabilityZoneIds",
            "give only one of",
        ),
        (
            {"network": {"availabilityZoneIds": ["use1-az1", "us-east-1b"]}},
            "eks.network.availabilityZoneIds[1]",
            "an availability zone ID such as 'use1-az1'",
        ),
        (
            {"network": {"availabilityZoneIds": ["use1-az1", "use1-az1"]}},
            "eks.network.availabilityZoneIds",
            "at least two distinct",
        ),
        (
            {"network": {"availabilityZoneIds": ["use1-az3", "use1-az1"]}},
            "eks.network.availabilityZoneIds[0]",
            "EKS cannot place cluster subnets in zones ['use1-az3', 'usw1-az2', 'cac1-az3']",
        ),
        (
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
                    "availabilityZoneIds": ["use1-az1", "use1-az2"],
                }
            },
            "eks.network.availabilityZoneIds",
            "applies only with a VPC the stack creates (vpcId is 'vpc-0123456789abcdef0'); "
            "remove it",
        ),
        ({"network": {"vpcId": "vpc-12"}}, "eks.network.vpcId", "vpc-0123456789abcdef0"),
        (
            {"network": {"vpcId": "vpc-0123456789abcdef0"}},
            "eks.network.privateSubnetIds",
            "is required with vpcId",
        ),
        (
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "nodePlacement": "public",
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
                }
            },
            "eks.network.publicSubnetIds",
            "is required with vpcId and nodePlacement 'public'",
        ),
        (
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1"],
                }
            },
            "eks.network.privateSubnetIds",
            "at least two availability zones",
        ),
        (
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "vpcCidr": "10.1.0.0/16",
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
                }
            },
            "eks.network.vpcCidr",
            "only with a VPC the stack creates",
        ),
        (
            {"network": {"privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1"]}},
            "eks.network.privateSubnetIds",
            "applies only with vpcId (without it the stack creates the VPC and its subnets)",
        ),
        (
            {"network": {"privateSubnetIds": ["subnet-1"]}},
            "eks.network.privateSubnetIds[0]",
            "subnet-0123456789abcdef0",
        ),
        ({"network": {"nodePlacement": "dmz"}}, "eks.network.nodePlacement", "'private'"),
        # cluster
        ({"cluster": {"kubernetesVersion": "1.20"}}, "eks.cluster.kubernetesVersion", "1.35"),
        (
            {"cluster": {"kubernetesVersion": "1.31"}},
            "eks.cluster.kubernetesVersion",
            "EKS support for 1.31 ended on 2026-11-26",
        ),
        (
            {"cluster": {"kubernetesVersion": "1.30"}},
            "eks.cluster.kubernetesVersion",
            "EKS support for 1.30 ended on 2026-07-23",
        ),
        ({"cluster": {"kubernetesVersion": 1.34}}, "eks.cluster.kubernetesVersion", "string"),
        (
            {"cluster": {"adminPrincipalArns": ["arn:aws:sts::123456789012:assumed-role/A/s"]}},
            "eks.cluster.adminPrincipalArns[0]",
            "IAM role or user ARN",
        ),
        (
            {"cluster": {"publicAccessCidrs": ["198.51.100.7"]}},
            "eks.cluster.publicAccessCidrs[0]",
            "prefix length",
        ),
        (
            {"cluster": {"publicAccessCidrs": ["nonsense"]}},
            "eks.cluster.publicAccessCidrs[0]",
            "IPv4 CIDR",
        ),
        (
            {"cluster": {"endpointPublicAccess": False, "endpointPrivateAccess": False}},
            "eks.cluster.endpointPublicAccess",
            "public or private access",
        ),
        (
            {"cluster": {"endpointPublicAccess": False, "publicAccessCidrs": ["10.0.0.0/8"]}},
            "eks.cluster.publicAccessCidrs",
            "only with endpointPublicAccess true",
        ),
        ({"cluster": {"serviceCidr": "100.64.0.0/16"}}, "eks.cluster.serviceCidr", "private"),
        ({"cluster": {"serviceCidr": "10.0.0.0/8"}}, "eks.cluster.serviceCidr", "/12 to /24"),
        (
            {"cluster": {"serviceCidr": "10.0.128.0/20"}},
            "eks.cluster.serviceCidr",
            "overlaps the VPC CIDR",
        ),
        # cni
        ({"cni": {"type": "cilium"}}, "eks.cni.type", "'aws-vpc-cni' or 'calico-vxlan'"),
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
        ({"cni": {"type": "calico-vxlan", "podCidr": "10.8.0.0/28"}}, "eks.cni.podCidr", "/24"),
        (
            {"cni": {"podCidr": "172.16.0.0/16"}},
            "eks.cni.podCidr",
            "applies only with cni type 'calico-vxlan' (type is 'aws-vpc-cni'); remove it",
        ),
        (
            {"cni": {"type": "calico-vxlan", "prefixDelegation": True}},
            "eks.cni.prefixDelegation",
            "only with cni type 'aws-vpc-cni'",
        ),
        ({"cni": {"calicoVersion": "latest"}}, "eks.cni.calicoVersion", "pinned"),
        ({"cni": {"maxPods": 1000}}, "eks.cni.maxPods", "250"),
        ({"cni": {"mtu": 20000}}, "eks.cni.mtu", "9001"),
        ({"cni": {"addonVersion": "1.2"}}, "eks.cni.addonVersion", "eksbuild"),
        # node groups
        (
            {"nodeGroups": {"client": {"minSize": 3, "maxSize": 2}}},
            "eks.nodeGroups.client.minSize",
            "must not exceed maxSize 2",
        ),
        (
            {"nodeGroups": {"server": {"desiredSize": 5, "maxSize": 3}}},
            "eks.nodeGroups.server.desiredSize",
            "between minSize 1 and maxSize 3",
        ),
        (
            {"nodeGroups": {"client": {"instanceTypes": ["C5.2XLARGE"]}}},
            "eks.nodeGroups.client.instanceTypes[0]",
            "EC2 instance type",
        ),
        (
            {"nodeGroups": {"client": {"instanceTypes": []}}},
            "eks.nodeGroups.client.instanceTypes",
            "at least 1",
        ),
        (
            {"nodeGroups": {"client": {"instanceTypes": ["m7g.large"]}}},
            "eks.nodeGroups.client.instanceTypes",
            "do not match amiType",
        ),
        (
            {"nodeGroups": {"client": {"amiType": "AL2023_ARM_64_STANDARD"}}},
            "eks.nodeGroups.client.instanceTypes",
            "Graviton",
        ),
        (
            {"nodeGroups": {"client": {"amiType": "WINDOWS_CORE_2022_x86_64"}}},
            "eks.nodeGroups.client.amiType",
            "AL2023_x86_64_STANDARD",
        ),
        (
            {"nodeGroups": {"client": {"amiType": "AL2_x86_64"}}},
            "eks.nodeGroups.client.amiType",
            "'BOTTLEROCKET_ARM_64'",
        ),
        (
            {"nodeGroups": {"client": {"capacityType": "RESERVED"}}},
            "eks.nodeGroups.client.capacityType",
            "'ON_DEMAND' or 'SPOT'",
        ),
        ({"nodeGroups": {"client": {"diskSize": 8}}}, "eks.nodeGroups.client.diskSize", "20"),
        (
            {"nodeGroups": {"client": {"labels": {"agenttype": "server"}}}},
            "eks.nodeGroups.client.labels",
            "set by the stack",
        ),
        (
            {"nodeGroups": {"client": {"dedicated": True}, "server": {"dedicated": True}}},
            "eks.nodeGroups.server.dedicated",
            "CoreDNS",
        ),
        ({"nodeGroups": {"gateway": {}}}, "eks.nodeGroups.gateway", "not a known setting"),
        # controller access, tags, typos
        (
            {"controllerSecurityGroupId": "sg-xyz"},
            "eks.controllerSecurityGroupId",
            "sg-0123456789abcdef0",
        ),
        (
            {"network": {"nodePlacement": "public"}, "controllerSecurityGroupId": "sg-01234567"},
            "eks.controllerSecurityGroupId",
            "changing public IPs",
        ),
        (
            {"tags": {"aws:owner": "me"}},
            "eks.tags",
            "tag key 'aws:owner' must not start with 'aws:', a prefix reserved by AWS",
        ),
        ({"tags": {"owner": "a,b;c"}}, "eks.tags", "tag 'owner' value 'a,b;c' must be"),
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
            {"nodeGroups": {"server": {"amiId": "ami-123"}}},
            "eks.nodeGroups.server.amiId",
            "an AMI id such as",
        ),
        (
            {"nodeGroups": {"server": {"amiReleaseVersion": "v20260120"}}},
            "eks.nodeGroups.server.amiReleaseVersion",
            "'1.35.0-20260120'",
        ),
        (
            {"cni": {"type": "calico-vxlan", "mtu": 9001}},
            "eks.cni.mtu",
            "at most 8951 with Calico VXLAN (AWS jumbo frames 9001 minus the 50-byte VXLAN header)",
        ),
        ({"cni": {"mtu": 575}}, "eks.cni.mtu", "576"),
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
    ],
)
def test_bad_eks_settings_are_rejected_naming_the_key(
    eks: dict[str, Any], key: str, fragment: str
) -> None:
    problem = one_problem(
        eks_config(eks, agentGroups=[{"name": "c", "role": "client", "replicas": 0}])
    )
    assert problem.startswith(f"cyperf-k8s:{key}: "), problem
    assert fragment in problem, problem
    # Unknown keys are named, their values never shown (they may hold credentials).
    assert "(got " in problem or "(value hidden: the values of unknown keys" in problem, problem


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


@pytest.mark.parametrize(
    ("instance_type", "max_pods"),
    [("c5.large", 29), ("c5.2xlarge", 58), ("c5n.4xlarge", 234), ("m6g.xlarge", 58)],
)
def test_eni_table_matches_eni_max_pods(instance_type: str, max_pods: int) -> None:
    """The values awslabs/amazon-eks-ami eni-max-pods.txt publishes."""
    assert instances.vpc_cni_max_pods(instance_type) == max_pods
    assert instances.vpc_cni_max_pods("x9z.huge") is None


def test_pod_capacity_within_limits_is_accepted() -> None:
    assert parse_eks(eks_config({"cni": {"maxPods": 58}})).eks.cni.max_pods == 58
    prefixes = {"cni": {"maxPods": 110, "prefixDelegation": True}}
    assert parse_eks(eks_config(prefixes)).eks.cni.max_pods == 110
    # Calico pods take overlay addresses; a /23 VPC gives /25 subnets, room for 2 nodes each.
    small = {"network": {"vpcCidr": "10.0.0.0/24"}}
    assert parse_eks(eks_config({**small, "cni": {"type": "calico-vxlan"}}))
    assert parse_eks(eks_config({"network": {"vpcCidr": "10.0.0.0/23"}}))
    assert parse_eks(eks_config({**small, "cni": {"prefixDelegation": True}}))


EXISTING_WITH_RULES = {
    "network": {
        "vpcId": "vpc-0123456789abcdef0",
        "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    },
    "controllerSecurityGroupId": "sg-0123456789abcdef0",
}


def test_existing_vpc_rules_accept_a_public_controller() -> None:
    # Handled by the NAT lookup at plan time (tests/eks/test_components.py), no longer refused.
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


def test_node_groups_need_at_least_one_role() -> None:
    problem = one_problem(eks_config({"nodeGroups": {"client": None, "server": None}}))
    assert problem.startswith("cyperf-k8s:eks.nodeGroups: at least one")


def test_existing_vpc_subnet_lists_must_be_distinct() -> None:
    problems = rejected(
        eks_config(
            {
                "network": {
                    "vpcId": "vpc-0123456789abcdef0",
                    "publicSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1"],
                    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa1"],
                }
            }
        )
    )
    assert any("more than once" in p for p in problems), problems
    assert any("both public and private" in p for p in problems), problems


# --- checks against the rest of the stack settings ---------------------------------------------


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


# --- small helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    [
        ("c5.2xlarge", "amd64"),
        ("c5n.9xlarge", "amd64"),
        ("m7i-flex.large", "amd64"),
        ("g4dn.xlarge", "amd64"),
        ("m7g.4xlarge", "arm64"),
        ("c6gn.2xlarge", "arm64"),
        ("t4g.medium", "arm64"),
        ("is4gen.xlarge", "arm64"),
        ("a1.large", "arm64"),
    ],
)
def test_instance_architecture(instance_type: str, arch: str) -> None:
    assert instance_architecture(instance_type) == arch


@pytest.mark.parametrize(
    ("cidr", "dns"),
    [
        ("10.100.0.0/16", "10.100.0.10"),
        ("172.20.0.0/16", "172.20.0.10"),
        ("10.8.4.0/24", "10.8.4.10"),
    ],
)
def test_cluster_dns_ip_is_the_tenth_address(cidr: str, dns: str) -> None:
    assert cluster_dns_ip(cidr) == dns


def test_support_table_is_consistent() -> None:
    rows = versions.EKS_VERSIONS
    assert len(rows) == 8
    for row in rows:
        assert row.end_of_standard < row.end_of_extended, row.version
    assert [r.version for r in rows] == sorted((r.version for r in rows), key=lambda v: int(v[2:]))


def test_default_version_is_the_newest_confirmed_in_standard_support() -> None:
    today = versions.AS_OF
    standard = [
        v.version
        for v in versions.EKS_VERSIONS
        if v.in_standard_support(today) and v.dates_confirmed
    ]
    assert standard == ["1.34", "1.35"]
    assert standard[-1] == DEFAULT_KUBERNETES_VERSION
    # The old default 1.34 leaves standard support on 2026-12-02; the default stays in it.
    assert not versions.BY_VERSION["1.34"].in_standard_support(date(2026, 12, 3))
    assert versions.BY_VERSION[DEFAULT_KUBERNETES_VERSION].in_standard_support(date(2026, 12, 3))
    # Calico v3.32 is tested on 1.34-1.36 (v3.30.3 only up to 1.33).
    assert DEFAULT_CALICO_VERSION == "v3.32.1"


@pytest.mark.parametrize(
    ("today", "creatable"),
    [
        (date(2026, 11, 30), ["1.32", "1.33", "1.34", "1.35", "1.36"]),
        (date(2026, 11, 25), ["1.31", "1.32", "1.33", "1.34", "1.35", "1.36"]),
        (date(2027, 3, 23), ["1.33", "1.34", "1.35", "1.36"]),
    ],
)
def test_creatable_versions_follow_the_date(today: date, creatable: list[str]) -> None:
    assert versions.creatable_versions(today) == creatable
    for version in creatable:
        assert versions.check_kubernetes_version(version, today) == version


def test_extended_support_warning() -> None:
    today = versions.AS_OF
    [warning] = versions.extended_support_warnings("1.33", today)
    assert str(warning) == (
        "cyperf-k8s:eks.cluster.kubernetesVersion: 1.33 left EKS standard support on 2026-07-29 "
        "and is in extended support until 2027-07-29 (billed at the extended-support cluster "
        "rate); use a version in standard support such as '1.35'"
    )
    assert versions.extended_support_warnings("1.34", today) == []
    assert versions.extended_support_warnings("1.34", date(2026, 12, 2)) != []
