"""Ingress rules on the node security group from the DUT, to the server agents' ports.

Managed nodes carry only the EKS cluster security group here (components.eks.plan.cluster_args:
no default security groups), which admits traffic only from itself (EKS User Guide, "View
Amazon EKS security group requirements for clusters": the default inbound rule is all traffic
from the group itself), so nothing outside the
cluster reaches a node port or a pod IP until a rule admits it. With the VPC CNI a pod's address
is on a node ENI with the node's security groups, so the same group guards the pod IPs.

Which ports (pure `dut_ports`): per server group with a Service, each fixed node port, or the
whole node-port range where Kubernetes picks one (type NodePort or LoadBalancer without
`nodePort`), and with the VPC CNI each target port (a DUT forwarding to pod IPs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.settings.eks.section import EksSettings
from components.settings.problems import KeyWarning
from components.settings.stack import StackSettings

# Kubernetes' default --service-node-port-range, which EKS keeps.
NODE_PORT_RANGE = (30000, 32767)


@dataclass(frozen=True, order=True)
class DutPort:
    protocol: str  # tcp | udp
    from_port: int
    to_port: int
    what: str

    @property
    def key(self) -> str:
        ports = str(self.from_port)
        if self.to_port != self.from_port:
            ports += f"-{self.to_port}"
        return f"{self.protocol}-{ports}"


def dut_ports(settings: StackSettings, eks: EksSettings) -> list[DutPort]:
    """The ports the DUT's traffic reaches, each once (sorted)."""
    ports: dict[str, DutPort] = {}
    for group in settings.agent_groups:
        if group.role != "server" or group.service is None:
            continue
        service = group.service
        for port in service.ports:
            protocol = port.protocol.lower()
            found = []
            if port.node_port is not None:
                found.append(DutPort(protocol, port.node_port, port.node_port, "node port"))
            elif service.type != "ClusterIP":
                found.append(DutPort(protocol, *NODE_PORT_RANGE, "node ports"))
            if not eks.cni.is_calico:
                found.append(DutPort(protocol, port.target_port, port.target_port, "pod port"))
            for dut_port in found:
                ports.setdefault(dut_port.key, dut_port)
    return sorted(ports.values())


def dut_warnings(settings: StackSettings, eks: EksSettings) -> list[KeyWarning]:
    network = eks.network
    if not (network.dut_source_cidrs or network.dut_source_security_group_id):
        return []
    if dut_ports(settings, eks):
        return []
    key = "dutSourceCidrs" if network.dut_source_cidrs else "dutSourceSecurityGroupId"
    return [
        KeyWarning(
            ("eks", "network", key),
            "no server group has a Service whose ports the DUT could reach (with Calico only "
            "node ports: type NodePort or LoadBalancer): no rule is added",
        )
    ]


def dut_sources(eks: EksSettings) -> dict[str, dict[str, str]]:
    """Rule name part -> the source argument of a security group ingress rule."""
    network = eks.network
    sources = {cidr.replace("/", "-"): {"cidr_ipv4": cidr} for cidr in network.dut_source_cidrs}
    if network.dut_source_security_group_id is not None:
        group = network.dut_source_security_group_id
        sources[group] = {"referenced_security_group_id": group}
    return sources


class DutAccess(pulumi.ComponentResource):
    rules: list[aws.vpc.SecurityGroupIngressRule]

    def __init__(
        self,
        name: str,
        settings: StackSettings,
        eks: EksSettings,
        node_security_group_id: pulumi.Input[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cyperf-k8s:eks:DutAccess", name, None, opts)
        ports = dut_ports(settings, eks)
        self.rules = [
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{source}-{port.key}",
                security_group_id=node_security_group_id,
                ip_protocol=port.protocol,
                from_port=port.from_port,
                to_port=port.to_port,
                description=f"DUT to the CyPerf servers' {port.what}",
                tags=dict(tags),
                opts=pulumi.ResourceOptions(parent=self),
                **origin,
            )
            for source, origin in dut_sources(eks).items()
            for port in ports
        ]
        self.register_outputs(
            {"ports": [p.key for p in ports], "sources": sorted(dut_sources(eks))}
        )
