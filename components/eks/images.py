"""Node images: pinned by config, else kept from the node group's first `up`.

pulumi-eks 4.4 (`nodejs/eks/nodes/nodegroup.ts`, createManagedNodeGroup): with custom user data
(our kubelet maxPods: Calico, or cni.maxPods) it builds a launch template whose imageId is
`amiId ?? getRecommendedAMI(...)`, the SSM "recommended" AMI read on every run, and drops amiType,
version and releaseVersion. Unpinned, that image is kept from the template's creation
(components.eks.launch_template: ignoreChanges), so an AWS AMI release never rolls the nodes;
`amiId` (with `operatingSystem`, else pulumi-eks assumes AL2023) moves them deliberately. Without
custom user data EKS picks the AMI: `releaseVersion` is optional and computed in the AWS provider
(terraform-provider-aws `internal/service/eks/node_group.go`), so unset it stays at the release
EKS chose at creation until a node group version update (a new `kubernetesVersion`, or a new
launch template version), which takes the newest release unless `amiReleaseVersion` pins it.
Changing either pin is an in-place update that rolls the nodes.
"""

from __future__ import annotations

from typing import Any

from components.settings.eks.node_groups import NodeGroupSettings
from components.settings.eks.section import EksSettings


def operating_system(ami_type: str) -> str:
    """pulumi-eks OperatingSystem of an amiType (AL2023 or Bottlerocket)."""
    return "Bottlerocket" if ami_type.startswith("BOTTLEROCKET_") else "AL2023"


def image_args(group: NodeGroupSettings) -> dict[str, Any]:
    """ManagedNodeGroup image arguments: amiType, or the pinned amiId (pulumi-eks refuses amiId
    with amiType) with its OS, plus a pinned releaseVersion."""
    if group.ami_id is not None:
        return {"ami_id": group.ami_id, "operating_system": operating_system(group.ami_type)}
    args: dict[str, Any] = {"ami_type": group.ami_type}
    if group.ami_release_version is not None:
        args["release_version"] = group.ami_release_version
    return args


def node_image(role: str, eks: EksSettings, running: str) -> dict[str, str]:
    """One entry of the `nodeImages` output: what AWS reports the nodes run and what pins it."""
    group = eks.node_groups.by_role()[role]
    if eks.custom_user_data:
        pinned_by = "amiId" if group.ami_id is not None else None
        entry = {"amiId": running}
    else:
        pinned_by = "amiReleaseVersion" if group.ami_release_version is not None else None
        entry = {"releaseVersion": running}
    entry["pinnedBy"] = (
        f"eks.nodeGroups.{role}.{pinned_by}"
        if pinned_by is not None
        else "the node group's first `up` (nothing pinned in config)"
    )
    return entry


def unpinned_warnings(eks: EksSettings) -> list[str]:
    """Where the stack writes the user data, an unset amiId keeps the first AMI for good: a
    kubernetesVersion change does not move the nodes (their kubelet stays behind)."""
    if not eks.custom_user_data:
        return []
    version = eks.cluster.kubernetes_version
    return [
        f"cyperf-k8s:eks.nodeGroups.{role}.amiId is not set: the {role} nodes keep the AMI they "
        "were created with (the EKS-optimized recommended one at the time), also across a "
        "kubernetesVersion change; to move them, set amiId (current value: aws ssm get-parameter "
        f"--name /aws/service/eks/optimized-ami/{version}/amazon-linux-2023/<arch>/standard/"
        "recommended/image_id, or the bottlerocket parameters)"
        for role, group in eks.node_groups.by_role().items()
        if group.ami_id is None
    ]
