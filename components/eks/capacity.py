"""Preview warnings about pod capacity the settings cannot check."""

from __future__ import annotations

from components import ec2_instances as instances
from components.eks.zones import ExistingSubnet
from components.settings.eks.section import EksSettings
from components.settings.problems import KeyWarning


def unlisted_instance_warnings(eks: EksSettings) -> list[KeyWarning]:
    """With the VPC CNI, instance types outside the ENI table get no maxPods or subnet check."""
    if eks.cni.is_calico:
        return []
    return [
        KeyWarning(
            ("eks", "nodeGroups", role, "instanceTypes"),
            f"{instance_type} is not in the stack's ENI table, so maxPods and the subnet size "
            "were not checked against its VPC CNI pod capacity (see awslabs/amazon-eks-ami "
            "eni-max-pods.txt)",
        )
        for role, group in eks.node_groups.by_role().items()
        for instance_type in group.instance_types
        if instances.vpc_cni_max_pods(instance_type) is None
    ]


def existing_subnet_warnings(eks: EksSettings, subnets: list[ExistingSubnet]) -> list[KeyWarning]:
    """With the VPC CNI (no prefix delegation) every node holds two full ENIs of VPC addresses
    (WARM_ENI_TARGET=1); an existing node subnet with fewer free addresses than its share of the
    groups' maxSize needs leaves nodes without pod addresses. A warning, not a refusal: the free
    count changes with everything else in the subnet."""
    if eks.cni.is_calico or eks.cni.prefix_delegation:
        return []
    groups = eks.node_groups.by_role().values()
    types = {t for g in groups for t in g.instance_types}
    per_node = [a for t in types if (a := instances.addresses_per_node(t)) is not None]
    node_subnets = eks.network.node_subnet_ids_given
    if not per_node or not node_subnets:
        return []
    nodes = instances.nodes_per_subnet(sum(g.max_size for g in groups), len(node_subnets))
    needed = nodes * max(per_node)
    key = eks.network.node_subnet_key
    free = {s.id: s.available_addresses for s in subnets}
    return [
        KeyWarning(
            ("eks", "network", key, index),
            f"{subnet_id} has {free[subnet_id]} free addresses; with the VPC CNI up to {nodes} "
            f"node(s) there hold about {max(per_node)} each (two ENIs, WARM_ENI_TARGET=1), "
            f"{needed} in all: nodes may get no pod addresses; use larger subnets, more of them, "
            "or cni.prefixDelegation",
        )
        for index, subnet_id in enumerate(node_subnets)
        if free[subnet_id] < needed
    ]
