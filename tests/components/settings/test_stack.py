"""The settings model: defaults, parsing of engine-shaped config, and every rejection.

Each bad config runs the real program under mocks: it must fail with a message naming the config
key, the bad value and what is allowed, and register nothing at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from components.settings.loading import parse_settings
from components.settings.problems import Problems
from tests.support.program import client, config_of, refused, server


def test_defaults_are_the_guides_east_west_pair() -> None:
    settings = parse_settings({})
    assert [(g.name, g.role, g.replicas) for g in settings.agent_groups] == [
        ("client", "client", 1),
        ("server", "server", 1),
    ]
    server_group = settings.agents.server_groups[0]
    assert server_group.service is not None
    assert server_group.service.name == "cyperf-agent-service"
    assert server_group.service.type == "ClusterIP"
    assert [(p.name, p.port, p.target_port) for p in server_group.service.ports] == [
        ("http", 80, 80)
    ]
    assert settings.client_groups[0].service is None
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


def test_engine_shaped_values_are_decoded() -> None:
    settings = parse_settings(
        {
            "cyperf-k8s:createNamespace": "false",
            "cyperf-k8s:rolloutTimeoutSeconds": "120",
            "cyperf-k8s:controllerAddress": "cyperf.lab.example",
            "cyperf-k8s:agentGroups": '[{"name": "s1", "role": "server", "replicas": 3}]',
            "cyperf-k8s:kubeconfig": '{"apiVersion": "v1", "clusters": [{"name": "c"}], '
            '"contexts": [{"name": "c"}]}',
            "aws:region": "eu-west-1",
        }
    )
    assert settings.create_namespace is False
    assert settings.rollout_timeout_seconds == 120
    assert settings.agent_groups[0].replicas == 3
    assert settings.kubeconfig is not None
    # JSON kubeconfig content stays text, and stays masked.
    assert settings.kubeconfig.get_secret_value().startswith('{"apiVersion"')
    assert "apiVersion" not in repr(settings)


def test_secret_kubeconfig_is_never_echoed_in_errors() -> None:
    with pytest.raises(Problems) as err:
        parse_settings({"cyperf-k8s:kubeconfig": '["token-abc123"]'} | config_of(namespace="X"))
    assert "token-abc123" not in str(err.value)


def test_project_config_defaults_match_the_model() -> None:
    """Pulumi.yaml's typed defaults and the model's defaults are one set of facts."""
    import yaml

    from components.settings.stack import StackSettings

    project = yaml.safe_load(Path("Pulumi.yaml").read_text())
    declared = project["config"]
    fields = {f.alias: f for f in StackSettings.model_fields.values()}
    assert declared
    for key, spec in declared.items():
        assert key in fields, f"Pulumi.yaml declares {key}, which the model does not know"
        assert spec["default"] == fields[key].default, key


BAD_CONFIGS: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, settings, "key in message", "allowed / reason fragment")
    ("ipv6 controller", {"controllerAddress": "2001:db8::1"}, "controllerAddress", "IPv6"),
    ("url controller", {"controllerAddress": "https://ctl:443"}, "controllerAddress", "DNS name"),
    ("numeric junk controller", {"controllerAddress": "300.1.2.3"}, "controllerAddress", "IPv4"),
    ("moving image tag", {"cyperfRelease": "latest"}, "cyperfRelease", "pinned"),
    ("unknown top-level key", {"controlerAddress": "10.0.0.1"}, "controlerAddress", "not a known"),
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
        "negative replicas",
        {"agentGroups": [server(replicas=-1)]},
        "agentGroups[0].replicas",
        "greater than or equal to 0",
    ),
    (
        "typo in group key",
        {"agentGroups": [server(replicsa=2)]},
        "agentGroups[0].replicsa",
        "not a known",
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
        "tag with comma",
        {"agentGroups": [server(tags={"segment": "a,b"})]},
        "agentGroups[0].tags",
        "without ','",
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
        "memory not a quantity",
        {"agentGroups": [server(resources={"limits": {"memory": "4GB"}})]},
        "agentGroups[0].resources.limits.memory",
        "memory quantity",
    ),
    (
        "cpu not a quantity",
        {"agentGroups": [server(resources={"limits": {"cpu": "two"}})]},
        "agentGroups[0].resources.limits.cpu",
        "CPU quantity",
    ),
    (
        "request above limit",
        {"agentGroups": [server(resources={"requests": {"memory": "8Gi"}})]},
        "agentGroups[0].resources.requests.memory",
        "must not exceed",
    ),
    (
        "no memory limit",
        {
            "agentGroups": [
                server(resources={"limits": {"memory": None}, "requests": {"memory": "1Gi"}})
            ]
        },
        "agentGroups[0].resources.limits.memory",
        "must be set",
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
        "served by server agents only",
    ),
    (
        "service on a client",
        {"agentGroups": [client(service={})]},
        "agentGroups[0].service",
        "only server groups",
    ),
    (
        "service port out of range",
        {"agentGroups": [server(service={"ports": [{"port": 70000}]})]},
        "agentGroups[0].service.ports[0].port",
        "less than or equal to 65535",
    ),
    (
        "node port outside the range",
        {"agentGroups": [server(service={"type": "NodePort", "ports": [{"nodePort": 8080}]})]},
        "agentGroups[0].service.ports[0].nodePort",
        "greater than or equal to 30000",
    ),
    (
        "node port on a ClusterIP",
        {"agentGroups": [server(service={"ports": [{"nodePort": 30080}]})]},
        "agentGroups[0].service.type",
        "needs type NodePort",
    ),
    (
        "unknown service type",
        {"agentGroups": [server(service={"type": "ExternalName"})]},
        "agentGroups[0].service.type",
        "'LoadBalancer'",
    ),
    (
        "duplicate port names",
        {"agentGroups": [server(service={"ports": [{"port": 80}, {"port": 81}]})]},
        "agentGroups[0].service.ports",
        "must be unique",
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
        "takes no value",
    ),
    (
        "toleration Equal without a key",
        {"agentGroups": [server(tolerations=[{"value": "v"}])]},
        "agentGroups[0].tolerations[0].key",
        "needs a key",
    ),
    (
        "arm64 before the aarch64 image",
        {"cyperfRelease": "release7.0", "agentGroups": [server(architecture="arm64")]},
        "agentGroups[0].architecture",
        "release26.0.0 or newer",
    ),
    (
        "interface name with a slash",
        {"agentGroups": [server(testInterface="eth0/1")]},
        "agentGroups[0].testInterface",
        "interface name",
    ),
    (
        "node label role unknown",
        {"nodeLabels": {"worker-1": "router"}},
        "nodeLabels.worker-1",
        "'client' or 'server'",
    ),
    ("node name invalid", {"nodeLabels": {"Worker_1": "client"}}, "nodeLabels", "DNS subdomain"),
    (
        "annotations key invalid",
        {"agentGroups": [server(podAnnotations={"bad key": "x"})]},
        "agentGroups[0].podAnnotations",
        "annotation key",
    ),
]


@pytest.mark.parametrize(
    ("settings", "key", "allowed"),
    [pytest.param(s, k, a, id=case) for case, s, k, a in BAD_CONFIGS],
)
def test_bad_config_is_rejected_before_any_resource(
    settings: dict[str, Any], key: str, allowed: str
) -> None:
    refused(settings, key, allowed)


def test_the_table_is_big_enough() -> None:
    assert len(BAD_CONFIGS) >= 25


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(Problems) as err:
        parse_settings(
            config_of(
                controllerAddress="::1",
                namespace="Bad",
                agentGroups=[server(replicas=-2, testInterface="")],
            )
        )
    assert len(err.value.problems) == 4, err.value.problems


def test_problems_of_one_group_are_reported_together() -> None:
    with pytest.raises(Problems) as err:
        parse_settings(
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
    assert err.value.lines == [
        "cyperf-k8s:agentGroups[0].service: only server groups can have a Service; remove it "
        "from this client group (got {})",
        "cyperf-k8s:agentGroups[0].readiness.mode: 'http-health-check' is served by server "
        "agents only; use 'none' or 'agent-started' for clients (got 'http-health-check')",
        "cyperf-k8s:agentGroups[1].resources.requests.memory: exceeds limits.memory '4Gi'; a "
        "request must not exceed its limit (got '8Gi')",
        "cyperf-k8s:agentGroups[1].resources.requests.cpu: exceeds limits.cpu '2'; a request "
        "must not exceed its limit (got '4')",
    ]
