"""Building blocks of every settings section: the strict base model and the reusable field checks
and annotated types (Kubernetes names, labels, quantities, ports, interfaces, addresses).

Each check raises ValueError saying what is allowed; loading turns it into a located Problem.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
# CPU: cores ("2", "3.5") or millicores ("500m"); memory: bytes with an optional SI/binary suffix.
CPU_QUANTITY = re.compile(r"^(\d+(\.\d{1,3})?|\d+m)$")
MEMORY_QUANTITY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")


# --- reusable field checks; each raises ValueError with "what is allowed" --------------------


def check_dns_label(value: str) -> str:
    if len(value) > 63 or not DNS_LABEL.match(value):
        raise ValueError(
            "must be a Kubernetes DNS label: at most 63 lowercase letters, digits or '-', "
            "starting and ending with a letter or digit"
        )
    return value


def check_dns_subdomain(value: str) -> str:
    if len(value) > 253 or not DNS_SUBDOMAIN.match(value):
        raise ValueError(
            "must be a Kubernetes DNS subdomain name: lowercase letters, digits, '-' and '.', "
            "at most 253 characters"
        )
    return value


def check_label_key(key: str) -> str:
    prefix, _, name = key.rpartition("/")
    if prefix:
        check_dns_subdomain(prefix)
    if len(name) > 63 or not LABEL_NAME.match(name):
        raise ValueError(
            "must be a Kubernetes label key: an optional DNS-subdomain prefix and '/', then at "
            "most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric"
        )
    return key


def check_label_value(value: str) -> str:
    if len(value) > 63 or not LABEL_VALUE.match(value):
        raise ValueError(
            "must be a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', "
            "starting and ending alphanumeric"
        )
    return value


def check_label_map(value: dict[str, str]) -> dict[str, str]:
    for key, item in value.items():
        try:
            check_label_key(key)
        except ValueError as err:
            raise ValueError(f"key {key!r} {err}") from None
        try:
            check_label_value(item)
        except ValueError as err:
            raise ValueError(f"value {item!r} of {key!r} {err}") from None
    return value


def check_annotation_map(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        try:
            check_label_key(key)
        except ValueError as err:
            raise ValueError(f"annotation key {key!r} {err}") from None
    return value


def check_cpu(value: str) -> str:
    if not CPU_QUANTITY.match(value) or cpu_millis(value) == 0:
        raise ValueError("must be a positive CPU quantity such as '2', '3.5' or '500m'")
    return value


def check_memory(value: str) -> str:
    if not MEMORY_QUANTITY.match(value) or memory_bytes(value) == 0:
        raise ValueError("must be a positive memory quantity such as '4Gi', '512Mi' or '2G'")
    return value


def check_interface(value: str) -> str:
    # Linux interface names: at most 15 bytes, no '/', whitespace or ':' (the agent also takes
    # "<all>" for the promiscuous interface, checked where it applies).
    if not value or len(value) > 15 or re.search(r"[/\s:]", value):
        raise ValueError(
            "must be a Linux interface name (1-15 characters, no '/', ':' or whitespace)"
        )
    return value


def check_controller_address(value: str) -> str:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        address = None
    if isinstance(address, ipaddress.IPv6Address):
        raise ValueError(
            "IPv6 is not supported for the agents' management interface; use an IPv4 address "
            "or a DNS name"
        )
    if address is None:
        hostname = value.rstrip(".")
        labels = hostname.split(".")
        if (
            len(hostname) > 253
            or all(label.isdigit() for label in labels)
            or not all(
                re.match(r"^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$", label)
                for label in labels
            )
        ):
            raise ValueError("must be an IPv4 address or a DNS name (no scheme, port or path)")
    return value


DnsLabel = Annotated[str, AfterValidator(check_dns_label)]
LabelMap = Annotated[dict[str, str], AfterValidator(check_label_map)]
AnnotationMap = Annotated[dict[str, str], AfterValidator(check_annotation_map)]
Cpu = Annotated[str, AfterValidator(check_cpu)]
Memory = Annotated[str, AfterValidator(check_memory)]
Interface = Annotated[str, AfterValidator(check_interface)]
Port = Annotated[int, Field(ge=1, le=65535)]
NodePort = Annotated[int, Field(ge=30000, le=32767)]


def cpu_millis(value: str) -> int:
    if value.endswith("m"):
        return int(value[:-1])
    return round(float(value) * 1000)


_MEMORY_FACTORS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def memory_bytes(value: str) -> int:
    match = re.match(r"^(\d+(?:\.\d+)?)([A-Za-z]*)$", value)
    if not match:
        raise ValueError(f"not a memory quantity: {value!r}")
    return int(float(match.group(1)) * _MEMORY_FACTORS[match.group(2)])


class Model(BaseModel):
    """Config objects: camelCase keys as in YAML, unknown keys (typos) rejected."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        str_strip_whitespace=False,
    )


def version_numbers(text: str) -> tuple[int, ...]:
    """The numbers of a dotted version (`1.34` -> (1, 34)), so versions compare as numbers."""
    return tuple(int(part) for part in re.findall(r"\d+", text))
