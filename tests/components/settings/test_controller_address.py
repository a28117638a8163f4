"""The controller address (`controllerAddress`): what no agent can reach is refused by the real
program before any resource; what is probably a mistake, or missing, is warned about at the
key."""

from __future__ import annotations

import pytest

from components.settings.controller_address import controller_address_warning
from components.settings.loading import parse_settings
from tests.support.program import config_of, refused

UNREACHABLE_CONTROLLERS = [
    "0.0.0.0",
    "0.1.2.3",
    "127.0.0.1",
    "127.255.0.9",
    "169.254.169.254",
    "224.0.0.1",
    "239.1.1.1",
    "240.0.0.1",
    "255.255.255.255",
    "localhost",
    "LOCALHOST.",
    "ctl.localhost",
    "ctl.invalid",
    " 10.0.0.5",
    "10.0.0.5 ",
    "ctl.lab\t",
    "https://ctl.lab",
    "ctl.lab:443",
    "ctl.lab/path",
    "10.0.0",
    "1.2.3.4.5",
    "",
]


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        pytest.param("2001:db8::1", "IPv6", id="ipv6 controller"),
        pytest.param("https://ctl:443", "DNS name", id="url controller"),
        pytest.param("300.1.2.3", "IPv4", id="numeric junk controller"),
    ],
)
def test_bad_controller_address_is_rejected_before_any_resource(address: str, allowed: str) -> None:
    refused({"controllerAddress": address}, "controllerAddress", allowed)


@pytest.mark.parametrize("address", UNREACHABLE_CONTROLLERS)
def test_unreachable_controller_addresses_are_refused(address: str) -> None:
    line = refused({"controllerAddress": address}, "controllerAddress", "")
    assert any(w in line for w in ("reach", "resolve", "whitespace", "DNS name")), line


@pytest.mark.parametrize(
    "address",
    ["10.0.0.5", "100.64.0.1", "198.18.0.1", "ctl", "ctl.lab.example.", "cyperf-1.corp", "8.8.8.8"],
)
def test_reachable_controller_addresses_are_accepted_silently(address: str) -> None:
    assert parse_settings(config_of(controllerAddress=address)).controller_address == address
    assert controller_address_warning(address) is None


@pytest.mark.parametrize("address", ["192.0.2.10", "198.51.100.7", "203.0.113.1", "ctl.corp.local"])
def test_doubtful_controller_addresses_are_accepted_with_a_warning(address: str) -> None:
    assert parse_settings(config_of(controllerAddress=address)).controller_address == address
    warning = controller_address_warning(address)
    assert warning is not None and address in warning.message
    assert str(warning).startswith(f"cyperf-k8s:controllerAddress: {address!r} ")


def test_a_missing_controller_address_is_warned_about_at_its_key() -> None:
    warning = controller_address_warning(None)
    assert warning is not None
    assert str(warning).startswith(
        "cyperf-k8s:controllerAddress: is not set: agents are deployed without AGENT_CONTROLLER"
    )
