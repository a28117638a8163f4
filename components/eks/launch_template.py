"""What the stack changes in the launch template pulumi-eks builds for each managed node group.

pulumi-eks 4.4 (`nodejs/eks/nodes/nodegroup.ts`, createMNGCustomLaunchTemplate) creates that
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
# "recommended" AMI read on every run; unless amiId pins it, the stack keeps the image it has
# instead of rolling every node at each AWS AMI release, until the Kubernetes version changes.
IMAGE_PROPERTY = "imageId"
# Tags of the template itself (not of the instances): which node group it belongs to, and the
# Kubernetes version its image was chosen for, read back by the next run.
OWNER_TAG = "cyperf-k8s/launch-template"
VERSION_TAG = "cyperf-k8s/kubernetes-version"


def template_tags(cluster_name: str, role: str, kubernetes_version: str) -> dict[str, str]:
    return {OWNER_TAG: template_owner(cluster_name, role), VERSION_TAG: kubernetes_version}


def template_owner(cluster_name: str, role: str) -> str:
    return f"{cluster_name}/{role}"


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


def kept_properties(
    image_pinned: bool,
    custom_user_data: bool,
    image_version: str | None,
    kubernetes_version: str,
) -> list[str]:
    """Launch template properties whose new value this run ignores. `image_version`: the
    Kubernetes version the existing template's image was chosen for (its VERSION_TAG), None
    before the template exists. A new version lets pulumi-eks's recommended AMI of that version
    in, once; the tag then records it."""
    if not custom_user_data or image_pinned:
        return []
    if image_version is not None and image_version != kubernetes_version:
        return []
    return [IMAGE_PROPERTY]
