"""One managed node group per agent role (labelled `agenttype=<role>`, optionally tainted), their
IAM role, and for Calico the CoreDNS add-on once nodes exist."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks_sdk

from components.eks import images, launch_template, plan
from components.eks.cluster import EksCluster
from components.eks.network import EksNetwork
from components.settings.eks.section import EksSettings
from components.transforms import child_transform


def recorded_image_keys(cluster_name: str, node_group: str) -> list[str]:
    """The IMAGE_TAG of each existing launch template of the group ("" for one without), looked
    up (blocking) before the node group registers; empty before the template exists. The
    Resource Groups Tagging API answers an empty list where EC2's launch template read fails on
    no match (it needs `tag:GetResources`)."""
    found = aws.resourcegroupstaggingapi.get_resources(
        resource_type_filters=["ec2:launch-template"],
        tag_filters=[
            aws.resourcegroupstaggingapi.GetResourcesTagFilterArgs(
                key=launch_template.OWNER_TAG,
                values=[launch_template.template_owner(cluster_name, node_group)],
            )
        ],
    ).resource_tag_mapping_lists
    return sorted(m.tags.get(launch_template.IMAGE_TAG, "") for m in found)


def running_image(eks: EksSettings, node_group: eks_sdk.ManagedNodeGroup) -> pulumi.Output[str]:
    """What the group's nodes run, as AWS reports it: the launch template's AMI where the stack
    writes the user data, else the EKS AMI release version."""
    if not eks.custom_user_data:
        return node_group.node_group.release_version
    template_id = node_group.node_group.launch_template.apply(
        lambda template: template.id if template is not None else None
    )
    return aws.ec2.get_launch_template_output(
        id=template_id, opts=pulumi.InvokeOutputOptions(parent=node_group)
    ).image_id


class EksNodeGroups(pulumi.ComponentResource):
    role: aws.iam.Role
    groups: dict[str, eks_sdk.ManagedNodeGroup]
    # The EKS node group names, per role.
    names: dict[str, pulumi.Output[str]]
    # Per role, the image the nodes run and what pins it (the `nodeImages` output).
    images: dict[str, pulumi.Output[dict[str, str]]]

    def __init__(
        self,
        name: str,
        eks: EksSettings,
        cluster: EksCluster,
        network: EksNetwork,
        after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`after`: what the nodes wait for besides their role (the CNI, the NAT routes); a
        component's own depends_on does not reach its children."""
        super().__init__("cyperf-k8s:eks:NodeGroups", name, None, opts)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=partition.dns_suffix.apply(
                lambda suffix: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": f"ec2.{suffix}"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    }
                )
            ),
            description=f"Nodes of EKS cluster {cluster.cluster_name} (CyPerf agents)",
            tags=dict(eks.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy}",
                role=self.role.name,
                policy_arn=pulumi.Output.concat(
                    "arn:", partition.partition, ":iam::aws:policy/", policy
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for policy in plan.node_role_policies(eks.cni)
        ]
        self.groups = {}
        self.names = {}
        self.images = {}
        for role, group in eks.node_groups.by_role().items():
            args = plan.node_group_args(role, group, eks)
            resource_name = plan.node_group_resource_name(name, role, eks)
            image_key = images.recommended_image_key(eks, group)
            kept = launch_template.kept_properties(
                image_key,
                recorded_image_keys(cluster.cluster_name, resource_name)
                if image_key is not None
                else [],
            )
            change = functools.partial(
                launch_template.node_launch_template,
                tags=args["tags"],
                own_tags=launch_template.template_tags(
                    cluster.cluster_name, resource_name, image_key
                ),
            )
            transform = child_transform(launch_template.LAUNCH_TEMPLATE_TYPE, change, kept)
            node_group = eks_sdk.ManagedNodeGroup(
                resource_name,
                cluster=cluster.cluster,
                node_role_arn=self.role.arn,
                subnet_ids=network.node_subnet_ids,
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[*attachments, *after], transforms=[transform]
                ),
                **args,
            )
            self.groups[role] = node_group
            self.names[role] = node_group.node_group.node_group_name
            self.images[role] = running_image(eks, node_group).apply(
                functools.partial(images.node_image, role, eks)
            )
        self.register_outputs(
            {"nodeGroupNames": self.names, "nodeImages": self.images, "nodeRoleArn": self.role.arn}
        )


class EksCoreDns(pulumi.ComponentResource):
    """CoreDNS as an EKS add-on, after the node groups (with no node it would stay DEGRADED)."""

    addon: aws.eks.Addon

    def __init__(
        self,
        name: str,
        tags: Mapping[str, str],
        cluster: EksCluster,
        node_groups: Sequence[pulumi.Resource],
        addon_version: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`addon_version`: components.eks.addons.coredns_version (None: EKS's default)."""
        super().__init__("cyperf-k8s:eks:CoreDns", name, None, opts)
        self.addon = aws.eks.Addon(
            f"{name}-coredns",
            cluster_name=cluster.cluster_name,
            addon_name="coredns",
            addon_version=addon_version,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=dict(tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(node_groups)),
        )
        self.register_outputs({"addon": self.addon.addon_name})
