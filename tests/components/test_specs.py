"""The object specs built from the settings, function by function: labels and selectors, the
agent container's env and probe, tolerations, the await annotations, and the namespace and node
label objects. (tests/program/test_contract.py compares the registered whole with Keysight's
example manifests.)"""

from __future__ import annotations

from typing import Any

import pytest

from components import specs
from components.settings.agent_groups import AgentGroup
from components.settings.loading import parse_settings
from components.settings.stack import AgentsSettings
from tests.support.program import client, config_of, server

DEDICATED = {"key": "dedicated", "operator": "Equal", "value": "cyperf", "effect": "NoSchedule"}


def agents_of(*groups: dict[str, Any], **settings: Any) -> AgentsSettings:
    return parse_settings(config_of(agentGroups=list(groups), **settings)).agents_in("east-west")


def group_of(group: dict[str, Any]) -> AgentGroup:
    (parsed,) = agents_of(group).groups
    return parsed


def test_agent_tags_render_in_key_order_and_default_per_role() -> None:
    tagged = group_of(client(tags={"zone": "b", "site": "lab"}))
    assert specs.render_agent_tags(specs.agent_tags(tagged, "east-west")) == (
        "cyperf-k8s=east-west.client,site=lab,zone=b"
    )
    assert specs.agent_tags(group_of(server()), "lab-2") == {
        "K8s-Group": "CyPerf-Agent-Server",
        "node-owner": "User",
        "cyperf-k8s": "lab-2.server",
    }


def test_the_stack_tag_tells_two_stacks_and_two_groups_apart() -> None:
    # Default tags are the same in every stack: only the stack tag keeps two stacks' agents
    # (and a session's ByTag assignment) apart on one controller.
    one = group_of(client())
    tags = {
        specs.render_agent_tags(specs.agent_tags(g, s))
        for g in (one, group_of(client(name="other")))
        for s in ("lab-1", "lab-2")
    }
    assert len(tags) == 4


def test_agent_env_order_and_the_unset_controller() -> None:
    group = group_of(
        client(env={"ZZ": "1", "AA": "2"}, testInterface="eth1", managementInterface="eth0")
    )
    names = [entry["name"] for entry in specs.agent_env(group, "10.0.0.1", "s")]
    assert names == [
        "AGENT_CONTROLLER",
        "AGENT_TAGS",
        "AGENT_MANAGEMENT_INTERFACE",
        "AGENT_TEST_INTERFACE",
        "AA",
        "ZZ",
    ]
    # No controller address: the agent gets no AGENT_CONTROLLER at all.
    assert [entry["name"] for entry in specs.agent_env(group_of(server()), None, "s")] == [
        "AGENT_TAGS"
    ]


def test_readiness_probe_per_mode() -> None:
    assert specs.readiness_probe(group_of(server())) is None
    started = group_of(client(readiness={"mode": "agent-started", "periodSeconds": 9}))
    assert specs.readiness_probe(started) == {
        "exec": {"command": ["/bin/bash", "-c", "cat /appsec/startup_ready"]},
        "periodSeconds": 9,
    }
    health = group_of(server(readiness={"mode": "http-health-check", "port": 8080}))
    assert specs.readiness_probe(health) == {
        "httpGet": {"path": "/CyPerfHTTPHealthCheck", "port": 8080},
        "periodSeconds": 5,
    }


def test_selectors_never_select_another_groups_pods() -> None:
    groups = agents_of(client(), server(), server(name="other", service=None)).groups
    for selecting in groups:
        for other in groups:
            labels = specs.pod_labels(other)
            selected = specs.selector_labels(selecting).items() <= labels.items()
            assert selected == (selecting is other), (selecting.name, other.name)
    client_group, server_group, other_server = groups
    assert specs.service_selector(server_group).items() <= specs.pod_labels(server_group).items()
    assert (
        not specs.service_selector(server_group).items() <= specs.pod_labels(other_server).items()
    )
    assert (
        not specs.service_selector(server_group).items() <= specs.pod_labels(client_group).items()
    )


def test_tolerations_are_the_groups_then_the_clusters_without_repeats() -> None:
    group = group_of(client(tolerations=[{k: v for k, v in DEDICATED.items() if k != "operator"}]))
    gpu = {"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}
    assert specs.tolerations(group, [dict(DEDICATED), gpu]) == [DEDICATED, gpu]
    assert specs.tolerations(group_of(client()), []) == []


def test_one_agent_per_node_sets_the_anti_affinity_and_its_label() -> None:
    agents = agents_of(client(), server(oneAgentPerNode=False))
    spread, packed = (specs.deployment(g, agents) for g in agents.groups)
    assert spread["spec"]["template"]["spec"]["affinity"] == specs.one_agent_per_node_affinity()
    assert spread["spec"]["template"]["metadata"]["labels"][specs.ONE_PER_NODE_LABEL] == "true"
    assert "affinity" not in packed["spec"]["template"]["spec"]
    assert specs.ONE_PER_NODE_LABEL not in packed["spec"]["template"]["metadata"]["labels"]


def test_a_client_local_port_range_becomes_the_pods_sysctl() -> None:
    agents = agents_of(client(localPortRange="20000-60000"), server())
    ranged, plain = (specs.deployment(g, agents) for g in agents.groups)
    assert ranged["spec"]["template"]["spec"]["securityContext"] == {
        "seccompProfile": {"type": "RuntimeDefault"},
        "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "20000 60000"}],
    }
    assert "sysctls" not in plain["spec"]["template"]["spec"]["securityContext"]


@pytest.mark.parametrize(
    ("group", "deployment_annotations", "service_annotations"),
    [
        pytest.param(
            server(),
            {specs.AWAIT_TIMEOUT: "120"},
            {specs.AWAIT_TIMEOUT: "120"},
            id="awaited",
        ),
        pytest.param(
            server(replicas=0),
            {specs.AWAIT_TIMEOUT: "120"},
            {specs.SKIP_AWAIT: "true"},
            id="no replicas: no endpoint to wait for",
        ),
        pytest.param(
            server(readiness={"mode": "http-health-check"}),
            {specs.SKIP_AWAIT: "true"},
            {specs.SKIP_AWAIT: "true"},
            id="ready only during a test",
        ),
        pytest.param(
            server(service={"type": "LoadBalancer", "loadBalancerAwaitSeconds": 600}),
            {specs.AWAIT_TIMEOUT: "120"},
            {specs.AWAIT_TIMEOUT: "600"},
            id="load balancer wait",
        ),
        pytest.param(
            server(service={"type": "LoadBalancer", "loadBalancerAwaitSeconds": 0}),
            {specs.AWAIT_TIMEOUT: "120"},
            {specs.SKIP_AWAIT: "true"},
            id="load balancer not awaited",
        ),
    ],
)
def test_await_annotations(
    group: dict[str, Any],
    deployment_annotations: dict[str, str],
    service_annotations: dict[str, str],
) -> None:
    agents = agents_of(group, rolloutTimeoutSeconds=120)
    (parsed,) = agents.groups
    assert parsed.service is not None
    deployment = specs.deployment(parsed, agents)
    assert deployment["metadata"]["annotations"] == deployment_annotations
    assert deployment["spec"]["progressDeadlineSeconds"] == 120
    service = specs.service(parsed, parsed.service, agents)
    assert service["metadata"]["annotations"] == service_annotations


def test_namespace_admits_the_agents_and_node_patches_take_the_label_over() -> None:
    namespace = specs.namespace(agents_of(client(), namespace="perf"))
    assert namespace["metadata"] == {
        "name": "perf",
        "labels": {"app": "cyperf-agent", "pod-security.kubernetes.io/enforce": "privileged"},
    }
    assert specs.node_label_patch("worker-1", "server")["metadata"] == {
        "name": "worker-1",
        "labels": {"agenttype": "server"},
        "annotations": {"pulumi.com/patchForce": "true"},
    }
