"""Ingress rules on the CyPerf Controller's security group, from the agents only: the NAT gateway
addresses (/32) the node subnets leave through (a VPC the stack made, or an existing VPC with a
public controller address), or the node security group (an existing VPC, controller reached
privately).

A rule's name carries what it allows, not a list position: the zone of a NAT gateway the stack
made, an existing NAT gateway's address. Named by position, adding a NAT gateway or an address
shifted every later rule onto another address, and a rule updated to an address another rule
still held failed with InvalidPermission.Duplicate. Rules of a deployed stack named by position
(`<name>-nat-<index>-<port>`) are moved by alias to the rule of their own address (the state
says which address each holds: components.eks.previous)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.eks import previous


class ControllerAccess(pulumi.ComponentResource):
    rules: list[aws.vpc.SecurityGroupIngressRule]

    def __init__(
        self,
        name: str,
        group: str | None,
        tags: Mapping[str, str],
        ports: Sequence[int],
        source: Literal["natGateways", "nodeSecurityGroup"] | None,
        nat_public_ips: Mapping[str, pulumi.Output[str]],
        node_security_group_id: pulumi.Input[str],
        cluster_name: str,
        deployed: previous.PreviousEks | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`group`: the controller's security group (eks.controllerSecurityGroupId), None for
        no rules; `nat_public_ips`: by the key each rule is named after
        (components.eks.network); `deployed`: the stack's state, for the aliases."""
        super().__init__("cyperf-k8s:eks:ControllerAccess", name, None, opts)
        # (name suffix, where the agents' traffic comes from, description) per allowed source.
        sources: list[tuple[str, dict[str, pulumi.Input[str]], str]] = []
        if source == "natGateways":
            sources = [
                (
                    key,
                    {"cidr_ipv4": address.apply(lambda a: f"{a}/32")},
                    f"via NAT {key.removeprefix('nat-')}",
                )
                for key, address in nat_public_ips.items()
            ]
        elif source == "nodeSecurityGroup":
            sources = [
                (
                    "nodes",
                    {"referenced_security_group_id": node_security_group_id},
                    "(node security group)",
                )
            ]
        aliases = position_aliases(name, deployed or previous.PreviousEks())
        self.rules = [
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{suffix}-{port}",
                security_group_id=group,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"CyPerf agents of EKS {cluster_name} {what}",
                tags=dict(tags),
                opts=pulumi.ResourceOptions(
                    parent=self, aliases=aliases.get(f"{name}-{suffix}-{port}")
                ),
                **origin,
            )
            for port in (ports if group is not None else ())
            for suffix, origin, what in sources
        ]
        self.register_outputs(
            {"securityGroupId": group, "ports": list(ports) if group else [], "source": source}
        )


def position_aliases(name: str, deployed: previous.PreviousEks) -> dict[str, list[str]]:
    """New rule name (`<name>-<address>-<port>`) -> URN of the deployed rule named by NAT
    position that allows the same address and port."""
    old = re.compile(re.escape(f"{name}-nat-") + r"[0-9]+-([0-9]+)")
    aliases: dict[str, list[str]] = {}
    for rule in deployed.of_type(previous.INGRESS_RULE_TYPE):
        matched = old.fullmatch(rule.name)
        cidr = str(rule.outputs.get("cidrIpv4", ""))
        if matched and cidr.endswith("/32"):
            aliases[f"{name}-{cidr.removesuffix('/32')}-{matched[1]}"] = [rule.urn]
    return aliases
