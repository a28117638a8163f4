"""The cluster's network: a VPC the stack creates (subnets, internet and NAT gateways, routes) or
an existing VPC and its subnets, checked against the service and pod CIDRs."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.eks import capacity, nat, plan, previous
from components.eks import zones as zones_of_region
from components.settings.eks.fields import UNSUPPORTED_EKS_ZONE_IDS
from components.settings.eks.section import EksSettings
from components.settings.problems import raise_any
from components.warn import warn


def _zone_names(name: str, eks: EksSettings, deployed: previous.PreviousEks) -> list[str]:
    """The created VPC's zones. A plain (blocking) lookup, made before the component registers:
    a zone EKS refuses, or zones other than the deployed subnets', stop the program before any
    resource exists. Every zone of the region whatever its state: a zone turning impaired must
    not shift the others; a second lookup of the available ones only warns."""
    network = eks.network
    explicit = network.availability_zones is not None or network.availability_zone_ids is not None
    opted_in = [
        aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])
    ]
    found = aws.get_availability_zones(
        exclude_zone_ids=None if explicit else list(UNSUPPORTED_EKS_ZONE_IDS),
        filters=opted_in,
    )
    chosen = zones_of_region.chosen_zones(list(found.names), list(found.zone_ids), network)
    planned = {s.name: (s.cidr, chosen[s.zone_index]) for s in plan.subnet_plan(network)}
    raise_any(
        zones_of_region.deployed_zone_problems(deployed.subnets(f"{name}-"), planned, network)
    )
    available = aws.get_availability_zones(state="available", filters=opted_in)
    warn(zones_of_region.impaired_zone_warnings(chosen, list(available.names), network))
    return chosen


def _existing_subnets(eks: EksSettings) -> list[zones_of_region.ExistingSubnet]:
    """The existing subnets, looked up (blocking) before the component registers and checked."""
    network = eks.network
    subnets = []
    for subnet_id in dict.fromkeys(network.public_subnet_ids + network.private_subnet_ids):
        found = aws.ec2.get_subnet(id=subnet_id)
        subnets.append(
            zones_of_region.ExistingSubnet(
                subnet_id,
                found.vpc_id,
                found.availability_zone_id,
                bool(found.map_public_ip_on_launch),
                found.cidr_block,
                int(found.available_ip_address_count),
            )
        )
    raise_any(zones_of_region.existing_subnet_problems(subnets, network))
    warn(capacity.existing_subnet_warnings(eks, subnets))
    return subnets


def _node_subnet_nat_public_ips(eks: EksSettings) -> list[str]:
    """The public IPs of the NAT gateways on the node subnets' default routes, looked up
    (blocking) before the component registers. A subnet without a route table association of its
    own uses the VPC's main route table (VPC User Guide, "Route tables"). A NAT gateway's
    secondary EIPs count too: it spreads connections over all of its addresses (VPC User Guide,
    "NAT gateways", secondary IPv4 addresses). Raises a Problem when a node subnet does not leave
    through a public NAT gateway."""
    network = eks.network

    def tables(filter_name: str, value: str) -> list[str]:
        return list(
            aws.ec2.get_route_tables(
                vpc_id=network.vpc_id,
                filters=[aws.ec2.GetRouteTablesFilterArgs(name=filter_name, values=[value])],
            ).ids
        )

    table_by_subnet: dict[str, str] = {}
    main_table: list[str] = []  # looked up once, for the first subnet that needs it
    for subnet_id in dict.fromkeys(network.node_subnet_ids_given):
        own = tables("association.subnet-id", subnet_id)
        if not own and not main_table:
            main_table = tables("association.main", "true")
        table_by_subnet[subnet_id] = (own or main_table)[0]
    # Subnets usually share a table: read each once.
    nat_by_table = {
        table_id: zones_of_region.default_route_nat(
            [
                (route.cidr_block, route.nat_gateway_id)
                for route in aws.ec2.get_route_table(route_table_id=table_id).routes
            ]
        )
        for table_id in dict.fromkeys(table_by_subnet.values())
    }
    nat_by_subnet = {subnet: nat_by_table[table] for subnet, table in table_by_subnet.items()}
    found = {
        nat_id: aws.ec2.get_nat_gateway(id=nat_id)
        for nat_id in dict.fromkeys(n for n in nat_by_subnet.values() if n is not None)
    }
    private_nats = {nat_id for nat_id, nat in found.items() if nat.connectivity_type == "private"}
    raise_any(zones_of_region.node_subnet_nat_problems(nat_by_subnet, network, private_nats))
    addresses, warnings, problems = nat.egress_addresses(
        {nat_id: _nat_gateway(answer) for nat_id, answer in found.items()}, nat_by_subnet, network
    )
    raise_any(problems)
    warn(warnings)
    return addresses


def _nat_gateway(answer: Any) -> nat.NatGateway:
    """A regional gateway lists its addresses; a zonal one has a primary and secondary EIPs."""
    if answer.availability_mode == nat.REGIONAL:
        return nat.NatGateway(
            answer.id,
            True,
            tuple(a.public_ip for a in answer.regional_nat_gateway_addresses or []),
            answer.auto_scaling_ips == "enabled",
        )
    secondary = [
        aws.ec2.get_elastic_ip(id=allocation).public_ip
        for allocation in answer.secondary_allocation_ids or []
    ]
    return nat.NatGateway(answer.id, False, (answer.public_ip, *secondary))


def _checked_vpc(vpc: Any, eks: EksSettings) -> str:
    cidrs = sorted(
        {vpc.cidr_block}
        | {a.cidr_block for a in (vpc.cidr_block_associations or []) if a.cidr_block}
    )
    raise_any(plan.vpc_overlap_problems(cidrs, eks))
    return str(vpc.id)


class EksNetwork(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    node_subnet_ids: list[pulumi.Output[str]]
    # Public IPs of the NAT gateways of the node subnets, each under a key that stays with it
    # when NAT gateways or addresses come and go (the controller rules' names): the ones the
    # stack made for private nodes, keyed by zone index (`nat-<zone index>`), or those an
    # existing VPC's node subnets route through when asked to find them, keyed by the address.
    nat_public_ips: dict[str, pulumi.Output[str]]
    # What the controller sees agents come from: NAT IPs as /32; otherwise the node subnet
    # CIDRs of an existing VPC (right for a privately reached controller); nothing for public
    # nodes of a created VPC.
    egress_addresses: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        eks: EksSettings,
        find_existing_nats: bool = False,
        deployed: previous.PreviousEks | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """`find_existing_nats`: look up the NAT gateways an existing VPC's node subnets leave
        through (the controller is reached on a public address); `deployed`: the stack's state
        (components.eks.previous), which a created VPC's zones must match."""
        zone_names = (
            _zone_names(name, eks, deployed or previous.PreviousEks())
            if eks.network.creates_vpc
            else []
        )
        existing = [] if eks.network.creates_vpc else _existing_subnets(eks)
        existing_nat_ips = (
            _node_subnet_nat_public_ips(eks)
            if find_existing_nats and not eks.network.creates_vpc
            else []
        )
        super().__init__("cyperf-k8s:eks:Network", name, None, opts)
        self.nat_public_ips = {}
        if eks.network.creates_vpc:
            self._create(name, eks, zone_names)
        else:
            self._existing(eks, existing, existing_nat_ips)
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "egressAddresses": self.egress_addresses,
            }
        )

    def _create(self, name: str, eks: EksSettings, zone_names: list[str]) -> None:
        network = eks.network
        child = pulumi.ResourceOptions(parent=self)

        def tags(resource: str, extra: dict[str, str] | None = None) -> dict[str, str]:
            return {**eks.tags, **(extra or {}), "Name": f"{name}-{resource}"}

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=network.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tags("vpc"),
            opts=child,
        )
        gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=tags("igw"), opts=child
        )
        subnets: dict[str, aws.ec2.Subnet] = {}
        for subnet in plan.subnet_plan(network):
            subnets[subnet.name] = aws.ec2.Subnet(
                f"{name}-{subnet.name}",
                vpc_id=vpc.id,
                cidr_block=subnet.cidr,
                availability_zone=zone_names[subnet.zone_index],
                # Public nodes need a public IP to reach the controller and the image registry.
                map_public_ip_on_launch=subnet.public,
                tags=tags(subnet.name, plan.subnet_tags(subnet.public)),
                opts=child,
            )
        public_routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags=tags("public"),
            opts=child,
        )
        nats: list[aws.ec2.NatGateway] = []
        for zone in plan.nat_zone_indexes(network):
            address = aws.ec2.Eip(
                f"{name}-nat-{zone}", domain="vpc", tags=tags(f"nat-{zone}"), opts=child
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{zone}",
                    allocation_id=address.allocation_id,
                    subnet_id=subnets[f"public-{zone}"].id,
                    tags=tags(f"nat-{zone}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
                )
            )
            self.nat_public_ips[f"nat-{zone}"] = address.public_ip
        for subnet in plan.subnet_plan(network):
            if subnet.public:
                table = public_routes
            else:
                nat_index = plan.private_route_nat(network, subnet.zone_index)
                table = aws.ec2.RouteTable(
                    f"{name}-{subnet.name}",
                    vpc_id=vpc.id,
                    routes=(
                        [
                            aws.ec2.RouteTableRouteArgs(
                                cidr_block="0.0.0.0/0", nat_gateway_id=nats[nat_index].id
                            )
                        ]
                        if nat_index is not None
                        else []
                    ),
                    tags=tags(subnet.name),
                    opts=child,
                )
            aws.ec2.RouteTableAssociation(
                f"{name}-{subnet.name}",
                route_table_id=table.id,
                subnet_id=subnets[subnet.name].id,
                opts=child,
            )
        self.vpc_id = vpc.id
        self.public_subnet_ids = [s.id for n, s in subnets.items() if n.startswith("public-")]
        self.private_subnet_ids = [s.id for n, s in subnets.items() if n.startswith("private-")]
        self.node_subnet_ids = (
            self.private_subnet_ids
            if network.node_placement == "private"
            else self.public_subnet_ids
        )
        if self.nat_public_ips:
            self.egress_addresses = pulumi.Output.all(
                *[ip.apply(lambda a: f"{a}/32") for ip in self.nat_public_ips.values()]
            )
        else:
            # Public nodes leave with their own public IPs, assigned at launch: nothing to list.
            self.egress_addresses = pulumi.Output.from_input([])

    def _existing(
        self,
        eks: EksSettings,
        subnets: list[zones_of_region.ExistingSubnet],
        nat_ips: list[str],
    ) -> None:
        network = eks.network
        invoke = pulumi.InvokeOutputOptions(parent=self)
        vpc = aws.ec2.get_vpc_output(id=network.vpc_id, opts=invoke)
        # The cluster takes this id, so an overlapping service or pod CIDR stops it.
        self.vpc_id = vpc.apply(lambda v: _checked_vpc(v, eks))
        self.public_subnet_ids = [pulumi.Output.from_input(s) for s in network.public_subnet_ids]
        self.private_subnet_ids = [pulumi.Output.from_input(s) for s in network.private_subnet_ids]
        self.node_subnet_ids = [pulumi.Output.from_input(s) for s in network.node_subnet_ids_given]
        self.nat_public_ips = {ip: pulumi.Output.from_input(ip) for ip in nat_ips}
        cidrs = {s.id: s.cidr for s in subnets}
        self.egress_addresses = pulumi.Output.from_input(
            [f"{ip}/32" for ip in nat_ips]
            if nat_ips
            else [cidrs[s] for s in network.node_subnet_ids_given]
        )
