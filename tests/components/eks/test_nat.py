"""The public addresses of an existing VPC's NAT gateways, zonal or regional: pure, and through
the program under mocks (pulumi-aws 7.51.1 get_nat_gateway answers)."""

from __future__ import annotations

from components.eks import nat
from components.settings.problems import render
from tests.support.eks import (
    EXISTING_NETWORK,
    EXISTING_PRIVATE,
    INGRESS,
    EksMocks,
    eks_config,
    eks_of,
    eks_settings,
    run_provision,
)
from tests.support.program import refused

NETWORK = eks_of({"network": EXISTING_NETWORK}).network
PUBLIC_CONTROLLER = {
    "controllerAddress": "203.0.113.10",
    "cyperfRelease": "release2.6",
}
SUBNET_1, SUBNET_2 = EXISTING_PRIVATE


def test_zonal_and_regional_addresses_each_once_in_lookup_order() -> None:
    addresses, warnings, problems = nat.egress_addresses(
        {
            "nat-z": nat.NatGateway("nat-z", False, ("198.51.100.11", "198.51.100.13")),
            "nat-r": nat.NatGateway("nat-r", True, ("198.51.100.21", "198.51.100.11")),
        },
        {SUBNET_1: "nat-z", SUBNET_2: "nat-r"},
        NETWORK,
    )
    assert addresses == ["198.51.100.11", "198.51.100.13", "198.51.100.21"]
    assert warnings == [] and problems == []


def test_a_gateway_without_an_address_is_a_problem_never_an_empty_rule() -> None:
    addresses, warnings, problems = nat.egress_addresses(
        {"nat-r": nat.NatGateway("nat-r", True, ("",))},
        {SUBNET_1: None, SUBNET_2: "nat-r"},
        NETWORK,
    )
    assert addresses == [] and warnings == []
    assert [render(p) for p in problems] == [
        "cyperf-k8s:eks.network.privateSubnetIds[1]: leaves through NAT gateway nat-r, which has "
        "no public address yet (regional): no rule on controllerSecurityGroupId can name it; run "
        "`up` again when the gateway has its addresses, or allow the agents' egress address "
        f"yourself (got '{SUBNET_2}')"
    ]


def test_auto_scaling_addresses_of_a_regional_gateway_warn() -> None:
    _, warnings, _ = nat.egress_addresses(
        {"nat-r": nat.NatGateway("nat-r", True, ("198.51.100.21",), auto_scaling_ips=True)},
        {SUBNET_1: "nat-r", SUBNET_2: "nat-r"},
        NETWORK,
    )
    assert [str(w) for w in warnings] == [
        "cyperf-k8s:eks.network.privateSubnetIds[0]: leaves through regional NAT gateway nat-r, "
        "where AWS adds Elastic IP addresses as connections grow (auto_scaling_ips): the "
        "controller's rules name only today's ['198.51.100.21'], and agents leaving from a later "
        "address are refused until the next `up`; give the gateway fixed addresses"
    ]


REGIONAL = {
    "regionalNatGatewayAddresses": [
        {"publicIp": "198.51.100.31", "availabilityZone": "us-east-1a", "status": "succeeded"},
        {"publicIp": "198.51.100.32", "availabilityZone": "us-east-1b", "status": "succeeded"},
    ],
    "autoScalingIps": "enabled",
}


def test_a_regional_gateway_gives_its_listed_addresses_to_the_controller_rules(
    logged_warnings: list[str],
) -> None:
    """Subnet a2 leaves through NAT 2, here regional: its addresses, not an empty `/32`."""
    run = run_provision(
        eks_config(
            {"network": EXISTING_NETWORK, "controllerSecurityGroupId": "sg-0a1b2c3d"},
            **PUBLIC_CONTROLLER,
        ),
        EksMocks(regional_nats={"nat-0aaaaaaaaaaaaaaa2": REGIONAL}),
    )
    cidrs = sorted({r.inputs["cidrIpv4"] for r in run.of_type(INGRESS)})
    assert cidrs == ["198.51.100.11/32", "198.51.100.31/32", "198.51.100.32/32"]
    assert run.exports["egressAddresses"] == cidrs
    assert [w for w in logged_warnings if "auto_scaling_ips" in w] != []


def test_a_regional_gateway_without_addresses_stops_before_any_resource() -> None:
    refused(
        eks_settings(
            {"network": EXISTING_NETWORK, "controllerSecurityGroupId": "sg-0a1b2c3d"},
            **PUBLIC_CONTROLLER,
        ),
        "eks.network.privateSubnetIds[1]",
        "leaves through NAT gateway nat-0aaaaaaaaaaaaaaa2, which has no public address yet",
        EksMocks(regional_nats={"nat-0aaaaaaaaaaaaaaa2": {"regionalNatGatewayAddresses": []}}),
    )
