"""The EKS network section (`eks.network`): a VPC the stack creates or an existing one."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, model_validator

from components.settings.eks.fields import (
    DEFAULT_VPC_CIDR,
    MAX_SUBNET_PREFIX,
    UNSUPPORTED_EKS_ZONE_IDS,
    AvailabilityZone,
    AvailabilityZoneId,
    Ipv4Cidr,
    SecurityGroupId,
    SubnetId,
    VpcCidr,
    VpcId,
)
from components.settings.fields import Model
from components.settings.problems import Problem, only_with, raise_any, repeated

_CREATED_VPC_KEYS = (
    "vpc_cidr",
    "availability_zone_count",
    "availability_zones",
    "availability_zone_ids",
    "nat_gateways",
)
_ALIASES = {
    "vpc_cidr": "vpcCidr",
    "availability_zone_count": "availabilityZoneCount",
    "availability_zones": "availabilityZones",
    "availability_zone_ids": "availabilityZoneIds",
    "nat_gateways": "natGateways",
    "public_subnet_ids": "publicSubnetIds",
    "private_subnet_ids": "privateSubnetIds",
}


class NetworkSettings(Model):
    """A VPC the stack creates (`vpcCidr`, zones, NAT) or an existing one (`vpcId` + subnets)."""

    vpc_cidr: VpcCidr = DEFAULT_VPC_CIDR
    """The VPC the stack creates: a private /16-/24, split into one public and one private subnet
    per zone, each large enough for the nodes (and with the VPC CNI their pods)."""
    availability_zone_count: int = Field(default=2, ge=2, le=6)
    """Zones of the created VPC: the region's first available ones (name order) except the zone
    IDs where EKS cannot place cluster subnets."""
    availability_zones: list[AvailabilityZone] | None = None
    """Explicit zone names instead of the count (at least two), e.g. to avoid a zone without the
    instance type."""
    availability_zone_ids: list[AvailabilityZoneId] | None = None
    """Explicit zones by zone ID (`use1-az1`: the same physical zone in every account) instead of
    the count or the names."""
    nat_gateways: Literal["single", "onePerAz"] = "single"
    """NAT gateways for private nodes: one shared (cheaper) or one per zone (zone-independent)."""
    vpc_id: VpcId | None = None
    """An existing VPC to use instead of creating one (its subnets in `publicSubnetIds` and
    `privateSubnetIds`)."""
    public_subnet_ids: list[SubnetId] = Field(default_factory=list)
    """Existing public subnets of `vpcId`; required for public nodes, which need public IPv4
    addresses assigned on launch."""
    private_subnet_ids: list[SubnetId] = Field(default_factory=list)
    """Existing private subnets of `vpcId`; required for private nodes. Together with the public
    ones they span at least two zones."""
    node_placement: Literal["private", "public"] = "private"
    """Where the nodes run: private subnets behind NAT, or public subnets with public IPs (when
    clients outside AWS must reach node ports)."""
    dut_source_cidrs: list[Ipv4Cidr] = Field(default_factory=list)
    """Where the DUT's traffic to the servers comes from: the node security group admits these
    CIDRs on the server Services' node ports and, with the VPC CNI, their target ports on the
    pod IPs. Without it (or `dutSourceSecurityGroupId`) the nodes admit only each other."""
    dut_source_security_group_id: SecurityGroupId | None = None
    """The DUT's security group, admitted like `dutSourceCidrs`; only with `vpcId` (a rule can
    reference a group of the same or a peered VPC only, which a VPC the stack creates is not)."""

    @model_validator(mode="after")
    def _consistent(self) -> NetworkSettings:
        problems: list[Problem] = []
        if self.vpc_id is not None:
            for key in _CREATED_VPC_KEYS:
                if key in self.model_fields_set:
                    problems.append(
                        Problem(
                            (_ALIASES[key],),
                            only_with("a VPC the stack creates", f"vpcId is {self.vpc_id!r}"),
                            getattr(self, key),
                        )
                    )
            placement_key = self.node_subnet_key
            placement = self.node_subnet_ids_given
            if not placement:
                problems.append(
                    Problem(
                        (placement_key,),
                        f"is required with vpcId and nodePlacement {self.node_placement!r}: "
                        "list the existing subnets the nodes go in",
                        placement,
                    )
                )
            every = self.public_subnet_ids + self.private_subnet_ids
            if placement and len(set(every)) < 2:
                problems.append(
                    Problem(
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
                if twice := repeated(ids):
                    problems.append(Problem((key,), f"lists {twice} more than once", ids))
            both = sorted(set(self.public_subnet_ids) & set(self.private_subnet_ids))
            if both:
                problems.append(
                    Problem(
                        ("privateSubnetIds",),
                        f"subnets {both} are listed as both public and private",
                        self.private_subnet_ids,
                    )
                )
        else:
            for key in ("public_subnet_ids", "private_subnet_ids"):
                if getattr(self, key):
                    problems.append(
                        Problem(
                            (_ALIASES[key],),
                            only_with(
                                "vpcId",
                                "without it the stack creates the VPC and its subnets",
                                "remove it, or set vpcId to the VPC the subnets belong to",
                            ),
                            getattr(self, key),
                        )
                    )
            if self.dut_source_security_group_id is not None:
                # EC2 refuses a rule referencing a group of another VPC unless the VPCs are
                # peered (AWS VPC User Guide, "Security group rules"); a VPC this `up` creates
                # cannot be peered yet, and a group in it cannot be the DUT's beforehand.
                problems.append(
                    Problem(
                        ("dutSourceSecurityGroupId",),
                        only_with(
                            "vpcId (a rule references a group of the same or a peered VPC only)",
                            "without it the stack creates the VPC",
                            "list the DUT's addresses in dutSourceCidrs instead, or set vpcId "
                            "to the DUT's VPC",
                        ),
                        self.dut_source_security_group_id,
                    )
                )
            problems += self._zone_problems()
            subnet_prefix = self.subnet_prefix
            if subnet_prefix > MAX_SUBNET_PREFIX:
                problems.append(
                    Problem(
                        ("vpcCidr",),
                        f"is too small for {2 * self.zone_count} subnets (a public and a "
                        f"private one per zone would each be /{subnet_prefix}; at least "
                        f"/{MAX_SUBNET_PREFIX} is needed for the nodes, and with the VPC CNI "
                        "for every pod): use a larger block or fewer zones",
                        self.vpc_cidr,
                    )
                )
        raise_any(problems)
        return self

    def _zone_problems(self) -> list[Problem]:
        problems: list[Problem] = []
        given = [
            key
            for key in ("availability_zones", "availability_zone_ids", "availability_zone_count")
            if key in self.model_fields_set
        ]
        if len(given) > 1:
            problems.append(
                Problem(
                    (_ALIASES[given[-1]],),
                    "give only one of availabilityZones, availabilityZoneIds and "
                    f"availabilityZoneCount (got {[_ALIASES[k] for k in given]})",
                    getattr(self, given[-1]),
                )
            )
        for key, zones in (
            ("availabilityZones", self.availability_zones),
            ("availabilityZoneIds", self.availability_zone_ids),
        ):
            if zones is not None and (len(zones) < 2 or repeated(zones)):
                problems.append(
                    Problem((key,), "must list at least two distinct availability zones", zones)
                )
        for index, zone_id in enumerate(self.availability_zone_ids or []):
            if zone_id in UNSUPPORTED_EKS_ZONE_IDS:
                problems.append(
                    Problem(
                        ("availabilityZoneIds", index),
                        "EKS cannot place cluster subnets in zones "
                        f"{list(UNSUPPORTED_EKS_ZONE_IDS)} (EKS subnet requirements); choose "
                        "another zone",
                        zone_id,
                    )
                )
        return problems

    @property
    def creates_vpc(self) -> bool:
        return self.vpc_id is None

    @property
    def zone_count(self) -> int:
        if self.availability_zones is not None:
            return len(self.availability_zones)
        if self.availability_zone_ids is not None:
            return len(self.availability_zone_ids)
        return self.availability_zone_count

    @property
    def subnet_prefix(self) -> int:
        """Prefix length of the created VPC's subnets: equal blocks, a public and a private one
        per zone (components.eks.plan.subnet_plan)."""
        return (
            ipaddress.IPv4Network(self.vpc_cidr).prefixlen + (2 * self.zone_count - 1).bit_length()
        )

    @property
    def node_subnet_key(self) -> str:
        """The key listing an existing VPC's node subnets."""
        return "privateSubnetIds" if self.node_placement == "private" else "publicSubnetIds"

    @property
    def node_subnet_ids_given(self) -> list[str]:
        if self.node_placement == "private":
            return list(self.private_subnet_ids)
        return list(self.public_subnet_ids)
