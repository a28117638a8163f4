"""Node images: pinned, or following the latest EKS-optimized AMI (with a warning).

pulumi-eks 4.4 (`nodejs/eks/nodes/nodegroup.ts`, createManagedNodeGroup): with custom user data
(our kubelet maxPods: Calico, or cni.maxPods) it builds a launch template whose imageId is
`amiId ?? getRecommendedAMI(...)`, the SSM "recommended" AMI read on every run, and drops amiType,
version and releaseVersion; each AWS AMI release then rolls every node on the next `up`. With
`amiId` (and `operatingSystem`, else it assumes AL2023) the image is fixed. Without custom user
data EKS picks the AMI and `releaseVersion` pins it (pulumi-aws NodeGroup: "Defaults to latest
version"). Changing either is an in-place update that rolls the nodes.
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


def node_images(eks: EksSettings) -> dict[str, dict[str, str]]:
    """The `nodeImages` output: per role, the pin, or what the nodes follow."""
    images: dict[str, dict[str, str]] = {}
    for role, group in eks.node_groups.by_role().items():
        if group.ami_id is not None:
            images[role] = {"amiId": group.ami_id}
        elif group.ami_release_version is not None:
            images[role] = {"releaseVersion": group.ami_release_version}
        else:
            images[role] = {"unpinned": f"latest EKS-optimized {group.ami_type} AMI"}
    return images


def unpinned_warnings(eks: EksSettings) -> list[str]:
    key = "amiId" if eks.custom_user_data else "amiReleaseVersion"
    version = eks.cluster.kubernetes_version
    return [
        f"cyperf-k8s:eks.nodeGroups.{role}.{key} is not set: the {role} nodes follow the latest "
        f"EKS-optimized {group.ami_type} AMI, so an AWS AMI release rolls every node (and kills "
        f"running agents) on the next `pulumi up`; pin it (current value: aws ssm get-parameter "
        f"--name /aws/service/eks/optimized-ami/{version}/amazon-linux-2023/<arch>/standard/"
        f"recommended/{'image_id' if key == 'amiId' else 'release_version'}, or the bottlerocket "
        "parameters)"
        for role, group in eks.node_groups.by_role().items()
        if group.ami_id is None and group.ami_release_version is None
    ]
