"""What the stack changes in the launch template pulumi-eks builds for each managed node group.

pulumi-eks (`nodejs/eks/nodes/nodegroup.ts`, createMNGCustomLaunchTemplate) creates that
template whenever `enableIMDSv2` is set (always, here) and gives it no tags, a metadata hop
limit of 2, which lets every pod reach the instance metadata service and read the node role's
credentials, and one block device mapping (`/dev/xvda`, the AL2023 root volume, or `/dev/xvdb`,
the Bottlerocket data volume) with only `volumeSize: diskSize`, so the volume is neither
encrypted nor of a chosen type. pulumi-eks offers no argument for any of these on a managed node
group, and passing our own `launchTemplate` is refused next to the user-data options we need
(maxPods), so the node group component changes the template through a Pulumi `transforms`
option: transforms reach the children of packaged (multi-language) components such as
pulumi-eks's (Pulumi docs, resource option `transforms`).

Pure: props in, props out (the engine's wire names: camelCase); `node_groups` wires it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.settings.problems import KeyWarning

LAUNCH_TEMPLATE_TYPE = "aws:ec2/launchTemplate:LaunchTemplate"
# Host-network pods (aws-node, kube-proxy, calico-node) still reach the metadata service; pods
# on the pod network do not: their requests take one hop more. No pod of this stack needs it
# (the AWS EKS launch-templates guide asks for 2 only when containers use IMDSv2).
METADATA_HOP_LIMIT = 1
# What a node launch creates and AWS tags from the template (EC2 TagSpecification types).
TAGGED_AT_LAUNCH = ("instance", "volume", "network-interface")
# Where the stack writes the user data, pulumi-eks sets the template's image to the SSM
# "recommended" AMI read on every run; the node group component puts the image the group runs
# back (components.eks.images) instead of rolling every node at each AWS AMI release.
IMAGE_PROPERTY = "imageId"
# The template's own tag (not the instances'): which node group it belongs to, so a read of the
# template (after `up`) or of the stack's state (at preview) finds it under any resource name.
OWNER_TAG = "cyperf-k8s/launch-template"
# The node volume pulumi-eks maps: gp3 (cheaper than gp2 at the same baseline) and encrypted
# with the account's default EBS key (the launch template API takes `encrypted` as a string).
VOLUME_TYPE = "gp3"
ENCRYPTED = "true"


def template_owner(cluster_name: str, node_group: str) -> str:
    """The node group's resource name carries the AMI path, the cluster name the cluster."""
    return f"{cluster_name}/{node_group}"


def recommended_image_key(kubernetes_version: str, ami_type: str) -> str:
    """What pulumi-eks's recommended AMI depends on (getRecommendedAMI: the cluster version and
    the OS and architecture of amiType)."""
    return f"{kubernetes_version}/{ami_type}"


def template_tags(cluster_name: str, node_group: str) -> dict[str, str]:
    """The template's own tags."""
    return {OWNER_TAG: template_owner(cluster_name, node_group)}


def node_volumes(mappings: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """pulumi-eks's block device mappings with their EBS volumes encrypted gp3."""
    return [
        {**m, "ebs": {**m["ebs"], "volumeType": VOLUME_TYPE, "encrypted": ENCRYPTED}}
        if m.get("ebs") is not None
        else dict(m)
        for m in mappings or []
    ]


def node_launch_template(
    props: dict[str, Any],
    tags: dict[str, str],
    own_tags: dict[str, str],
    image_id: str | None = None,
) -> dict[str, Any]:
    """pulumi-eks's launch template props with the hop limit lowered, encrypted gp3 volumes,
    the stack's tags on the template and on what each launch creates, the template's
    `own_tags`, `image_id` instead of pulumi-eks's image (where the template has one), and the
    newest version as the default one (so a read of the template shows what new nodes get)."""
    changed = dict(props)
    changed["metadataOptions"] = {
        **(props.get("metadataOptions") or {}),
        "httpPutResponseHopLimit": METADATA_HOP_LIMIT,
    }
    if "blockDeviceMappings" in props:
        changed["blockDeviceMappings"] = node_volumes(props["blockDeviceMappings"])
    if image_id is not None and IMAGE_PROPERTY in props:
        changed[IMAGE_PROPERTY] = image_id
    changed["tagSpecifications"] = [
        {"resourceType": resource_type, "tags": dict(tags)} for resource_type in TAGGED_AT_LAUNCH
    ]
    changed["tags"] = {**tags, **own_tags}
    changed["updateDefaultVersion"] = True
    return changed


def launch_tags(template: Mapping[str, Any]) -> dict[str, str] | None:
    """The tags a template (its props or its state) gives the instances it launches."""
    for spec in template.get("tagSpecifications") or []:
        if spec.get("resourceType") == "instance":
            return dict(spec.get("tags") or {})
    return None


def deployed_templates(resources: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The stack's launch templates (its resources: URN -> type and outputs) by their OWNER_TAG,
    whatever their resource name or parent."""
    found = {}
    for resource in resources.values():
        outputs = resource.get("outputs") or {}
        owner = (outputs.get("tags") or {}).get(OWNER_TAG)
        if resource.get("type") == LAUNCH_TEMPLATE_TYPE and owner:
            found[str(owner)] = dict(outputs)
    return found


def volumes_encrypted(template: Mapping[str, Any]) -> bool:
    """Whether every EBS volume a template (its props or its state) maps is encrypted gp3."""
    return all(
        (m["ebs"].get("volumeType"), m["ebs"].get("encrypted")) == (VOLUME_TYPE, ENCRYPTED)
        for m in template.get("blockDeviceMappings") or []
        if m.get("ebs") is not None
    )


def _groups(roles: Sequence[str]) -> str:
    return f"{' and '.join(roles)} node group{'s' if len(roles) > 1 else ''}"


def roll_warnings(
    owners: Mapping[str, str],
    launch_tags_by_role: Mapping[str, Mapping[str, str]],
    deployed: Mapping[str, Mapping[str, Any]],
) -> list[KeyWarning]:
    """The node groups (role -> template owner) whose launch template this run changes in a way
    that rolls every node, compared with `deployed` (the templates in the stack's state, by
    owner: deployed_templates): the tags given to the instances (this run's, per role), and
    volumes from before they were encrypted gp3. pulumi-eks points the node group at the
    template's latest version (`nodejs/eks/nodes/nodegroup.ts`, createManagedNodeGroup), and EKS
    rolls a new version out by replacing the nodes."""
    retagged = [
        role
        for role, owner in owners.items()
        if owner in deployed and launch_tags(deployed[owner]) != launch_tags_by_role[role]
    ]
    unencrypted = [
        role
        for role, owner in owners.items()
        if owner in deployed and not volumes_encrypted(deployed[owner])
    ]
    rolled = " (a new launch template version: EKS replaces every node, their agents restart)"
    warnings = []
    if retagged:
        warnings.append(
            KeyWarning(
                ("eks", "tags"),
                "changes the tags the launch templates give the nodes: this `up` rolls the "
                f"{_groups(retagged)}{rolled}",
            )
        )
    if unencrypted:
        warnings.append(
            KeyWarning(
                ("eks", "nodeGroups"),
                f"the volumes of the {_groups(unencrypted)} date from before the stack encrypted "
                f"them: this `up` makes them encrypted gp3 and rolls the nodes{rolled}",
            )
        )
    return warnings


def read_back_problems(
    owner: str, hop_limit: int | None, tags: Mapping[str, str], volumes: Sequence[tuple[str, str]]
) -> list[str]:
    """What differs between the template AWS reports (its metadata hop limit, its own tags, its
    EBS volumes as (type, encrypted)) and what the stack asked for the template of `owner`."""
    problems = []
    if hop_limit != METADATA_HOP_LIMIT:
        problems.append(f"metadata hop limit {hop_limit}, not {METADATA_HOP_LIMIT}")
    if tags.get(OWNER_TAG) != owner:
        problems.append(f"tag {OWNER_TAG} is {tags.get(OWNER_TAG)!r}, not {owner!r}")
    if not volumes or any(v != (VOLUME_TYPE, ENCRYPTED) for v in volumes):
        problems.append(f"volumes {list(volumes)}, not encrypted {VOLUME_TYPE}")
    return problems
