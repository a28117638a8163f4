"""Ingress rules on the CyPerf Controller's security group, from the agents only: the NAT gateway
addresses (/32) the node subnets leave through (a VPC the stack made, or an existing VPC with a
public controller address), or the node security group (an existing VPC, controller reached
privately)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import pulumi
import pulumi_aws as aws


class ControllerAccess(pulumi.ComponentResource):
    rules: list[aws.vpc.SecurityGroupIngressRule]

    def __init__(
        self,
        name: str,
        group: str | None,
        tags: Mapping[str, str],
        ports: Sequence[int],
        source: Literal["natGateways", "nodeSecurityGroup"] | None,
        nat_public_ips: Sequence[pulumi.Output[str]],
        node_security_group_id: pulumi.Input[str],
        cluster_name: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`group`: the controller's security group (eks.controllerSecurityGroupId), None for
        no rules."""
        super().__init__("cyperf-k8s:eks:ControllerAccess", name, None, opts)
        # (name suffix, where the agents' traffic comes from, description) per allowed source.
        sources: list[tuple[str, dict[str, pulumi.Input[str]], str]] = []
        if source == "natGateways":
            sources = [
                (
                    f"nat-{index}",
                    {"cidr_ipv4": address.apply(lambda a: f"{a}/32")},
                    f"via NAT {index}",
                )
                for index, address in enumerate(nat_public_ips)
            ]
        elif source == "nodeSecurityGroup":
            sources = [
                (
                    "nodes",
                    {"referenced_security_group_id": node_security_group_id},
                    "(node security group)",
                )
            ]
        self.rules = [
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{suffix}-{port}",
                security_group_id=group,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"CyPerf agents of EKS {cluster_name} {what}",
                tags=dict(tags),
                opts=pulumi.ResourceOptions(parent=self),
                **origin,
            )
            for port in (ports if group is not None else ())
            for suffix, origin, what in sources
        ]
        self.register_outputs(
            {"securityGroupId": group, "ports": list(ports) if group else [], "source": source}
        )
