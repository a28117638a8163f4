"""Building blocks of every settings section: the strict base model and the reusable field checks
and annotated types (Kubernetes names, labels, quantities, ports, interfaces, addresses).

Each check raises ValueError saying what is allowed; loading turns it into a located Problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# Every pattern is matched with `fullmatch` (a `$` would let a trailing newline through) and with
# re.ASCII, so `\d` and `\s` never take other scripts' digits or spaces.
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII)
# DNS-1035: what the API server requires of a Service name (a letter first).
DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?", re.ASCII)
DNS_SUBDOMAIN = re.compile(
    r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", re.ASCII
)
LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]", re.ASCII)
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", re.ASCII)
ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*", re.ASCII)
# IANA service names, as the API server checks port names: lowercase letters, digits and '-', at
# least one letter, no '--'.
PORT_NAME = re.compile(
    r"(?=[a-z0-9-]*[a-z])(?![a-z0-9-]*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?", re.ASCII
)
HOSTNAME_LABEL = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?", re.ASCII)
# Interface names: printable ASCII without space, '/' or ':'.
INTERFACE_NAME = re.compile(r"[!-.0-9;-~]+", re.ASCII)
# CPU: cores ("2", "3.5") or millicores ("500m"); memory: bytes with an optional SI/binary suffix.
CPU_QUANTITY = re.compile(r"\d+(\.\d{1,3})?|\d+m", re.ASCII)
MEMORY_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?", re.ASCII)
# The API server's limit on the total size of an object's annotations (keys and values).
MAX_ANNOTATIONS_BYTES = 256 * 1024


# --- reusable field checks; each raises ValueError with "what is allowed" --------------------


def matches(
    pattern: re.Pattern[str], allowed: str, max_length: int | None = None
) -> Callable[[str], str]:
    """The one shape of a pattern-checked field: `Annotated[str, AfterValidator(matches(...))]`
    refuses with `must be <allowed>` unless the whole value matches (and fits `max_length`)."""

    def check(value: str) -> str:
        if (max_length is not None and len(value) > max_length) or not pattern.fullmatch(value):
            raise ValueError(f"must be {allowed}")
        return value

    return check


def check_part(what: str, value: str, check: Callable[[str], str]) -> str:
    """Checks one part of a larger value (a map key, a list item) and names it in the message:
    `<what> '<value>' <what is allowed>`."""
    try:
        return check(value)
    except ValueError as err:
        raise ValueError(f"{what} {value!r} {err}") from None


check_dns_label = matches(
    DNS_LABEL,
    "a Kubernetes DNS label: at most 63 lowercase letters, digits or '-', starting and ending "
    "with a letter or digit",
    63,
)
check_dns_subdomain = matches(
    DNS_SUBDOMAIN,
    "a Kubernetes DNS subdomain name: lowercase letters, digits, '-' and '.', at most 253 "
    "characters",
    253,
)


def check_label_key(key: str) -> str:
    prefix, _, name = key.rpartition("/")
    if prefix:
        check_dns_subdomain(prefix)
    if len(name) > 63 or not LABEL_NAME.fullmatch(name):
        raise ValueError(
            "must be a Kubernetes label key: an optional DNS-subdomain prefix and '/', then at "
            "most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric"
        )
    return key


check_label_value = matches(
    LABEL_VALUE,
    "a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', starting and ending "
    "alphanumeric",
    63,
)


def check_label_map(value: dict[str, str]) -> dict[str, str]:
    for key, item in value.items():
        check_part("key", key, check_label_key)
        check_part(f"label {key!r}: value", item, check_label_value)
    return value


def check_annotation_map(value: dict[str, str]) -> dict[str, str]:
    size = 0
    for key, item in value.items():
        check_part("annotation key", key, check_label_key)
        size += len(key.encode()) + len(item.encode())
    if size > MAX_ANNOTATIONS_BYTES:
        raise ValueError(
            f"annotations must total at most 256 KiB ({MAX_ANNOTATIONS_BYTES} bytes, keys and "
            f"values), the API server's limit; these total {size}"
        )
    return value


check_service_name = matches(
    DNS_1035_LABEL,
    "a Kubernetes Service name (DNS-1035 label): at most 63 lowercase letters, digits or '-', "
    "starting with a letter and ending with a letter or digit",
    63,
)
check_port_name = matches(
    PORT_NAME,
    "a Kubernetes port name (IANA service name): at most 15 lowercase letters, digits or '-', at "
    "least one letter, no '--', not starting or ending with '-'",
    15,
)
check_env_name = matches(
    ENV_NAME,
    "an environment variable name: ASCII letters, digits, '_', '-' or '.', not starting with a "
    "digit",
)
# Linux interface names: at most 15 bytes, no '/', whitespace or ':' (the agent also takes "<all>"
# for the promiscuous interface, checked where it applies).
check_interface = matches(
    INTERFACE_NAME,
    "a Linux interface name (1-15 printable ASCII characters, no '/', ':' or whitespace)",
    15,
)


def check_cpu(value: str) -> str:
    if not CPU_QUANTITY.fullmatch(value) or cpu_millis(value) == 0:
        raise ValueError("must be a positive CPU quantity such as '2', '3.5' or '500m'")
    return value


def check_memory(value: str) -> str:
    if not MEMORY_QUANTITY.fullmatch(value) or memory_bytes(value) == 0:
        raise ValueError("must be a positive memory quantity such as '4Gi', '512Mi' or '2G'")
    return value


DnsLabel = Annotated[str, AfterValidator(check_dns_label)]
ServiceName = Annotated[str, AfterValidator(check_service_name)]
PortName = Annotated[str, AfterValidator(check_port_name)]
LabelValue = Annotated[str, AfterValidator(check_label_value)]
LabelKey = Annotated[str, AfterValidator(check_label_key)]
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
    match = MEMORY_QUANTITY.fullmatch(value)
    if not match:
        raise ValueError(f"not a memory quantity: {value!r}")
    return int(float(match.group(1)) * _MEMORY_FACTORS[match.group(2) or ""])


class Model(BaseModel):
    """Config objects: camelCase keys as in YAML, unknown keys (typos) rejected.

    Each field's description is the attribute docstring under it (the one source of the
    configuration reference, docs/configuration.md)."""

    model_config = ConfigDict(
        use_attribute_docstrings=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
        str_strip_whitespace=False,
        strict=True,
    )
