"""A test network's addresses (`agentGroups[i].testNetwork.ipam`): a Whereabouts range, the
group's slice of it, and the gateway (the DUT's address) that no agent may take."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, model_validator

from components.settings.fields import Model
from components.settings.problems import Problem, raise_any


def _ipv4(value: str) -> str:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError("must be an IPv4 address such as '192.168.10.1'") from None
    return value


def _ipv4_network(value: str) -> str:
    try:
        ipaddress.IPv4Network(value)
    except ValueError:
        raise ValueError(
            "must be an IPv4 network in CIDR form with no host bits set, such as '192.168.10.0/24'"
        ) from None
    return value


class Ipam(Model):
    """Whereabouts: cluster-wide address assignment, so two nodes never hand out one address."""

    range: Annotated[str, AfterValidator(_ipv4_network)]
    """The test subnet in CIDR form (Whereabouts `range`), such as `192.168.10.0/24`."""
    range_start: Annotated[str, AfterValidator(_ipv4)] | None = None
    """The group's first address in `range` (Whereabouts `range_start`): groups sharing a subnet
    take disjoint slices of it. Unset: the subnet's first address."""
    range_end: Annotated[str, AfterValidator(_ipv4)] | None = None
    """The group's last address in `range` (Whereabouts `range_end`). Unset: the subnet's last
    address."""
    gateway: Annotated[str, AfterValidator(_ipv4)] | None = None
    """The test subnet's gateway (the DUT's address on it), outside the group's slice."""

    def slice(self) -> tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]:
        network = ipaddress.IPv4Network(self.range)
        start = ipaddress.IPv4Address(self.range_start) if self.range_start else network[0]
        end = ipaddress.IPv4Address(self.range_end) if self.range_end else network[-1]
        return start, end

    @model_validator(mode="after")
    def _within_range(self) -> Ipam:
        network = ipaddress.IPv4Network(self.range)
        problems = [
            Problem((key,), f"must lie in range {self.range!r}", value)
            for key, value in (
                ("rangeStart", self.range_start),
                ("rangeEnd", self.range_end),
                ("gateway", self.gateway),
            )
            if value is not None and ipaddress.IPv4Address(value) not in network
        ]
        start, end = self.slice()
        if not problems and start > end:
            problems.append(
                Problem(("rangeEnd",), f"must not come before rangeStart {start}", self.range_end)
            )
        if not problems and self.gateway and start <= ipaddress.IPv4Address(self.gateway) <= end:
            problems.append(
                Problem(
                    ("gateway",),
                    f"must lie outside the group's addresses {start}-{end} (set rangeStart or "
                    "rangeEnd to leave it out)",
                    self.gateway,
                )
            )
        raise_any(problems)
        return self


def gateway_problems(
    ipams: list[tuple[int, Ipam]],
    slices: list[tuple[int, ipaddress.IPv4Address, ipaddress.IPv4Address]],
) -> list[Problem]:
    """A gateway is the DUT's address: no group may hand it to an agent. `ipams` and `slices`
    are by group index; a group's own slice is checked with the group."""
    problems: list[Problem] = []
    for index, ipam in ipams:
        if ipam.gateway is None:
            continue
        gateway = ipaddress.IPv4Address(ipam.gateway)
        problems.extend(
            Problem(
                ("agentGroups", index, "testNetwork", "ipam", "gateway"),
                f"is among the addresses {start}-{end} of agentGroups[{other}]; an agent there "
                "could take the DUT's address: leave it out of that group's rangeStart-rangeEnd",
                ipam.gateway,
            )
            for other, start, end in slices
            if other != index and start <= gateway <= end
        )
    return problems
