"""Pod capacity of EC2 instance types with the AWS VPC CNI (secondary IPs, no prefix delegation).

ENIs and IPv4 addresses per ENI of a few instance types, from awslabs/amazon-eks-ami
`eni-max-pods.txt`, whose values are `ENIs * (IPv4 per ENI - 1) + 2` (the first address of each
ENI is the node's, plus the two host-network pods aws-node and kube-proxy); EC2 "IP addresses per
network interface per instance type" gives the two factors. Types not listed are not checked
(a preview warning says so).
"""

from __future__ import annotations

import math

# Instance type -> (ENIs, IPv4 addresses per ENI).
ENI_LIMITS: dict[str, tuple[int, int]] = {
    **{f"{family}.large": (3, 10) for family in ("c5", "c5n", "m5", "m6g")},
    **{f"{family}.xlarge": (4, 15) for family in ("c5", "c5n", "m5", "m6g")},
    **{f"{family}.2xlarge": (4, 15) for family in ("c5", "c5n", "m5", "m6g")},
    **{f"{family}.4xlarge": (8, 30) for family in ("c5", "c5n", "m5", "m6g")},
    "c5.9xlarge": (8, 30),
    "c5n.9xlarge": (8, 30),
}
# pulumi-eks sets WARM_ENI_TARGET=1 (nodejs/eks/cni-addon.ts): a node with a few pods already
# holds a second, fully allocated ENI (vpc-cni docs/eni-and-ip-target.md).
WARM_ENIS_PER_NODE = 2
# AWS reserves five addresses in every subnet; EKS places up to four control-plane ENIs in the
# cluster subnets (awsdocs amazon-eks-user-guide networking/network-reqs.adoc).
SUBNET_RESERVED = 5
CONTROL_PLANE_ENIS = 4


def vpc_cni_max_pods(instance_type: str) -> int | None:
    """The pod limit of a node without prefix delegation; None for an unlisted type."""
    limits = ENI_LIMITS.get(instance_type)
    if limits is None:
        return None
    enis, ips = limits
    return enis * (ips - 1) + 2


def addresses_per_node(instance_type: str) -> int | None:
    """VPC addresses a node holds with only a few pods (two full ENIs); None if unlisted."""
    limits = ENI_LIMITS.get(instance_type)
    return None if limits is None else WARM_ENIS_PER_NODE * limits[1]


def subnet_fits(prefix: int, nodes: int, per_node: int) -> bool:
    usable = (1 << (32 - prefix)) - SUBNET_RESERVED
    return nodes * per_node + CONTROL_PLANE_ENIS <= usable


def nodes_per_subnet(max_nodes: int, zones: int) -> int:
    return math.ceil(max_nodes / zones)
