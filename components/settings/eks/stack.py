"""The stack settings of `cluster: eks` and the checks that span the agent groups and the EKS
node groups (placement, architecture, one agent per node)."""

from __future__ import annotations

import ipaddress

from pydantic import Field, model_validator

from components.settings.agent_groups import AgentGroup
from components.settings.controller_address import controller_ipv4
from components.settings.eks.fields import PRIVATE_RANGES
from components.settings.eks.section import EksSettings
from components.settings.problems import Problem, only_with, raise_any
from components.settings.stack import StackSettings
from components.versions import version_numbers


def _targets(group: AgentGroup, eks: EksSettings) -> list[str]:
    selector = group.effective_node_selector
    return [
        role
        for role, node_group in eks.node_groups.by_role().items()
        if all(node_group.node_labels(role).get(k) == v for k, v in selector.items())
    ]


def _controller_address_problems(settings: EksStackSettings) -> list[Problem]:
    """An IPv4 controller address inside the service or Calico pod CIDR would be routed inside
    the cluster, never to the controller (Calico: the pod range "cannot overlap with any other IP
    ranges in your network", tigera/docs system requirements)."""
    address = controller_ipv4(settings.controller_address)
    if address is None:
        return []
    return [
        Problem(
            ("eks", *path),
            f"contains controllerAddress {settings.controller_address}: agents would never reach "
            "the controller; choose a block without it",
            cidr,
        )
        for path, cidr in settings.eks.in_cluster_ranges.items()
        if address in ipaddress.IPv4Network(cidr)
    ]


SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")


def controller_reached_through_nat(settings: EksStackSettings) -> bool:
    """Whether the controller rules of an existing VPC must name the NAT addresses: a source
    security group rule matches only the private addresses of the nodes' interfaces (AWS VPC
    security group rules: it "is allowed based on the private IP addresses ... and not the public
    IP or Elastic IP addresses"), so agents reaching a public IPv4 controller address through a
    NAT gateway are matched by its public IP only. A DNS name cannot be judged (a warning)."""
    if settings.eks.controller_ingress_source != "nodeSecurityGroup":
        return False
    address = controller_ipv4(settings.controller_address)
    if address is None:
        return False
    # VPC address space: RFC 1918 and the shared 100.64.0.0/10 (VPC secondary CIDRs).
    return not any(address in network for network in (*PRIVATE_RANGES, SHARED_ADDRESS_SPACE))


def eks_cross_checks(settings: EksStackSettings) -> list[Problem]:
    """Checks between the EKS section and the rest of the stack settings (paths from the
    config root)."""
    problems: list[Problem] = []
    eks = settings.eks
    for alias, value in (
        ("kubeconfig", settings.kubeconfig),
        ("kubeContext", settings.kube_context),
        ("nodeLabels", settings.node_labels),
    ):
        if value:
            problems.append(
                Problem(
                    (alias,),
                    only_with(
                        "cluster 'existing'",
                        "cluster is 'eks': the stack builds the kubeconfig of the cluster it "
                        "creates and labels its node groups `agenttype=<role>` itself",
                    ),
                    value,
                )
            )
    problems += _controller_address_problems(settings)
    node_groups = eks.node_groups.by_role()
    one_per_node_demand: dict[str, list[tuple[str, int]]] = {}
    for index, group in enumerate(settings.agent_groups):
        targets = _targets(group, eks)
        if not targets:
            available = {role: ng.node_labels(role) for role, ng in node_groups.items()}
            key = "nodeSelector" if group.node_selector is not None else "role"
            problems.append(
                Problem(
                    ("agentGroups", index, key),
                    f"group {group.name!r} selects nodes {group.effective_node_selector} but no "
                    f"EKS node group carries those labels (node groups: {available}); add the "
                    "labels to eks.nodeGroups.<role>.labels or enable that role's node group",
                    group.node_selector if group.node_selector is not None else group.role,
                )
            )
            continue
        wrong_arch = [r for r in targets if node_groups[r].architecture != group.architecture]
        if wrong_arch:
            problems.append(
                Problem(
                    ("agentGroups", index, "architecture"),
                    f"group {group.name!r} runs {group.architecture} images but node group(s) "
                    f"{wrong_arch} run amiType {[node_groups[r].ami_type for r in wrong_arch]} "
                    f"({sorted({node_groups[r].architecture for r in wrong_arch})}); set the "
                    "group's architecture to match, or change eks.nodeGroups.<role>.amiType "
                    "and instanceTypes",
                    group.architecture,
                )
            )
        if group.one_agent_per_node and len(targets) == 1:
            one_per_node_demand.setdefault(targets[0], []).append((group.name, group.replicas))
    for role, demand in sorted(one_per_node_demand.items()):
        wanted = sum(replicas for _, replicas in demand)
        desired = node_groups[role].desired_size
        if wanted > desired:
            problems.append(
                Problem(
                    ("eks", "nodeGroups", role, "desiredSize"),
                    f"{desired} node(s) cannot hold {wanted} agent(s) of groups "
                    f"{[name for name, _ in demand]} with oneAgentPerNode on (one agent per "
                    f"node); raise desiredSize (and maxSize) to at least {wanted}, lower the "
                    "replicas, or turn oneAgentPerNode off",
                    desired,
                )
            )
    return problems


class EksStackSettings(StackSettings):
    """The stack settings of `cluster: eks`: the EKS section (defaults when left out) and the
    checks between it and the agent groups."""

    eks: EksSettings = Field(default_factory=EksSettings)
    """The EKS cluster to provision (every default when left out); refused with
    `cluster: existing`."""

    @model_validator(mode="after")
    def _eks_cross_checks(self) -> EksStackSettings:
        raise_any(eks_cross_checks(self))
        return self

    def node_instance_types(self, group: AgentGroup) -> list[str] | None:
        node_groups = self.eks.node_groups.by_role()
        return [t for role in _targets(group, self.eks) for t in node_groups[role].instance_types]

    @property
    def kubernetes_minor(self) -> int | None:
        return version_numbers(self.eks.cluster.kubernetes_version)[1]
