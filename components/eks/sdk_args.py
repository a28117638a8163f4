"""The keyword arguments the plan hands to pulumi-eks, typed with the SDKs' own `*ArgsDict`
TypedDicts and enums: mypy checks every key and value against the SDK call, and the components
pass the plan's dicts straight through.

The SDKs are named for the type checker only, so the plan never loads them (an existing-cluster
stack imports none of this). pulumi-eks's enums are `str` enums, which the engine receives as
their value; the plan writes that value, typed as the enum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, cast

if TYPE_CHECKING:
    import pulumi_aws as aws
    import pulumi_eks as eks_sdk

API_AUTHENTICATION = cast("eks_sdk.AuthenticationMode", "API")
# What pulumi-eks's `CoreDnsAddonOptionsArgs` and `VpcCniOptionsArgs` classes default to; their
# TypedDict forms default nothing, so the plan says it: EKS overwrites the fields of a
# self-managed add-on it takes over, on create and on update.
OVERWRITE_ON_CREATE = cast("eks_sdk.ResolveConflictsOnCreate", "OVERWRITE")
OVERWRITE_ON_UPDATE = cast("eks_sdk.ResolveConflictsOnUpdate", "OVERWRITE")
AL2023 = cast("eks_sdk.OperatingSystem", "AL2023")
BOTTLEROCKET = cast("eks_sdk.OperatingSystem", "Bottlerocket")


class ClusterArgs(TypedDict):
    """eks.Cluster arguments except the network ids and credentials (the component's inputs)."""

    name: str
    version: str
    authentication_mode: eks_sdk.AuthenticationMode
    skip_default_node_group: bool
    skip_default_security_groups: bool
    kubernetes_service_ip_address_range: str
    endpoint_public_access: bool
    endpoint_private_access: bool
    public_access_cidrs: list[str] | None
    deletion_protection: bool
    tags: dict[str, str]
    access_entries: dict[str, eks_sdk.AccessEntryArgsDict]
    coredns_addon_options: eks_sdk.CoreDnsAddonOptionsArgsDict
    bootstrap_self_managed_addons: bool
    use_default_vpc_cni: NotRequired[bool]
    vpc_cni_options: NotRequired[eks_sdk.VpcCniOptionsArgsDict]
    upgrade_policy: NotRequired[aws.eks.ClusterUpgradePolicyArgsDict]


class ImageArgs(TypedDict, total=False):
    """The node image: EKS's amiType (and a pinned release), or a pinned AMI with its OS."""

    ami_type: str
    release_version: str
    ami_id: str
    operating_system: eks_sdk.OperatingSystem


class MaxPodsArgs(TypedDict, total=False):
    """kubelet maxPods, in the form of the node OS."""

    nodeadm_extra_options: list[eks_sdk.NodeadmOptionsArgsDict]
    bottlerocket_settings: dict[str, Any]


class NodeGroupArgs(ImageArgs, MaxPodsArgs):
    """eks.ManagedNodeGroup arguments except the cluster, node role and subnets."""

    instance_types: list[str]
    scaling_config: aws.eks.NodeGroupScalingConfigArgsDict
    capacity_type: str
    disk_size: int
    labels: dict[str, str]
    taints: list[aws.eks.NodeGroupTaintArgsDict]
    enable_imd_sv2: bool
    tags: dict[str, str]
