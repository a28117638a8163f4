"""Settings of the optional EKS cluster (`cyperf-k8s:eks`, used when `cyperf-k8s:cluster` is `eks`).

Pure pydantic, and loaded only for `cluster: eks` (`parse_settings` picks `EksStackSettings`),
so an existing-cluster stack pays for none of it. Every error names the key, the value and what
is allowed.
Errors that belong to one key are raised as located pydantic errors (`located_errors`), so
`parse_settings` prints them as `cyperf-k8s:eks.<path>: <message> (got <value>)`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from components.settings import AgentGroup, StackSettings
from components.validators import CrossCheckProblems, LabelMap, Model

# --- pinned defaults -----------------------------------------------------------------------------

# EKS versions in standard or extended support that pulumi-eks 4.4 / pulumi-aws 7.51 can create
# (the version is a plain string to both SDKs; AWS is the judge). Default: the newest EKS version
# whose optimized AMIs, add-ons and the pinned Calico release are all published and tested.
SUPPORTED_KUBERNETES_VERSIONS = ("1.30", "1.31", "1.32", "1.33", "1.34", "1.35")
DEFAULT_KUBERNETES_VERSION = "1.34"
# Amazon Linux 2 EKS AMIs end with Kubernetes 1.32.
LAST_AL2_VERSION = (1, 32)
DEFAULT_VPC_CIDR = "10.0.0.0/16"
DEFAULT_SERVICE_CIDR = "10.100.0.0/16"
DEFAULT_POD_CIDR = "192.168.0.0/16"
# tigera-operator Helm chart version (= the Calico release it installs).
DEFAULT_CALICO_VERSION = "v3.30.3"
# The ENI-based pod limit no longer applies with an overlay; 110 is the kubelet's own default.
DEFAULT_CALICO_MAX_PODS = 110
DEFAULT_INSTANCE_TYPE = "c5.2xlarge"
MAX_USER_TAGS = 40
# Smallest subnet of a created VPC: 59 usable addresses (nodes, and pods with the VPC CNI).
MAX_SUBNET_PREFIX = 26

CniType = Literal["aws-vpc-cni", "calico-vxlan"]
AmiType = Literal[
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
    "AL2_x86_64",
    "AL2_ARM_64",
]
AMI_ARCHITECTURE: dict[str, Literal["amd64", "arm64"]] = {
    "AL2023_x86_64_STANDARD": "amd64",
    "AL2023_ARM_64_STANDARD": "arm64",
    "BOTTLEROCKET_x86_64": "amd64",
    "BOTTLEROCKET_ARM_64": "arm64",
    "AL2_x86_64": "amd64",
    "AL2_ARM_64": "arm64",
}
ROLES: tuple[Literal["client", "server"], ...] = ("client", "server")
ROLE_LABEL = "agenttype"

_AWS_ID = r"[0-9a-f]{8}(?:[0-9a-f]{9})?"
VPC_ID = re.compile(rf"^vpc-{_AWS_ID}$")
SUBNET_ID = re.compile(rf"^subnet-{_AWS_ID}$")
SECURITY_GROUP_ID = re.compile(rf"^sg-{_AWS_ID}$")
PRINCIPAL_ARN = re.compile(
    r"^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:(?:role|user)/[\w+=,.@/-]{1,512}$"
)
AVAILABILITY_ZONE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d[a-z]$")
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)?\.[a-z0-9]+$")
# Graviton families carry a `g` after the generation digit (m7g, c6gn, is4gen); a1 is the first.
ARM_FAMILY = re.compile(r"^(?:a1|[a-z]+\d+[a-z]*g[a-z]*)$")
CALICO_VERSION = re.compile(r"^v3\.\d+\.\d+$")
ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
TAG_TEXT = re.compile(r"^[\w\s.:/=+\-@]*$")
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


# --- field checks ----------------------------------------------------------------------------


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


def _pattern(regex: re.Pattern[str], allowed: str) -> Any:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"must be {allowed}")
        return value

    return AfterValidator(check)


def check_kubernetes_version(value: str) -> str:
    if value not in SUPPORTED_KUBERNETES_VERSIONS:
        raise ValueError(
            f"must be one of the EKS versions {list(SUPPORTED_KUBERNETES_VERSIONS)} "
            f"(a 'major.minor' string; default {DEFAULT_KUBERNETES_VERSION!r})"
        )
    return value


def check_tags(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_USER_TAGS:
        raise ValueError(f"at most {MAX_USER_TAGS} tags (AWS allows 50 per resource)")
    for key, item in value.items():
        if not 1 <= len(key) <= 128 or not TAG_TEXT.match(key):
            raise ValueError(f"tag key {key!r} must be 1-128 letters, digits, spaces or '_.:/=+-@'")
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag key {key!r}: the 'aws:' prefix is reserved by AWS")
        if len(item) > 256 or not TAG_TEXT.match(item):
            raise ValueError(
                f"tag value {item!r} of {key!r} must be at most 256 letters, digits, spaces "
                "or '_.:/=+-@'"
            )
    return value


def instance_architecture(instance_type: str) -> Literal["amd64", "arm64"]:
    family = instance_type.split(".", 1)[0].split("-", 1)[0]
    return "arm64" if ARM_FAMILY.match(family) else "amd64"


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def located_errors(title: str, problems: Sequence[tuple[tuple[str | int, ...], str, Any]]) -> None:
    """Raise a pydantic ValidationError whose errors sit at the given keys.

    Raised inside a nested model's validator, pydantic prefixes each location with the parent keys
    (`eks.cni.podCidr`); raised in StackSettings' own validator it is the final error list.
    """
    if not problems:
        return
    raise ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError("eks_settings", "{message}", {"message": message}),
                loc=loc,
                input=value,
            )
            for loc, message, value in problems
        ],
    )


VpcCidr = Annotated[str, AfterValidator(check_vpc_cidr)]
ServiceCidr = Annotated[str, AfterValidator(check_service_cidr)]
PodCidr = Annotated[str, AfterValidator(check_pod_cidr)]
Ipv4Cidr = Annotated[str, AfterValidator(check_ipv4_cidr)]
VpcId = Annotated[str, _pattern(VPC_ID, "a VPC id such as 'vpc-0123456789abcdef0'")]
SubnetId = Annotated[str, _pattern(SUBNET_ID, "a subnet id such as 'subnet-0123456789abcdef0'")]
SecurityGroupId = Annotated[
    str, _pattern(SECURITY_GROUP_ID, "a security group id such as 'sg-0123456789abcdef0'")
]
PrincipalArn = Annotated[
    str,
    _pattern(
        PRINCIPAL_ARN,
        "an IAM role or user ARN such as 'arn:aws:iam::123456789012:role/Admin' "
        "(EKS access entries take no assumed-role session ARNs)",
    ),
]
AvailabilityZone = Annotated[
    str, _pattern(AVAILABILITY_ZONE, "an availability zone name such as 'us-east-1a'")
]
InstanceType = Annotated[
    str, _pattern(INSTANCE_TYPE, "an EC2 instance type such as 'c5.2xlarge' or 'm7g.4xlarge'")
]
KubernetesVersion = Annotated[str, AfterValidator(check_kubernetes_version)]
CalicoVersion = Annotated[
    str, _pattern(CALICO_VERSION, "a pinned Calico release tag such as 'v3.30.3'")
]
AddonVersion = Annotated[
    str, _pattern(ADDON_VERSION, "an EKS add-on version such as 'v1.20.4-eksbuild.1'")
]
AwsTags = Annotated[dict[str, str], AfterValidator(check_tags)]


def _duplicates(values: Sequence[str]) -> list[str]:
    return sorted({v for v in values if values.count(v) > 1})


# --- network -------------------------------------------------------------------------------------

_CREATED_VPC_KEYS = ("vpc_cidr", "availability_zone_count", "availability_zones", "nat_gateways")
_ALIASES = {
    "vpc_cidr": "vpcCidr",
    "availability_zone_count": "availabilityZoneCount",
    "availability_zones": "availabilityZones",
    "nat_gateways": "natGateways",
    "public_subnet_ids": "publicSubnetIds",
    "private_subnet_ids": "privateSubnetIds",
}


class NetworkSettings(Model):
    """A VPC the stack creates (`vpcCidr`, zones, NAT) or an existing one (`vpcId` + subnets)."""

    vpc_cidr: VpcCidr = DEFAULT_VPC_CIDR
    availability_zone_count: int = Field(default=2, ge=2, le=6)
    # Explicit zones (e.g. to avoid one without the instance type); overrides the count.
    availability_zones: list[AvailabilityZone] | None = None
    # NAT gateways for private nodes: one shared (cheaper) or one per zone (zone-independent).
    nat_gateways: Literal["single", "onePerAz"] = "single"
    vpc_id: VpcId | None = None
    public_subnet_ids: list[SubnetId] = Field(default_factory=list)
    private_subnet_ids: list[SubnetId] = Field(default_factory=list)
    # Where the nodes run: private subnets behind NAT (default) or public subnets with public IPs.
    node_placement: Literal["private", "public"] = "private"

    @model_validator(mode="after")
    def _consistent(self) -> NetworkSettings:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        if self.vpc_id is not None:
            for key in _CREATED_VPC_KEYS:
                if key in self.model_fields_set:
                    problems.append(
                        (
                            (_ALIASES[key],),
                            f"applies only to a VPC the stack creates; with vpcId "
                            f"{self.vpc_id!r} remove it",
                            getattr(self, key),
                        )
                    )
            placement_key = (
                "privateSubnetIds" if self.node_placement == "private" else "publicSubnetIds"
            )
            placement = self.node_subnet_ids_given
            if not placement:
                problems.append(
                    (
                        (placement_key,),
                        f"is required with vpcId and nodePlacement {self.node_placement!r}: "
                        "list the existing subnets the nodes go in",
                        placement,
                    )
                )
            every = self.public_subnet_ids + self.private_subnet_ids
            if placement and len(set(every)) < 2:
                problems.append(
                    (
                        (placement_key,),
                        "EKS needs subnets in at least two availability zones: give at least "
                        "two subnets in publicSubnetIds and privateSubnetIds together",
                        every,
                    )
                )
            for key, ids in (
                ("publicSubnetIds", self.public_subnet_ids),
                ("privateSubnetIds", self.private_subnet_ids),
            ):
                if _duplicates(ids):
                    problems.append(((key,), f"lists {_duplicates(ids)} more than once", ids))
            both = sorted(set(self.public_subnet_ids) & set(self.private_subnet_ids))
            if both:
                problems.append(
                    (
                        ("privateSubnetIds",),
                        f"subnets {both} are listed as both public and private",
                        self.private_subnet_ids,
                    )
                )
        else:
            for key in ("public_subnet_ids", "private_subnet_ids"):
                if getattr(self, key):
                    problems.append(
                        (
                            (_ALIASES[key],),
                            "needs vpcId (existing subnets belong to an existing VPC); without "
                            "vpcId the stack creates the VPC and its subnets",
                            getattr(self, key),
                        )
                    )
            if self.availability_zones is not None:
                zones = self.availability_zones
                if len(zones) < 2 or _duplicates(zones):
                    problems.append(
                        (
                            ("availabilityZones",),
                            "must list at least two distinct availability zones",
                            zones,
                        )
                    )
                if "availability_zone_count" in self.model_fields_set:
                    problems.append(
                        (
                            ("availabilityZoneCount",),
                            "give either availabilityZones or availabilityZoneCount, not both",
                            self.availability_zone_count,
                        )
                    )
            subnet_prefix = (
                ipaddress.IPv4Network(self.vpc_cidr).prefixlen
                + (2 * self.zone_count - 1).bit_length()
            )
            if subnet_prefix > MAX_SUBNET_PREFIX:
                problems.append(
                    (
                        ("vpcCidr",),
                        f"is too small for {2 * self.zone_count} subnets (a public and a "
                        f"private one per zone would each be /{subnet_prefix}; at least "
                        f"/{MAX_SUBNET_PREFIX} is needed for the nodes, and with the VPC CNI "
                        "for every pod): use a larger block or fewer zones",
                        self.vpc_cidr,
                    )
                )
        located_errors("NetworkSettings", problems)
        return self

    @property
    def creates_vpc(self) -> bool:
        return self.vpc_id is None

    @property
    def zone_count(self) -> int:
        if self.availability_zones is not None:
            return len(self.availability_zones)
        return self.availability_zone_count

    @property
    def node_subnet_ids_given(self) -> list[str]:
        if self.node_placement == "private":
            return list(self.private_subnet_ids)
        return list(self.public_subnet_ids)


# --- cluster -------------------------------------------------------------------------------------


class ClusterSettings(Model):
    kubernetes_version: KubernetesVersion = DEFAULT_KUBERNETES_VERSION
    # IAM roles/users that get cluster-admin access entries (besides the identity running Pulumi,
    # which EKS makes admin at creation).
    admin_principal_arns: list[PrincipalArn] = Field(default_factory=list)
    endpoint_public_access: bool = True
    endpoint_private_access: bool = True
    public_access_cidrs: list[Ipv4Cidr] = Field(default_factory=lambda: ["0.0.0.0/0"])
    deletion_protection: bool = False
    # Kubernetes Service ClusterIPs; the cluster DNS (kube-dns) is its `.10` address.
    service_cidr: ServiceCidr = DEFAULT_SERVICE_CIDR

    @model_validator(mode="after")
    def _endpoint(self) -> ClusterSettings:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        if not self.endpoint_public_access and not self.endpoint_private_access:
            problems.append(
                (
                    ("endpointPublicAccess",),
                    "the API endpoint needs public or private access (or both)",
                    False,
                )
            )
        if not self.endpoint_public_access and "public_access_cidrs" in self.model_fields_set:
            problems.append(
                (
                    ("publicAccessCidrs",),
                    "applies only with endpointPublicAccess true",
                    self.public_access_cidrs,
                )
            )
        if self.endpoint_public_access and not self.public_access_cidrs:
            problems.append(
                (
                    ("publicAccessCidrs",),
                    "must list at least one CIDR block while endpointPublicAccess is true "
                    "(the machine running `pulumi up` must be inside one of them)",
                    self.public_access_cidrs,
                )
            )
        if _duplicates(self.admin_principal_arns):
            problems.append(
                (
                    ("adminPrincipalArns",),
                    f"lists {_duplicates(self.admin_principal_arns)} more than once",
                    self.admin_principal_arns,
                )
            )
        located_errors("ClusterSettings", problems)
        return self

    @property
    def dns_ip(self) -> str:
        return cluster_dns_ip(self.service_cidr)


def cluster_dns_ip(service_cidr: str) -> str:
    """EKS's kube-dns ClusterIP: the `.10` address of the service CIDR."""
    return str(ipaddress.IPv4Network(service_cidr).network_address + 10)


# --- CNI -----------------------------------------------------------------------------------------

_CALICO_ONLY = {"calico_version": "calicoVersion", "pod_cidr": "podCidr"}
_VPC_CNI_ONLY = {"prefix_delegation": "prefixDelegation", "addon_version": "addonVersion"}


class CniSettings(Model):
    """`aws-vpc-cni`: pods get VPC addresses (routable from the VPC and peered networks).
    `calico-vxlan`: the VPC CNI is replaced by Calico with a VXLAN overlay (pod IPs only inside)."""

    type: CniType = "aws-vpc-cni"
    # aws-vpc-cni: assign /28 prefixes to ENIs (more pods per node).
    prefix_delegation: bool = False
    # aws-vpc-cni: the vpc-cni add-on version (default: EKS's default for the Kubernetes version).
    addon_version: AddonVersion | None = None
    # Pod interface MTU (aws-vpc-cni: AWS_VPC_ENI_MTU; calico: calicoNetwork.mtu). Default: auto.
    mtu: int | None = Field(default=None, ge=576, le=9001)
    # calico-vxlan only.
    calico_version: CalicoVersion = DEFAULT_CALICO_VERSION
    pod_cidr: PodCidr = DEFAULT_POD_CIDR
    # Pods per node (kubelet maxPods). calico-vxlan default 110; aws-vpc-cni default: EKS computes
    # it from the instance's ENIs.
    max_pods: int | None = Field(default=None, ge=8, le=250)

    @model_validator(mode="after")
    def _options_match_type(self) -> CniSettings:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        wrong = _VPC_CNI_ONLY if self.type == "calico-vxlan" else _CALICO_ONLY
        owner = "aws-vpc-cni" if self.type == "calico-vxlan" else "calico-vxlan"
        for key, alias in wrong.items():
            if key in self.model_fields_set:
                problems.append(
                    (
                        (alias,),
                        f"applies only to cni type {owner!r}, not {self.type!r}",
                        getattr(self, key),
                    )
                )
        located_errors("CniSettings", problems)
        return self

    @property
    def is_calico(self) -> bool:
        return self.type == "calico-vxlan"

    @property
    def effective_max_pods(self) -> int | None:
        if self.max_pods is not None:
            return self.max_pods
        return DEFAULT_CALICO_MAX_PODS if self.is_calico else None

    @property
    def effective_pod_cidr(self) -> str | None:
        """The pod address pool: Calico's pool; with the VPC CNI pods take VPC addresses."""
        return self.pod_cidr if self.is_calico else None


# --- node groups ---------------------------------------------------------------------------------


class NodeGroupSettings(Model):
    instance_types: list[InstanceType] = Field(
        default_factory=lambda: [DEFAULT_INSTANCE_TYPE], min_length=1, max_length=20
    )
    desired_size: int = Field(default=1, ge=0, le=450)
    min_size: int = Field(default=1, ge=0, le=450)
    max_size: int = Field(default=2, ge=1, le=450)
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    # The node OS image; ARM_64 types make an arm64 node group (Graviton instance types).
    ami_type: AmiType = "AL2023_x86_64_STANDARD"
    disk_size: int = Field(default=50, ge=20, le=16384)
    # Taint the nodes `agenttype=<role>:NoSchedule` so only that role's agents run there.
    dedicated: bool = False
    # Extra node labels (the group always carries `agenttype: <role>`).
    labels: LabelMap = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> NodeGroupSettings:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        if self.min_size > self.max_size:
            problems.append(
                (("minSize",), f"must not exceed maxSize {self.max_size}", self.min_size)
            )
        elif not self.min_size <= self.desired_size <= self.max_size:
            problems.append(
                (
                    ("desiredSize",),
                    f"must lie between minSize {self.min_size} and maxSize {self.max_size}",
                    self.desired_size,
                )
            )
        if _duplicates(self.instance_types):
            problems.append(
                (
                    ("instanceTypes",),
                    f"lists {_duplicates(self.instance_types)} more than once",
                    self.instance_types,
                )
            )
        wrong = [t for t in self.instance_types if instance_architecture(t) != self.architecture]
        if wrong:
            problems.append(
                (
                    ("instanceTypes",),
                    f"{wrong} do not match amiType {self.ami_type!r} ({self.architecture}); "
                    + (
                        "use Graviton types (m7g, c7g, ...) with an ARM_64 amiType"
                        if self.architecture == "arm64"
                        else "use x86_64 types, or an ARM_64 amiType for Graviton types"
                    ),
                    self.instance_types,
                )
            )
        if ROLE_LABEL in self.labels:
            problems.append(
                (
                    ("labels",),
                    f"{ROLE_LABEL!r} is set by the stack to the group's role; remove it",
                    self.labels,
                )
            )
        located_errors("NodeGroupSettings", problems)
        return self

    @property
    def architecture(self) -> Literal["amd64", "arm64"]:
        return AMI_ARCHITECTURE[self.ami_type]

    def node_labels(self, role: str) -> dict[str, str]:
        return {**self.labels, ROLE_LABEL: role}


class NodeGroupsSettings(Model):
    """One managed node group per agent role; `null` leaves a role without nodes."""

    client: NodeGroupSettings | None = NodeGroupSettings()
    server: NodeGroupSettings | None = NodeGroupSettings()

    def by_role(self) -> dict[str, NodeGroupSettings]:
        groups = {"client": self.client, "server": self.server}
        return {role: group for role, group in groups.items() if group is not None}


# --- the EKS section -----------------------------------------------------------------------------


class EksSettings(Model):
    network: NetworkSettings = NetworkSettings()
    cluster: ClusterSettings = ClusterSettings()
    cni: CniSettings = CniSettings()
    node_groups: NodeGroupsSettings = NodeGroupsSettings()
    # The CyPerf Controller's security group: the stack adds ingress from the agents to it
    # (443, and 30422 for CyPerf releases before 3.0).
    controller_security_group_id: SecurityGroupId | None = None
    # AWS tags for every AWS resource of the stack (VPC, cluster, node groups, add-ons, rules).
    tags: AwsTags = Field(default_factory=dict)

    @model_validator(mode="after")
    def _cross_checks(self) -> EksSettings:
        problems: list[tuple[tuple[str | int, ...], str, Any]] = []
        service = ipaddress.IPv4Network(self.cluster.service_cidr)
        vpc = ipaddress.IPv4Network(self.network.vpc_cidr) if self.network.creates_vpc else None
        if vpc is not None and service.overlaps(vpc):
            problems.append(
                (
                    ("cluster", "serviceCidr"),
                    f"overlaps the VPC CIDR {self.network.vpc_cidr!r}; EKS needs a service "
                    "CIDR outside the VPC",
                    self.cluster.service_cidr,
                )
            )
        if self.cni.is_calico:
            pod = ipaddress.IPv4Network(self.cni.pod_cidr)
            for other, key in ((vpc, "network.vpcCidr"), (service, "cluster.serviceCidr")):
                if other is not None and pod.overlaps(other):
                    problems.append(
                        (
                            ("cni", "podCidr"),
                            f"overlaps {key} {str(other)!r}; the Calico pod CIDR must not "
                            "overlap the VPC or the service CIDR",
                            self.cni.pod_cidr,
                        )
                    )
        groups = self.node_groups.by_role()
        if not groups:
            problems.append(
                (
                    ("nodeGroups",),
                    "at least one of the client and server node groups is needed",
                    None,
                )
            )
        elif all(g.dedicated for g in groups.values()):
            role = sorted(groups)[-1]
            problems.append(
                (
                    ("nodeGroups", role, "dedicated"),
                    "every node group is tainted, so CoreDNS and the other cluster add-ons "
                    "would have no node to run on; leave at least one group undedicated",
                    True,
                )
            )
        version = version_tuple(self.cluster.kubernetes_version)
        for role, group in groups.items():
            if group.ami_type.startswith("AL2_") and version > LAST_AL2_VERSION:
                problems.append(
                    (
                        ("nodeGroups", role, "amiType"),
                        f"Amazon Linux 2 AMIs end with Kubernetes 1.32 (kubernetesVersion is "
                        f"{self.cluster.kubernetes_version!r}); use AL2023_x86_64_STANDARD, "
                        "AL2023_ARM_64_STANDARD or a BOTTLEROCKET type",
                        group.ami_type,
                    )
                )
        if (
            self.controller_security_group_id is not None
            and self.network.creates_vpc
            and self.network.node_placement == "public"
        ):
            problems.append(
                (
                    ("controllerSecurityGroupId",),
                    "nodes in public subnets of a new VPC reach the controller from their own "
                    "changing public IPs, which no rule can name; use nodePlacement 'private' "
                    "(rules from the NAT gateway addresses) or an existing VPC that holds the "
                    "controller (rules from the node security group)",
                    self.controller_security_group_id,
                )
            )
        located_errors("EksSettings", problems)
        return self

    @property
    def controller_ingress_source(self) -> Literal["natGateways", "nodeSecurityGroup"] | None:
        """Where the controller's ingress rules allow agents from (None: no rules)."""
        if self.controller_security_group_id is None:
            return None
        if self.network.creates_vpc:
            return "natGateways"
        return "nodeSecurityGroup"


# --- StackSettings hooks (registered by components/settings.py) --------------------------------


def _targets(group: AgentGroup, eks: EksSettings) -> list[str]:
    selector = group.effective_node_selector
    return [
        role
        for role, node_group in eks.node_groups.by_role().items()
        if all(node_group.node_labels(role).get(k) == v for k, v in selector.items())
    ]


def _key(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + part
    return text


def eks_cross_checks(settings: EksStackSettings) -> list[tuple[str, str, Any]]:
    """Checks between the EKS section and the rest of the stack settings, as
    (key path from the config root, what is wrong and allowed, value) for CrossCheckProblems."""
    problems: list[tuple[str, str, Any]] = []
    eks = settings.eks
    for alias, value in (
        ("kubeconfig", "<hidden: it is a secret>" if settings.kubeconfig else None),
        ("kubeContext", settings.kube_context),
        ("nodeLabels", settings.node_labels),
    ):
        if value:
            problems.append(
                (
                    alias,
                    "does not apply with cluster 'eks': the stack builds the kubeconfig of the "
                    "cluster it creates and labels its node groups `agenttype=<role>` itself",
                    value,
                )
            )
    node_groups = eks.node_groups.by_role()
    one_per_node_demand: dict[str, list[tuple[str, int]]] = {}
    for index, group in enumerate(settings.agent_groups):
        targets = _targets(group, eks)
        if not targets:
            available = {role: ng.node_labels(role) for role, ng in node_groups.items()}
            key = "nodeSelector" if group.node_selector is not None else "role"
            problems.append(
                (
                    _key(("agentGroups", index, key)),
                    f"group {group.name!r} selects nodes {group.effective_node_selector} but no "
                    f"EKS node group carries those labels (node groups: {available}); add the "
                    "labels to eks.nodeGroups.<role>.labels or enable that role's node group",
                    group.node_selector if group.node_selector is not None else group.role,
                )
            )
            continue
        wrong_arch = [r for r in targets if node_groups[r].architecture != group.architecture]
        if wrong_arch:
            problems.append(
                (
                    _key(("agentGroups", index, "architecture")),
                    f"group {group.name!r} runs {group.architecture} images but node group(s) "
                    f"{wrong_arch} run amiType {[node_groups[r].ami_type for r in wrong_arch]} "
                    f"({sorted({node_groups[r].architecture for r in wrong_arch})}); set the "
                    "group's architecture to match, or change eks.nodeGroups.<role>.amiType "
                    "and instanceTypes",
                    group.architecture,
                )
            )
        if group.one_agent_per_node and len(targets) == 1:
            one_per_node_demand.setdefault(targets[0], []).append((group.name, group.replicas))
    for role, demand in sorted(one_per_node_demand.items()):
        wanted = sum(replicas for _, replicas in demand)
        desired = node_groups[role].desired_size
        if wanted > desired:
            problems.append(
                (
                    _key(("eks", "nodeGroups", role, "desiredSize")),
                    f"{desired} node(s) cannot hold {wanted} agent(s) of groups "
                    f"{[name for name, _ in demand]} with oneAgentPerNode on (one agent per "
                    f"node); raise desiredSize (and maxSize) to at least {wanted}, lower the "
                    "replicas, or turn oneAgentPerNode off",
                    desired,
                )
            )
    return problems


class EksStackSettings(StackSettings):
    """The stack settings of `cluster: eks`: the EKS section (defaults when left out) and the
    checks between it and the agent groups."""

    eks: EksSettings = Field(default_factory=EksSettings)

    @model_validator(mode="after")
    def _eks_cross_checks(self) -> EksStackSettings:
        problems = eks_cross_checks(self)
        if problems:
            raise CrossCheckProblems(problems)
        return self
