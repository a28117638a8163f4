"""The public addresses an existing VPC's NAT gateways give the agents' traffic, zonal or
regional (pure: the lookups' answers in, addresses, warnings and problems out).

pulumi-aws 7.51.1 `ec2.get_nat_gateway` (the SDK's `get_nat_gateway.py` and its result types):
`availability_mode` is `zonal` or `regional`; `public_ip` and `secondary_allocation_ids` describe
a zonal gateway only, a regional one lists its addresses in `regional_nat_gateway_addresses`
(`public_ip`, `availability_zone`, `status`) and may have AWS add more on its own
(`auto_scaling_ips`). An empty address would become the rule `/32`, which EC2 rejects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from components.settings.eks.network import NetworkSettings
from components.settings.problems import KeyWarning, Problem

REGIONAL = "regional"


@dataclass(frozen=True)
class NatGateway:
    id: str
    regional: bool
    # Zonal: the primary and secondary EIPs' addresses; regional: every address it lists.
    public_ips: tuple[str, ...]
    auto_scaling_ips: bool = False


def egress_addresses(
    nats: Mapping[str, NatGateway],
    nat_by_subnet: Mapping[str, str | None],
    network: NetworkSettings,
) -> tuple[list[str], list[KeyWarning], list[Problem]]:
    """The NAT gateways' public addresses (each once, in lookup order), with a warning for a
    regional gateway whose addresses AWS may add to, and a problem for a gateway that has none
    (never an empty address)."""
    key = network.node_subnet_key
    index_of = {subnet: i for i, subnet in enumerate(network.node_subnet_ids_given)}
    first_subnet: dict[str, str] = {}
    for subnet, nat_id in nat_by_subnet.items():
        if nat_id is not None:
            first_subnet.setdefault(nat_id, subnet)
    addresses: list[str] = []
    warnings: list[KeyWarning] = []
    problems: list[Problem] = []
    for nat in nats.values():
        subnet = first_subnet.get(nat.id, "")
        path = ("eks", "network", key, index_of.get(subnet, 0))
        found = [ip for ip in nat.public_ips if ip]
        if not found:
            problems.append(
                Problem(
                    path,
                    f"leaves through NAT gateway {nat.id}, which has no public address yet "
                    f"({'regional' if nat.regional else 'zonal'}): no rule on "
                    "controllerSecurityGroupId can name it; run `up` again when the gateway "
                    "has its addresses, or allow the agents' egress address yourself",
                    subnet,
                )
            )
        if nat.regional and nat.auto_scaling_ips:
            warnings.append(
                KeyWarning(
                    path,
                    f"leaves through regional NAT gateway {nat.id}, where AWS adds Elastic IP "
                    f"addresses as connections grow (auto_scaling_ips): the controller's rules "
                    f"name only today's {found}, and agents leaving from a later address are "
                    "refused until the next `up`; give the gateway fixed addresses",
                )
            )
        addresses += [ip for ip in found if ip not in addresses]
    return addresses, warnings, problems
