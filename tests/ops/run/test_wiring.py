"""The session patches per destination mode: exact DUT host and port, DNS server, agent tag,
Automatic IP and health check, each body accepted by the client's models."""

from __future__ import annotations

from typing import Any

import pytest

from ops.errors import UsageError
from ops.run.definition import TestDefinition, check_against_stack, parse
from ops.run.wiring import Plan, partial, plan, stack_tag
from tests.ops.fake_sessions import NODE_MODELS, check_partial, config_tree, model
from tests.ops.run.conftest import HEALTH, SERVICE, STACK, definition, outputs

ROLES = {"client": "client", "server": "server"}
DUT = "NetworkProfiles/1/DUTNetworkSegment/1"


def wired(document: dict[str, Any], values: dict[str, Any] | None = None) -> Plan:
    values = values or outputs()
    test: TestDefinition = parse(document, "test.yaml")
    modes = check_against_stack(test, "test.yaml", ROLES, values["serverServices"])
    result = plan(test, modes, STACK, values, config_tree(), node_address="172.18.0.4")
    for patch in result.patches:  # every body as the fake controller checks it
        kind = [part for part in patch.path.split("/") if part in NODE_MODELS][-1]
        check_partial(model(NODE_MODELS[kind]), patch.body)
    return result


def bodies(result: Plan) -> dict[str, dict[str, Any]]:
    return {patch.path: patch.body for patch in result.patches}


@pytest.mark.parametrize(
    ("mode", "host", "port"),
    [
        ("pod-ip", "10.244.0.3", 80),
        ("service", "10.96.0.50", 8080),
        ("node-port", "172.18.0.4", 30080),
        ("load-balancer", "203.0.113.7", 8080),
    ],
)
def test_each_mode_sets_the_dut_host_and_port_from_the_stack(
    mode: str, host: str, port: int
) -> None:
    result = wired(definition(mode))
    assert bodies(result)[DUT] == {
        "active": True,
        "ServerDUTActive": True,
        "ServerDUTHost": host,
        "ServerDUTPort": port,
    }
    assert (result.targets["IP Network 1"].host, result.targets["IP Network 1"].port) == (
        host,
        port,
    )


def test_a_named_port_picks_that_service_port() -> None:
    document = definition("service")
    document["segments"][0]["destination"]["port"] = "https"
    assert bodies(wired(document))[DUT]["ServerDUTPort"] == 443
    document["segments"][0]["destination"]["mode"] = "pod-ip"
    assert bodies(wired(document))[DUT]["ServerDUTPort"] == 8443


@pytest.mark.parametrize(
    ("service_type", "host"),
    [("ClusterIP", "10.96.0.50"), ("NodePort", "172.18.0.4"), ("LoadBalancer", "203.0.113.7")],
)
def test_the_default_mode_follows_the_service_type(service_type: str, host: str) -> None:
    values = outputs(service={**SERVICE, "type": service_type})
    assert bodies(wired(definition(None), values))[DUT]["ServerDUTHost"] == host


def test_segments_get_the_stack_unique_tag_dns_and_automatic_ip() -> None:
    result = bodies(wired(definition("service")))
    client = "NetworkProfiles/1/IPNetworkSegment/1"
    server = "NetworkProfiles/1/IPNetworkSegment/2"
    assert result[client] == {
        "agentAssignments": {"ByTag": ["cyperf-k8s=east-west.client"], "ByID": []},
        "DNSResolver": {"nameServers": [{"name": "10.96.0.10"}]},
    }
    # servers resolve nothing: no name server for them
    assert result[server] == {
        "agentAssignments": {"ByTag": [stack_tag(STACK, "server")], "ByID": []}
    }
    for segment in (client, server):
        assert result[f"{segment}/IPRanges/1"] == {
            "IpAuto": True,
            "NetMaskAuto": True,
            "GwAuto": True,
        }


def test_the_health_check_comes_from_the_group_readiness() -> None:
    result = bodies(wired(definition("service")))
    assert result[f"{DUT}/HTTPHealthCheck"] == {"Enabled": True, "Port": HEALTH["port"]}
    assert result[f"{DUT}/HTTPHealthCheck/Params/1"] == {"Value": "/CyPerfHTTPHealthCheck"}


def test_without_an_http_readiness_the_health_check_is_left_alone() -> None:
    result = wired(definition("service"), outputs(health=False))
    assert not any("HTTPHealthCheck" in p.path for p in result.patches)
    assert "left as the config has it" in result.notes[0]


def test_objectives_patch_the_steady_segment() -> None:
    result = bodies(wired(definition("service", objectives={"duration": 120, "rate": 50})))
    timeline = "TrafficProfiles/1/ObjectivesAndTimeline/PrimaryObjective/Timeline/1"
    assert result[timeline] == {"Duration": 120, "ObjectiveValue": 50.0}


def test_a_value_the_client_refuses_fails_before_sending() -> None:
    values = outputs()
    values["clusterDnsIp"] = "kube-dns"  # the client's NameServer takes an IPv4 literal only
    with pytest.raises(ValueError, match="name"):
        wired(definition("service"), values)
    from cyperf.models.dut_network import DUTNetwork

    with pytest.raises(ValueError):
        partial(DUTNetwork, server_dut_host="cyperf-agent-service")  # single-label host


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["segments"][0].update(name="IP Network 9"), "no IP network segment named"),
        (
            lambda d: d["segments"][0]["destination"].update(dutSegment="DUT 9"),
            "no DUT network segment named 'DUT 9'",
        ),
    ],
)
def test_names_missing_in_the_config_are_refused(change: Any, message: str) -> None:
    document = definition("service")
    change(document)
    with pytest.raises(UsageError, match=message):
        wired(document)


def test_a_load_balancer_without_an_address_yet_is_refused() -> None:
    values = outputs(service={**SERVICE, "loadBalancerAddress": None})
    with pytest.raises(UsageError, match="no load-balancer address yet"):
        wired(definition("load-balancer"), values)
