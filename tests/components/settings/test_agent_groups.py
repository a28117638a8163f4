"""An agent group's settings (`agentGroups[i]`): each bad value runs the real program under mocks
and must fail with a message naming the key, the bad value and what is allowed, registering
nothing; and the accepted neighbours of the rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.program import client, config_of, refusal_table, refused, rejected, server

BAD_CONFIGS: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, settings, "key in message", "allowed / reason fragment")
    (
        "negative replicas",
        {"agentGroups": [server(replicas=-1)]},
        "agentGroups[0].replicas",
        "greater than or equal to 0",
    ),
    (
        "unknown role",
        {"agentGroups": [{"name": "x", "role": "router"}]},
        "agentGroups[0].role",
        "'client' or 'server'",
    ),
    (
        "group name with capitals",
        {"agentGroups": [server(name="Server1")]},
        "agentGroups[0].name",
        "DNS label",
    ),
    (
        "group name too long",
        {"agentGroups": [server(name="s" * 41)]},
        "agentGroups[0].name",
        "at most 40",
    ),
    (
        "tag with comma",
        {"agentGroups": [server(tags={"segment": "a,b"})]},
        "agentGroups[0].tags",
        "tag 'segment': value 'a,b' must be non-empty printable ASCII without ','",
    ),
    (
        "the stack's own tag key",
        {"agentGroups": [server(tags={"cyperf-k8s": "other.server"})]},
        "agentGroups[0].tags",
        "tag key 'cyperf-k8s' is set by the stack (`cyperf-k8s=<stack>.<group>`",
    ),
    (
        "env overrides the contract",
        {"agentGroups": [server(env={"AGENT_CONTROLLER": "x"})]},
        "agentGroups[0].env",
        "dedicated setting",
    ),
    (
        "bad env name",
        {"agentGroups": [server(env={"1BAD": "x"})]},
        "agentGroups[0].env",
        "environment variable name",
    ),
    (
        "relative readiness path",
        {"agentGroups": [server(readiness={"mode": "http-health-check", "path": "health"})]},
        "agentGroups[0].readiness.path",
        "absolute",
    ),
    (
        "unknown readiness mode",
        {"agentGroups": [server(readiness={"mode": "tcp"})]},
        "agentGroups[0].readiness.mode",
        "'agent-started'",
    ),
    (
        "readiness port out of range",
        {"agentGroups": [server(readiness={"mode": "http-health-check", "port": 0})]},
        "agentGroups[0].readiness.port",
        "greater than or equal to 1",
    ),
    (
        "health check on a client",
        {"agentGroups": [client(readiness={"mode": "http-health-check"})]},
        "agentGroups[0].readiness.mode",
        "'http-health-check' is served by server agents only (role is 'client')",
    ),
    (
        "service on a client",
        {"agentGroups": [client(service={})]},
        "agentGroups[0].service",
        "applies only with role 'server'",
    ),
    (
        "bad node selector key",
        {"agentGroups": [server(nodeSelector={"agent type": "server"})]},
        "agentGroups[0].nodeSelector",
        "label key",
    ),
    (
        "bad toleration effect",
        {"agentGroups": [server(tolerations=[{"key": "dedicated", "effect": "Never"}])]},
        "agentGroups[0].tolerations[0].effect",
        "'NoSchedule'",
    ),
    (
        "toleration Exists with a value",
        {"agentGroups": [server(tolerations=[{"key": "k", "operator": "Exists", "value": "v"}])]},
        "agentGroups[0].tolerations[0].value",
        "applies only with operator 'Equal' (operator is 'Exists', which takes no value)",
    ),
    (
        "toleration Equal without a key",
        {"agentGroups": [server(tolerations=[{"value": "v"}])]},
        "agentGroups[0].tolerations[0].key",
        "needs a key",
    ),
    (
        "interface name with a slash",
        {"agentGroups": [server(testInterface="eth0/1")]},
        "agentGroups[0].testInterface",
        "interface name",
    ),
    (
        "annotations key invalid",
        {"agentGroups": [server(podAnnotations={"bad key": "x"})]},
        "agentGroups[0].podAnnotations",
        "annotation key",
    ),
]


test_bad_config_is_rejected_before_any_resource = refusal_table(BAD_CONFIGS, at_least=18)


def test_problems_of_one_group_are_reported_together() -> None:
    problems = rejected(
        config_of(
            agentGroups=[
                client(service={}, readiness={"mode": "http-health-check"}),
                server(
                    resources={
                        "requests": {"memory": "8Gi", "cpu": "4"},
                        "limits": {"memory": "4Gi", "cpu": "2"},
                    }
                ),
            ]
        )
    )
    assert problems == [
        "cyperf-k8s:agentGroups[0].service: applies only with role 'server' (role is 'client'); "
        "remove it (got {})",
        "cyperf-k8s:agentGroups[0].readiness.mode: 'http-health-check' is served by server agents "
        "only (role is 'client'); use 'none' or 'agent-started' (got 'http-health-check')",
        "cyperf-k8s:agentGroups[1].resources.requests.memory: exceeds limits.memory '4Gi'; a "
        "request must not exceed its limit (got '8Gi')",
        "cyperf-k8s:agentGroups[1].resources.requests.cpu: exceeds limits.cpu '2'; a request "
        "must not exceed its limit (got '4')",
    ]


@pytest.mark.parametrize(
    ("settings", "key", "allowed"),
    [
        (
            {"agentGroups": [server(readiness={"path": "/x"})]},
            "agentGroups[0].readiness.path",
            "only with mode 'http-health-check'",
        ),
        (
            {"agentGroups": [server(readiness={"mode": "agent-started", "port": 8080})]},
            "agentGroups[0].readiness.port",
            "only with mode 'http-health-check'",
        ),
    ],
)
def test_readiness_keys_the_mode_would_ignore(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    refused(settings, key, allowed)


@pytest.mark.parametrize("profile", ["runtimedefault", "Localhost", "", None])
def test_seccomp_profile_is_one_of_two(profile: Any) -> None:
    refused(
        {"agentGroups": [server(seccompProfile=profile)]},
        "agentGroups[0].seccompProfile",
        "'RuntimeDefault' or 'Unconfined'",
    )
