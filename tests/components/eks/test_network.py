"""components.eks.provision under Pulumi mocks (preview=False): the inputs each resource was
registered with, per CNI, and the dependencies the engine was told about.

Every test reads from what the mock monitor recorded; counts are asserted so an assertion inside
an empty loop cannot pass silently, and every output is resolved before the run returns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped,unused-ignore]

from components.eks import plan
from components.eks.images import UNPINNED_IMAGE, UNPINNED_RELEASE
from components.settings.eks.section import EksSettings
from components.settings.eks.stack import EksStackSettings
from components.settings.loading import parse_settings
from mocks.aws import LATEST_RELEASE_VERSION, recommended_ami
from tests.support.eks import (
    EXISTING_SUBNETS,
    KUBECONFIG,
    NODE_SECURITY_GROUP,
    ZONES,
    EksMocks,
    EksRun,
    eks_config,
    parse_eks,
    refusal,
    run_eks_stack,
    run_provision,
)

CLUSTER = "eks:index:Cluster"
NODE_GROUP = "eks:index:ManagedNodeGroup"
ADDON = "aws:eks/addon:Addon"
RELEASE = "kubernetes:helm.sh/v3:Release"
ZONE_LOOKUP = "aws:index/getAvailabilityZones:getAvailabilityZones"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ROOT = Path(__file__).resolve().parents[3]
EXISTING_PRIVATE = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
EXISTING_NETWORK = {
    "vpcId": "vpc-0123456789abcdef0",
    "publicSubnetIds": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
    "privateSubnetIds": EXISTING_PRIVATE,
}


@pytest.fixture(scope="module")
def vpc_cni() -> EksRun:
    return run_provision(eks_config({"tags": {"owner": "qa"}}))


@pytest.fixture(scope="module")
def calico() -> EksRun:
    return run_provision(
        eks_config(
            {
                "cni": {"type": "calico-vxlan"},
                "nodeGroups": {"client": {"dedicated": True}},
                "controllerSecurityGroupId": "sg-0c0c0c0c0c0c0c0c0",
                "tags": {"owner": "qa"},
            },
            cyperfRelease="release2.6",
        )
    )


def names(run: EksRun, urns: list[str]) -> set[str]:
    by_urn = {r.urn: r.name for r in run.resources}
    return {by_urn[u] for u in urns if u in by_urn}


# --- the cluster -------------------------------------------------------------------------------


def test_vpc_cni_cluster_inputs(vpc_cni: EksRun) -> None:
    cluster = vpc_cni.one(CLUSTER)
    assert cluster.name == "eks-aws-vpc-cni"
    inputs = cluster.inputs
    assert inputs["name"] == plan.cluster_physical_name("test", _eks(eks_config()))
    assert inputs["skipDefaultNodeGroup"] is True
    assert inputs["skipDefaultSecurityGroups"] is True
    assert inputs["authenticationMode"] == "API"
    assert inputs["bootstrapSelfManagedAddons"] is True
    assert "useDefaultVpcCni" not in inputs
    # The SDK's own defaults; no prefix delegation, MTU or version unless set.
    assert inputs["vpcCniOptions"] == {
        "resolveConflictsOnCreate": "OVERWRITE",
        "resolveConflictsOnUpdate": "OVERWRITE",
    }
    assert inputs["corednsAddonOptions"]["enabled"] is False
    assert inputs["version"] == "1.35"
    assert inputs["kubernetesServiceIpAddressRange"] == "10.100.0.0/16"
    assert inputs["endpointPublicAccess"] is True and inputs["endpointPrivateAccess"] is True
    assert inputs["publicAccessCidrs"] == ["0.0.0.0/0"]
    assert inputs["deletionProtection"] is False
    assert inputs["tags"] == {"owner": "qa"}
    assert inputs["vpcId"] == "eks-network-vpc-id"
    assert inputs["publicSubnetIds"] == ["eks-network-public-0-id", "eks-network-public-1-id"]
    assert inputs["privateSubnetIds"] == ["eks-network-private-0-id", "eks-network-private-1-id"]


def test_calico_cluster_inputs(calico: EksRun) -> None:
    cluster = calico.one(CLUSTER)
    assert cluster.name == "eks-calico-vxlan"
    assert cluster.inputs["bootstrapSelfManagedAddons"] is False
    assert cluster.inputs["useDefaultVpcCni"] is True
    assert "vpcCniOptions" not in cluster.inputs


def test_extended_support_version_warns_at_preview(logged_warnings: list[str]) -> None:
    run = run_provision(eks_config({"cluster": {"kubernetesVersion": "1.33"}}))
    assert run.one(CLUSTER).inputs["version"] == "1.33"
    assert [w for w in logged_warnings if "kubernetesVersion" in w] == [
        "cyperf-k8s:eks.cluster.kubernetesVersion: 1.33 left EKS standard support on 2026-07-29 "
        "and is in extended support until 2027-07-29 (billed at the extended-support cluster "
        "rate); use a version in standard support such as '1.35'"
    ]
    logged_warnings.clear()
    run_provision(eks_config())
    assert [w for w in logged_warnings if "kubernetesVersion" in w] == []


def test_deploying_identity_in_admin_principal_arns_stops_before_any_resource() -> None:
    """The SSO session ARN names the role without its path; the list names it with one."""
    config = eks_config(
        {
            "cluster": {
                "adminPrincipalArns": [
                    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/"
                    "AWSReservedSSO_Admin_0123abcd"
                ]
            }
        }
    )
    mocks = EksMocks()
    assert (
        "cyperf-k8s:eks.cluster.adminPrincipalArns[0]: names the identity running Pulumi "
        "(arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/alice)"
    ) in refusal(config, mocks)
    assert "aws:index/getCallerIdentity:getCallerIdentity" in [i.token for i in mocks.invokes]
    # Another principal is fine.
    other = run_provision(
        eks_config({"cluster": {"adminPrincipalArns": ["arn:aws:iam::123456789012:role/QA"]}})
    )
    assert len(other.of_type(CLUSTER)) == 1


def test_remote_components_have_no_children(calico: EksRun) -> None:
    """The program registers none; their children (the node groups' launch templates, changed
    by the program's transforms) are tests/eks/test_launch_template.py's."""
    remote = {r.urn for r in calico.resources if r.typ in (CLUSTER, NODE_GROUP)}
    assert len(remote) == 3
    assert not [r for r in calico.resources if r.parent in remote]


def test_kubernetes_provider_from_the_secret_kubeconfig(vpc_cni: EksRun) -> None:
    provider = vpc_cni.one("pulumi:providers:kubernetes")
    assert json.loads(provider.inputs["kubeconfig"]) == KUBECONFIG
    assert "kubeconfig" in provider.secret_inputs
    assert provider.inputs["clusterIdentifier"] == vpc_cni.outputs["clusterName"]
    assert vpc_cni.access.provider is not None
    assert json.loads(vpc_cni.outputs["kubeconfig"]) == KUBECONFIG


# --- the network -------------------------------------------------------------------------------


def test_created_vpc(vpc_cni: EksRun) -> None:
    vpc = vpc_cni.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["tags"] == {"owner": "qa", "Name": "eks-network-vpc"}
    subnets = {s.name: s.inputs for s in vpc_cni.of_type("aws:ec2/subnet:Subnet")}
    assert len(subnets) == 4
    assert subnets["eks-network-public-1"]["availabilityZone"] == ZONES[1]
    assert subnets["eks-network-public-0"]["mapPublicIpOnLaunch"] is True
    assert subnets["eks-network-private-0"]["mapPublicIpOnLaunch"] is False
    assert subnets["eks-network-private-1"]["tags"]["kubernetes.io/role/internal-elb"] == "1"
    assert subnets["eks-network-public-0"]["tags"]["kubernetes.io/role/elb"] == "1"
    assert all(s["tags"]["owner"] == "qa" for s in subnets.values())
    nat = vpc_cni.one("aws:ec2/natGateway:NatGateway")
    assert nat.inputs["subnetId"] == "eks-network-public-0-id"
    assert len(vpc_cni.of_type("aws:ec2/eip:Eip")) == 1
    tables = {t.name: t.inputs for t in vpc_cni.of_type("aws:ec2/routeTable:RouteTable")}
    assert tables["eks-network-public"]["routes"] == [
        {"cidrBlock": "0.0.0.0/0", "gatewayId": "eks-network-igw-id"}
    ]
    for zone in (0, 1):
        assert tables[f"eks-network-private-{zone}"]["routes"] == [
            {"cidrBlock": "0.0.0.0/0", "natGatewayId": "eks-network-nat-0-id"}
        ]
    assert len(vpc_cni.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")) == 4
    assert vpc_cni.outputs["egressAddresses"] == ["203.0.113.1/32"]


def test_nat_per_zone_and_explicit_zones() -> None:
    run = run_provision(
        eks_config(
            {
                "network": {
                    "availabilityZones": ["us-east-1b", "us-east-1c", "us-east-1d"],
                    "natGateways": "onePerAz",
                    "vpcCidr": "10.50.0.0/16",
                }
            }
        )
    )
    [lookup] = [i for i in run.mocks.invokes if i.token == ZONE_LOOKUP]
    # Explicit zones are checked against the unfiltered lookup (to name a refused zone's ID).
    assert "excludeZoneIds" not in lookup.args
    zones = {s.name: s.inputs["availabilityZone"] for s in run.of_type("aws:ec2/subnet:Subnet")}
    assert zones == {
        f"eks-network-{kind}-{i}": zone
        for kind in ("public", "private")
        for i, zone in enumerate(["us-east-1b", "us-east-1c", "us-east-1d"])
    }
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == 3
    routes = {t.name: t.inputs["routes"] for t in run.of_type("aws:ec2/routeTable:RouteTable")}
    assert routes["eks-network-private-2"] == [
        {"cidrBlock": "0.0.0.0/0", "natGatewayId": "eks-network-nat-2-id"}
    ]
    assert sorted(run.outputs["egressAddresses"]) == [
        "203.0.113.1/32",
        "203.0.113.2/32",
        "203.0.113.3/32",
    ]


ZONES_WITH_USE1_AZ3 = {"us-east-1a": "use1-az3", "us-east-1b": "use1-az1", "us-east-1c": "use1-az2"}


def _subnet_zones(run: EksRun) -> dict[str, str]:
    subnets = run.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 4
    return {s.name: s.inputs["availabilityZone"] for s in subnets}


def test_zones_skip_the_ones_eks_refuses() -> None:
    """EKS cannot place cluster subnets in use1-az3 (EKS subnet requirements); the account's
    first zone name maps to it here, so the stack takes the next two."""
    run = run_provision(eks_config(), EksMocks(zone_ids=ZONES_WITH_USE1_AZ3))
    [lookup] = [i for i in run.mocks.invokes if i.token == ZONE_LOOKUP]
    assert lookup.args["excludeZoneIds"] == ["use1-az3", "usw1-az2", "cac1-az3"]
    zones = _subnet_zones(run)
    assert zones["eks-network-public-0"] == zones["eks-network-private-0"] == "us-east-1b"
    assert zones["eks-network-public-1"] == zones["eks-network-private-1"] == "us-east-1c"


def test_zones_pinned_by_zone_id() -> None:
    mocks = EksMocks(zone_ids=ZONES_WITH_USE1_AZ3)
    run = run_provision(
        eks_config({"network": {"availabilityZoneIds": ["use1-az2", "use1-az1"]}}), mocks
    )
    zones = _subnet_zones(run)
    assert zones["eks-network-public-0"] == "us-east-1c"
    assert zones["eks-network-private-1"] == "us-east-1b"


@pytest.mark.parametrize(
    ("network", "message"),
    [
        (
            {"availabilityZones": ["us-east-1a", "us-east-1b"]},
            "cyperf-k8s:eks.network.availabilityZones[0]: is zone ID use1-az3 in this account, "
            "where EKS cannot place cluster subnets (EKS subnet requirements); choose another "
            "zone (got 'us-east-1a')",
        ),
        (
            {"availabilityZoneIds": ["use1-az1", "use1-az9"]},
            "cyperf-k8s:eks.network.availabilityZoneIds[1]: is not an available zone of the "
            "region (zone IDs: ['use1-az1', 'use1-az2', 'use1-az3']) (got 'use1-az9')",
        ),
        (
            {"availabilityZoneCount": 3},
            "cyperf-k8s:eks.network.availabilityZoneCount: the region has only 2 available zones "
            "where EKS can place cluster subnets ['us-east-1b', 'us-east-1c']; ask for at most 2 "
            "(got 3)",
        ),
    ],
)
def test_refused_zones_stop_before_any_resource(network: dict[str, Any], message: str) -> None:
    mocks = EksMocks(zone_ids=ZONES_WITH_USE1_AZ3)
    assert message in refusal(eks_config({"network": network}), mocks)


def test_public_nodes_have_no_nat() -> None:
    run = run_provision(eks_config({"network": {"nodePlacement": "public"}}))
    assert run.of_type("aws:ec2/natGateway:NatGateway") == []
    assert run.of_type("aws:ec2/eip:Eip") == []
    groups = run.of_type(NODE_GROUP)
    assert len(groups) == 2
    for group in groups:
        assert group.inputs["subnetIds"] == ["eks-network-public-0-id", "eks-network-public-1-id"]
    # The controller sees the nodes' public IPs, not their subnets: nothing can be listed.
    assert run.outputs["egressAddresses"] == []
    assert any("egressAddresses is empty" in n for n in run.outputs["notes"])


def test_existing_vpc() -> None:
    run = run_provision(
        eks_config({"network": EXISTING_NETWORK, "controllerSecurityGroupId": "sg-0a1b2c3d"})
    )
    assert run.of_type("aws:ec2/vpc:Vpc") == [] and run.of_type("aws:ec2/subnet:Subnet") == []
    cluster = run.one(CLUSTER).inputs
    assert cluster["vpcId"] == "vpc-0123456789abcdef0"
    assert cluster["privateSubnetIds"] == EXISTING_NETWORK["privateSubnetIds"]
    assert cluster["publicSubnetIds"] == EXISTING_NETWORK["publicSubnetIds"]
    groups = run.of_type(NODE_GROUP)
    assert len(groups) == 2
    assert all(g.inputs["subnetIds"] == EXISTING_NETWORK["privateSubnetIds"] for g in groups)
    assert run.outputs["egressAddresses"] == [
        EXISTING_SUBNETS[s] for s in EXISTING_NETWORK["privateSubnetIds"]
    ]
    [rule] = run.of_type(INGRESS)
    assert rule.inputs["referencedSecurityGroupId"] == NODE_SECURITY_GROUP
    assert rule.inputs["securityGroupId"] == "sg-0a1b2c3d"
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (443.0, 443.0)
    assert "cidrIpv4" not in rule.inputs


@pytest.mark.parametrize(
    ("network", "changes", "message"),
    [
        (
            {"vpcId": EXISTING_NETWORK["vpcId"], "privateSubnetIds": EXISTING_PRIVATE},
            {"subnet-0aaaaaaaaaaaaaaa2": {"availabilityZoneId": "use1-az1"}},
            "cyperf-k8s:eks.network.privateSubnetIds: the subnets given are all in zone "
            "['use1-az1']; EKS needs subnets in at least two availability zones",
        ),
        (
            {**EXISTING_NETWORK, "nodePlacement": "public"},
            {"subnet-0bbbbbbbbbbbbbbb2": {"mapPublicIpOnLaunch": False}},
            "cyperf-k8s:eks.network.publicSubnetIds[1]: does not assign public IPv4 addresses on "
            "launch, which nodes in public subnets need",
        ),
        (
            EXISTING_NETWORK,
            {"subnet-0aaaaaaaaaaaaaaa1": {"vpcId": "vpc-0fffffffffffffff0"}},
            "cyperf-k8s:eks.network.privateSubnetIds[0]: belongs to vpc-0fffffffffffffff0, not to "
            "vpcId vpc-0123456789abcdef0",
        ),
        (
            EXISTING_NETWORK,
            {"subnet-0bbbbbbbbbbbbbbb1": {"availabilityZoneId": "use1-az3"}},
            "cyperf-k8s:eks.network.publicSubnetIds[0]: is in zone ID use1-az3, where EKS cannot "
            "place cluster subnets",
        ),
    ],
)
def test_existing_subnets_eks_cannot_use_stop_before_any_resource(
    network: dict[str, Any], changes: dict[str, dict[str, Any]], message: str
) -> None:
    mocks = EksMocks(subnet_changes=changes)
    assert message in refusal(eks_config({"network": network}), mocks)
    # The same network with the subnets as they should be goes through.
    assert len(run_provision(eks_config({"network": network})).of_type(CLUSTER)) == 1


def test_existing_vpc_public_controller_is_allowed_from_the_node_subnets_nats() -> None:
    # Subnet a1 has its own route table (NAT 1); a2 uses the VPC's main table (NAT 2, which has
    # a secondary EIP: its connections may leave from either address).
    run = run_provision(
        eks_config(
            {"network": EXISTING_NETWORK, "controllerSecurityGroupId": "sg-0a1b2c3d"},
            controllerAddress="203.0.113.10",
            cyperfRelease="release2.6",
        )
    )
    rules = run.of_type(INGRESS)
    assert len(rules) == 6
    assert sorted((r.inputs["cidrIpv4"], r.inputs["fromPort"]) for r in rules) == [
        ("198.51.100.11/32", 443.0),
        ("198.51.100.11/32", 30422.0),
        ("198.51.100.12/32", 443.0),
        ("198.51.100.12/32", 30422.0),
        ("198.51.100.13/32", 443.0),
        ("198.51.100.13/32", 30422.0),
    ]
    for rule in rules:
        assert rule.inputs["securityGroupId"] == "sg-0a1b2c3d"
        assert "referencedSecurityGroupId" not in rule.inputs
    assert run.outputs["egressAddresses"] == [
        "198.51.100.11/32",
        "198.51.100.12/32",
        "198.51.100.13/32",
    ]
    assert any("the controller address is public" in n for n in run.outputs["notes"])
    assert not any("reference the node security group" in n for n in run.outputs["notes"])


def test_existing_vpc_public_controller_without_nat_stops_before_any_resource() -> None:
    # Public nodes leave through the internet gateway with their own addresses.
    error = refusal(
        eks_config(
            {
                "network": {**EXISTING_NETWORK, "nodePlacement": "public"},
                "controllerSecurityGroupId": "sg-0a1b2c3d",
            },
            controllerAddress="203.0.113.10",
        )
    )
    for index in (0, 1):
        assert (
            f"cyperf-k8s:eks.network.publicSubnetIds[{index}]: has no default route (0.0.0.0/0) "
            "through a NAT gateway, so the address the public controllerAddress sees the agents "
            "come from cannot be known"
        ) in error


def test_existing_node_subnet_short_of_free_addresses_warns(
    logged_warnings: list[str],
) -> None:
    """VPC CNI: 2 groups x maxSize 2 over 2 subnets = 2 nodes a subnet, c5.2xlarge holds two
    ENIs of 15 addresses: 60 needed; a1 has 40 free. Calico pods take no VPC addresses."""
    short = {"subnet-0aaaaaaaaaaaaaaa1": {"availableIpAddressCount": 40}}
    run_provision(eks_config({"network": EXISTING_NETWORK}), EksMocks(subnet_changes=short))
    assert [w for w in logged_warnings if "free addresses" in w] == [
        "cyperf-k8s:eks.network.privateSubnetIds[0]: subnet-0aaaaaaaaaaaaaaa1 has 40 free "
        "addresses; with the VPC CNI up to 2 node(s) there hold about 30 each (two ENIs, "
        "WARM_ENI_TARGET=1), 60 in all: nodes may get no pod addresses; use larger subnets, more "
        "of them, or cni.prefixDelegation"
    ]
    logged_warnings.clear()
    calico = {"network": EXISTING_NETWORK, "cni": {"type": "calico-vxlan"}}
    run_provision(eks_config(calico), EksMocks(subnet_changes=short))
    assert [w for w in logged_warnings if "free addresses" in w] == []


def test_existing_vpc_private_nat_stops_before_any_resource() -> None:
    # A private NAT gateway keeps a private source address: no rule can name what the public
    # controller would see.
    error = refusal(
        eks_config(
            {"network": EXISTING_NETWORK, "controllerSecurityGroupId": "sg-0a1b2c3d"},
            controllerAddress="203.0.113.10",
        ),
        EksMocks(private_nats=frozenset({"nat-0aaaaaaaaaaaaaaa2"})),
    )
    assert (
        "cyperf-k8s:eks.network.privateSubnetIds[1]: routes 0.0.0.0/0 through the private NAT "
        "gateway nat-0aaaaaaaaaaaaaaa2, which keeps a private source address"
    ) in error
    assert "privateSubnetIds[0]" not in error


def test_existing_vpc_overlapping_the_service_cidr_stops_the_cluster() -> None:
    with pytest.raises(
        Exception,
        match=r"cyperf-k8s:eks\.cluster\.serviceCidr: overlaps the CIDR '10\.100\.0\.0/16' of VPC "
        r"vpc-0123456789abcdef0; choose a block outside the VPC \(got '10\.100\.0\.0/16'\)",
    ):
        run_provision(
            eks_config({"network": EXISTING_NETWORK}),
            mocks=EksMocks(vpc_cidrs=["172.31.0.0/16", "10.100.0.0/16"]),
        )


# --- CNI, node groups, CoreDNS and their order -------------------------------------------------


def test_vpc_cni_has_no_helm_release_and_no_coredns_addon(vpc_cni: EksRun) -> None:
    assert vpc_cni.of_type(RELEASE) == []
    assert vpc_cni.of_type(ADDON) == []
    assert vpc_cni.outputs["cni"] == "aws-vpc-cni" and vpc_cni.outputs["podCidr"] is None


def test_calico_release_inputs(calico: EksRun) -> None:
    release = calico.one(RELEASE).inputs
    assert release["chart"] == "tigera-operator"
    assert release["version"] == "v3.32.1"
    assert release["repositoryOpts"] == {"repo": plan.CALICO_CHART_REPOSITORY}
    assert release["namespace"] == "tigera-operator" and release["createNamespace"] is True
    assert release["skipAwait"] is True
    pool = release["values"]["installation"]["calicoNetwork"]["ipPools"][0]
    assert pool["encapsulation"] == "VXLAN" and pool["cidr"] == "192.168.0.0/16"
    assert release["values"]["installation"]["calicoNetwork"]["bgp"] == "Disabled"
    assert calico.one(RELEASE).provider.split("::")[-1].startswith("eks-cluster-kubernetes")


def test_calico_order_cluster_release_nodes_coredns(calico: EksRun) -> None:
    """Create order: cluster, release, nodes, CoreDNS. On destroy the nodes go before the
    release, so the release must be deleted with the cluster (next test), never uninstalled."""
    cluster = calico.one(CLUSTER)
    release = calico.one(RELEASE)
    assert cluster.urn in release.dependencies
    groups = calico.of_type(NODE_GROUP)
    assert len(groups) == 2
    for group in groups:
        assert release.urn in group.dependencies, group.name
        assert cluster.urn in group.dependencies
        # The NAT routes private nodes pull images through come first too.
        assert {"eks-network-nat-0", "eks-network-private-0"} <= names(calico, group.dependencies)
    coredns = calico.one(ADDON)
    assert coredns.inputs["addonName"] == "coredns"
    assert coredns.inputs["clusterName"] == calico.outputs["clusterName"]
    assert coredns.inputs["resolveConflictsOnCreate"] == "OVERWRITE"
    assert {g.urn for g in groups} <= set(coredns.dependencies)


def test_calico_release_is_deleted_with_the_cluster(calico: EksRun) -> None:
    """Destroy (and a CNI switch, which deletes the old cluster in the same `up`) skips the
    release's Helm uninstall, whose pre-delete hook Job would wait forever for a node."""
    cluster = calico.one(CLUSTER)
    release = calico.one(RELEASE)
    assert cluster.urn.endswith("::eks-calico-vxlan")
    assert release.deleted_with == cluster.urn
    # Anything whose delete does real work stays deleted on its own: node groups, the add-on,
    # the controller rules, the network.
    others = [r for r in calico.resources if r.typ != RELEASE]
    assert len(others) > 10
    assert [r.name for r in others if r.deleted_with] == []


def test_load_balancer_services_are_deleted_on_their_own() -> None:
    """Deleting a LoadBalancer Service is what removes its NLB; skipped, the NLB's ENIs would
    block the subnet and VPC deletes."""
    run = run_eks_stack(stack_file_config("Pulumi.eks-north-south.yaml"))
    services = [
        r
        for r in run.of_type("kubernetes:core/v1:Service")
        if r.inputs["spec"]["type"] == "LoadBalancer"
    ]
    assert len(services) == 1
    assert services[0].deleted_with == ""


def test_calico_agents_wait_for_nodes_coredns_and_controller_rules(calico: EksRun) -> None:
    waited = {calico.urn_of(r) for r in calico.access.agents_depend_on}
    by_type = {r.urn: r.typ for r in calico.resources}
    kinds = sorted(by_type[u] for u in waited)
    assert kinds.count(NODE_GROUP) == 2
    assert kinds.count(ADDON) == 1 and kinds.count(RELEASE) == 1
    assert kinds.count(INGRESS) == 2  # 443 and 30422 from one NAT address


def test_vpc_cni_agents_wait_for_node_groups(vpc_cni: EksRun) -> None:
    kinds = {r.urn: r.typ for r in vpc_cni.resources}
    waited = [kinds[vpc_cni.urn_of(r)] for r in vpc_cni.access.agents_depend_on]
    assert waited == [NODE_GROUP, NODE_GROUP]


def test_node_group_inputs(calico: EksRun) -> None:
    groups = {g.name: g.inputs for g in calico.of_type(NODE_GROUP)}
    # The launch template carries the AMI on this path: it is part of the names (plan.py).
    assert sorted(groups) == ["eks-nodes-client-own-ami", "eks-nodes-server-own-ami"]
    client = groups["eks-nodes-client-own-ami"]
    assert client["cluster"] == calico.one(CLUSTER).urn
    assert client["labels"] == {"agenttype": "client"}
    assert client["taints"] == [{"key": "agenttype", "value": "client", "effect": "NO_SCHEDULE"}]
    assert client["instanceTypes"] == ["c5.2xlarge"]
    assert client["scalingConfig"] == {"desiredSize": 1.0, "minSize": 1.0, "maxSize": 2.0}
    assert client["enableIMDSv2"] is True
    assert client["nodeRoleArn"] == "arn:aws:iam::123456789012:role/eks-nodes-role"
    assert client["subnetIds"] == ["eks-network-private-0-id", "eks-network-private-1-id"]
    max_pods = json.loads(client["nodeadmExtraOptions"][0]["content"])
    assert max_pods["spec"]["kubelet"]["config"]["maxPods"] == 110
    server = groups["eks-nodes-server-own-ami"]
    assert server["labels"] == {"agenttype": "server"} and server["taints"] == []
    assert calico.access.tolerations_by_role == {
        "client": [
            {"key": "agenttype", "operator": "Equal", "value": "client", "effect": "NoSchedule"}
        ]
    }
    assert calico.outputs["nodeGroupNames"] == {
        "client": "eks-nodes-client-own-ami-20260101000000000000000001",
        "server": "eks-nodes-server-own-ami-20260101000000000000000001",
    }


def test_node_role_and_policies(vpc_cni: EksRun, calico: EksRun) -> None:
    role = vpc_cni.one("aws:iam/role:Role").inputs
    policy = json.loads(role["assumeRolePolicy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    attached = {
        a.inputs["policyArn"]
        for a in vpc_cni.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    }
    calico_attached = calico.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert len(calico_attached) == 2
    for group in vpc_cni.of_type(NODE_GROUP):
        assert {
            a.urn for a in vpc_cni.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        } <= set(group.dependencies)


def test_null_node_group_is_not_created() -> None:
    run = run_provision(
        eks_config(
            {"nodeGroups": {"client": None, "server": {"desiredSize": 2, "maxSize": 2}}},
            agentGroups=[{"name": "server", "role": "server", "replicas": 2}],
        )
    )
    [group] = run.of_type(NODE_GROUP)
    assert group.name == "eks-nodes-server"
    assert list(run.outputs["nodeGroupNames"]) == ["server"]


# --- controller access -------------------------------------------------------------------------


def test_controller_rules_from_nat_addresses_before_cyperf_3(calico: EksRun) -> None:
    rules = calico.of_type(INGRESS)
    assert len(rules) == 2
    assert sorted(r.inputs["fromPort"] for r in rules) == [443.0, 30422.0]
    for rule in rules:
        assert rule.inputs["securityGroupId"] == "sg-0c0c0c0c0c0c0c0c0"
        assert rule.inputs["cidrIpv4"] == "203.0.113.1/32"
        assert rule.inputs["ipProtocol"] == "tcp"
        assert rule.inputs["fromPort"] == rule.inputs["toPort"]
        assert rule.inputs["tags"] == {"owner": "qa"}


def test_no_controller_rules_without_its_security_group(vpc_cni: EksRun) -> None:
    assert vpc_cni.of_type(INGRESS) == []


# --- outputs -----------------------------------------------------------------------------------


def test_outputs(calico: EksRun) -> None:
    outputs = calico.outputs
    assert set(outputs) == {
        "clusterName",
        "kubeconfig",
        "cni",
        "nodeGroupNames",
        "nodeImages",
        "podCidr",
        "serviceCidr",
        "egressAddresses",
        "notes",
    }
    assert outputs["clusterName"].startswith("cyperf-test-calico-")
    assert outputs["cni"] == "calico-vxlan" and outputs["podCidr"] == "192.168.0.0/16"
    assert outputs["serviceCidr"] == "10.100.0.0/16"
    # The stack exports clusterDnsIp from this (through DutOutputs), for both cluster paths.
    assert calico.access.dns_server_ip == "10.100.0.10"
    assert any("reachable only inside the cluster" in n for n in outputs["notes"])
    # What AWS reports (the launch template's image, read back), and that config pins nothing.
    assert outputs["nodeImages"] == {
        role: {
            "amiId": recommended_ami("1.35", "AL2023_x86_64_STANDARD"),
            "pinnedBy": UNPINNED_IMAGE,
        }
        for role in ("client", "server")
    }


def test_pinned_ami_on_the_calico_path(logged_warnings: list[str]) -> None:
    """Custom user data (Calico's maxPods): pulumi-eks would read the SSM "recommended" AMI on
    every run; a pinned amiId goes in instead, with its OS and without amiType."""
    pins = {"client": "ami-0123456789abcdef0", "server": "ami-0fedcba9876543210"}
    config = eks_config(
        {
            "cni": {"type": "calico-vxlan"},
            "nodeGroups": {
                "client": {"amiId": pins["client"]},
                "server": {"amiId": pins["server"], "amiType": "BOTTLEROCKET_x86_64"},
            },
        }
    )
    run = run_provision(config)
    groups = {g.name: g.inputs for g in run.of_type(NODE_GROUP)}
    assert len(groups) == 2
    assert groups["eks-nodes-client-own-ami"]["amiId"] == pins["client"]
    assert groups["eks-nodes-client-own-ami"]["operatingSystem"] == "AL2023"
    assert groups["eks-nodes-server-own-ami"]["operatingSystem"] == "Bottlerocket"
    assert all("amiType" not in g and "releaseVersion" not in g for g in groups.values())
    assert run.outputs["nodeImages"] == {
        role: {"amiId": ami, "pinnedBy": f"eks.nodeGroups.{role}.amiId"}
        for role, ami in pins.items()
    }
    assert [w for w in logged_warnings if "nodeGroups" in w] == []
    # A new pin is a new input (a deliberate change); the same config, the same inputs.
    again = {g.name: g.inputs for g in run_provision(config).of_type(NODE_GROUP)}
    assert again == groups


def test_instance_types_outside_the_eni_table_warn(logged_warnings: list[str]) -> None:
    run_provision(eks_config({"nodeGroups": {"server": {"instanceTypes": ["c6in.8xlarge"]}}}))
    assert [w for w in logged_warnings if "ENI table" in w] == [
        "cyperf-k8s:eks.nodeGroups.server.instanceTypes: c6in.8xlarge is not in the stack's ENI "
        "table, so maxPods and the subnet size were not checked against its VPC CNI pod capacity "
        "(see awslabs/amazon-eks-ami eni-max-pods.txt)"
    ]


def test_pinned_release_version_on_the_eks_managed_path(logged_warnings: list[str]) -> None:
    config = eks_config({"nodeGroups": {"client": {"amiReleaseVersion": "1.35.0-20260120"}}})
    run = run_provision(config)
    groups = {g.name: g.inputs for g in run.of_type(NODE_GROUP)}
    assert groups["eks-nodes-client"]["releaseVersion"] == "1.35.0-20260120"
    assert groups["eks-nodes-client"]["amiType"] == "AL2023_x86_64_STANDARD"
    assert "releaseVersion" not in groups["eks-nodes-server"]
    # Unset, the AWS provider keeps the release EKS chose at creation (an optional, computed
    # input): nothing rolls on an AWS release, so nothing to warn about.
    assert [w for w in logged_warnings if "nodeGroups" in w] == []
    assert run.outputs["nodeImages"] == {
        "client": {
            "releaseVersion": "1.35.0-20260120",
            "pinnedBy": "eks.nodeGroups.client.amiReleaseVersion",
        },
        "server": {"releaseVersion": LATEST_RELEASE_VERSION, "pinnedBy": UNPINNED_RELEASE},
    }


# --- CNI switching -----------------------------------------------------------------------------


def test_switching_cni_registers_a_different_cluster() -> None:
    """bootstrapSelfManagedAddons is ignored on update by pulumi-eks, so a CNI switch must not
    look like an update of the same cluster: the cluster's Pulumi name (URN) and its EKS name both
    change, which the engine turns into creating the new cluster and deleting the old one."""
    before = run_provision(eks_config())
    after = run_provision(eks_config({"cni": {"type": "calico-vxlan"}}))
    old, new = before.one(CLUSTER), after.one(CLUSTER)
    assert old.urn != new.urn
    assert old.inputs["name"] != new.inputs["name"]
    assert old.inputs["bootstrapSelfManagedAddons"] != new.inputs["bootstrapSelfManagedAddons"]
    # The Kubernetes provider follows the cluster, so every agent object moves with it.
    old_provider = before.one("pulumi:providers:kubernetes").inputs["clusterIdentifier"]
    new_provider = after.one("pulumi:providers:kubernetes").inputs["clusterIdentifier"]
    assert old_provider != new_provider
    # The node groups are pointed at the new cluster (a new clusterName replaces them).
    assert {g.inputs["cluster"] for g in after.of_type(NODE_GROUP)} == {new.urn}


def test_same_cni_keeps_the_cluster() -> None:
    first = run_provision(eks_config())
    second = run_provision(
        eks_config({"nodeGroups": {"client": {"desiredSize": 2}}, "tags": {"a": "b"}})
    )
    assert first.one(CLUSTER).urn == second.one(CLUSTER).urn
    assert first.one(CLUSTER).inputs["name"] == second.one(CLUSTER).inputs["name"]


# --- the whole program -------------------------------------------------------------------------


def _eks(config: dict[str, str]) -> EksSettings:
    return parse_eks(config).eks


def stack_file_config(name: str) -> dict[str, str]:
    config = yaml.safe_load((ROOT / "stacks" / name).read_text())["config"]
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


@pytest.mark.parametrize(
    "stack_file",
    [
        "Pulumi.eks-east-west-vpc-cni.yaml",
        "Pulumi.eks-east-west-calico.yaml",
        "Pulumi.eks-north-south.yaml",
    ],
)
def test_example_stacks_run(stack_file: str) -> None:
    config = stack_file_config(stack_file)
    settings = parse_settings(config)
    run = run_eks_stack(config)
    by_urn = {r.urn: r for r in run.resources}
    deployments = [r for r in run.resources if r.typ == "kubernetes:apps/v1:Deployment"]
    assert len(deployments) == len(settings.agent_groups)
    assert isinstance(settings, EksStackSettings)
    for deployment in deployments:
        waited = {by_urn[u].typ for u in deployment.dependencies if u in by_urn}
        assert NODE_GROUP in waited
        if settings.eks.cni.is_calico:
            assert ADDON in waited
    assert all("::eks-cluster-kubernetes::" in r.provider for r in deployments)
    assert run.exports["cni"] == settings.eks.cni.type
    assert run.exports["clusterDnsIp"] == "10.100.0.10"
    assert run.exports["controllerSetup"]["dnsResolverNameServer"] == "10.100.0.10"


def test_dedicated_taint_reaches_the_agents_tolerations() -> None:
    run = run_eks_stack(stack_file_config("Pulumi.eks-east-west-calico.yaml"))
    deployments = {
        r.name: r.inputs for r in run.resources if r.typ == "kubernetes:apps/v1:Deployment"
    }
    assert len(deployments) == 2
    client_spec = deployments["agents-client"]["spec"]["template"]["spec"]
    assert {
        "key": "agenttype",
        "operator": "Equal",
        "value": "client",
        "effect": "NoSchedule",
    } in client_spec["tolerations"]
    server_spec = deployments["agents-server"]["spec"]["template"]["spec"]
    assert not server_spec.get("tolerations")


def test_tags_reach_every_taggable_aws_resource(calico: EksRun) -> None:
    untaggable = {
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    }
    aws_resources = [r for r in calico.resources if r.typ.startswith(("aws:", "eks:"))]
    taggable = [r for r in aws_resources if r.typ not in untaggable]
    assert len(taggable) >= 15, [r.typ for r in taggable]
    for resource in taggable:
        assert resource.inputs.get("tags", {}).get("owner") == "qa", (resource.typ, resource.name)
    assert {r.typ for r in aws_resources} - {r.typ for r in taggable} == untaggable
