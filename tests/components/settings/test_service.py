"""A server group's Service (`agentGroups[i].service`) and the annotation keys the program
reserves: each bad value is refused by the real program before any resource is registered."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.program import config_of, refusal_table, refused, rejected, server


def group_service(**service: Any) -> dict[str, Any]:
    return {"agentGroups": [server(service=service)]}


BAD_CONFIGS: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, settings, "key in message", "allowed / reason fragment")
    (
        "service port out of range",
        group_service(ports=[{"port": 70000}]),
        "agentGroups[0].service.ports[0].port",
        "less than or equal to 65535",
    ),
    (
        "node port outside the range",
        group_service(type="NodePort", ports=[{"nodePort": 8080}]),
        "agentGroups[0].service.ports[0].nodePort",
        "greater than or equal to 30000",
    ),
    (
        "node port on a ClusterIP",
        group_service(ports=[{"nodePort": 30080}]),
        "agentGroups[0].service.ports[0].nodePort",
        "applies only with type NodePort or LoadBalancer (type is 'ClusterIP')",
    ),
    (
        "unknown service type",
        group_service(type="ExternalName"),
        "agentGroups[0].service.type",
        "'LoadBalancer'",
    ),
    (
        "duplicate port names",
        group_service(ports=[{"port": 80}, {"port": 81}]),
        "agentGroups[0].service.ports",
        "must be unique",
    ),
]


test_bad_config_is_rejected_before_any_resource = refusal_table(BAD_CONFIGS, at_least=5)


@pytest.mark.parametrize(
    ("settings", "key", "allowed"),
    [
        (
            group_service(annotations={"pulumi.com/skipAwait": "true"}),
            "agentGroups[0].service.annotations",
            "set by the stack",
        ),
        (
            group_service(annotations={"pulumi.com/timeoutSeconds": "60"}),
            "agentGroups[0].service.annotations",
            "set by the stack",
        ),
        (
            {"agentGroups": [server(podAnnotations={"pulumi.com/timeoutSeconds": "9"})]},
            "agentGroups[0].podAnnotations",
            "set by the stack",
        ),
        (
            group_service(type="NodePort", loadBalancerAwaitSeconds=0),
            "agentGroups[0].service.loadBalancerAwaitSeconds",
            "applies only with type LoadBalancer (type is 'NodePort')",
        ),
        (
            group_service(loadBalancerAwaitSeconds=60),
            "agentGroups[0].service.loadBalancerAwaitSeconds",
            "applies only with type LoadBalancer (type is 'ClusterIP')",
        ),
        (
            group_service(ports=[{"nodePort": 30080}]),
            "agentGroups[0].service.ports[0].nodePort",
            "remove it or change the type",
        ),
    ],
)
def test_settings_that_would_be_ignored_or_overwritten(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    refused(settings, key, allowed)


def test_each_repeated_port_is_named_once() -> None:
    ports = [
        {"name": "a", "port": 80, "nodePort": 30080},
        {"name": "a", "port": 80, "nodePort": 30080},
        {"name": "b", "port": 80, "protocol": "UDP", "nodePort": 30081},
        {"name": "b", "port": 81, "nodePort": 30081},
    ]
    problems = rejected(config_of(**group_service(type="NodePort", ports=ports)))
    key = "cyperf-k8s:agentGroups[0].service.ports"
    assert problems == [
        f"{key}: port names must be unique; this one is used more than once (got 'a')",
        f"{key}: port names must be unique; this one is used more than once (got 'b')",
        f"{key}: port numbers per protocol must be unique; this one is used more than once (got "
        "'80/TCP')",
        f"{key}: node ports must be unique; this one is used more than once (got 30080)",
        f"{key}: node ports must be unique; this one is used more than once (got 30081)",
    ]
