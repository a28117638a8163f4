"""Facts about EC2 instance types the stack uses without an AWS call: vCPUs (which give
kube-proxy's default conntrack table size) and pod capacity with the AWS VPC CNI (secondary IPs,
no prefix delegation).

vCPUs: families whose sizes follow one rule, `large` has 2 vCPUs, `xlarge` 4, `<n>xlarge` 4 x n
(EC2 User Guide, "Amazon EC2 instance type specifications": general purpose, compute and memory
optimized). Other families (burstable t*, `medium`, `metal`, GPU and storage types) vary and are
left unknown rather than guessed.

ENIs and IPv4 addresses per ENI of a few instance types, from awslabs/amazon-eks-ami
`eni-max-pods.txt`, whose values are `ENIs * (IPv4 per ENI - 1) + 2` (the first address of each
ENI is the node's, plus the two host-network pods aws-node and kube-proxy); EC2 "IP addresses per
network interface per instance type" gives the two factors. Types not listed are not checked
(a preview warning says so).
"""

from __future__ import annotations

import math
import re

REGULAR_FAMILIES = frozenset(
    {
        *("c5", "c5a", "c5n", "c6a", "c6i", "c6in", "c7a", "c7i", "c6g", "c6gn", "c7g", "c7gn"),
        *("m5", "m5a", "m5n", "m6a", "m6i", "m6in", "m7a", "m7i", "m6g", "m7g"),
        *("r5", "r5a", "r5n", "r6a", "r6i", "r7a", "r7i", "r6g", "r7g"),
    }
)
REGULAR_SIZE = re.compile(r"(large|(\d*)xlarge)", re.ASCII)


def instance_vcpus(instance_type: str) -> int | None:
    family, _, size = instance_type.partition(".")
    match = REGULAR_SIZE.fullmatch(size)
    if family not in REGULAR_FAMILIES or match is None:
        return None
    if match.group(1) == "large":
        return 2
    return 4 * int(match.group(2) or 1)


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
