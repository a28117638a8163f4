"""The zone and subnet decisions of the EKS network, without AWS: lookup results in, zone names
or problems out. The whole-network runs (tests/components/eks/test_network.py) check that a
refusal stops the program before any resource."""

from __future__ import annotations

from typing import Any

import pytest

from components.eks.zones import (
    ExistingSubnet,
    chosen_zones,
    default_route_nat,
    deployed_zone_problems,
    existing_subnet_problems,
    impaired_zone_warnings,
    node_subnet_nat_problems,
)
from components.settings.eks.network import NetworkSettings
from components.settings.problems import Problems, render
from tests.support.eks import EXISTING_NETWORK, eks_of

# A region whose first zone name maps to use1-az3, where EKS cannot place cluster subnets.
NAMES = ["us-east-1a", "us-east-1b", "us-east-1c"]
ZONE_IDS = ["use1-az3", "use1-az1", "use1-az2"]
VPC = EXISTING_NETWORK["vpcId"]
PRIVATE_A, PRIVATE_B = EXISTING_NETWORK["privateSubnetIds"]
PUBLIC_A, PUBLIC_B = EXISTING_NETWORK["publicSubnetIds"]


def network(**settings: Any) -> NetworkSettings:
    return eks_of({"network": settings}).network


def zone_problems(settings: dict[str, Any]) -> list[str]:
    with pytest.raises(Problems) as caught:
        chosen_zones(NAMES, ZONE_IDS, network(**settings))
    return caught.value.lines


# --- chosen_zones ------------------------------------------------------------------------------


def test_the_count_takes_the_first_zones_eks_accepts_in_name_order() -> None:
    assert chosen_zones(NAMES, ZONE_IDS, network()) == ["us-east-1b", "us-east-1c"]
    # With no refused zone in the lookup, the first names.
    assert chosen_zones(NAMES, ["use1-az1", "use1-az2", "use1-az4"], network()) == NAMES[:2]


def test_a_count_beyond_the_usable_zones_is_refused() -> None:
    assert zone_problems({"availabilityZoneCount": 3}) == [
        "cyperf-k8s:eks.network.availabilityZoneCount: the region has only 2 available zones "
        "where EKS can place cluster subnets ['us-east-1b', 'us-east-1c']; ask for at most 2 "
        "(got 3)"
    ]


def test_explicit_names_keep_their_order() -> None:
    chosen = chosen_zones(NAMES, ZONE_IDS, network(availabilityZones=["us-east-1c", "us-east-1b"]))
    assert chosen == ["us-east-1c", "us-east-1b"]


def test_explicit_names_are_checked_together() -> None:
    assert zone_problems({"availabilityZones": ["us-east-1a", "us-east-1b", "us-east-1z"]}) == [
        "cyperf-k8s:eks.network.availabilityZones[0]: is zone ID use1-az3 in this account, where "
        "EKS cannot place cluster subnets (EKS subnet requirements); choose another zone "
        "(got 'us-east-1a')",
        "cyperf-k8s:eks.network.availabilityZones[2]: is not an available zone of the region "
        "(zones: ['us-east-1a', 'us-east-1b', 'us-east-1c']) (got 'us-east-1z')",
    ]


def test_zone_ids_become_the_names_of_this_account() -> None:
    chosen = chosen_zones(NAMES, ZONE_IDS, network(availabilityZoneIds=["use1-az2", "use1-az1"]))
    assert chosen == ["us-east-1c", "us-east-1b"]


def test_an_unknown_zone_id_is_refused() -> None:
    assert zone_problems({"availabilityZoneIds": ["use1-az1", "use1-az9"]}) == [
        "cyperf-k8s:eks.network.availabilityZoneIds[1]: is not an available zone of the region "
        "(zone IDs: ['use1-az1', 'use1-az2', 'use1-az3']) (got 'use1-az9')"
    ]


# --- existing_subnet_problems ------------------------------------------------------------------


# The zones of EXISTING_NETWORK's subnets: a private and a public one in each of two zones.
GOOD_ZONES = {
    PRIVATE_A: "use1-az1",
    PRIVATE_B: "use1-az2",
    PUBLIC_A: "use1-az1",
    PUBLIC_B: "use1-az2",
}


def subnet(subnet_id: str, **changes: Any) -> ExistingSubnet:
    facts: dict[str, Any] = {
        "vpc_id": VPC,
        "zone_id": GOOD_ZONES[subnet_id],
        "map_public_ip_on_launch": subnet_id in (PUBLIC_A, PUBLIC_B),
        "cidr": "172.31.0.0/20",
        "available_addresses": 4000,
        **changes,
    }
    return ExistingSubnet(id=subnet_id, **facts)


def good_subnets(changes: dict[str, dict[str, Any]] | None = None) -> list[ExistingSubnet]:
    return [subnet(i, **(changes or {}).get(i, {})) for i in GOOD_ZONES]


def subnet_problems(subnets: list[ExistingSubnet], **settings: Any) -> list[str]:
    return [render(p) for p in existing_subnet_problems(subnets, network(**settings))]


def test_subnets_eks_can_use_pass() -> None:
    assert subnet_problems(good_subnets(), **EXISTING_NETWORK) == []
    assert subnet_problems(good_subnets(), **EXISTING_NETWORK, nodePlacement="public") == []


def test_every_subnet_problem_is_reported_at_its_key() -> None:
    subnets = good_subnets(
        {
            PRIVATE_A: {"vpc_id": "vpc-0fffffffffffffff0"},
            PUBLIC_A: {"zone_id": "use1-az3"},
            PUBLIC_B: {"map_public_ip_on_launch": False},
        }
    )
    assert subnet_problems(subnets, **EXISTING_NETWORK, nodePlacement="public") == [
        f"cyperf-k8s:eks.network.publicSubnetIds[0]: is in zone ID use1-az3, where EKS cannot "
        "place cluster subnets (EKS subnet requirements); use a subnet in another zone "
        f"(got '{PUBLIC_A}')",
        "cyperf-k8s:eks.network.publicSubnetIds[1]: does not assign public IPv4 addresses on "
        "launch, which nodes in public subnets need (EKS subnet requirements); enable it on the "
        "subnet (MapPublicIpOnLaunch) or use nodePlacement 'private' "
        f"(got '{PUBLIC_B}')",
        "cyperf-k8s:eks.network.privateSubnetIds[0]: belongs to vpc-0fffffffffffffff0, not to "
        f"vpcId {VPC} (got '{PRIVATE_A}')",
    ]


def test_public_ips_on_launch_matter_only_for_public_nodes() -> None:
    subnets = good_subnets({PUBLIC_B: {"map_public_ip_on_launch": False}})
    assert subnet_problems(subnets, **EXISTING_NETWORK) == []


def test_subnets_in_one_zone_are_refused_at_the_node_subnets() -> None:
    one_zone = [subnet(PRIVATE_A), subnet(PRIVATE_B, zone_id="use1-az1")]
    assert subnet_problems(one_zone, vpcId=VPC, privateSubnetIds=[PRIVATE_A, PRIVATE_B]) == [
        "cyperf-k8s:eks.network.privateSubnetIds: the subnets given are all in zone ['use1-az1']; "
        "EKS needs subnets in at least two availability zones "
        f'(got ["{PRIVATE_A}", "{PRIVATE_B}"])'
    ]


# --- default_route_nat -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("routes", "nat"),
    [
        (
            [("172.31.0.0/16", None), ("0.0.0.0/0", "nat-0aaaaaaaaaaaaaaa1")],
            "nat-0aaaaaaaaaaaaaaa1",
        ),
        # Through an internet gateway, an instance or a transit gateway: no NAT gateway.
        ([("172.31.0.0/16", None), ("0.0.0.0/0", None)], None),
        # No default route at all; an IPv6 route has no IPv4 destination.
        ([("172.31.0.0/16", None), (None, None)], None),
        # A NAT gateway on another route is not the way out.
        ([("10.8.0.0/16", "nat-0aaaaaaaaaaaaaaa2")], None),
        ([], None),
    ],
)
def test_default_route_nat(routes: list[tuple[str | None, str | None]], nat: str | None) -> None:
    assert default_route_nat(routes) == nat


# --- node_subnet_nat_problems ------------------------------------------------------------------

FIXES = (
    "route the subnet through a public NAT gateway, use the controller's private address, or "
    "leave controllerSecurityGroupId out and allow the agents' egress address in the "
    "controller's security group yourself"
)


def test_node_subnets_through_public_nat_gateways_pass() -> None:
    nats: dict[str, str | None] = {PRIVATE_A: "nat-1", PRIVATE_B: "nat-2"}
    assert node_subnet_nat_problems(nats, network(**EXISTING_NETWORK), set()) == []


def test_node_subnets_without_a_public_nat_gateway_are_refused() -> None:
    nats: dict[str, str | None] = {PRIVATE_A: None, PRIVATE_B: "nat-2"}
    problems = node_subnet_nat_problems(nats, network(**EXISTING_NETWORK), {"nat-2"})
    assert [render(p) for p in problems] == [
        "cyperf-k8s:eks.network.privateSubnetIds[0]: has no default route (0.0.0.0/0) through a "
        "NAT gateway, so the address the public controllerAddress sees the agents come from "
        f"cannot be known and no rule on controllerSecurityGroupId can name it; {FIXES} "
        f"(got '{PRIVATE_A}')",
        "cyperf-k8s:eks.network.privateSubnetIds[1]: routes 0.0.0.0/0 through the private NAT "
        "gateway nat-2, which keeps a private source address: the agents' traffic cannot reach "
        f"the public controllerAddress from it; {FIXES} (got '{PRIVATE_B}')",
    ]


def test_only_the_node_subnets_are_judged() -> None:
    nats: dict[str, str | None] = {PUBLIC_A: None, PUBLIC_B: "nat-1"}
    settings = network(**EXISTING_NETWORK, nodePlacement="public")
    assert [p.path for p in node_subnet_nat_problems(nats, settings, set())] == [
        ("eks", "network", "publicSubnetIds", 0)
    ]


# --- deployed zones and zone states ------------------------------------------------------------


DEPLOYED = {
    "public-0": ("10.0.0.0/18", "us-east-1a"),
    "public-1": ("10.0.64.0/18", "us-east-1b"),
    "private-0": ("10.0.128.0/18", "us-east-1a"),
    "private-1": ("10.0.192.0/18", "us-east-1b"),
}


def test_the_deployed_subnets_a_new_vpc_or_a_partial_state_pass() -> None:
    assert deployed_zone_problems(DEPLOYED, DEPLOYED, network()) == []
    assert deployed_zone_problems({}, DEPLOYED, network()) == []
    # An `up` that stopped after one subnet: the others are created, none moves.
    partial = {"public-0": DEPLOYED["public-0"]}
    assert deployed_zone_problems(partial, DEPLOYED, network()) == []
    # Another vpcCidr replaces the VPC and every subnet with it: nothing collides.
    other_vpc = network(vpcCidr="10.1.0.0/16")
    moved = {
        name: (cidr.replace("10.0.", "10.1."), "us-east-1c") for name, (cidr, _) in DEPLOYED.items()
    }
    assert deployed_zone_problems(DEPLOYED, moved, other_vpc) == []


def test_a_re_carved_subnet_is_refused_under_the_key_that_chose_it() -> None:
    """Same zones, three instead of two: every block shrinks to a /19."""
    three = {
        **{
            f"public-{i}": (f"10.0.{32 * i}.0/19", z)
            for i, z in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"])
        },
        **{
            f"private-{i}": (f"10.0.{96 + 32 * i}.0/19", z)
            for i, z in enumerate(["us-east-1a", "us-east-1b", "us-east-1c"])
        },
    }
    [problem] = deployed_zone_problems(DEPLOYED, three, network(availabilityZoneCount=3))
    assert problem.path == ("eks", "network", "availabilityZoneCount")


def test_a_moved_zone_is_refused_under_the_key_that_chose_it() -> None:
    moved = {
        **DEPLOYED,
        "public-1": ("10.0.64.0/18", "us-east-1c"),
        "private-1": ("10.0.192.0/18", "us-east-1c"),
    }
    by_id = network(availabilityZoneIds=["use1-az1", "use1-az4"])
    [problem] = deployed_zone_problems(DEPLOYED, moved, by_id)
    assert render(problem) == (
        "cyperf-k8s:eks.network.availabilityZoneIds: the deployed VPC has its subnets in 2 zones "
        "['us-east-1a', 'us-east-1b'], this config puts them in ['us-east-1a', 'us-east-1c']: "
        "another zone count or zone re-creates the subnets (their blocks are sized from the "
        "count; the new ones collide with the old, InvalidSubnet.Conflict) and every node group; "
        "keep the deployed zones, or destroy the stack and create it again "
        '(got ["use1-az1", "use1-az4"])'
    )


def test_only_chosen_zones_that_are_not_available_warn() -> None:
    assert impaired_zone_warnings(["us-east-1a", "us-east-1b"], ["us-east-1b"], network()) != []
    assert [w.path for w in impaired_zone_warnings(["us-east-1a"], ["us-east-1b"], network())] == [
        ("eks", "network", "availabilityZoneCount")
    ]
    assert impaired_zone_warnings(["us-east-1b"], ["us-east-1b", "us-east-1c"], network()) == []
