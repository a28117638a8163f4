"""The pure functions that turn what the cluster reports into what the tester types into the
controller: pod addresses from Endpoints subsets, Service reports, and the checklist answers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from components.controller_setup import (
    ServerAddresses,
    ServiceReport,
    agent_assignment,
    controller_setup,
    endpoint_addresses,
    missing_pod_ips_warning,
    service_report,
)
from components.settings.loading import parse_settings
from components.settings.stack import AgentsSettings
from tests.support.program import client, config_of, server


def agents(**settings: Any) -> AgentsSettings:
    return parse_settings(config_of(**settings)).agents_in("east-west")


def test_endpoint_addresses_dedupes_and_sorts_numerically() -> None:
    subsets = [
        {"addresses": [{"ip": "10.0.0.10"}, {"ip": "10.0.0.9"}]},
        {"addresses": [{"ip": "10.0.0.9"}], "notReadyAddresses": [{"ip": "10.0.0.2"}]},
    ]
    assert endpoint_addresses(subsets) == {
        "ready": ["10.0.0.9", "10.0.0.10"],
        "notReady": ["10.0.0.2"],
    }
    assert endpoint_addresses(None) == {"ready": [], "notReady": []}


def test_load_balancer_address_prefers_ip_then_hostname() -> None:
    spec = {
        "type": "LoadBalancer",
        "clusterIP": "10.96.0.50",
        "ports": [{"name": "http", "port": 80.0, "targetPort": 80.0, "nodePort": 31111.0}],
    }
    by_ip = service_report("s", spec, {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}})
    assert by_ip["loadBalancerAddress"] == "203.0.113.7"
    by_name = service_report(
        "s", spec, {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}
    )
    assert by_name["loadBalancerAddress"] == "lb.example.com"
    assert service_report("s", spec, {})["loadBalancerAddress"] is None
    assert by_ip["ports"] == [
        {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 80, "nodePort": 31111}
    ]


def test_endpoint_addresses_read_sdk_objects_by_attribute() -> None:
    # Inside an apply the SDK hands over its output types (attributes, snake_case), not dicts.
    subsets = [
        SimpleNamespace(
            addresses=[SimpleNamespace(ip="10.0.0.3"), SimpleNamespace(ip=None)],
            not_ready_addresses=[SimpleNamespace(ip="10.0.0.4")],
        )
    ]
    assert endpoint_addresses(subsets) == {"ready": ["10.0.0.3"], "notReady": ["10.0.0.4"]}


def test_service_report_defaults_and_named_target_ports() -> None:
    report = service_report(
        "web", {"ports": [{"name": "http", "port": 8080.0, "targetPort": "http"}]}, None
    )
    assert report == {
        "name": "web",
        "type": "ClusterIP",
        "clusterIp": None,
        "ports": [{"name": "http", "protocol": "TCP", "port": 8080, "targetPort": "http"}],
        "loadBalancerAddress": None,
    }


def test_missing_pod_ips_are_said_only_when_fewer_ready_than_replicas() -> None:
    complete: ServerAddresses = {"ready": ["10.0.0.1", "10.0.0.2"], "notReady": []}
    assert missing_pod_ips_warning("web", 2, complete) is None
    # Not-ready addresses are not servers the tester can use yet.
    short: ServerAddresses = {"ready": ["10.0.0.1"], "notReady": ["10.0.0.2", "10.0.0.3"]}
    warning = missing_pod_ips_warning("web", 3, short)
    assert warning is not None
    assert warning.startswith("serverPodIps[web] lists 1 of 3 servers: ")
    assert "Run `pulumi up` again" in warning


def test_agent_assignment_lists_tags_and_pod_selector_per_group() -> None:
    settings = agents(agentGroups=[client(tags={"site": "lab", "b": "2"}), server(replicas=3)])
    assert agent_assignment(settings.groups, "lab") == {
        "client": {
            "role": "client",
            "replicas": 1,
            "tags": ["b=2", "cyperf-k8s=lab.client", "site=lab"],
            "podSelector": "app=cyperf-agent,cyperf-k8s/agent-group=client,run=cyperf-agent-client",
        },
        "server": {
            "role": "server",
            "replicas": 3,
            "tags": [
                "K8s-Group=CyPerf-Agent-Server",
                "cyperf-k8s=lab.server",
                "node-owner=User",
            ],
            "podSelector": "app=cyperf-agent,cyperf-k8s/agent-group=server,run=cyperf-agent-server",
        },
    }


def test_a_server_group_without_reads_gets_empty_answers() -> None:
    settings = agents(controllerAddress="10.1.2.3", agentGroups=[server(service=None)])
    setup = controller_setup(settings, {}, {}, None)
    assert setup["dutHost"] == {"server": {"podIps": []}}
    assert setup["connectionPorts"] == {}
    assert setup["httpHealthCheck"] == {}
    assert setup["dnsResolverNameServer"] is None
    assert "conntrack" not in setup


def test_load_balancer_address_and_conntrack_reach_the_checklist() -> None:
    settings = agents(agentGroups=[server()])
    report: ServiceReport = {
        "name": "svc",
        "type": "LoadBalancer",
        "clusterIp": "10.96.0.7",
        "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080}],
        "loadBalancerAddress": "203.0.113.7",
    }
    addresses: dict[str, ServerAddresses] = {"server": {"ready": ["10.244.0.5"], "notReady": []}}
    setup = controller_setup(
        settings, addresses, {"server": report}, "10.96.0.10", {"server": {"maxEntries": 1}}
    )
    assert setup["dutHost"]["server"] == {
        "podIps": ["10.244.0.5"],
        "serviceClusterIp": "10.96.0.7",
        "loadBalancerAddress": "203.0.113.7",
    }
    assert setup["connectionPorts"]["server"] == {
        "destinationPort": {"http": 80},
        "serverPort": {"http": 8080},
    }
    assert setup["conntrack"] == {"server": {"maxEntries": 1}}
    # An empty conntrack answer (no group planned) adds no key.
    assert "conntrack" not in controller_setup(settings, addresses, {"server": report}, None, {})


def test_a_networked_server_group_lists_its_test_ips_beside_the_management_pod_ips() -> None:
    network = {"type": "macvlan", "master": "ens224", "ipam": {"range": "10.9.0.0/24"}}
    settings = agents(
        controllerAddress="10.1.2.3",
        agentGroups=[
            server(service=None, testNetwork=network),
            server(name="plain", service=None),
        ],
    )
    ready: ServerAddresses = {"ready": ["10.244.0.1"], "notReady": []}
    setup = controller_setup(
        settings, {"server": ready, "plain": ready}, {}, None, None, {"server": ["10.9.0.3"]}
    )
    assert setup["dutHost"] == {
        "server": {"podIps": ["10.244.0.1"], "testIps": ["10.9.0.3"]},
        "plain": {"podIps": ["10.244.0.1"]},
    }
    # Before the pods are read, a networked group still says it has test addresses (none yet).
    assert controller_setup(settings, {}, {}, None)["dutHost"]["server"]["testIps"] == []
