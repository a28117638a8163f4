"""Every decision of the EKS path as a pure function: settings in, values and SDK arguments
out (typed with the SDKs' own TypedDicts, `components.eks.sdk_args`).

No Pulumi and no AWS SDK is loaded here, so each decision is tested without mocks; the components
in this package only wire these values into resources.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from components.cyperf import ROLE_LABEL
from components.eks import admins, images
from components.eks.sdk_args import (
    API_AUTHENTICATION,
    OVERWRITE_ON_CREATE,
    OVERWRITE_ON_UPDATE,
    ClusterArgs,
    MaxPodsArgs,
    NodeGroupArgs,
)
from components.settings.eks.cni import CniSettings
from components.settings.eks.network import NetworkSettings
from components.settings.eks.node_groups import NodeGroupSettings
from components.settings.eks.section import EksSettings
from components.settings.problems import Problem

if TYPE_CHECKING:
    import pulumi_aws as aws
    import pulumi_eks as eks_sdk

CALICO_CHART = "tigera-operator"
CALICO_CHART_REPOSITORY = "https://docs.tigera.io/calico/charts"
CALICO_NAMESPACE = "tigera-operator"
CALICO_RELEASE_NAME = "calico"
CALICO_BLOCK_SIZE = 26
MAX_CLUSTER_NAME = 100
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly")
VPC_CNI_POLICY = "AmazonEKS_CNI_Policy"
NODEADM_CONTENT_TYPE = "application/node.eks.aws"
CNI_SHORT = {"aws-vpc-cni": "vpccni", "calico-vxlan": "calico"}


# --- network ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubnetPlan:
    name: str
    zone_index: int
    public: bool
    cidr: str


def subnet_plan(network: NetworkSettings) -> list[SubnetPlan]:
    """Equal blocks of the VPC CIDR: public subnets first (one per zone), then private ones."""
    zones = network.zone_count
    vpc = ipaddress.IPv4Network(network.vpc_cidr)
    blocks = list(vpc.subnets(new_prefix=network.subnet_prefix))
    plan = [SubnetPlan(f"public-{i}", i, True, str(blocks[i])) for i in range(zones)]
    plan += [SubnetPlan(f"private-{i}", i, False, str(blocks[zones + i])) for i in range(zones)]
    return plan


def subnet_tags(public: bool) -> dict[str, str]:
    # Where Kubernetes LoadBalancer Services put internet-facing / internal load balancers.
    return {"kubernetes.io/role/elb": "1"} if public else {"kubernetes.io/role/internal-elb": "1"}


def nat_zone_indexes(network: NetworkSettings) -> list[int]:
    """Zones that get a NAT gateway: none when nodes are public (they egress through the IGW)."""
    if not network.creates_vpc or network.node_placement == "public":
        return []
    if network.nat_gateways == "single":
        return [0]
    return list(range(network.zone_count))


def private_route_nat(network: NetworkSettings, zone_index: int) -> int | None:
    """Index into nat_zone_indexes() of the NAT gateway a private subnet routes through."""
    nats = nat_zone_indexes(network)
    if not nats:
        return None
    return nats.index(zone_index) if zone_index in nats else 0


def vpc_overlap_problems(vpc_cidrs: list[str], eks: EksSettings) -> list[Problem]:
    """Overlaps between an existing VPC's CIDR blocks and the service / Calico pod CIDR."""
    return [
        Problem(
            ("eks", *path),
            f"overlaps the CIDR {vpc_cidr!r} of VPC {eks.network.vpc_id}; choose a block outside "
            "the VPC",
            cidr,
        )
        for path, cidr in eks.in_cluster_ranges.items()
        for vpc_cidr in vpc_cidrs
        if ipaddress.IPv4Network(cidr).overlaps(ipaddress.IPv4Network(vpc_cidr))
    ]


# --- cluster ---------------------------------------------------------------------------------


def cluster_resource_name(cni: CniSettings) -> str:
    """The eks.Cluster's Pulumi name carries the CNI: switching CNI is a new cluster in preview."""
    return f"eks-{cni.type}"


def cluster_physical_name(stack: str, eks: EksSettings) -> str:
    """EKS cluster name: stack, CNI and a digest of every create-only input.

    The CNI (bootstrapSelfManagedAddons, which pulumi-eks ignores on update) and the service CIDR
    can only be set when a cluster is created. A new value yields a new name, so Pulumi creates a
    new cluster before deleting the old one instead of failing on a name clash or doing nothing.
    """
    create_only = {"cni": eks.cni.type, "serviceCidr": eks.cluster.service_cidr}
    digest = hashlib.sha256(json.dumps(create_only, sort_keys=True).encode()).hexdigest()[:6]
    stack_part = re.sub(r"[^A-Za-z0-9-]+", "-", stack).strip("-")[:60] or "stack"
    return f"cyperf-{stack_part}-{CNI_SHORT[eks.cni.type]}-{digest}"[:MAX_CLUSTER_NAME]


def vpc_cni_options(cni: CniSettings) -> eks_sdk.VpcCniOptionsArgsDict:
    options: eks_sdk.VpcCniOptionsArgsDict = {
        "resolve_conflicts_on_create": OVERWRITE_ON_CREATE,
        "resolve_conflicts_on_update": OVERWRITE_ON_UPDATE,
    }
    if cni.prefix_delegation:
        options["enable_prefix_delegation"] = True
    if cni.mtu is not None:
        options["eni_mtu"] = cni.mtu
    if cni.addon_version is not None:
        options["addon_version"] = cni.addon_version
    return options


def cluster_args(eks: EksSettings, physical_name: str) -> ClusterArgs:
    """eks.Cluster arguments except the network ids (outputs of the network component)."""
    cluster = eks.cluster
    args: ClusterArgs = {
        "name": physical_name,
        "version": cluster.kubernetes_version,
        "authentication_mode": API_AUTHENTICATION,
        "skip_default_node_group": True,
        # Managed node groups get the EKS-created cluster security group; with the default
        # groups skipped, node_security_group_id is that group (no unused groups are made).
        "skip_default_security_groups": True,
        "kubernetes_service_ip_address_range": cluster.service_cidr,
        "endpoint_public_access": cluster.endpoint_public_access,
        "endpoint_private_access": cluster.endpoint_private_access,
        "public_access_cidrs": (
            list(cluster.public_access_cidrs) if cluster.endpoint_public_access else None
        ),
        "deletion_protection": cluster.deletion_protection,
        "tags": dict(eks.tags),
        "access_entries": admins.access_entries(eks),
        # No CoreDNS add-on from the component: with no nodes yet it would sit DEGRADED. The
        # VPC CNI path keeps EKS's bootstrapped CoreDNS; Calico gets the add-on after the nodes.
        "coredns_addon_options": {
            "enabled": False,
            "resolve_conflicts_on_create": OVERWRITE_ON_CREATE,
            "resolve_conflicts_on_update": OVERWRITE_ON_UPDATE,
        },
        # Calico: no aws-node, kube-proxy or CoreDNS from EKS.
        "bootstrap_self_managed_addons": not eks.cni.is_calico,
    }
    if cluster.support_type is not None:
        # EKS API UpgradePolicyRequest; unset, EKS applies EXTENDED (versions.py).
        args["upgrade_policy"] = {"support_type": cluster.support_type}
    if eks.cni.is_calico:
        # No vpc-cni add-on from the component either: Calico is the only CNI; the component
        # still adds the kube-proxy add-on.
        args["use_default_vpc_cni"] = True
    else:
        # Leaving use_default_vpc_cni unset makes the component manage the vpc-cni add-on.
        args["vpc_cni_options"] = vpc_cni_options(eks.cni)
    return args


# --- CNI -------------------------------------------------------------------------------------


def calico_values(cni: CniSettings) -> dict[str, Any]:
    """tigera-operator chart values: Calico CNI with a VXLAN overlay on EKS (no BGP)."""
    network: dict[str, Any] = {
        "bgp": "Disabled",
        "ipPools": [
            {
                "name": "default-ipv4-ippool",
                "cidr": cni.pod_cidr,
                "encapsulation": "VXLAN",
                "natOutgoing": "Enabled",
                "nodeSelector": "all()",
                "blockSize": CALICO_BLOCK_SIZE,
            }
        ],
    }
    if cni.mtu is not None:
        network["mtu"] = cni.mtu
    return {
        "installation": {
            "kubernetesProvider": "EKS",
            "cni": {"type": "Calico"},
            "calicoNetwork": network,
        }
    }


# --- node groups -----------------------------------------------------------------------------


def node_role_policies(cni: CniSettings) -> list[str]:
    """AWS managed policies of the node role; the VPC CNI policy only where aws-node runs."""
    policies = list(NODE_POLICIES)
    if not cni.is_calico:
        policies.append(VPC_CNI_POLICY)
    return policies


def max_pods_args(ami_type: str, max_pods: int | None) -> MaxPodsArgs:
    """How to raise kubelet maxPods for the node OS (a custom launch template carries it)."""
    if max_pods is None:
        return {}
    if ami_type.startswith("AL2023_"):
        node_config = {
            "apiVersion": "node.eks.aws/v1alpha1",
            "kind": "NodeConfig",
            "spec": {"kubelet": {"config": {"maxPods": max_pods}}},
        }
        return {
            "nodeadm_extra_options": [
                {"content_type": NODEADM_CONTENT_TYPE, "content": json.dumps(node_config)}
            ]
        }
    return {"bottlerocket_settings": {"settings": {"kubernetes": {"max-pods": max_pods}}}}


def node_taints(role: str, group: NodeGroupSettings) -> list[aws.eks.NodeGroupTaintArgsDict]:
    if not group.dedicated:
        return []
    return [{"key": ROLE_LABEL, "value": role, "effect": "NO_SCHEDULE"}]


def node_group_resource_name(prefix: str, role: str, eks: EksSettings) -> str:
    """Where the stack writes the user data the launch template carries the AMI; EKS cannot move
    a node group between its own AMI and a template's (AWS launch-templates guide), so the path
    is part of the name and a switch (cni.maxPods, the CNI) is a new node group."""
    return f"{prefix}-{role}-own-ami" if eks.custom_user_data else f"{prefix}-{role}"


def node_group_args(role: str, group: NodeGroupSettings, eks: EksSettings) -> NodeGroupArgs:
    """eks.ManagedNodeGroup arguments except the cluster, node role and subnets."""
    return {
        "instance_types": list(group.instance_types),
        "scaling_config": {
            "desired_size": group.desired_size,
            "min_size": group.min_size,
            "max_size": group.max_size,
        },
        "capacity_type": group.capacity_type,
        **images.image_args(group),
        "disk_size": group.disk_size,
        "labels": group.node_labels(role),
        "taints": node_taints(role, group),
        # IMDSv2 only; it also makes pulumi-eks build the launch template whose hop limit the
        # node group component lowers to 1 (components.eks.launch_template).
        "enable_imd_sv2": True,
        "tags": {**eks.tags, "cyperf-k8s/role": role},
        **max_pods_args(group.ami_type, eks.cni.effective_max_pods),
    }


# EKS spells a taint's effect NO_SCHEDULE, Kubernetes NoSchedule.
KUBERNETES_EFFECT = {"NO_SCHEDULE": "NoSchedule"}


def tolerations_by_role(eks: EksSettings) -> dict[str, list[dict[str, str]]]:
    """Kubernetes tolerations the agents of each role need for the taints of their dedicated node
    group (node_taints)."""
    return {
        role: [
            {
                "key": str(taint["key"]),
                "operator": "Equal",
                "value": str(taint.get("value", "")),
                "effect": KUBERNETES_EFFECT[str(taint["effect"])],
            }
            for taint in taints
        ]
        for role, group in eks.node_groups.by_role().items()
        if (taints := node_taints(role, group))
    }
