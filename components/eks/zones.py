"""Which availability zones a created VPC uses, and whether an existing VPC's subnets suit EKS
(pure: AWS lookups in, zone names or problems out)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from components.settings.eks.fields import UNSUPPORTED_EKS_ZONE_IDS
from components.settings.eks.network import NetworkSettings
from components.settings.problems import KeyWarning, Problem, raise_any


def chosen_zones(names: list[str], zone_ids: list[str], network: NetworkSettings) -> list[str]:
    """The zone names of a created VPC's subnets, from the region's available zones (an AWS
    lookup: names and IDs in the same order). `availabilityZoneCount` takes the first zones of a
    lookup that already excludes UNSUPPORTED_EKS_ZONE_IDS (in name order, as before, so a working
    stack keeps its subnets); explicit names or IDs are checked against it. Raises Problems."""
    by_name = dict(zip(names, zone_ids, strict=True))
    by_id = dict(zip(zone_ids, names, strict=True))
    problems: list[Problem] = []
    path = ("eks", "network")
    if network.availability_zone_ids is not None:
        for index, zone_id in enumerate(network.availability_zone_ids):
            if zone_id not in by_id:
                problems.append(
                    Problem(
                        (*path, "availabilityZoneIds", index),
                        f"is not an available zone of the region (zone IDs: {sorted(by_id)})",
                        zone_id,
                    )
                )
        raise_any(problems)
        return [by_id[zone_id] for zone_id in network.availability_zone_ids]
    if network.availability_zones is not None:
        for index, name in enumerate(network.availability_zones):
            if name not in by_name:
                problems.append(
                    Problem(
                        (*path, "availabilityZones", index),
                        f"is not an available zone of the region (zones: {names})",
                        name,
                    )
                )
            elif by_name[name] in UNSUPPORTED_EKS_ZONE_IDS:
                problems.append(
                    Problem(
                        (*path, "availabilityZones", index),
                        f"is zone ID {by_name[name]} in this account, where EKS cannot place "
                        "cluster subnets (EKS subnet requirements); choose another zone",
                        name,
                    )
                )
        raise_any(problems)
        return list(network.availability_zones)
    usable = [n for n in names if by_name[n] not in UNSUPPORTED_EKS_ZONE_IDS]
    wanted = network.availability_zone_count
    if len(usable) < wanted:
        raise_any(
            [
                Problem(
                    (*path, "availabilityZoneCount"),
                    f"the region has only {len(usable)} available zones where EKS can place "
                    f"cluster subnets {usable}; ask for at most {len(usable)}",
                    wanted,
                )
            ]
        )
    return usable[:wanted]


@dataclass(frozen=True)
class ExistingSubnet:
    # From aws.ec2.get_subnet.
    id: str
    vpc_id: str
    zone_id: str
    map_public_ip_on_launch: bool
    cidr: str
    # Free addresses when looked up (other workloads in the subnet use some).
    available_addresses: int


def existing_subnet_problems(
    subnets: list[ExistingSubnet], network: NetworkSettings
) -> list[Problem]:
    """EKS subnet requirements (awsdocs amazon-eks-user-guide networking/network-reqs.adoc):
    subnets in at least two availability zones, none in a zone EKS refuses, and for nodes in
    public subnets, public IPv4 addresses assigned on launch (managed node groups need it)."""
    by_id = {s.id: s for s in subnets}
    problems: list[Problem] = []
    path = ("eks", "network")
    lists = (
        ("publicSubnetIds", network.public_subnet_ids),
        ("privateSubnetIds", network.private_subnet_ids),
    )
    for key, ids in lists:
        for index, subnet_id in enumerate(ids):
            subnet = by_id[subnet_id]
            if subnet.vpc_id != network.vpc_id:
                problems.append(
                    Problem(
                        (*path, key, index),
                        f"belongs to {subnet.vpc_id}, not to vpcId {network.vpc_id}",
                        subnet_id,
                    )
                )
            if subnet.zone_id in UNSUPPORTED_EKS_ZONE_IDS:
                problems.append(
                    Problem(
                        (*path, key, index),
                        f"is in zone ID {subnet.zone_id}, where EKS cannot place cluster subnets "
                        "(EKS subnet requirements); use a subnet in another zone",
                        subnet_id,
                    )
                )
            if (
                key == "publicSubnetIds"
                and network.node_placement == "public"
                and not subnet.map_public_ip_on_launch
            ):
                problems.append(
                    Problem(
                        (*path, key, index),
                        "does not assign public IPv4 addresses on launch, which nodes in public "
                        "subnets need (EKS subnet requirements); enable it on the subnet "
                        "(MapPublicIpOnLaunch) or use nodePlacement 'private'",
                        subnet_id,
                    )
                )
    zones = sorted({s.zone_id for s in subnets})
    if len(zones) < 2:
        key = network.node_subnet_key
        problems.append(
            Problem(
                (*path, key),
                f"the subnets given are all in zone {zones}; EKS needs subnets in at least two "
                "availability zones",
                network.public_subnet_ids + network.private_subnet_ids,
            )
        )
    return problems


def default_route_nat(routes: list[tuple[str | None, str | None]]) -> str | None:
    """The NAT gateway of a route table's default route (0.0.0.0/0), from (destination CIDR,
    NAT gateway id) pairs; None when that route goes elsewhere (internet gateway, instance,
    transit gateway) or is missing."""
    return next((nat for cidr, nat in routes if cidr == "0.0.0.0/0" and nat), None)


def node_subnet_nat_problems(
    nat_by_subnet: dict[str, str | None],
    network: NetworkSettings,
    private_nats: set[str],
) -> list[Problem]:
    """With a public controller address the controller sees the node subnets' NAT gateways; a
    node subnet whose default route has no NAT gateway leaves from addresses nobody can know in
    advance (the nodes' own public IPs, a proxy, a transit network), and one through a private
    NAT gateway keeps a private source address."""
    key = network.node_subnet_key
    fixes = (
        "route the subnet through a public NAT gateway, use the controller's private address, or "
        "leave controllerSecurityGroupId out and allow the agents' egress address in the "
        "controller's security group yourself"
    )
    problems = []
    for index, subnet_id in enumerate(network.node_subnet_ids_given):
        nat = nat_by_subnet[subnet_id]
        if nat is None:
            problems.append(
                Problem(
                    ("eks", "network", key, index),
                    "has no default route (0.0.0.0/0) through a NAT gateway, so the address the "
                    "public controllerAddress sees the agents come from cannot be known and no "
                    f"rule on controllerSecurityGroupId can name it; {fixes}",
                    subnet_id,
                )
            )
        elif nat in private_nats:
            problems.append(
                Problem(
                    ("eks", "network", key, index),
                    f"routes 0.0.0.0/0 through the private NAT gateway {nat}, which keeps a "
                    "private source address: the agents' traffic cannot reach the public "
                    f"controllerAddress from it; {fixes}",
                    subnet_id,
                )
            )
    return problems


def zone_key(network: NetworkSettings) -> str:
    """The key that chose a created VPC's zones."""
    if network.availability_zone_ids is not None:
        return "availabilityZoneIds"
    if network.availability_zones is not None:
        return "availabilityZones"
    return "availabilityZoneCount"


def impaired_zone_warnings(
    chosen: list[str], available: list[str], network: NetworkSettings
) -> list[KeyWarning]:
    """A zone's state (available, information, impaired, unavailable: EC2
    DescribeAvailabilityZones) does not choose the zones, or a zone turning impaired would shift
    every later subnet to another zone; a chosen zone not available now is worth knowing."""
    return [
        KeyWarning(
            ("eks", "network", zone_key(network)),
            f"zone {name} is not in state 'available' now (AWS reports it impaired or "
            "constrained): its subnets stay there, and nodes there may not launch until AWS "
            "recovers it",
        )
        for name in chosen
        if name not in available
    ]


def deployed_zone_problems(
    deployed: dict[str, tuple[str, str]],
    planned: dict[str, tuple[str, str]],
    network: NetworkSettings,
) -> list[Problem]:
    """The created VPC's subnets keep their blocks and zones. `deployed` and `planned`: subnet
    plan name -> (CIDR, zone), from the state and for this run. The subnet blocks are sized from
    the zone count (components.eks.plan.subnet_plan), so another count re-carves every subnet,
    and a replacement created before its old subnet is deleted collides with it (EC2
    InvalidSubnet.Conflict); a subnet moved to another zone collides the same way, and every
    node group in it is replaced. A subnet outside this run's vpcCidr belongs to a VPC that is
    replaced anyway, and one the state lacks (an `up` that stopped early) is simply created."""
    vpc = ipaddress.IPv4Network(network.vpc_cidr)
    moved = [
        name
        for name, subnet in planned.items()
        if name in deployed
        and deployed[name][0]
        and ipaddress.IPv4Network(deployed[name][0]).subnet_of(vpc)
        and deployed[name] != subnet
    ]
    if not moved:
        return []
    zones = sorted({zone for _, zone in deployed.values()})
    wanted = sorted({zone for _, zone in planned.values()})
    key = zone_key(network)
    value = {
        "availabilityZoneIds": network.availability_zone_ids,
        "availabilityZones": network.availability_zones,
    }.get(key, network.zone_count)
    return [
        Problem(
            ("eks", "network", key),
            f"the deployed VPC has its subnets in {len(zones)} zones {zones}, this config puts "
            f"them in {wanted}: another zone count or zone re-creates the subnets"
            " (their blocks are sized from the count; the new ones collide with the old, "
            "InvalidSubnet.Conflict) and every node group; keep the deployed zones, or destroy "
            "the stack and create it again",
            value,
        )
    ]
