"""Strict input, by class (issue 9 section 4): several members of each class of input that used to
get through, each refused by the real program before any resource is registered, with a message
`cyperf-k8s:<key>: <what is allowed> (got ...)`; and the accepted neighbours of each rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.settings.controller_address import controller_address_warning
from components.settings.loading import parse_settings
from components.settings.problems import Problems
from tests.support.program import config_of, refused, server

KUBECONFIG = (
    "apiVersion: v1\nkind: Config\n"
    "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
    "users: [{name: u, user: {token: tok-9f8e7d}}]\n"
    "contexts: [{name: lab, context: {cluster: c, user: u}}]\n"
)


def group_service(**service: Any) -> dict[str, Any]:
    return {"agentGroups": [server(service=service)]}


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

YAML_SCALARS_AS_INTEGERS = [
    ({"agentGroups": [server(replicas=True)]}, "agentGroups[0].replicas", "whole number"),
    ({"agentGroups": [server(replicas="3")]}, "agentGroups[0].replicas", "whole number"),
    ({"agentGroups": [server(replicas=3.0)]}, "agentGroups[0].replicas", "whole number"),
    ({"rolloutTimeoutSeconds": True}, "rolloutTimeoutSeconds", "whole number"),
    ({"rolloutTimeoutSeconds": 120.0}, "rolloutTimeoutSeconds", "whole number"),
    (
        group_service(ports=[{"port": False}]),
        "agentGroups[0].service.ports[0].port",
        "whole number",
    ),
    (
        {"agentGroups": [server(oneAgentPerNode=1)]},
        "agentGroups[0].oneAgentPerNode",
        "true or false",
    ),
    ({"createNamespace": "yes"}, "createNamespace", "true or false"),
    ({"agentGroups": [server(tags={"n": 1})]}, "agentGroups[0].tags.n", "must be a string"),
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


@pytest.mark.parametrize(("settings", "key", "allowed"), TRAILING_NEWLINE_AND_NON_ASCII)
def test_patterns_match_whole_ascii_values(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    refused(settings, key, allowed)


@pytest.mark.parametrize(("settings", "key", "allowed"), YAML_SCALARS_AS_INTEGERS)
def test_scalars_are_not_coerced(settings: dict[str, Any], key: str, allowed: str) -> None:
    refused(settings, key, allowed)


@pytest.mark.parametrize(("settings", "key", "allowed"), KUBERNETES_NAMES)
def test_kubernetes_naming_rules(settings: dict[str, Any], key: str, allowed: str) -> None:
    refused(settings, key, allowed)


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
    assert warning is not None and address in warning


def test_the_program_warns_about_a_documentation_address(logged_warnings: list[str]) -> None:
    from tests.support.program import default_cluster_state, run_stack

    state = default_cluster_state(endpoints={"cyperf-agent-service": {"subsets": []}})
    run_stack(config_of(controllerAddress="192.0.2.10"), state)
    assert any("documentation address" in w for w in logged_warnings), logged_warnings


@pytest.mark.parametrize(
    ("settings", "key", "allowed"),
    [
        ({"kubeconfig": ""}, "kubeconfig", "ambient KUBECONFIG"),
        ({"kubeconfig": "  \n "}, "kubeconfig", "ambient KUBECONFIG"),
        ({"kubeconfig": "token: tok-9f8e7d\nserver: x\n"}, "kubeconfig", "'contexts'"),
        ({"kubeconfig": "{not yaml: [tok-9f8e7d\n"}, "kubeconfig", "must be a kubeconfig"),
        ({"kubeconfig": "/nonexistent/tok-9f8e7d"}, "kubeconfig", "no readable file"),
        ({"kubeconfig": KUBECONFIG, "kubeContext": "prod"}, "kubeContext", "['lab']"),
        ({"kubeContext": " lab"}, "kubeContext", "whitespace"),
        ({"kubeContext": "lab\n"}, "kubeContext", "whitespace"),
        ({"kubeContext": ""}, "kubeContext", "whitespace"),
        ({"namespace": "kube-system"}, "namespace", "destroy would delete it"),
        ({"namespace": "default"}, "namespace", "destroy would delete it"),
        ({"namespace": "kube-node-lease"}, "namespace", "destroy would delete it"),
        ({"namespace": "kube-public"}, "namespace", "destroy would delete it"),
    ],
)
def test_cluster_access_that_would_fall_back_or_never_match(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    line = refused(settings, key, allowed)
    assert "tok-9f8e7d" not in line


def test_a_system_namespace_is_fine_when_the_stack_does_not_create_it() -> None:
    settings = parse_settings(config_of(namespace="default", createNamespace=False))
    assert settings.namespace == "default"


def test_kubeconfig_path_and_matching_context_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "kc.yaml"
    path.write_text(KUBECONFIG)
    assert parse_settings(config_of(kubeconfig=str(path), kubeContext="lab")).kube_context == "lab"
    assert parse_settings(config_of(kubeconfig=KUBECONFIG, kubeContext="lab")).kubeconfig


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
            {"agentGroups": [server(readiness={"path": "/x"})]},
            "agentGroups[0].readiness.path",
            "only with mode 'http-health-check'",
        ),
        (
            {"agentGroups": [server(readiness={"mode": "agent-started", "port": 8080})]},
            "agentGroups[0].readiness.port",
            "only with mode 'http-health-check'",
        ),
        (
            group_service(type="NodePort", loadBalancerAwaitSeconds=0),
            "agentGroups[0].service.loadBalancerAwaitSeconds",
            "only to type LoadBalancer",
        ),
        (
            group_service(loadBalancerAwaitSeconds=60),
            "agentGroups[0].service.loadBalancerAwaitSeconds",
            "only to type LoadBalancer",
        ),
        (
            group_service(ports=[{"nodePort": 30080}]),
            "agentGroups[0].service.type",
            "needs type NodePort or LoadBalancer",
        ),
    ],
)
def test_settings_that_would_be_ignored_or_overwritten(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    refused(settings, key, allowed)


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({"limits": {"cpu": "2"}}, ({"memory": "2Gi"}, {"cpu": "2", "memory": "4Gi"})),
        ({"requests": {"cpu": "1"}}, ({"cpu": "1", "memory": "2Gi"}, {"memory": "4Gi"})),
        ({"limits": {"memory": "8Gi"}}, ({"memory": "2Gi"}, {"memory": "8Gi"})),
        ({"requests": {"memory": None}}, ({}, {"memory": "4Gi"})),
    ],
)
def test_a_partial_resources_map_keeps_the_other_defaults(
    resources: dict[str, Any], expected: tuple[dict[str, str], dict[str, str]]
) -> None:
    group = parse_settings(config_of(agentGroups=[server(resources=resources)])).agent_groups[0]
    got = tuple(
        group.resources.model_dump(exclude_none=True)[kind] for kind in ("requests", "limits")
    )
    assert got == expected


def test_unknown_keys_are_named_but_never_shown() -> None:
    with pytest.raises(Problems) as err:
        parse_settings(
            config_of(kubeConfig=KUBECONFIG, agentGroups=[server(enVars={"T": "tok-9f8e7d"})])
        )
    text = str(err.value)
    assert "cyperf-k8s:kubeConfig: is not a known setting" in text
    assert "cyperf-k8s:agentGroups[0].enVars: is not a known setting" in text
    assert "tok-9f8e7d" not in text


@pytest.mark.parametrize("profile", ["runtimedefault", "Localhost", "", None])
def test_seccomp_profile_is_one_of_two(profile: Any) -> None:
    refused(
        {"agentGroups": [server(seccompProfile=profile)]},
        "agentGroups[0].seccompProfile",
        "'RuntimeDefault' or 'Unconfined'",
    )


def test_a_kubeconfig_path_to_a_directory_is_refused(tmp_path: Path) -> None:
    refused({"kubeconfig": str(tmp_path)}, "kubeconfig", "no readable file")
