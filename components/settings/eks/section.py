"""The `eks` section as a whole, with the checks between its parts (CIDR overlaps, node
groups and the Kubernetes version, controller access and node placement)."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, model_validator

from components import ec2_instances as instances
from components.settings.eks.cluster import ClusterSettings
from components.settings.eks.cni import CniSettings
from components.settings.eks.fields import AwsTags, SecurityGroupId
from components.settings.eks.network import NetworkSettings
from components.settings.eks.node_groups import NodeGroupSettings, NodeGroupsSettings
from components.settings.fields import Model
from components.settings.problems import Path, Problem, only_with, raise_any


class EksSettings(Model):
    """The EKS cluster the stack provisions with `cluster: eks`: its network, control plane, pod
    network and node groups."""

    network: NetworkSettings = NetworkSettings()
    """A VPC the stack creates, or an existing VPC and its subnets."""
    cluster: ClusterSettings = ClusterSettings()
    """The EKS control plane."""
    cni: CniSettings = CniSettings()
    """The pod network."""
    node_groups: NodeGroupsSettings = NodeGroupsSettings()
    """One managed node group per agent role."""
    controller_security_group_id: SecurityGroupId | None = None
    """The CyPerf Controller's security group (same account): the stack adds ingress rules from
    the agents on 443, and 30422 for CyPerf releases before 3.0."""
    tags: AwsTags = Field(default_factory=dict)
    """AWS tags on every AWS resource the stack declares, and through the launch templates on
    every node instance, its volumes and network interfaces."""

    @model_validator(mode="after")
    def _cross_checks(self) -> EksSettings:
        problems: list[Problem] = []
        service = ipaddress.IPv4Network(self.cluster.service_cidr)
        vpc = ipaddress.IPv4Network(self.network.vpc_cidr) if self.network.creates_vpc else None
        if vpc is not None and service.overlaps(vpc):
            problems.append(
                Problem(
                    ("cluster", "serviceCidr"),
                    f"overlaps the VPC CIDR {self.network.vpc_cidr!r}; EKS needs a service "
                    "CIDR outside the VPC",
                    self.cluster.service_cidr,
                )
            )
        if self.cni.is_calico:
            pod = ipaddress.IPv4Network(self.cni.pod_cidr)
            for other, key in ((vpc, "network.vpcCidr"), (service, "cluster.serviceCidr")):
                if other is not None and pod.overlaps(other):
                    problems.append(
                        Problem(
                            ("cni", "podCidr"),
                            f"overlaps {key} {str(other)!r}; the Calico pod CIDR must not "
                            "overlap the VPC or the service CIDR",
                            self.cni.pod_cidr,
                        )
                    )
        groups = self.node_groups.by_role()
        if not groups:
            problems.append(
                Problem(
                    ("nodeGroups",),
                    "at least one of the client and server node groups is needed",
                    None,
                )
            )
        elif all(g.dedicated for g in groups.values()):
            role = sorted(groups)[-1]
            problems.append(
                Problem(
                    ("nodeGroups", role, "dedicated"),
                    "every node group is tainted, so CoreDNS and the other cluster add-ons "
                    "would have no node to run on; leave at least one group undedicated",
                    True,
                )
            )
        if self.cni.is_calico and groups and all(g.desired_size == 0 for g in groups.values()):
            role = sorted(groups)[-1]
            problems.append(
                Problem(
                    ("nodeGroups", role, "desiredSize"),
                    "with Calico the CoreDNS add-on is created after the node groups and needs a "
                    "node: with every group at desiredSize 0 it stays DEGRADED and `pulumi up` "
                    "fails after the add-on's 20-minute wait; give at least one group a node",
                    0,
                )
            )
        if not self.cni.is_calico and self.cluster.coredns_addon_version is not None:
            problems.append(
                Problem(
                    ("cluster", "corednsAddonVersion"),
                    only_with("cni type 'calico-vxlan'", "the VPC CNI keeps EKS's own CoreDNS"),
                    self.cluster.coredns_addon_version,
                )
            )
        problems += self._coredns_dead_end(groups)
        problems += self._node_image_problems()
        problems += self._pod_capacity_problems()
        if (
            self.controller_security_group_id is not None
            and self.network.creates_vpc
            and self.network.node_placement == "public"
        ):
            problems.append(
                Problem(
                    ("controllerSecurityGroupId",),
                    "nodes in public subnets of a new VPC reach the controller from their own "
                    "changing public IPs, which no rule can name; use nodePlacement 'private' "
                    "(rules from the NAT gateway addresses) or an existing VPC that holds the "
                    "controller (rules from the node security group)",
                    self.controller_security_group_id,
                )
            )
        raise_any(problems)
        return self

    @property
    def in_cluster_ranges(self) -> dict[Path, str]:
        """The address ranges routed inside the cluster, by key path under `eks`: the service
        CIDR, and with Calico the pod CIDR. An address in one never leaves the cluster."""
        ranges: dict[Path, str] = {("cluster", "serviceCidr"): self.cluster.service_cidr}
        if self.cni.is_calico:
            ranges["cni", "podCidr"] = self.cni.pod_cidr
        return ranges

    @property
    def custom_user_data(self) -> bool:
        """The stack writes the nodes' user data (kubelet maxPods): pulumi-eks then builds a launch
        template with an AMI id and drops amiType, version and releaseVersion
        (nodejs/eks/nodes/nodegroup.ts, createManagedNodeGroup)."""
        return self.cni.effective_max_pods is not None

    def _pod_capacity_problems(self) -> list[Problem]:
        """The VPC CNI gives every pod a VPC address from the node's ENIs."""
        if self.cni.is_calico:
            return []
        problems = []
        groups = self.node_groups.by_role()
        types = sorted({t for g in groups.values() for t in g.instance_types})
        if self.cni.max_pods is not None and not self.cni.prefix_delegation:
            over = {
                t: limit
                for t in types
                if (limit := instances.vpc_cni_max_pods(t)) is not None
                and limit < self.cni.max_pods
            }
            if over:
                problems.append(
                    Problem(
                        ("cni", "maxPods"),
                        f"at most {min(over.values())} with the VPC CNI without prefixDelegation: "
                        f"the ENIs of {sorted(over)} hold {over} pod addresses; lower maxPods, "
                        "turn on prefixDelegation or use larger instance types",
                        self.cni.max_pods,
                    )
                )
        per_node = [a for t in types if (a := instances.addresses_per_node(t)) is not None]
        if self.network.creates_vpc and per_node and not self.cni.prefix_delegation:
            network = self.network
            prefix = network.subnet_prefix
            nodes = instances.nodes_per_subnet(
                sum(g.max_size for g in groups.values()), network.zone_count
            )
            if not instances.subnet_fits(prefix, nodes, max(per_node)):
                problems.append(
                    Problem(
                        ("network", "vpcCidr"),
                        f"gives /{prefix} subnets: with the VPC CNI up to {nodes} node(s) per "
                        f"subnet (maxSize over {network.zone_count} zones) hold about "
                        f"{max(per_node)} VPC addresses each (two ENIs, WARM_ENI_TARGET=1), "
                        f"more than a /{prefix} has; use a larger vpcCidr, more zones, or "
                        "prefixDelegation",
                        network.vpc_cidr,
                    )
                )
        return problems

    def _coredns_dead_end(self, groups: dict[str, NodeGroupSettings]) -> list[Problem]:
        """CoreDNS (EKS's add-on and its bootstrapped deployment alike) tolerates no `agenttype`
        taint: with nodes only in dedicated groups it stays Pending (Calico: the add-on is
        DEGRADED and `up` fails after its 20-minute wait; VPC CNI: names never resolve)."""
        untainted = {role: g for role, g in groups.items() if not g.dedicated}
        dedicated_nodes = any(g.desired_size > 0 for g in groups.values() if g.dedicated)
        if not untainted or not dedicated_nodes:
            return []
        if any(g.desired_size > 0 for g in untainted.values()):
            return []
        role = sorted(untainted)[-1]
        return [
            Problem(
                ("nodeGroups", role, "desiredSize"),
                "every untainted node group is at 0 nodes while a dedicated (tainted) group has "
                "nodes: CoreDNS does not tolerate the agenttype taint, so it has nowhere to run "
                "(Calico: its add-on stays DEGRADED and `pulumi up` fails after 20 minutes; VPC "
                "CNI: cluster DNS never answers); give an undedicated group at least one node "
                "(desiredSize and minSize 1)",
                untainted[role].desired_size,
            )
        ]

    def _node_image_problems(self) -> list[Problem]:
        problems = []
        for role, group in self.node_groups.by_role().items():
            if self.custom_user_data and group.ami_release_version is not None:
                problems.append(
                    Problem(
                        ("nodeGroups", role, "amiReleaseVersion"),
                        only_with(
                            "the AMI picked by EKS: the VPC CNI without cni.maxPods",
                            "here the stack writes the nodes' user data: the launch template "
                            "carries an AMI id and pulumi-eks drops releaseVersion",
                            "pin amiId instead",
                        ),
                        group.ami_release_version,
                    )
                )
            if not self.custom_user_data and group.ami_id is not None:
                problems.append(
                    Problem(
                        ("nodeGroups", role, "amiId"),
                        only_with(
                            "the nodes' user data written by the stack: Calico, or cni.maxPods",
                            "here EKS picks the AMI",
                            "pin amiReleaseVersion instead",
                        ),
                        group.ami_id,
                    )
                )
        return problems

    @property
    def controller_ingress_source(self) -> Literal["natGateways", "nodeSecurityGroup"] | None:
        """Where the controller's ingress rules allow agents from (None: no rules)."""
        if self.controller_security_group_id is None:
            return None
        if self.network.creates_vpc:
            return "natGateways"
        return "nodeSecurityGroup"
