"""The field checks every section shares, by class of input: several members of each class that
used to get through, each refused by the real program before any resource is registered with a
message `cyperf-k8s:<key>: <what is allowed> (got ...)`; and the one shape of a pattern check
and of a check of one part of a value."""

from __future__ import annotations

import re
from typing import Any

import pytest

from components.settings.fields import (
    check_interface,
    check_label_map,
    check_part,
    check_port_name,
    matches,
)
from tests.components.settings.test_service import group_service
from tests.support.program import refused, server

TRAILING_NEWLINE_AND_NON_ASCII = [
    ({"namespace": "cyperf\n"}, "namespace", "DNS label"),
    ({"agentGroups": [server(name="server\n")]}, "agentGroups[0].name", "DNS label"),
    ({"cyperfRelease": "release26.0.0\n"}, "cyperfRelease", "pinned"),
    ({"controllerAddress": "ctl.lab\n"}, "controllerAddress", "whitespace"),
    (
        {"agentGroups": [server(resources={"limits": {"memory": "4Gi\n"}})]},
        "agentGroups[0].resources.limits.memory",
        "memory quantity",
    ),
    (
        {"agentGroups": [server(resources={"limits": {"cpu": "\u0662"}})]},
        "agentGroups[0].resources.limits.cpu",
        "CPU quantity",
    ),
    (
        {"agentGroups": [server(resources={"limits": {"memory": "\u0664Gi"}})]},
        "agentGroups[0].resources.limits.memory",
        "memory quantity",
    ),
    ({"controllerAddress": "ctl.\u0661\u0662"}, "controllerAddress", "DNS name"),
    ({"controllerAddress": "c\u00e9l.lab"}, "controllerAddress", "DNS name"),
    (
        {"agentGroups": [server(testInterface="eth\u0661\u00e9")]},
        "agentGroups[0].testInterface",
        "ASCII",
    ),
    ({"agentGroups": [server(env={"N\u00c4ME": "x"})]}, "agentGroups[0].env", "ASCII letters"),
    ({"agentGroups": [server(tags={"seg": "\u00e9t\u00e9"})]}, "agentGroups[0].tags", "ASCII"),
    ({"nodeLabels": {"worker-1\n": "client"}}, "nodeLabels", "DNS subdomain"),
    (
        {"agentGroups": [server(nodeSelector={"pool": "a\n"})]},
        "agentGroups[0].nodeSelector",
        "label value",
    ),
]

KUBERNETES_NAMES = [
    (group_service(name="1-service"), "agentGroups[0].service.name", "DNS-1035"),
    (group_service(name="-svc"), "agentGroups[0].service.name", "DNS-1035"),
    (
        group_service(ports=[{"name": "http-port-number-1"}]),
        "agentGroups[0].service.ports[0].name",
        "at most 15",
    ),
    (group_service(ports=[{"name": "8080"}]), "agentGroups[0].service.ports[0].name", "one letter"),
    (group_service(ports=[{"name": "h--t"}]), "agentGroups[0].service.ports[0].name", "no '--'"),
    (group_service(ports=[{"name": "HTTP"}]), "agentGroups[0].service.ports[0].name", "lowercase"),
    (
        {"agentGroups": [server(tolerations=[{"key": "k", "value": "a b"}])]},
        "agentGroups[0].tolerations[0].value",
        "label value",
    ),
    (
        {"agentGroups": [server(tolerations=[{"key": "k", "value": "v" * 64}])]},
        "agentGroups[0].tolerations[0].value",
        "label value",
    ),
    (
        {"agentGroups": [server(tolerations=[{"key": "bad key"}])]},
        "agentGroups[0].tolerations[0].key",
        "label key",
    ),
    (
        {"agentGroups": [server(nodeSelector={"pool": "-x"})]},
        "agentGroups[0].nodeSelector",
        "label value",
    ),
    (
        group_service(annotations={"Example.com/x": "1"}),
        "agentGroups[0].service.annotations",
        "annotation key",
    ),
    (
        {"agentGroups": [server(podAnnotations={"a": "x" * (256 * 1024)})]},
        "agentGroups[0].podAnnotations",
        "256",
    ),
    (
        {"agentGroups": [server(env={"1ST": "x"})]},
        "agentGroups[0].env",
        "not starting with a digit",
    ),
    ({"agentGroups": [server(env={"A=B": "x"})]}, "agentGroups[0].env", "environment variable"),
]


@pytest.mark.parametrize(("settings", "key", "allowed"), TRAILING_NEWLINE_AND_NON_ASCII)
def test_patterns_match_whole_ascii_values(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    refused(settings, key, allowed)


@pytest.mark.parametrize(("settings", "key", "allowed"), KUBERNETES_NAMES)
def test_kubernetes_naming_rules(settings: dict[str, Any], key: str, allowed: str) -> None:
    refused(settings, key, allowed)


def test_a_pattern_check_takes_the_whole_value_within_its_length() -> None:
    check = matches(re.compile("[a-z]+"), "lowercase letters", max_length=3)
    assert check("abc") == "abc"
    for bad in ("abcd", "ab\n", "a1", ""):
        with pytest.raises(ValueError, match=r"^must be lowercase letters$"):
            check(bad)


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("http", True),
        ("h-2", True),
        ("2h", True),
        ("a" * 15, True),
        ("a" * 16, False),
        ("8080", False),
        ("h--t", False),
        ("-http", False),
        ("http-", False),
        ("HTTP", False),
    ],
)
def test_port_names_follow_the_iana_rule(name: str, accepted: bool) -> None:
    try:
        check_port_name(name)
    except ValueError:
        assert not accepted
    else:
        assert accepted


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("eth0", True),
        ("en-p0s1.100", True),
        ("a" * 15, True),
        ("a" * 16, False),
        ("eth0/1", False),
        ("eth0:1", False),
        ("eth 0", False),
        ("", False),
    ],
)
def test_interface_names(name: str, accepted: bool) -> None:
    try:
        check_interface(name)
    except ValueError:
        assert not accepted
    else:
        assert accepted


def test_a_part_of_a_value_is_named_in_the_message() -> None:
    with pytest.raises(ValueError) as err:
        check_part("node name", "Worker_1", check_port_name)
    assert str(err.value).startswith("node name 'Worker_1' must be a Kubernetes port name")
    with pytest.raises(ValueError) as err:
        check_label_map({"pool": "a b"})
    assert str(err.value).startswith("label 'pool': value 'a b' must be a Kubernetes label value")
    with pytest.raises(ValueError) as err:
        check_label_map({"bad key": "a"})
    assert str(err.value).startswith("key 'bad key' must be a Kubernetes label key")
