"""The DUT outputs component: the outputs come from what the cluster reports (mocked reads of
the Endpoints, Services and the cluster DNS Service), not from the config."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.program import (
    ClusterMocks,
    StackRun,
    config_of,
    default_cluster_state,
    run_stack,
)


def endpoints(ready: list[str], not_ready: list[str] = []) -> dict[str, Any]:  # noqa: B006
    subset: dict[str, Any] = {"addresses": [{"ip": ip} for ip in ready]}
    if not_ready:
        subset["notReadyAddresses"] = [{"ip": ip} for ip in not_ready]
    return {"subsets": [subset]}


@pytest.fixture(scope="module")
def two_server_groups() -> StackRun:
    state = default_cluster_state(
        endpoints={
            "svc-a": endpoints(["10.244.3.20", "10.244.1.9"], ["10.244.2.4"]),
            "svc-b": endpoints(["10.244.5.2"]),
        }
    )
    return run_stack(
        config_of(
            controllerAddress="10.1.2.3",
            agentGroups=[
                {"name": "clients", "role": "client", "tags": {"site": "lab"}},
                {
                    "name": "a",
                    "role": "server",
                    "replicas": 3,
                    "service": {"name": "svc-a", "type": "NodePort"},
                },
                {
                    "name": "b",
                    "role": "server",
                    "readiness": {"mode": "http-health-check"},
                    "service": {
                        "name": "svc-b",
                        "ports": [
                            {"name": "http", "port": 8080, "targetPort": 80},
                            {"name": "https", "port": 8443, "targetPort": 443},
                        ],
                    },
                },
            ],
        ),
        state,
    )


def test_pod_ips_per_group_ready_and_not_ready(two_server_groups: StackRun) -> None:
    assert two_server_groups.exports["serverPodIps"] == {
        "a": ["10.244.1.9", "10.244.3.20"],
        "b": ["10.244.5.2"],
    }
    assert two_server_groups.exports["serverPodIpsNotReady"] == {"a": ["10.244.2.4"], "b": []}


def test_endpoints_read_after_the_service_and_deployment(two_server_groups: StackRun) -> None:
    reads = two_server_groups.reads("kubernetes:core/v1:Endpoints")
    assert sorted(str(r.read_id) for r in reads) == ["cyperf/svc-a", "cyperf/svc-b"]
    read_a = next(r for r in reads if r.read_id == "cyperf/svc-a")
    deployment = two_server_groups.one("kubernetes:apps/v1:Deployment", "agents-a")
    service = two_server_groups.one("kubernetes:core/v1:Service", "agents-a-service")
    assert sorted(read_a.dependencies) == sorted([deployment.urn, service.urn])


def test_service_addresses_come_from_the_api(two_server_groups: StackRun) -> None:
    services = two_server_groups.exports["serverServices"]
    # ClusterIPs and the node port were assigned by the (mock) API server, not configured.
    assert services["a"] == {
        "name": "svc-a",
        "type": "NodePort",
        "clusterIp": "10.96.103.182",
        "ports": [
            {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 80, "nodePort": 31000}
        ],
        "loadBalancerAddress": None,
    }
    assert services["b"]["clusterIp"] == "10.96.112.27"
    assert two_server_groups.exports["clusterDnsIp"] == "10.96.0.10"


def test_controller_setup_answers_the_checklist(two_server_groups: StackRun) -> None:
    setup = two_server_groups.exports["controllerSetup"]
    assert setup["agentController"] == {
        "address": "10.1.2.3",
        "isControllerProxy": False,
        "ingressPorts": [443],
    }
    assert setup["agentAssignment"]["clients"]["tags"] == ["cyperf-k8s=test.clients", "site=lab"]
    assert setup["agentAssignment"]["a"]["tags"] == [
        "K8s-Group=CyPerf-Agent-Server",
        "cyperf-k8s=test.a",
        "node-owner=User",
    ]
    assert setup["networkSegmentIpRange"].startswith("Automatic IP")
    assert setup["dutHost"]["a"] == {
        "podIps": ["10.244.1.9", "10.244.3.20"],
        "serviceClusterIp": "10.96.103.182",
        "nodePorts": {"http": 31000},
        "nodeAddresses": "the IP of any node (north-south clients outside the cluster)",
    }
    assert setup["dnsResolverNameServer"] == "10.96.0.10"
    assert setup["connectionPorts"]["b"] == {
        "destinationPort": {"http": 8080, "https": 8443},
        "serverPort": {"http": 80, "https": 443},
    }
    assert setup["httpHealthCheck"] == {
        "b": {"enabled": True, "targetUrl": "/CyPerfHTTPHealthCheck", "port": 80}
    }
    assert two_server_groups.exports["agentTags"] == {
        "clients": "cyperf-k8s=test.clients,site=lab",
        "a": "K8s-Group=CyPerf-Agent-Server,cyperf-k8s=test.a,node-owner=User",
        "b": "K8s-Group=CyPerf-Agent-Server,cyperf-k8s=test.b,node-owner=User",
    }


def test_dut_component_registers_its_outputs(two_server_groups: StackRun) -> None:
    dut = two_server_groups.one("cyperf-k8s:index:DutOutputs", "dut")
    registered = two_server_groups.component_outputs[dut.urn]
    assert registered["serverPodIps"] == two_server_groups.exports["serverPodIps"]
    assert registered["clusterDnsIp"] == "10.96.0.10"


def test_load_balancer_address_reaches_the_outputs() -> None:
    class LoadBalancedCluster(ClusterMocks):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            resource_id, outputs = super().new_resource(args)
            if args.typ == "kubernetes:core/v1:Service" and not args.resource_id:
                outputs["status"] = {"loadBalancer": {"ingress": [{"hostname": "nlb.example"}]}}
            return resource_id, outputs

    run = run_stack(
        config_of(
            agentGroups=[{"name": "s", "role": "server", "service": {"type": "LoadBalancer"}}]
        ),
        mocks=LoadBalancedCluster(
            default_cluster_state(endpoints={"cyperf-agent-service": endpoints(["10.2.0.4"])})
        ),
    )
    assert run.exports["serverServices"]["s"]["loadBalancerAddress"] == "nlb.example"
    assert run.exports["controllerSetup"]["dutHost"]["s"]["loadBalancerAddress"] == "nlb.example"


def test_fewer_ready_pod_ips_than_replicas_is_said(logged_warnings: list[str]) -> None:
    state = default_cluster_state(
        endpoints={"cyperf-agent-service": endpoints(["10.2.0.4"], ["10.2.0.5"])}
    )
    groups = [{"name": "server", "role": "server", "replicas": 2}]
    run = run_stack(config_of(controllerAddress="10.1.2.3", agentGroups=groups), state)
    assert run.exports["serverPodIps"] == {"server": ["10.2.0.4"]}
    assert [w for w in logged_warnings if "serverPodIps" in w] == [
        "cyperf-k8s:agentGroups[0]: serverPodIps[server] lists 1 of 2 servers: the cluster's "
        "Endpoints had not caught up "
        "with the pods when they were read. Run `pulumi up` again (it re-reads them) before "
        "typing the addresses into the controller."
    ]
    # Complete lists, and servers that turn ready only during a test, say nothing.
    logged_warnings.clear()
    groups[0]["readiness"] = {"mode": "http-health-check"}
    run_stack(config_of(controllerAddress="10.1.2.3", agentGroups=groups), state)
    assert [w for w in logged_warnings if "serverPodIps" in w] == []


NAD_STATUS = "k8s.v1.cni.cncf.io/network-status"


def networked_cluster(
    annotated: dict[str, str | None], attachments: list[str] | None = None
) -> Any:
    """Endpoints listing one ready pod per entry (pod name -> its test address, None for a pod
    whose network-status Multus has not written), the pods, and the Multus CRD; each pod's
    status names `attachments[i]` (default the group's one attachment)."""
    state = default_cluster_state(
        endpoints={
            "cyperf-agent-service": {
                "subsets": [
                    {
                        "addresses": [
                            {
                                "ip": f"10.244.0.{i + 1}",
                                "targetRef": {"kind": "Pod", "namespace": "cyperf", "name": pod},
                            }
                            for i, pod in enumerate(annotated)
                        ]
                    }
                ]
            }
        }
    )
    state[
        (
            "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
            "network-attachment-definitions.k8s.cni.cncf.io",
        )
    ] = {"spec": {"versions": [{"name": "v1", "served": True}]}}
    for i, (pod, address) in enumerate(annotated.items()):
        status = [{"name": "k8s-pod-network", "ips": [f"10.244.0.{i + 1}"], "default": True}]
        if address is not None:
            name = attachments[i] if attachments else "cyperf-server-test"
            status.append({"name": f"cyperf/{name}", "ips": [address]})
        annotations = {NAD_STATUS: json.dumps(status)} if address is not None else {}
        state[("kubernetes:core/v1:Pod", f"cyperf/{pod}")] = {
            "metadata": {"name": pod, "namespace": "cyperf", "annotations": annotations}
        }
    return state


NETWORKED = [
    {
        "name": "server",
        "role": "server",
        "replicas": 2,
        "testNetwork": {"type": "macvlan", "master": "ens224", "ipam": {"range": "10.9.0.0/24"}},
    }
]


def test_test_ips_come_from_each_pods_network_status(logged_warnings: list[str]) -> None:
    state = networked_cluster({"server-b": "10.9.0.12", "server-a": "10.9.0.3"})
    run = run_stack(config_of(controllerAddress="10.1.2.3", agentGroups=NETWORKED), state)
    # The pod IPs stay the management addresses; the DUT-facing ones are the test addresses.
    assert run.exports["serverPodIps"] == {"server": ["10.244.0.1", "10.244.0.2"]}
    assert run.exports["serverTestIps"] == {"server": ["10.9.0.3", "10.9.0.12"]}
    dut_host = run.exports["controllerSetup"]["dutHost"]["server"]
    assert dut_host["testIps"] == ["10.9.0.3", "10.9.0.12"]
    assert dut_host["podIps"] == ["10.244.0.1", "10.244.0.2"]
    # The pods are read by position in name order: the same pods give the same reads.
    reads = {r.name: r.read_id for r in run.reads("kubernetes:core/v1:Pod")}
    assert reads == {"dut-server-pod-0": "cyperf/server-a", "dut-server-pod-1": "cyperf/server-b"}
    assert [w for w in logged_warnings if "serverTestIps" in w] == []


def test_a_pod_without_a_test_address_is_said(logged_warnings: list[str]) -> None:
    state = networked_cluster({"server-a": "10.9.0.3", "server-b": None})
    run = run_stack(config_of(controllerAddress="10.1.2.3", agentGroups=NETWORKED), state)
    assert run.exports["serverTestIps"] == {"server": ["10.9.0.3"]}
    [warning] = [w for w in logged_warnings if "serverTestIps" in w]
    assert warning.startswith(
        "cyperf-k8s:agentGroups[0].testNetwork: serverTestIps[server]: 1 ready pod(s) have no "
        "address on the test network"
    )


def test_stacks_without_a_test_network_export_no_test_ips(two_server_groups: StackRun) -> None:
    assert "serverTestIps" not in two_server_groups.exports
    assert all(
        "testIps" not in h for h in two_server_groups.exports["controllerSetup"]["dutHost"].values()
    )


def test_a_dpdk_groups_pods_give_their_addresses_on_their_own_nics_attachment() -> None:
    nics = [
        {"node": node, "pciId": f"0000:0b:00.{i}", "numaNode": 0, "cpuSet": "2,3"}
        for i, node in enumerate(("n1", "n2"))
    ]
    group = {
        "name": "server",
        "role": "server",
        "testNetwork": {
            "type": "host-device",
            "ipam": {"range": "10.9.0.0/24"},
            "dpdk": {"inventory": nics},
        },
    }
    state = networked_cluster(
        {"server-0": "10.9.0.3", "server-1": "10.9.0.4"},
        ["cyperf-server-0-test", "cyperf-server-1-test"],
    )
    for node in ("n1", "n2"):
        state[("kubernetes:core/v1:Node", node)] = {
            "metadata": {"name": node, "labels": {"agenttype": "server"}},
            "status": {"allocatable": {"hugepages-1Gi": "8Gi"}},
        }
    run = run_stack(config_of(controllerAddress="10.1.2.3", agentGroups=[group]), state)
    assert run.exports["serverTestIps"] == {"server": ["10.9.0.3", "10.9.0.4"]}
