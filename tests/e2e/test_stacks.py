"""The example stacks through the real `pulumi up` / `preview` / `destroy` on the local rig."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import (
    CLIENT_NODES,
    NAMESPACE,
    PLAIN_NODES,
    ROOT,
    SERVER_NODES,
    Rig,
)

pytestmark = pytest.mark.e2e

RIG_DNS_IP = "10.96.0.10"


def ready_ips(pods: list[dict[str, Any]]) -> list[str]:
    return sorted(
        p["status"]["podIP"]
        for p in pods
        if p["status"].get("podIP")
        and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])
    )


def ip_key(ip: str) -> tuple[int, ...]:
    return tuple(int(x) for x in ip.split("."))


def example_config(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())["config"])


def preview_steps(rig: Rig, stack: str) -> list[dict[str, Any]]:
    result = rig.pulumi("preview", "--json", stack=stack)
    steps: list[dict[str, Any]] = json.loads(result.stdout)["steps"]
    return [s for s in steps if s["op"] not in ("same", "read")]


def nothing_of_the_stack_left(rig: Rig) -> None:
    namespaces = rig.kubectl_json("get", "namespaces")["items"]
    rig.wait_for(
        lambda: (
            NAMESPACE
            not in {n["metadata"]["name"] for n in rig.kubectl_json("get", "namespaces")["items"]}
        ),
        "the agents' namespace to be deleted",
    )
    assert namespaces is not None
    everywhere = rig.kubectl_json(
        "get", "deployments,services,pods", "--all-namespaces", "-l", "app=cyperf-agent"
    )["items"]
    assert everywhere == []


# --- east-west ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def east_west(rig: Rig) -> Iterator[dict[str, Any]]:
    stack = rig.new_stack("east-west")
    # A first preview of a new stack: the Endpoints read waits on a Service that does not exist
    # yet, and must not fail the preview.
    planned = preview_steps(rig, stack)
    assert sorted(
        (s["op"], s["urn"].rsplit("::", 1)[-1])
        for s in planned
        if s["urn"].split("::")[-2].split("$")[-1].startswith("kubernetes:")
    ) == [
        ("create", "agents-client"),
        ("create", "agents-namespace"),
        ("create", "agents-server"),
        ("create", "agents-server-service"),
    ], planned
    up = rig.up(stack)
    print(f"east-west: pulumi up took {up.seconds:.1f}s")
    yield rig.outputs(stack)


def test_east_west_outputs_equal_what_the_api_reports(rig: Rig, east_west: dict[str, Any]) -> None:
    servers = rig.pods("run=cyperf-agent-server")
    assert len(servers) == 2
    assert sorted(east_west["serverPodIps"]["server"], key=ip_key) == sorted(
        ready_ips(servers), key=ip_key
    )
    assert east_west["serverPodIpsNotReady"] == {"server": []}
    service = rig.kubectl_json("get", "service", "cyperf-agent-service", "-n", NAMESPACE)
    reported = east_west["serverServices"]["server"]
    assert reported["clusterIp"] == service["spec"]["clusterIP"]
    assert [(p["name"], p["port"], p["targetPort"]) for p in reported["ports"]] == [
        (p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]
    ]
    dns = rig.kubectl_json("get", "service", "kube-dns", "-n", "kube-system")
    assert east_west["clusterDnsIp"] == dns["spec"]["clusterIP"] == RIG_DNS_IP
    setup = east_west["controllerSetup"]
    assert setup["dnsResolverNameServer"] == RIG_DNS_IP
    assert setup["dutHost"]["server"]["serviceClusterIp"] == service["spec"]["clusterIP"]
    assert east_west["agentTags"]["client"] == (
        "K8s-Group=CyPerf-Agent-Client,cyperf-k8s=east-west.client,node-owner=User,"
        "segment=east-west"
    )


def test_east_west_agents_are_placed_as_the_guide_requires(
    rig: Rig, east_west: dict[str, Any]
) -> None:
    clients = rig.pods("run=cyperf-agent-client")
    servers = rig.pods("run=cyperf-agent-server")
    assert len(clients) == 2 and len(servers) == 2
    assert {p["spec"]["nodeName"] for p in clients} <= CLIENT_NODES
    assert {p["spec"]["nodeName"] for p in servers} <= SERVER_NODES
    nodes = [p["spec"]["nodeName"] for p in clients + servers]
    assert len(set(nodes)) == len(nodes), f"two agents share a node: {nodes}"
    env = {e["name"]: e["value"] for e in clients[0]["spec"]["containers"][0]["env"]}
    assert env["AGENT_CONTROLLER"] == "192.0.2.10"


def test_east_west_preview_right_after_up_shows_no_changes(
    rig: Rig, east_west: dict[str, Any]
) -> None:
    rig.pulumi("preview", "--expect-no-changes", stack="east-west")


def test_east_west_scaling_changes_only_the_server_deployment(
    rig: Rig, east_west: dict[str, Any]
) -> None:
    rig.pulumi("config", "set", "--path", "agentGroups[1].replicas", "3", stack="east-west")
    steps = preview_steps(rig, "east-west")
    assert [(s["op"], s["urn"].rsplit("::", 1)[-1]) for s in steps] == [
        ("update", "agents-server")
    ], steps
    rig.up("east-west")
    outputs = rig.outputs("east-west")
    servers = rig.pods("run=cyperf-agent-server")
    assert len(servers) == 3
    assert sorted(outputs["serverPodIps"]["server"], key=ip_key) == sorted(
        ready_ips(servers), key=ip_key
    )
    rig.pulumi("preview", "--expect-no-changes", stack="east-west")


def test_east_west_destroy_leaves_nothing(rig: Rig, east_west: dict[str, Any]) -> None:
    rig.remove_stack("east-west")
    nothing_of_the_stack_left(rig)


# --- north-south (NodePort) --------------------------------------------------------------------


@pytest.fixture(scope="module")
def north_south(rig: Rig) -> Iterator[dict[str, Any]]:
    stack = rig.new_stack("north-south")
    rig.up(stack)
    yield rig.outputs(stack)


def test_north_south_outputs_hold_node_ports_and_pod_ips(
    rig: Rig, north_south: dict[str, Any]
) -> None:
    service = rig.kubectl_json("get", "service", "cyperf-agent-service", "-n", NAMESPACE)
    assert service["spec"]["type"] == "NodePort"
    api_node_ports = {p["name"]: p["nodePort"] for p in service["spec"]["ports"]}
    assert api_node_ports == {"http": 30080, "https": 30443}
    reported = north_south["serverServices"]["server"]
    assert {p["name"]: p["nodePort"] for p in reported["ports"]} == api_node_ports
    assert north_south["controllerSetup"]["dutHost"]["server"]["nodePorts"] == api_node_ports
    servers = rig.pods("run=cyperf-agent-server")
    assert len(servers) == 2
    assert {p["spec"]["nodeName"] for p in servers} <= SERVER_NODES
    assert sorted(north_south["serverPodIps"]["server"], key=ip_key) == sorted(
        ready_ips(servers), key=ip_key
    )
    assert rig.pods("run=cyperf-agent-client") == []
    assert north_south["clusterDnsIp"] == RIG_DNS_IP


def test_north_south_preview_right_after_up_shows_no_changes(
    rig: Rig, north_south: dict[str, Any]
) -> None:
    rig.pulumi("preview", "--expect-no-changes", stack="north-south")


def test_north_south_destroy_leaves_nothing(rig: Rig, north_south: dict[str, Any]) -> None:
    rig.remove_stack("north-south")
    nothing_of_the_stack_left(rig)


# --- node labelling ----------------------------------------------------------------------------


def node_labels(rig: Rig) -> dict[str, str | None]:
    return {
        n["metadata"]["name"]: n["metadata"]["labels"].get("agenttype")
        for n in rig.kubectl_json("get", "nodes")["items"]
    }


def test_node_labels_are_applied_used_and_removed(rig: Rig) -> None:
    before = node_labels(rig)
    assert {before[n] for n in PLAIN_NODES} == {None}
    config = example_config("east-west")
    groups = config["cyperf-k8s:agentGroups"]
    # One more agent per role than pre-labelled nodes: each needs the node the stack labels.
    groups[0]["replicas"] = len(CLIENT_NODES) + 1
    groups[1]["replicas"] = len(SERVER_NODES) + 1
    config["cyperf-k8s:nodeLabels"] = {"rig-node-1": "client", "rig-node-2": "server"}
    stack = rig.new_stack("node-labels", config)
    rig.up(stack)
    labelled = node_labels(rig)
    assert labelled["rig-node-1"] == "client" and labelled["rig-node-2"] == "server"
    assert "rig-node-1" in {p["spec"]["nodeName"] for p in rig.pods("run=cyperf-agent-client")}
    assert "rig-node-2" in {p["spec"]["nodeName"] for p in rig.pods("run=cyperf-agent-server")}
    rig.pulumi("preview", "--expect-no-changes", stack=stack)
    rig.remove_stack(stack)
    nothing_of_the_stack_left(rig)
    assert node_labels(rig) == before


# --- failure modes -----------------------------------------------------------------------------


def test_more_agents_than_eligible_nodes_fails_fast_and_clearly(rig: Rig) -> None:
    config = example_config("north-south")
    config["cyperf-k8s:agentGroups"][0]["replicas"] = len(SERVER_NODES) + 1
    config["cyperf-k8s:rolloutTimeoutSeconds"] = 30
    stack = rig.new_stack("too-many", config)
    result = rig.up(stack, check=False, timeout=300)
    print(f"too-many: pulumi up failed after {result.seconds:.1f}s")
    assert result.returncode != 0
    assert result.seconds < 150, f"took {result.seconds:.0f}s"
    # The provider names the Deployment and what is missing, after rolloutTimeoutSeconds.
    text = result.text
    assert "'cyperf-agent-server-deployment' timed out waiting to be Ready" in text, text[-3000:]
    assert "Minimum number of live Pods was not attained" in text
    assert "Waiting for app ReplicaSet to be available (3/4 Pods available)" in text
    rig.remove_stack(stack)
    nothing_of_the_stack_left(rig)


def test_bad_config_fails_preview_and_creates_nothing(rig: Rig) -> None:
    config = example_config("east-west")
    config["cyperf-k8s:controllerAddress"] = "2001:db8::10"
    stack = rig.new_stack("bad-config", config)
    result = rig.pulumi("preview", stack=stack, check=False)
    assert result.returncode != 0
    assert "cyperf-k8s:controllerAddress" in result.text
    assert "IPv6 is not supported" in result.text
    up = rig.up(stack, check=False)
    assert up.returncode != 0
    exported = json.loads(rig.pulumi("stack", "export", stack=stack).stdout)
    resources = exported["deployment"].get("resources") or []
    assert [r["type"] for r in resources if r["type"] != "pulumi:pulumi:Stack"] == []
    assert NAMESPACE not in {
        n["metadata"]["name"] for n in rig.kubectl_json("get", "namespaces")["items"]
    }
    rig.pulumi("stack", "rm", "--yes", "--force", stack=stack)
