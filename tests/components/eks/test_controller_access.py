"""Ingress rules on the CyPerf Controller's security group, from the agents only.

Every test reads from what the mock monitor recorded under `components.eks.provision`
(preview=False); counts are asserted so an assertion inside an empty loop cannot pass silently."""

from __future__ import annotations

from tests.support.eks import EXISTING_NETWORK, INGRESS, ProvisionRun, eks_config, run_provision


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
