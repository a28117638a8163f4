"""Preview warnings about pod capacity the settings cannot check."""

from __future__ import annotations

from components.settings.eks import instances
from components.settings.eks.section import EksSettings


def unlisted_instance_warnings(eks: EksSettings) -> list[str]:
    """With the VPC CNI, instance types outside the ENI table get no maxPods or subnet check."""
    if eks.cni.is_calico:
        return []
    return [
        f"cyperf-k8s:eks.nodeGroups.{role}.instanceTypes: {instance_type} is not in the stack's "
        "ENI table, so maxPods and the subnet size were not checked against its VPC CNI pod "
        "capacity (see awslabs/amazon-eks-ami eni-max-pods.txt)"
        for role, group in eks.node_groups.by_role().items()
        for instance_type in group.instance_types
        if instances.vpc_cni_max_pods(instance_type) is None
    ]
