"""A test network's addresses: the group's slice of its range, and gateways that no group may
hand to an agent."""

from __future__ import annotations

import ipaddress

import pytest

from components.settings.ipam import Ipam, gateway_problems
from components.settings.problems import Problem


def test_the_slice_defaults_to_the_whole_range() -> None:
    start, end = Ipam.model_validate({"range": "10.9.0.0/24", "rangeEnd": "10.9.0.99"}).slice()
    assert (str(start), str(end)) == ("10.9.0.0", "10.9.0.99")


def test_a_gateway_in_another_groups_slice_is_refused_at_the_gateway() -> None:
    ipams = [
        (0, Ipam.model_validate({"range": "10.9.0.0/24", "rangeEnd": "10.9.0.99"})),
        (
            2,
            Ipam.model_validate(
                {"range": "10.9.0.0/24", "rangeStart": "10.9.0.100", "gateway": "10.9.0.7"}
            ),
        ),
    ]
    slices = [(index, *ipam.slice()) for index, ipam in ipams]
    assert gateway_problems(ipams, slices) == [
        Problem(
            ("agentGroups", 2, "testNetwork", "ipam", "gateway"),
            "is among the addresses 10.9.0.0-10.9.0.99 of agentGroups[0]; an agent there could "
            "take the DUT's address: leave it out of that group's rangeStart-rangeEnd",
            "10.9.0.7",
        )
    ]


@pytest.mark.parametrize("gateway", ["10.9.0.254", "10.9.1.1"])
def test_a_gateway_outside_every_other_slice_passes(gateway: str) -> None:
    own = Ipam.model_validate(
        {
            "range": "10.9.0.0/23",
            "rangeStart": "10.9.0.200",
            "rangeEnd": "10.9.0.250",
            "gateway": gateway,
        }
    )
    other = ipaddress.IPv4Address("10.9.0.0"), ipaddress.IPv4Address("10.9.0.99")
    assert gateway_problems([(1, own)], [(0, *other), (1, *own.slice())]) == []
