"""The cluster's network component: a VPC the stack creates, or an existing VPC whose subnets,
routes and CIDRs are looked up and checked before any resource.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False), a refusal from a run of the whole program; counts are asserted so an assertion
inside an empty loop cannot pass silently."""

from __future__ import annotations

from typing import Any

import pytest

from mocks.stack_state import StackState
from tests.support.eks import (
    CLUSTER,
    EXISTING_NETWORK,
    EXISTING_PRIVATE,
    EXISTING_SUBNETS,
    INGRESS,
    NODE_GROUP,
    NODE_SECURITY_GROUP,
    ZONES,
    EksMocks,
    ProvisionRun,
    eks_config,
    eks_settings,
    run_provision,
)
from tests.support.program import refused, run_stack_expecting_error

ZONE_LOOKUP = "aws:index/getAvailabilityZones:getAvailabilityZones"


def test_created_vpc(vpc_cni: ProvisionRun) -> None:
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
    assert vpc_cni.exports["egressAddresses"] == ["203.0.113.1/32"]


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
    lookup = _plan_lookup(run)
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
    assert sorted(run.exports["egressAddresses"]) == [
        "203.0.113.1/32",
        "203.0.113.2/32",
        "203.0.113.3/32",
    ]


def _plan_lookup(run: ProvisionRun) -> Any:
    """The zone lookup the plan is made from: every zone whatever its state (the second lookup,
    of the available zones, only warns)."""
    plan_lookups = [
        i for i in run.mocks.invokes if i.token == ZONE_LOOKUP and "state" not in i.args
    ]
    warn_lookups = [i for i in run.mocks.invokes if i.token == ZONE_LOOKUP and "state" in i.args]
    assert len(plan_lookups) == 1 and [i.args["state"] for i in warn_lookups] == ["available"]
    return plan_lookups[0]


ZONES_WITH_USE1_AZ3 = {"us-east-1a": "use1-az3", "us-east-1b": "use1-az1", "us-east-1c": "use1-az2"}


def _subnet_zones(run: ProvisionRun) -> dict[str, str]:
    subnets = run.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 4
    return {s.name: s.inputs["availabilityZone"] for s in subnets}


def test_zones_skip_the_ones_eks_refuses() -> None:
    """EKS cannot place cluster subnets in use1-az3 (EKS subnet requirements); the account's
    first zone name maps to it here, so the stack takes the next two."""
    run = run_provision(eks_config(), EksMocks(zone_ids=ZONES_WITH_USE1_AZ3))
    lookup = _plan_lookup(run)
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
    ("network", "key", "allowed"),
    [
        (
            {"availabilityZones": ["us-east-1a", "us-east-1b"]},
            "eks.network.availabilityZones[0]",
            "is zone ID use1-az3 in this account, where EKS cannot place cluster subnets (EKS "
            "subnet requirements); choose another zone (got 'us-east-1a')",
        ),
        (
            {"availabilityZoneIds": ["use1-az1", "use1-az9"]},
            "eks.network.availabilityZoneIds[1]",
            "is not an available zone of the region (zone IDs: ['use1-az1', 'use1-az2', "
            "'use1-az3']) (got 'use1-az9')",
        ),
        (
            {"availabilityZoneCount": 3},
            "eks.network.availabilityZoneCount",
            "the region has only 2 available zones where EKS can place cluster subnets "
            "['us-east-1b', 'us-east-1c']; ask for at most 2 (got 3)",
        ),
    ],
)
def test_refused_zones_stop_before_any_resource(
    network: dict[str, Any], key: str, allowed: str
) -> None:
    mocks = EksMocks(zone_ids=ZONES_WITH_USE1_AZ3)
    refused(eks_settings({"network": network}), key, allowed, mocks)


def test_public_nodes_have_no_nat() -> None:
    run = run_provision(eks_config({"network": {"nodePlacement": "public"}}))
    assert run.of_type("aws:ec2/natGateway:NatGateway") == []
    assert run.of_type("aws:ec2/eip:Eip") == []
    groups = run.of_type(NODE_GROUP)
    assert len(groups) == 2
    for group in groups:
        assert group.inputs["subnetIds"] == ["eks-network-public-0-id", "eks-network-public-1-id"]
    # The controller sees the nodes' public IPs, not their subnets: nothing can be listed.
    assert run.exports["egressAddresses"] == []
    assert any("egressAddresses is empty" in n for n in run.exports["notes"])


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
    assert run.exports["egressAddresses"] == [
        EXISTING_SUBNETS[s] for s in EXISTING_NETWORK["privateSubnetIds"]
    ]
    [rule] = run.of_type(INGRESS)
    assert rule.inputs["referencedSecurityGroupId"] == NODE_SECURITY_GROUP
    assert rule.inputs["securityGroupId"] == "sg-0a1b2c3d"
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (443.0, 443.0)
    assert "cidrIpv4" not in rule.inputs


@pytest.mark.parametrize(
    ("network", "changes", "key", "allowed"),
    [
        (
            {"vpcId": EXISTING_NETWORK["vpcId"], "privateSubnetIds": EXISTING_PRIVATE},
            {"subnet-0aaaaaaaaaaaaaaa2": {"availabilityZoneId": "use1-az1"}},
            "eks.network.privateSubnetIds",
            "the subnets given are all in zone ['use1-az1']; EKS needs subnets in at least two "
            "availability zones",
        ),
        (
            {**EXISTING_NETWORK, "nodePlacement": "public"},
            {"subnet-0bbbbbbbbbbbbbbb2": {"mapPublicIpOnLaunch": False}},
            "eks.network.publicSubnetIds[1]",
            "does not assign public IPv4 addresses on launch, which nodes in public subnets need",
        ),
        (
            EXISTING_NETWORK,
            {"subnet-0aaaaaaaaaaaaaaa1": {"vpcId": "vpc-0fffffffffffffff0"}},
            "eks.network.privateSubnetIds[0]",
            "belongs to vpc-0fffffffffffffff0, not to vpcId vpc-0123456789abcdef0",
        ),
        (
            EXISTING_NETWORK,
            {"subnet-0bbbbbbbbbbbbbbb1": {"availabilityZoneId": "use1-az3"}},
            "eks.network.publicSubnetIds[0]",
            "is in zone ID use1-az3, where EKS cannot place cluster subnets",
        ),
    ],
)
def test_existing_subnets_eks_cannot_use_stop_before_any_resource(
    network: dict[str, Any], changes: dict[str, dict[str, Any]], key: str, allowed: str
) -> None:
    mocks = EksMocks(subnet_changes=changes)
    refused(eks_settings({"network": network}), key, allowed, mocks)
    # The same network with the subnets as they should be goes through.
    assert len(run_provision(eks_config({"network": network})).of_type(CLUSTER)) == 1


def test_existing_vpc_public_controller_without_nat_stops_before_any_resource() -> None:
    # Public nodes leave through the internet gateway with their own addresses.
    config = eks_config(
        {
            "network": {**EXISTING_NETWORK, "nodePlacement": "public"},
            "controllerSecurityGroupId": "sg-0a1b2c3d",
        },
        controllerAddress="203.0.113.10",
    )
    # Every node subnet is named: two problems, so not `refused` (which expects one).
    error, run = run_stack_expecting_error(config, mocks=EksMocks())
    for index in (0, 1):
        assert (
            f"cyperf-k8s:eks.network.publicSubnetIds[{index}]: has no default route (0.0.0.0/0) "
            "through a NAT gateway, so the address the public controllerAddress sees the agents "
            "come from cannot be known"
        ) in str(error)
    assert run.resources == []


def test_existing_vpc_private_nat_stops_before_any_resource() -> None:
    # A private NAT gateway keeps a private source address: no rule can name what the public
    # controller would see. The other node subnet leaves through a public one: the only problem.
    refused(
        eks_settings(
            {"network": EXISTING_NETWORK, "controllerSecurityGroupId": "sg-0a1b2c3d"},
            controllerAddress="203.0.113.10",
        ),
        "eks.network.privateSubnetIds[1]",
        "routes 0.0.0.0/0 through the private NAT gateway nat-0aaaaaaaaaaaaaaa2, which keeps a "
        "private source address",
        EksMocks(private_nats=frozenset({"nat-0aaaaaaaaaaaaaaa2"})),
    )


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


def test_an_impaired_zone_keeps_its_subnets_and_warns(logged_warnings: list[str]) -> None:
    """A zone's state does not choose the zones: us-east-1a turning impaired must not move the
    subnets of a working stack to us-east-1b and us-east-1c."""
    run = run_provision(eks_config(), EksMocks(zone_states={"us-east-1a": "impaired"}))
    zones = _subnet_zones(run)
    assert zones["eks-network-public-0"] == zones["eks-network-private-0"] == "us-east-1a"
    assert zones["eks-network-public-1"] == zones["eks-network-private-1"] == "us-east-1b"
    assert [w for w in logged_warnings if "us-east-1a" in w] == [
        "cyperf-k8s:eks.network.availabilityZoneCount: zone us-east-1a is not in state "
        "'available' now (AWS reports it impaired or constrained): its subnets stay there, and "
        "nodes there may not launch until AWS recovers it"
    ]


def _deployed(network: dict[str, Any]) -> EksMocks:
    """Mocks whose stack state is what an `up` with this network left."""
    first = run_provision(eks_config({"network": network}))
    mocks = EksMocks()
    mocks.stack_state = StackState.after(first.resources, first.exports)
    return mocks


def test_the_deployed_zones_may_stay() -> None:
    mocks = _deployed({})
    again = run_provision(eks_config(), mocks)
    assert len(again.of_type("aws:ec2/subnet:Subnet")) == 4


@pytest.mark.parametrize(
    ("before", "after", "key"),
    [
        ({}, {"availabilityZoneCount": 3}, "eks.network.availabilityZoneCount"),
        (
            {"availabilityZones": ["us-east-1a", "us-east-1b"]},
            {"availabilityZones": ["us-east-1a", "us-east-1c"]},
            "eks.network.availabilityZones",
        ),
    ],
)
def test_other_zones_than_the_deployed_ones_stop_before_any_resource(
    before: dict[str, Any], after: dict[str, Any], key: str
) -> None:
    """The subnet blocks are sized from the count: 2 -> 3 zones re-carves every subnet, and the
    replacements collide with the old ones (InvalidSubnet.Conflict)."""
    refused(
        eks_settings({"network": after}),
        key,
        "the deployed VPC has its subnets in 2 zones ['us-east-1a', 'us-east-1b']",
        _deployed(before),
    )
