"""Node images: pinned by config, else kept until what they were chosen for changes.

pulumi-eks (`nodejs/eks/nodes/nodegroup.ts`, createManagedNodeGroup): with custom user data
(our kubelet maxPods: Calico, or cni.maxPods) it builds a launch template whose imageId is
`amiId ?? getRecommendedAMI(...)`, the SSM "recommended" AMI read on every run, and drops amiType,
version and releaseVersion. Unpinned, the image is kept until kubernetesVersion or amiType
changes, so an AWS AMI release never rolls the nodes: the stack's own last `nodeImages` output
(read through components.deployed, no AWS API) records each group's AMI and what it was
recommended for, and the node group component puts that AMI back into the template;
`amiId` (with `operatingSystem`, else pulumi-eks assumes AL2023) moves them deliberately. Without
custom user data EKS picks the AMI: `releaseVersion` is optional and computed in the AWS provider
(terraform-provider-aws `internal/service/eks/node_group.go`), so unset it stays at the release
EKS chose at creation until a node group version update (a new `kubernetesVersion`, or a new
launch template version), which takes the newest release unless `amiReleaseVersion` pins it.
Changing either pin is an in-place update that rolls the nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.eks import launch_template
from components.eks.sdk_args import AL2023, BOTTLEROCKET, ImageArgs
from components.settings.eks.node_groups import NodeGroupSettings
from components.settings.eks.section import EksSettings
from components.settings.problems import KeyWarning


def image_args(group: NodeGroupSettings) -> ImageArgs:
    """ManagedNodeGroup image arguments: amiType, or the pinned amiId (pulumi-eks refuses amiId
    with amiType) with its OS (pulumi-eks's OperatingSystem), plus a pinned releaseVersion."""
    if group.ami_id is not None:
        system = BOTTLEROCKET if group.ami_type.startswith("BOTTLEROCKET_") else AL2023
        return {"ami_id": group.ami_id, "operating_system": system}
    args: ImageArgs = {"ami_type": group.ami_type}
    if group.ami_release_version is not None:
        args["release_version"] = group.ami_release_version
    return args


UNPINNED_IMAGE = "recommended when created, or at the last change of version, amiType or pin"
UNPINNED_RELEASE = "the newest EKS release at the group's last create or version update (no pin)"
# The `nodeImages` field that records what an unpinned template image was recommended for.
RECOMMENDED_FOR = "recommendedFor"
# The same record as the version before `recommendedFor` kept it: a tag of the launch template
# itself, `<kubernetesVersion>/<amiType>`, set only where the image was the recommended one. Its
# `nodeImages` entries were only {amiId, pinnedBy}; a stack it deployed last still has the tag
# on the template in its state, until this version's first `up` rewrites the template's tags.
LEGACY_RECOMMENDED_TAG = "cyperf-k8s/recommended-image-for"


def recommended_image_key(eks: EksSettings, group: NodeGroupSettings) -> str | None:
    """What the group's recommended image is for, where its template carries one."""
    if not eks.custom_user_data or group.ami_id is not None:
        return None
    return launch_template.recommended_image_key(eks.cluster.kubernetes_version, group.ami_type)


def node_image(role: str, eks: EksSettings, running: str) -> dict[str, str]:
    """One entry of the `nodeImages` output: what AWS reports the nodes run and what pins it."""
    group = eks.node_groups.by_role()[role]
    if eks.custom_user_data:
        key = recommended_image_key(eks, group)
        if key is None:
            return {"amiId": running, "pinnedBy": f"eks.nodeGroups.{role}.amiId"}
        return {"amiId": running, "pinnedBy": UNPINNED_IMAGE, RECOMMENDED_FOR: key}
    pinned = group.ami_release_version is not None
    return {
        "releaseVersion": running,
        "pinnedBy": f"eks.nodeGroups.{role}.amiReleaseVersion" if pinned else UNPINNED_RELEASE,
    }


def unpinned_warnings(eks: EksSettings) -> list[KeyWarning]:
    """Where the stack writes the user data, an unset amiId keeps the image the group has (see
    components.eks.launch_template) until kubernetesVersion or amiType changes."""
    if not eks.custom_user_data:
        return []
    version = eks.cluster.kubernetes_version
    return [
        KeyWarning(
            ("eks", "nodeGroups", role, "amiId"),
            f"is not set: the {role} nodes keep the AMI they have (the EKS-optimized recommended "
            "one when the group was created, or kubernetesVersion, amiType or the pin last "
            "changed); AWS AMI releases do not reach them. To move them, set amiId (current "
            f"value: aws ssm get-parameter --name /aws/service/eks/optimized-ami/{version}/"
            "amazon-linux-2023/<arch>/standard/recommended/image_id, or the bottlerocket "
            "parameters)",
        )
        for role, group in eks.node_groups.by_role().items()
        if group.ami_id is None
    ]


def kept_image(
    role: str,
    eks: EksSettings,
    deployed: Mapping[str, Any] | None,
    template: Mapping[str, Any] | None = None,
) -> tuple[str | None, list[KeyWarning]]:
    """The AMI the group's template keeps (None: pulumi-eks's recommended one goes in), and the
    warnings of this choice, from `deployed`: the stack's outputs after its last completed `up`
    (None: they could not be read), and `template`: the group's launch template in the stack's
    state, if any. The AMI is kept when that `up` recorded it as recommended for this run's
    version and amiType. A group that exists (in the outputs or by its template) without such a
    record is warned about: its nodes roll if the recommended AMI differs from theirs. A stack
    last deployed by the version before the record was an output has it in the template's
    LEGACY_RECOMMENDED_TAG instead."""
    key = recommended_image_key(eks, eks.node_groups.by_role()[role])
    if key is None:
        return None, []
    path = ("eks", "nodeGroups", role, "amiId")
    if deployed is None:
        return None, [
            KeyWarning(
                path,
                "is not set and the stack's last nodeImages output could not be read: if the "
                f"{role} group exists, its nodes roll to the recommended AMI for {key} wherever "
                "it differs from theirs; to keep them, set amiId to the AMI they run",
            )
        ]
    entry = (deployed.get("nodeImages") or {}).get(role) or {}
    if "amiId" not in entry and template is None:
        # No group, or one on the path where EKS picks the AMI (a new group replaces it).
        return None, []
    running = str(entry.get("amiId") or (template or {}).get("imageId") or "")
    recorded = entry.get(RECOMMENDED_FOR) or ((template or {}).get("tags") or {}).get(
        LEGACY_RECOMMENDED_TAG
    )
    if running and recorded == key:
        return running, []
    if recorded:
        reason = f"the {role} nodes' AMI was recommended for {recorded}, this run is for {key}"
    elif entry.get("pinnedBy") == f"eks.nodeGroups.{role}.amiId":
        reason = f"the {role} nodes run the AMI it pinned until now"
    else:
        reason = f"the stack's last nodeImages output records no image for {key} ({entry})"
    keep = f"set amiId to {running}" if running else "set amiId to the AMI they run"
    return None, [
        KeyWarning(
            path,
            f"is not set and {reason}: they take the recommended AMI for {key}, which rolls "
            f"every {role} node wherever it differs from theirs; to keep them, {keep}",
        )
    ]
