"""EKS facts (pinned defaults, AWS id formats; versions in `versions`) and the field checks and
annotated types the EKS sections share."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator

from components.settings.eks import versions
from components.settings.fields import check_part, matches

DEFAULT_VPC_CIDR = "10.0.0.0/16"
DEFAULT_SERVICE_CIDR = "10.100.0.0/16"
DEFAULT_POD_CIDR = "192.168.0.0/16"
# The ENI-based pod limit no longer applies with an overlay; 110 is the kubelet's own default.
DEFAULT_CALICO_MAX_PODS = 110
DEFAULT_INSTANCE_TYPE = "c5.2xlarge"
MAX_USER_TAGS = 40
# Smallest subnet of a created VPC: 59 usable addresses (nodes, and pods with the VPC CNI).
MAX_SUBNET_PREFIX = 26

CniType = Literal["aws-vpc-cni", "calico-vxlan"]
# No AL2 types: EKS stopped publishing Amazon Linux 2 AMIs on 2025-11-26, 1.32 being the last
# version with them (AWS docs, eks-ami-build-scripts), and 1.32 is past standard support.
AmiType = Literal[
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
]
AMI_ARCHITECTURE: dict[str, Literal["amd64", "arm64"]] = {
    "AL2023_x86_64_STANDARD": "amd64",
    "AL2023_ARM_64_STANDARD": "arm64",
    "BOTTLEROCKET_x86_64": "amd64",
    "BOTTLEROCKET_ARM_64": "arm64",
}

# As in components/settings/fields.py: matched with `fullmatch` and re.ASCII (a `$` would let a
# trailing newline through, a Unicode `\d` other scripts' digits).
_AWS_ID = r"[0-9a-f]{8}(?:[0-9a-f]{9})?"
VPC_ID = re.compile(rf"vpc-{_AWS_ID}", re.ASCII)
SUBNET_ID = re.compile(rf"subnet-{_AWS_ID}", re.ASCII)
SECURITY_GROUP_ID = re.compile(rf"sg-{_AWS_ID}", re.ASCII)
PRINCIPAL_ARN = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:iam::\d{12}:(?:role|user)/[\w+=,.@/-]{1,512}", re.ASCII
)
AVAILABILITY_ZONE = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d[a-z]", re.ASCII)
AVAILABILITY_ZONE_ID = re.compile(r"[a-z]{2,4}\d-az\d+", re.ASCII)
# Zone IDs where EKS cannot place cluster subnets (awsdocs amazon-eks-user-guide
# networking/network-reqs.adoc, subnet requirements; EKS answers
# UnsupportedAvailabilityZoneException). IDs, not names: names map to zones per account.
UNSUPPORTED_EKS_ZONE_IDS = ("use1-az3", "usw1-az2", "cac1-az3")
AMI_ID = re.compile(rf"ami-{_AWS_ID}", re.ASCII)
# EKS node group release versions: `<kubernetes patch>-<YYYYMMDD>` (AL2023) or
# `<bottlerocket version>-<commit>` (Bottlerocket).
AMI_RELEASE_VERSION = re.compile(r"\d+\.\d+\.\d+-[0-9a-f]{8}", re.ASCII)
INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)?\.[a-z0-9]+", re.ASCII)
# Graviton families carry a `g` after the generation digit (m7g, c6gn, is4gen); a1 is the first.
ARM_FAMILY = re.compile(r"a1|[a-z]+\d+[a-z]*g[a-z]*", re.ASCII)
CALICO_VERSION = re.compile(r"v3\.\d+\.\d+", re.ASCII)
ADDON_VERSION = re.compile(r"v\d+\.\d+\.\d+-eksbuild\.\d+", re.ASCII)
# AWS tag text: letters and digits of any script, spaces and `_.:/=+-@` (AWS tagging rules:
# Unicode letters, digits and separators); not ASCII-only, but never a newline or tab.
TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


def check_ipv4_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError("must be an IPv4 CIDR block such as '10.0.0.0/16'") from None
    if "/" not in value:
        raise ValueError("must be an IPv4 CIDR block with a prefix length, such as '10.0.0.0/16'")
    if str(network) != value:
        raise ValueError(
            f"has host bits set; the network address of this block is '{network}' "
            "(write the CIDR block as its network address)"
        )
    return value


def _check_private_cidr(value: str, lowest: int, highest: int, what: str) -> str:
    check_ipv4_cidr(value)
    network = ipaddress.IPv4Network(value)
    if not any(network.subnet_of(r) for r in PRIVATE_RANGES):
        raise ValueError(
            f"{what} must lie in a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)"
        )
    if not lowest <= network.prefixlen <= highest:
        raise ValueError(f"{what} needs a prefix length from /{lowest} to /{highest}")
    return value


def check_vpc_cidr(value: str) -> str:
    return _check_private_cidr(value, 16, 24, "a VPC CIDR block")


def check_service_cidr(value: str) -> str:
    # EKS: `kubernetesNetworkConfig.serviceIpv4Cidr` rules.
    return _check_private_cidr(value, 12, 24, "the Kubernetes service CIDR")


def check_pod_cidr(value: str) -> str:
    # Calico hands out /26 blocks per node from this pool.
    return _check_private_cidr(value, 8, 24, "the Calico pod CIDR")


def check_kubernetes_version(value: str) -> str:
    return versions.check_kubernetes_version(value, versions.today())


def check_tag_key(key: str) -> str:
    if not 1 <= len(key) <= 128 or not TAG_TEXT.fullmatch(key):
        raise ValueError("must be 1-128 letters, digits, spaces or '_.:/=+-@'")
    if key.lower().startswith("aws:"):
        raise ValueError("must not start with 'aws:', a prefix reserved by AWS")
    return key


def check_tag_value(value: str) -> str:
    if len(value) > 256 or not TAG_TEXT.fullmatch(value):
        raise ValueError("must be at most 256 letters, digits, spaces or '_.:/=+-@'")
    return value


def check_tags(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_USER_TAGS:
        raise ValueError(f"at most {MAX_USER_TAGS} tags (AWS allows 50 per resource)")
    for key, item in value.items():
        check_part("tag key", key, check_tag_key)
        check_part(f"tag {key!r} value", item, check_tag_value)
    return value


def instance_architecture(instance_type: str) -> Literal["amd64", "arm64"]:
    family = instance_type.split(".", 1)[0].split("-", 1)[0]
    return "arm64" if ARM_FAMILY.fullmatch(family) else "amd64"


VpcCidr = Annotated[str, AfterValidator(check_vpc_cidr)]
ServiceCidr = Annotated[str, AfterValidator(check_service_cidr)]
PodCidr = Annotated[str, AfterValidator(check_pod_cidr)]
Ipv4Cidr = Annotated[str, AfterValidator(check_ipv4_cidr)]
VpcId = Annotated[str, AfterValidator(matches(VPC_ID, "a VPC id such as 'vpc-0123456789abcdef0'"))]
SubnetId = Annotated[
    str, AfterValidator(matches(SUBNET_ID, "a subnet id such as 'subnet-0123456789abcdef0'"))
]
SecurityGroupId = Annotated[
    str,
    AfterValidator(
        matches(SECURITY_GROUP_ID, "a security group id such as 'sg-0123456789abcdef0'")
    ),
]
PrincipalArn = Annotated[
    str,
    AfterValidator(
        matches(
            PRINCIPAL_ARN,
            "an IAM role or user ARN such as 'arn:aws:iam::123456789012:role/Admin' "
            "(EKS access entries take no assumed-role session ARNs)",
        )
    ),
]
AvailabilityZone = Annotated[
    str,
    AfterValidator(matches(AVAILABILITY_ZONE, "an availability zone name such as 'us-east-1a'")),
]
AvailabilityZoneId = Annotated[
    str,
    AfterValidator(matches(AVAILABILITY_ZONE_ID, "an availability zone ID such as 'use1-az1'")),
]
AmiId = Annotated[str, AfterValidator(matches(AMI_ID, "an AMI id such as 'ami-0123456789abcdef0'"))]
AmiReleaseVersion = Annotated[
    str,
    AfterValidator(
        matches(
            AMI_RELEASE_VERSION,
            "an EKS node group release version such as '1.35.0-20260120' (AL2023) or "
            "'1.50.0-0f1e2d3c' (Bottlerocket)",
        )
    ),
]
InstanceType = Annotated[
    str,
    AfterValidator(
        matches(INSTANCE_TYPE, "an EC2 instance type such as 'c5.2xlarge' or 'm7g.4xlarge'")
    ),
]
KubernetesVersion = Annotated[str, AfterValidator(check_kubernetes_version)]
CalicoVersion = Annotated[
    str, AfterValidator(matches(CALICO_VERSION, "a pinned Calico release tag such as 'v3.32.1'"))
]
AddonVersion = Annotated[
    str,
    AfterValidator(matches(ADDON_VERSION, "an EKS add-on version such as 'v1.20.4-eksbuild.1'")),
]
AwsTags = Annotated[dict[str, str], AfterValidator(check_tags)]
