"""The controller address (`controllerAddress`): what agents can reach, what is probably a
mistake (or missing), and the one place it is read as an IPv4 address."""

from __future__ import annotations

import ipaddress
import re

from components.settings.fields import HOSTNAME_LABEL
from components.settings.problems import KeyWarning

# IPv4 ranges from which no agent can reach a controller: the address names the agent's own host
# or link, a group, or nothing (RFC 6890 special-purpose registry).
UNREACHABLE_NETWORKS = {
    ipaddress.IPv4Network("0.0.0.0/8"): "'this network' (0.0.0.0/8, e.g. the unspecified 0.0.0.0)",
    ipaddress.IPv4Network("127.0.0.0/8"): "loopback (127.0.0.0/8): the agent's own pod",
    ipaddress.IPv4Network("169.254.0.0/16"): "link-local (169.254.0.0/16)",
    ipaddress.IPv4Network("224.0.0.0/4"): "multicast (224.0.0.0/4)",
    ipaddress.IPv4Network("240.0.0.0/4"): "reserved (240.0.0.0/4, with the broadcast address)",
}
# Documentation ranges (RFC 5737): the example stacks use 192.0.2.10 as a placeholder, so they are
# accepted with a warning rather than refused.
DOCUMENTATION_NETWORKS = tuple(
    ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)
# Names that never resolve to another host (RFC 6761): localhost and the .invalid domain.
UNREACHABLE_DOMAINS = ("localhost", "invalid")


def controller_ipv4(address: str | None) -> ipaddress.IPv4Address | None:
    """The controller address as an IPv4 address; None for a DNS name (or no address)."""
    try:
        return ipaddress.IPv4Address(address or "")
    except ValueError:
        return None


def check_controller_address(value: str) -> str:
    if value != value.strip():
        raise ValueError("must not have leading or trailing whitespace")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        address = None
    if isinstance(address, ipaddress.IPv6Address):
        raise ValueError(
            "IPv6 is not supported for the agents' management interface; use an IPv4 address "
            "or a DNS name"
        )
    if address is not None:
        for network, what in UNREACHABLE_NETWORKS.items():
            if address in network:
                raise ValueError(
                    f"must be an address agents can reach; {what} is not (use the "
                    "controller's unicast IPv4 address or DNS name)"
                )
        return value
    hostname = value.removesuffix(".").lower()
    labels = hostname.split(".")
    if (
        len(hostname) > 253
        or re.fullmatch("[0-9]+", labels[-1])
        or not all(HOSTNAME_LABEL.fullmatch(label) for label in labels)
    ):
        raise ValueError("must be an IPv4 address or a DNS name (no scheme, port or path)")
    if labels[-1] in UNREACHABLE_DOMAINS:
        raise ValueError(
            f"must be a name agents can resolve to the controller; '.{labels[-1]}' names never "
            "do (RFC 6761)"
        )
    return value


def controller_address_warning(value: str | None) -> KeyWarning | None:
    """Why the controller address (or its absence) is probably not what was meant, if it is."""
    key = ("controllerAddress",)
    if value is None:
        return KeyWarning(
            key,
            "is not set: agents are deployed without AGENT_CONTROLLER and register nowhere "
            "until it is set with the agent CLI (or set the key and run `pulumi up` again).",
        )
    address = controller_ipv4(value)
    if address is None:
        if value.removesuffix(".").lower().endswith(".local"):
            return KeyWarning(
                key,
                f"{value!r} ends in '.local', an mDNS name the cluster DNS does not resolve "
                "unless your DNS serves that zone; agents may never find the controller",
            )
        return None
    if any(address in network for network in DOCUMENTATION_NETWORKS):
        return KeyWarning(
            key,
            f"{value!r} is a documentation address (RFC 5737), the example stacks' placeholder: "
            "set the controller's real address",
        )
    return None
