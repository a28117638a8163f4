"""Ingress rules on the CyPerf Controller's security group, from the agents only.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False); counts are asserted so an assertion inside an empty loop cannot pass silently."""

from __future__ import annotations

from components.settings.problems import PROJECT
from mocks.stack_state import StackState
from tests.support.eks import (
    EXISTING_NETWORK,
    INGRESS,
    EksMocks,
    ProvisionRun,
    eks_config,
    run_provision,
)
from tests.support.program import STACK


def test_controller_rules_from_nat_addresses_before_cyperf_3(calico: ProvisionRun) -> None:
    rules = calico.of_type(INGRESS)
    assert len(rules) == 2
    assert sorted(r.inputs["fromPort"] for r in rules) == [443.0, 30422.0]
    for rule in rules:
        assert rule.inputs["securityGroupId"] == "sg-0c0c0c0c0c0c0c0c0"
        assert rule.inputs["cidrIpv4"] == "203.0.113.1/32"
        assert rule.inputs["ipProtocol"] == "tcp"
        assert rule.inputs["fromPort"] == rule.inputs["toPort"]
        assert rule.inputs["tags"] == {"owner": "qa"}


def test_no_controller_rules_without_its_security_group(vpc_cni: ProvisionRun) -> None:
    assert vpc_cni.of_type(INGRESS) == []


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
    assert run.exports["egressAddresses"] == [
        "198.51.100.11/32",
        "198.51.100.12/32",
        "198.51.100.13/32",
    ]
    assert any("the controller address is public" in n for n in run.exports["notes"])
    assert not any("reference the node security group" in n for n in run.exports["notes"])


PUBLIC_CONTROLLER = eks_config(
    {"network": EXISTING_NETWORK, "controllerSecurityGroupId": "sg-0a1b2c3d"},
    controllerAddress="203.0.113.10",
    cyperfRelease="release2.6",
)


def _names(run: ProvisionRun) -> dict[tuple[str, float], str]:
    return {(r.inputs["cidrIpv4"], r.inputs["fromPort"]): r.name for r in run.of_type(INGRESS)}


def test_an_existing_vpcs_rules_are_named_by_address_and_keep_their_names() -> None:
    """NAT 1 gains an address that sorts before its own (here: it turns regional with two):
    the rules of every address it already had keep their names, none shifts onto another."""
    before = _names(run_provision(PUBLIC_CONTROLLER))
    assert before[("198.51.100.11/32", 443.0)] == "eks-controller-access-198.51.100.11-443"
    regional = {
        "regionalNatGatewayAddresses": [
            {"publicIp": "198.51.100.10"},
            {"publicIp": "198.51.100.11"},
        ]
    }
    after = _names(
        run_provision(
            PUBLIC_CONTROLLER, EksMocks(regional_nats={"nat-0aaaaaaaaaaaaaaa1": regional})
        )
    )
    assert len(after) == 8
    assert {k: after[k] for k in before} == before
    assert all(
        name == f"eks-controller-access-{cidr[:-3]}-{port:.0f}"
        for (cidr, port), name in after.items()
    )


def test_a_deployed_stacks_position_named_rules_move_to_their_address_by_alias() -> None:
    """Deployed by position: nat-0 = .11, nat-1 = .12 (per port). Each rule of an address takes
    the URN of the old rule of that address and port."""
    urn = (
        f"urn:pulumi:{STACK}::{PROJECT}::cyperf-k8s:eks:ControllerAccess$"
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::eks-controller-access-"
    )
    old = {
        f"{urn}nat-{index}-{port}": {
            "type": INGRESS,
            "outputs": {"cidrIpv4": f"198.51.100.{11 + index}/32", "fromPort": port},
        }
        for index in (0, 1)
        for port in (443, 30422)
    }
    mocks = EksMocks()
    mocks.stack_state = StackState(outputs={"namespace": "cyperf"}, resources=old)
    run = run_provision(PUBLIC_CONTROLLER, mocks)
    aliases = {r.name: r.alias_urns for r in run.of_type(INGRESS)}
    assert aliases == {
        "eks-controller-access-198.51.100.11-443": [f"{urn}nat-0-443"],
        "eks-controller-access-198.51.100.11-30422": [f"{urn}nat-0-30422"],
        "eks-controller-access-198.51.100.12-443": [f"{urn}nat-1-443"],
        "eks-controller-access-198.51.100.12-30422": [f"{urn}nat-1-30422"],
        "eks-controller-access-198.51.100.13-443": [],
        "eks-controller-access-198.51.100.13-30422": [],
    }


def test_a_created_vpcs_rules_stay_named_by_the_nat_gateways_zone(calico: ProvisionRun) -> None:
    assert sorted(r.name for r in calico.of_type(INGRESS)) == [
        "eks-controller-access-nat-0-30422",
        "eks-controller-access-nat-0-443",
    ]
