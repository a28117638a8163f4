"""What the stack changes in the launch template pulumi-eks builds for each managed node group.

pulumi-eks (`nodejs/eks/nodes/nodegroup.ts`, createMNGCustomLaunchTemplate) creates that
template whenever `enableIMDSv2` is set (always, here) and gives it no tags and a metadata hop
limit of 2, which lets every pod reach the instance metadata service and read the node role's
credentials. pulumi-eks offers no argument for either, and passing our own `launchTemplate` is
refused next to the user-data options we need (maxPods), so the node group component changes
the template through a Pulumi `transforms` option: transforms reach the children of packaged
(multi-language) components such as pulumi-eks's (Pulumi docs, resource option `transforms`).

Pure: props in, props out (the engine's wire names: camelCase); `node_groups` wires it.
"""

from __future__ import annotations

from typing import Any

LAUNCH_TEMPLATE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
# Host-network pods (aws-node, kube-proxy, calico-node) still reach the metadata service; pods
# on the pod network do not: their requests take one hop more. No pod of this stack needs it
# (the AWS EKS launch-templates guide asks for 2 only when containers use IMDSv2).
METADATA_HOP_LIMIT = 1
# What a node launch creates and AWS tags from the template (EC2 TagSpecification types).
TAGGED_AT_LAUNCH = ("instance", "volume", "network-interface")
# Where the stack writes the user data, pulumi-eks sets the template's image to the SSM
# "recommended" AMI read on every run; unless amiId pins it, the stack keeps the image the
# template has instead of rolling every node at each AWS AMI release, until what the image was
# chosen for (Kubernetes version, amiType) changes.
IMAGE_PROPERTY = "imageId"
# Tags of the template itself (not of the instances), read back by the next run: which node
# group it belongs to, and, where its image is pulumi-eks's recommended one, what it was
# recommended for.
OWNER_TAG = "cyperf-k8s/launch-template"
IMAGE_TAG = "cyperf-k8s/recommended-image-for"


def template_owner(cluster_name: str, node_group: str) -> str:
    """The node group's resource name carries the AMI path: a lingering template of the other
    path (the tagging API is eventually consistent) never answers for this one."""
    return f"{cluster_name}/{node_group}"


def recommended_image_key(kubernetes_version: str, ami_type: str) -> str:
    """What pulumi-eks's recommended AMI depends on (getRecommendedAMI: the cluster version and
    the OS and architecture of amiType)."""
    return f"{kubernetes_version}/{ami_type}"


def template_tags(cluster_name: str, node_group: str, image_key: str | None) -> dict[str, str]:
    """The template's own tags; `image_key` where its image is the recommended one."""
    tags = {OWNER_TAG: template_owner(cluster_name, node_group)}
    if image_key is not None:
        tags[IMAGE_TAG] = image_key
    return tags


def node_launch_template(
    props: dict[str, Any], tags: dict[str, str], own_tags: dict[str, str]
) -> dict[str, Any]:
    """pulumi-eks's launch template props with the hop limit lowered, the stack's tags on the
    template and on what each launch creates, the template's `own_tags`, and the newest version
    as the default one (so a read of the template shows what new nodes get)."""
    changed = dict(props)
    changed["metadataOptions"] = {
        **(props.get("metadataOptions") or {}),
        "httpPutResponseHopLimit": METADATA_HOP_LIMIT,
    }
    changed["tagSpecifications"] = [
        {"resourceType": resource_type, "tags": dict(tags)} for resource_type in TAGGED_AT_LAUNCH
    ]
    changed["tags"] = {**tags, **own_tags}
    changed["updateDefaultVersion"] = True
    return changed


def kept_properties(image_key: str | None, recorded_keys: list[str]) -> list[str]:
    """Launch template properties whose new value this run ignores (the engine then keeps the
    old value, or drops the property where the old template had none).

    `image_key`: what this run's recommended image is for, None where the template carries no
    recommended image (EKS picks the AMI, or amiId pins it). `recorded_keys`: the IMAGE_TAG of
    each existing template of the group ("" for one without). The image is kept only when the
    existing template was tagged with this very key: a first `up`, a template from another
    cluster (CNI switch) or without a recommended image (pinned before, no maxPods before), a
    new Kubernetes version or amiType each let the recommended AMI in once, and the tag then
    records it.
    """
    if image_key is not None and recorded_keys and set(recorded_keys) == {image_key}:
        return [IMAGE_PROPERTY]
    return []
