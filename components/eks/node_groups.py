"""One managed node group per agent role (labelled `agenttype=<role>`, optionally tainted), their
IAM role, and for Calico the CoreDNS add-on once nodes exist."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_eks as eks_sdk

from components.eks import images, launch_template, plan
from components.eks.cluster import EksCluster
from components.eks.network import EksNetwork
from components.settings.eks.section import EksSettings
from components.transforms import ChildChange, child_transform
from components.warn import warn


def template_read(
    node_group: eks_sdk.ManagedNodeGroup,
) -> pulumi.Output[aws.ec2.GetLaunchTemplateResult]:
    """The group's launch template as AWS reports it, once the group has registered: its latest
    version (terraform-provider-aws `internal/service/ec2/ec2_launch_template_data_source.go`),
    the one pulumi-eks points the node group at."""
    template_id = node_group.node_group.launch_template.apply(
        lambda template: template.id if template is not None else None
    )
    return aws.ec2.get_launch_template_output(
        id=template_id, opts=pulumi.InvokeOutputOptions(parent=node_group)
    )


def check_template(owner: str, template: aws.ec2.GetLaunchTemplateResult) -> None:
    """Warn where the template AWS reports lacks what the stack's transform asked for (after
    `up` only: at preview the template is the deployed one, not yet this run's)."""
    if pulumi.runtime.is_dry_run():
        return
    problems = launch_template.read_back_problems(
        owner,
        next((m.http_put_response_hop_limit for m in template.metadata_options), None),
        template.tags or {},
        [(ebs.volume_type, ebs.encrypted) for m in template.block_device_mappings for ebs in m.ebs],
    )
    if problems:
        pulumi.log.warn(
            f"the launch template of node group {owner} ({template.id}) differs from what the "
            f"stack asked: {'; '.join(problems)}; see docs/eks.md, node launch templates"
        )


def node_image(
    role: str,
    eks: EksSettings,
    node_group: eks_sdk.ManagedNodeGroup,
    owner: str,
    transform: ChildChange,
) -> pulumi.Output[dict[str, str]]:
    """The group's `nodeImages` entry: what AWS reports the nodes run (the launch template's AMI
    where the stack writes the user data, else the EKS AMI release version) and what pins it;
    on the way, the checks that the stack's transform reached the template and took effect."""

    def checked(urn: str) -> str:
        # The component registers after pulumi-eks created its children: every transform ran.
        unmatched = transform.unmatched_warning(f"node group {owner}")
        if unmatched:
            pulumi.log.warn(unmatched)
        return urn

    def entry(_urn: str, template: aws.ec2.GetLaunchTemplateResult, release: str) -> dict[str, str]:
        check_template(owner, template)
        return images.node_image(role, eks, template.image_id if eks.custom_user_data else release)

    return pulumi.Output.all(
        node_group.urn.apply(checked),
        template_read(node_group),
        node_group.node_group.release_version,
    ).apply(lambda values: entry(*values))


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
        deployed_state: tuple[dict[str, Any], dict[str, Any]] | None,
        after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`deployed_state`: deployed.read_own_stack's answer, read before any node group
        registers (None: unreadable). `after`: what the nodes wait for besides their role (the
        CNI, the NAT routes); a component's own depends_on does not reach its children."""
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
        by_role = eks.node_groups.by_role()
        owners = {
            role: launch_template.template_owner(
                cluster.cluster_name, plan.node_group_resource_name(name, role, eks)
            )
            for role in by_role
        }
        deployed_outputs, deployed_resources = (
            deployed_state if deployed_state is not None else (None, {})
        )
        deployed_templates = launch_template.deployed_templates(deployed_resources)
        launch_tags = {
            role: plan.node_group_args(role, group, eks)["tags"] for role, group in by_role.items()
        }
        warn(launch_template.roll_warnings(owners, launch_tags, deployed_templates))
        for role, group in by_role.items():
            args = plan.node_group_args(role, group, eks)
            resource_name = plan.node_group_resource_name(name, role, eks)
            image_id, image_warnings = images.kept_image(
                role, eks, deployed_outputs, deployed_templates.get(owners[role])
            )
            warn(image_warnings)
            change = functools.partial(
                launch_template.node_launch_template,
                tags=args["tags"],
                own_tags=launch_template.template_tags(cluster.cluster_name, resource_name),
                image_id=image_id,
            )
            transform = child_transform(launch_template.LAUNCH_TEMPLATE_TYPE, change)
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
            self.images[role] = node_image(role, eks, node_group, owners[role], transform)
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
