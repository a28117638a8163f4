"""The stack settings (`StackSettings`): defaults, the stack keys' checks and the checks that span
the groups. Each bad config runs the real program under mocks: it must fail with a message naming
the config key, the bad value and what is allowed, and register nothing at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.settings.loading import parse_settings
from tests.support.program import config_of, refusal_table, refused, server

KUBECONFIG = (
    "apiVersion: v1\nkind: Config\n"
    "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]\n"
    "users: [{name: u, user: {token: tok-9f8e7d}}]\n"
    "contexts: [{name: lab, context: {cluster: c, user: u}}]\n"
)


def test_defaults_are_the_guides_east_west_pair() -> None:
    settings = parse_settings({})
    assert [(g.name, g.role, g.replicas) for g in settings.agent_groups] == [
        ("client", "client", 1),
        ("server", "server", 1),
    ]
    server_group = settings.agents_in("east-west").server_groups[0]
    assert server_group.service is not None
    assert server_group.service.name == "cyperf-agent-service"
    assert server_group.service.type == "ClusterIP"
    assert [(p.name, p.port, p.target_port) for p in server_group.service.ports] == [
        ("http", 80, 80)
    ]
    assert settings.agent_groups[0].service is None
    assert server_group.resources.limits.memory == "4Gi"
    assert server_group.resources.requests.memory == "2Gi"
    assert server_group.effective_node_selector == {"agenttype": "server"}
    assert server_group.one_agent_per_node is True
    assert server_group.readiness.mode == "none"
    assert server_group.readiness.path == "/CyPerfHTTPHealthCheck"
    assert server_group.readiness.port == 80
    assert server_group.readiness.period_seconds == 5
    assert settings.cyperf_release == "release26.0.0"
    assert settings.controller_address is None
    assert settings.namespace == "cyperf"
    assert settings.cluster == "existing"


BAD_CONFIGS: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, settings, "key in message", "allowed / reason fragment")
    ("moving image tag", {"cyperfRelease": "latest"}, "cyperfRelease", "pinned"),
    ("namespace not a DNS label", {"namespace": "CyPerf_Agents"}, "namespace", "DNS label"),
    ("unknown cluster kind", {"cluster": "gke"}, "cluster", "'existing' or 'eks'"),
    (
        "dns service without namespace",
        {"clusterDnsService": "kube-dns"},
        "clusterDnsService",
        "<namespace>/<service name>",
    ),
    (
        "rollout timeout too short",
        {"rolloutTimeoutSeconds": 5},
        "rolloutTimeoutSeconds",
        "greater than or equal to 30",
    ),
    ("no groups", {"agentGroups": []}, "agentGroups", "at least 1"),
    (
        "duplicate group names",
        {"agentGroups": [server(), server(service={"name": "other"})]},
        "agentGroups",
        "more than once",
    ),
    (
        "duplicate service names",
        {"agentGroups": [server(), server(name="server2")]},
        "agentGroups",
        "distinct `name`",
    ),
    (
        "node port used twice",
        {
            "agentGroups": [
                server(service={"type": "NodePort", "ports": [{"nodePort": 30080}]}),
                server(
                    name="s2",
                    service={"name": "s2", "type": "NodePort", "ports": [{"nodePort": 30080}]},
                ),
            ]
        },
        "agentGroups",
        "more than one Service",
    ),
    (
        "arm64 before the aarch64 image",
        {"cyperfRelease": "release7.0", "agentGroups": [server(architecture="arm64")]},
        "agentGroups[0].architecture",
        "'arm64' needs cyperfRelease release26.0.0 or newer",
    ),
    (
        "node label role unknown",
        {"nodeLabels": {"worker-1": "router"}},
        "nodeLabels.worker-1",
        "'client' or 'server'",
    ),
    ("node name invalid", {"nodeLabels": {"Worker_1": "client"}}, "nodeLabels", "DNS subdomain"),
]


test_bad_config_is_rejected_before_any_resource = refusal_table(BAD_CONFIGS, at_least=12)


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


def test_a_kubeconfig_path_to_a_directory_is_refused(tmp_path: Path) -> None:
    refused({"kubeconfig": str(tmp_path)}, "kubeconfig", "no readable file")
